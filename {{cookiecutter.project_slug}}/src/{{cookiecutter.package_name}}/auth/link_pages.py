"""The pages that links in mails open, `/password-reset?token=...` and `/verify-email?token=...`,
for when PUBLIC_BASE_URL is this service itself (its default, as in development): a form whose
button sends the link's token to the route that spends it.

Opening a page spends nothing (mail scanners open links too): its script takes the token out of
the address bar and sends it only when the button is pressed. With a front end of your own,
point PUBLIC_BASE_URL at it, and its pages of these paths do the same.
"""

import base64
import hashlib
import html
from collections.abc import Callable
from pathlib import Path
from string import Template

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from {{ cookiecutter.package_name }}.auth.email_verification import VERIFY_PAGE
from {{ cookiecutter.package_name }}.auth.email_verification_routes import (
    confirm_email_verification,
)
from {{ cookiecutter.package_name }}.auth.password_reset import RESET_PAGE
from {{ cookiecutter.package_name }}.auth.password_reset_routes import (
    confirm_password_reset,
)
from {{ cookiecutter.package_name }}.auth.passwords import MAX_PASSWORD_LENGTH

router = APIRouter(include_in_schema=False)

PAGES = Path(__file__).parent / "pages"
# Read with the module, at start-up: a file read while a request waits would block the loop.
PAGE = Template((PAGES / "link_page.html").read_text(encoding="utf-8"))
SCRIPT = (PAGES / "link_page.js").read_text(encoding="utf-8")
STYLE = (PAGES / "link_page.css").read_text(encoding="utf-8")


def source_hash(source: str) -> str:
    """A Content-Security-Policy source that allows this inline script or style alone."""
    digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
    return f"'sha256-{digest}'"


HEADERS = {
    # The page's own script and style, and requests to this service: nothing else runs.
    "Content-Security-Policy": (
        f"default-src 'none'; script-src {source_hash(SCRIPT)}; style-src {source_hash(STYLE)}; "
        "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
    # The address holds the token until the script takes it out.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
NEW_PASSWORD_FIELD = (
    '<label>New password <input type="password" name="new_password"'
    f' autocomplete="new-password" required maxlength="{MAX_PASSWORD_LENGTH}"></label>'
)


def link_page(
    request: Request,
    *,
    heading: str,
    fields: str,
    button: str,
    confirm: Callable[..., object],
    done: str,
) -> HTMLResponse:
    """The page: `fields` (HTML) and the link's token go to the route `confirm` when `button`
    is pressed."""
    action = request.app.url_path_for(confirm.__name__)
    words = {"heading": heading, "button": button, "action": action, "done": done}
    escaped = {name: html.escape(value) for name, value in words.items()}
    page = PAGE.substitute(
        escaped, project=html.escape(request.app.title), fields=fields, script=SCRIPT, style=STYLE
    )
    return HTMLResponse(page, headers=HEADERS)


@router.get(RESET_PAGE)
async def password_reset_page(request: Request) -> HTMLResponse:
    return link_page(
        request,
        heading="Choose a new password",
        fields=NEW_PASSWORD_FIELD,
        button="Set my password",
        confirm=confirm_password_reset,
        done="Your password is set: log in with it.",
    )


@router.get(VERIFY_PAGE)
async def email_verification_page(request: Request) -> HTMLResponse:
    return link_page(
        request,
        heading="Confirm your email",
        fields="",
        button="Confirm my email",
        confirm=confirm_email_verification,
        done="Your email is confirmed.",
    )
