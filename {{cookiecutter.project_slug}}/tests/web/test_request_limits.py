"""Request bodies over MAX_REQUEST_BODY_BYTES: 413 before they are read in full, however sent."""

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.core.settings import get_settings

from tests.factories import new_sign_up
from tests.helpers import PASSWORD

CHUNK = 64 * 1024
ROUTES = [
    ("POST", "/users", "application/json"),
    ("POST", "/token", "application/x-www-form-urlencoded"),
    ("PATCH", "/users/00000000-0000-0000-0000-000000000000", "application/json"),
]


class CountingBody:
    """A request body sent in chunks, counting how many the server asked for."""

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.sent += 1
            yield b"x" * CHUNK


def _limit() -> int:
    return get_settings().max_request_body_bytes


def _chunks_over_limit() -> int:
    return _limit() // CHUNK * 10  # ten times the limit


@pytest.mark.parametrize(("method", "path", "content_type"), ROUTES)
async def test_a_declared_length_over_the_limit_is_refused_unread(
    async_client: AsyncClient, method: str, path: str, content_type: str
) -> None:
    body = CountingBody(_chunks_over_limit())
    length = body.chunks * CHUNK
    headers = {"Content-Type": content_type, "Content-Length": str(length)}
    response = await async_client.request(method, path, content=body, headers=headers)
    assert response.status_code == 413
    assert response.json()["detail"] == f"The request body is larger than {_limit()} bytes"
    assert body.sent == 0, "not a byte of the body was read"


@pytest.mark.parametrize(("method", "path", "content_type"), ROUTES)
async def test_a_chunked_body_is_refused_once_it_passes_the_limit(
    async_client: AsyncClient, method: str, path: str, content_type: str
) -> None:
    body = CountingBody(_chunks_over_limit())
    headers = {"Content-Type": content_type}  # no Content-Length: chunked
    response = await async_client.request(method, path, content=body, headers=headers)
    assert response.status_code == 413
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # It stopped reading just past the limit, not at the end of the body.
    assert body.sent <= _limit() // CHUNK + 2 < body.chunks


async def test_a_lying_content_length_does_not_get_past_the_limit(
    async_client: AsyncClient,
) -> None:
    body = CountingBody(_chunks_over_limit())
    headers = {"Content-Type": "application/json", "Content-Length": "100"}
    response = await async_client.post("/users", content=body, headers=headers)
    assert response.status_code == 413
    assert body.sent <= _limit() // CHUNK + 2


async def test_a_body_within_the_limit_is_served(async_client: AsyncClient) -> None:
    response = await async_client.post("/users", json=new_sign_up(PASSWORD))
    assert response.status_code == 201, response.text


async def test_a_form_within_the_limit_is_served(async_client: AsyncClient) -> None:
    response = await async_client.post(
        "/token", data={"username": "nobody@example.com", "password": PASSWORD}
    )
    assert response.status_code == 401
