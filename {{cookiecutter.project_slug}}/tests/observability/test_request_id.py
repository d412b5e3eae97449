"""`X-Request-ID`: on every response, the caller's when sane, in every error body."""

import re

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.users.models import User

from tests.helpers import PASSWORD, bearer

NEW_ID = re.compile(r"[0-9a-f]{32}")


async def test_every_response_gets_a_new_id(async_client: AsyncClient) -> None:
    answers = [await async_client.get("/health/live") for _ in range(3)]
    ids = [answer.headers["X-Request-ID"] for answer in answers]
    assert all(NEW_ID.fullmatch(request_id) for request_id in ids), ids
    assert len(set(ids)) == 3


@pytest.mark.parametrize(
    "sent",
    ["0f8fe2a4-5f2c-4b54-9b0e-3c2f4d0e1a6b", "Root=1-67891233-abcdef012345678912345678", "a"],
)
async def test_the_callers_id_is_kept(async_client: AsyncClient, sent: str) -> None:
    answer = await async_client.get("/health/live", headers={"X-Request-ID": sent})
    assert answer.headers["X-Request-ID"] == sent


@pytest.mark.parametrize(
    "sent",
    ["x" * 129, "two words", 'quote"d', "new\\nline", "brace{}", "é", ""],
    ids=["too long", "space", "quote", "escaped newline", "braces", "non-ASCII", "empty"],
)
async def test_a_hostile_id_is_replaced(async_client: AsyncClient, sent: str) -> None:
    answer = await async_client.get("/health/live", headers=[(b"X-Request-ID", sent.encode())])
    assert NEW_ID.fullmatch(answer.headers["X-Request-ID"])


async def test_error_bodies_carry_the_id(async_client: AsyncClient, user: User) -> None:
    sent = {"X-Request-ID": "bug-report-42"}
    oversized = {**sent, "Content-Length": str(10**9), "Content-Type": "application/json"}
    answers = {
        401: await async_client.get("/users/me", headers=sent),
        404: await async_client.get("/no/such/route", headers=sent),
        413: await async_client.post("/users", content=b"{}", headers=oversized),
        422: await async_client.post("/users", json={"email": "not an email"}, headers=sent),
    }
    for status, answer in answers.items():
        assert answer.status_code == status, answer.text
        assert answer.json()["request_id"] == "bug-report-42", (status, answer.text)
        assert answer.json()["detail"], status
        assert int(answer.headers["Content-Length"]) == len(answer.content)
    login = await async_client.post(
        "/token", data={"username": user.email, "password": PASSWORD}, headers=sent
    )
    me = await async_client.get("/users/me", headers={**bearer(login.json()["access_token"])})
    assert "request_id" not in me.json(), "only errors carry it in the body"


@pytest.fixture
def app_with_a_bug() -> FastAPI:
    app = create_app()

    async def broken() -> None:
        raise RuntimeError("a bug, with a secret: hunter2")

    app.add_api_route("/broken", broken)
    return app


async def test_an_unexpected_error_is_a_500_with_the_id_and_nothing_else(
    app_with_a_bug: FastAPI,
) -> None:
    transport = ASGITransport(app=app_with_a_bug, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get("/broken", headers={"X-Request-ID": "bug-report-43"})
    assert answer.status_code == 500
    assert answer.json() == {"detail": "Internal server error", "request_id": "bug-report-43"}
    assert answer.headers["X-Request-ID"] == "bug-report-43"
    assert "hunter2" not in answer.text
