"""What responses carry: nosniff on every one, no-store on tokens, and never a redirect built from
the Host header."""

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
async def test_every_response_says_nosniff(
    async_client: AsyncClient, method: str, path: str, status: int
) -> None:
    response = await async_client.request(method, path)
    assert response.status_code == status
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/users/", "/health/", "/users/me/"])
async def test_no_redirect_is_built_from_the_host_header(
    async_client: AsyncClient, path: str
) -> None:
    response = await async_client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 404
    assert "location" not in response.headers
