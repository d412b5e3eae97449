"""The API docs: served by default, off with DOCS_ENABLED=false, the routes listed either way."""

import re

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase
from {{ cookiecutter.package_name }}.web.docs import ASSET_TYPES

from tests.served import started_app

DOCS_PATHS = [
    "/docs",
    "/redoc",
    "/openapi.json",
    "/docs/oauth2-redirect",
    "/docs/assets/swagger-ui-bundle.js",
]


@pytest.mark.parametrize("path", DOCS_PATHS)
async def test_docs_are_served_by_default(async_client: AsyncClient, path: str) -> None:
    response = await async_client.get(path)
    assert response.status_code == 200


@pytest.mark.parametrize("path", DOCS_PATHS)
async def test_docs_can_be_turned_off(initialize_database: AsyncDatabase, path: str) -> None:
    async with started_app(initialize_database.engine.url, DOCS_ENABLED="false") as (_, client):
        response = await client.get(path)
        health = await client.get("/health")
    assert response.status_code == 404
    assert health.status_code == 200


async def test_the_schema_still_lists_every_route(async_client: AsyncClient) -> None:
    paths = (await async_client.get("/openapi.json")).json()["paths"]
    assert {"/token", "/users", "/users/me", "/health"} <= set(paths)
    assert not set(DOCS_PATHS) & set(paths)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_pages_load_nothing_from_another_origin(
    async_client: AsyncClient, page: str
) -> None:
    """No CDN's script runs where users type passwords; and the docs work offline."""
    html = (await async_client.get(page)).text
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ?["']([^"']+)["']""", html)
    loaded = {url for pair in urls for url in pair if url}
    assert loaded, html
    assert all(url.startswith("/") and not url.startswith("//") for url in loaded), loaded
    for url in loaded - {"/openapi.json", "/docs/oauth2-redirect"}:
        response = await async_client.get(url)
        assert response.status_code == 200, url
        assert len(response.content) > 1000, url
        assert response.headers["Content-Type"].split(";")[0] in ASSET_TYPES.values(), url
        head = await async_client.head(url)
        assert head.status_code == 200, url
        assert head.headers["Content-Length"] == str(len(response.content)), url
        assert head.content == b"", url


async def test_only_the_docs_own_files_are_served(async_client: AsyncClient) -> None:
    for name in ["pyproject.toml", "..%2F__init__.py", "core.py"]:
        assert (await async_client.get(f"/docs/assets/{name}")).status_code == 404
