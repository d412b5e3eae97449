"""Every log line one JSON object, with the request's id; an access line per request; and
never a secret, in the test process and in a served one."""

import json
import logging
import signal
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase
from {{ cookiecutter.package_name }}.observability.logs import formatter
from {{ cookiecutter.package_name }}.users.models import User

from tests.database_setup import delete_all_rows
from tests.factories import new_sign_up
from tests.helpers import PASSWORD, bearer
from tests.logs import AUDIT_LOGGER, lines_written
from tests.processes import PROJECT_COMMAND, started
from tests.served import settings_from_environment, wait_until_live
from tests.tcp_proxy import free_port

ACCESS_LOGGER = AUDIT_LOGGER.replace(".audit", ".access")
NEW_PASSWORD = "a completely new passphrase"


def _parsed(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines]


def _access_lines(lines: list[str]) -> list[dict[str, Any]]:
    return [line for line in _parsed(lines) if line["logger"] == ACCESS_LOGGER]


async def test_a_requests_lines_share_its_id(async_client: AsyncClient, user: User) -> None:
    with lines_written() as lines:
        for request_id in ("follow-me", "someone-else"):
            await async_client.post(
                "/token",
                data={"username": user.email, "password": "a wrong guess"},
                headers={"X-Request-ID": request_id},
            )
    followed = [line for line in _parsed(lines) if line.get("request_id") == "follow-me"]
    assert {line["logger"] for line in followed} == {AUDIT_LOGGER, ACCESS_LOGGER}
    assert len(followed) == 2, followed
    for line in followed:
        assert {"timestamp", "level", "logger", "message"} <= line.keys()


async def test_one_access_line_per_request_naming_the_route_by_its_template(
    async_client: AsyncClient, user: User, admin: User, admin_token: str
) -> None:
    with lines_written() as lines:
        answer = await async_client.get(f"/users/{user.id}", headers=bearer(admin_token))
        await async_client.get("/users?limit=5&secret=in-the-query", headers=bearer(admin_token))
        missing = await async_client.get("/no/such/route")
    first, listing, unknown = _access_lines(lines)
    assert first == first | {
        "method": "GET",
        "route": "/users/{user_id}",
        "status": 200,
        "response_bytes": len(answer.content),
        "client_address": "127.0.0.1",
        "user_id": str(admin.id),
        "request_id": answer.headers["X-Request-ID"],
    }
    assert first["duration_ms"] > 0
    assert listing["route"] == "/users"
    assert "in-the-query" not in json.dumps(listing)
    assert (unknown["route"], unknown["status"], unknown["user_id"]) == (None, 404, None)
    assert unknown["response_bytes"] == len(missing.content), "the request id in the body too"


@pytest.fixture
def access_log_off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with settings_from_environment(monkeypatch, ACCESS_LOG="false"):
        yield


async def test_access_log_off_writes_no_access_line(
    async_client: AsyncClient, access_log_off: None
) -> None:
    with lines_written() as lines:
        assert (await async_client.get("/health/live")).status_code == 200
    assert _access_lines(lines) == []


async def test_no_secret_reaches_the_log(async_client: AsyncClient) -> None:
    body = new_sign_up(PASSWORD)
    with lines_written(logging.DEBUG) as lines:
        assert (await async_client.post("/users", json=body)).status_code == 201
        credentials = {"username": body["email"], "password": PASSWORD}
        tokens = (await async_client.post("/token", data=credentials)).json()
        refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        tokens = (await async_client.post("/token", data=refresh)).json()
        change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        changed = await async_client.post(
            "/users/me/password", json=change, headers=bearer(tokens["access_token"])
        )
        assert changed.status_code == 204, changed.text
        wrong = {"username": body["email"], "password": "a wrong guess" + PASSWORD}
        assert (await async_client.post("/token", data=wrong)).status_code == 401
    assert _access_lines(lines), "the requests were logged"
    written = "\n".join(lines)
    secrets = [PASSWORD, NEW_PASSWORD, tokens["access_token"], tokens["refresh_token"]]
    for secret in [*secrets, "Bearer", "$argon2", "Authorization", "authorization"]:
        assert secret not in written, secret


def test_a_traceback_is_one_field_of_one_line() -> None:
    try:
        raise ZeroDivisionError("no")
    except ZeroDivisionError:
        record = logging.LogRecord(
            "app", logging.ERROR, __file__, 1, "failed", None, exc_info=sys.exc_info()
        )
    line = formatter("json").format(record)
    assert "\n" not in line
    assert "ZeroDivisionError" in json.loads(line)["exception"]
    readable = formatter("console").format(record)
    assert "failed" in readable
    assert "ZeroDivisionError" in readable


async def test_the_served_process_writes_json_lines_that_follow_a_request(
    initialize_database: AsyncDatabase,
) -> None:
    port = free_port()
    url = initialize_database.engine.url.render_as_string(hide_password=False)
    command = (PROJECT_COMMAND, "serve", "--host", "127.0.0.1", "--port", str(port))
    try:
        async with started(*command, environment={"DATABASE_URL": url}) as server:
            base_url = f"http://127.0.0.1:{port}"
            await wait_until_live(server, base_url)
            async with AsyncClient(base_url=base_url) as client:
                login = {"username": "nobody@example.com", "password": "a wrong guess"}
                answer = await client.post("/token", data=login, headers={"X-Request-ID": "lb-7"})
            assert answer.status_code == 401
            server.send_signal(signal.SIGTERM)
            await server.wait(at_most=30)
            stdout = (await server.finished()).stdout
    finally:
        await delete_all_rows(initialize_database.engine)
    lines = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    messages = {line["message"] for line in lines}
    assert "Application startup complete." in messages, "uvicorn's own lines, as JSON too"
    followed = [line for line in lines if line.get("request_id") == "lb-7"]
    assert {line["logger"] for line in followed} == {AUDIT_LOGGER, ACCESS_LOGGER}
    assert "a wrong guess" not in stdout
