"""The pages that links in mails open, when PUBLIC_BASE_URL is the service itself: a form that
sends the link's token to the route that spends it, running nothing but its own script."""

import base64
import hashlib
import html
import re

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.main import app

# A token of the right shape; the pages never look at it.
TOKEN = "A" * 43
PAGES = {
    "/password-reset": "/password-reset/confirm",
    "/verify-email": "/email-verification/confirm",
}


def _inline(tag: str, page: str) -> str:
    found = re.search(rf"<{tag}>(.*?)</{tag}>", page, re.DOTALL)
    assert found, f"no <{tag}> in the page"
    return found.group(1)


def _allowed(source: str) -> str:
    # As a browser computes it, not by link_pages.source_hash: a wrong hash there blocks the page.
    return f"'sha256-{base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()}'"


@pytest.mark.parametrize(("page", "action"), PAGES.items())
async def test_a_link_opens_a_form_that_sends_its_token_where_it_is_spent(
    async_client: AsyncClient, page: str, action: str
) -> None:
    answer = await async_client.get(page, params={"token": TOKEN})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert f'data-action="{action}"' in answer.text
    no_token = await async_client.post(action, json={})
    assert no_token.status_code == 422, "the route the form posts to reads a token"
    assert TOKEN not in answer.text, "the script reads the token from the address: no echo"
    assert html.escape(app.title) in answer.text, "the project's name, as HTML"


@pytest.mark.parametrize("page", PAGES)
async def test_a_page_runs_its_own_script_and_style_only_and_leaks_no_token(
    async_client: AsyncClient, page: str
) -> None:
    answer = await async_client.get(page, params={"token": TOKEN})
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in answer.headers["content-security-policy"].split("; ")
    }
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == [_allowed(_inline("script", answer.text))]
    assert policy["style-src"] == [_allowed(_inline("style", answer.text))]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert answer.headers["referrer-policy"] == "no-referrer", "the token is in the address"
    assert answer.headers["cache-control"] == "no-store"
