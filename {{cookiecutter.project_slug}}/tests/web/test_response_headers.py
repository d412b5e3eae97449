"""What responses carry: nosniff and no-store on every one, and never a redirect built from the
Host header."""

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.users.models import User

from tests.helpers import PASSWORD


async def test_token_responses_are_not_cached(async_client: AsyncClient, user: User) -> None:
    response = await async_client.post(
        "/token", data={"username": user.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health", 200),
        ("GET", "/docs", 200),
        ("GET", "/users/me", 401),
        ("GET", "/nowhere", 404),
        ("POST", "/users", 422),
        ("DELETE", "/health", 405),
    ],
)
async def test_every_response_says_nosniff_and_no_store(
    async_client: AsyncClient, method: str, path: str, status: int
) -> None:
    response = await async_client.request(method, path)
    assert response.status_code == status
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


async def test_a_users_own_data_is_not_cached(async_client: AsyncClient, token: str) -> None:
    me = await async_client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/users/", "/health/", "/users/me/"])
async def test_no_redirect_is_built_from_the_host_header(
    async_client: AsyncClient, path: str
) -> None:
    response = await async_client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 404
    assert "location" not in response.headers
