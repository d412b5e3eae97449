"""The API docs: served by default, off with DOCS_ENABLED=false, the routes listed either way."""

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase

from tests.served import started_app

DOCS_PATHS = ["/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"]


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
