"""Unlock: an operator (`<project> unlock EMAIL`) or an admin (`POST /users/{id}/unlock`) clears
an account's failed logins, so that its owner may log in again at once; both are audited."""

import logging

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.core.audit import logger as audit_logger
from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.roles import ADMIN_ROLE

from tests.factories import new_sign_up
from tests.helpers import PASSWORD, bearer
from tests.logs import audit_events
from tests.processes import PROJECT_COMMAND, run

FAILURES = 5  # LOGIN_MAX_FAILURES_PER_ACCOUNT's default


async def _lock_out(client: AsyncClient, email: str) -> None:
    for _ in range(FAILURES):
        await client.post("/token", data={"username": email, "password": "a wrong guess"})
    locked = await client.post("/token", data={"username": email, "password": PASSWORD})
    assert locked.status_code == 429


async def test_an_admin_unlocks_an_account(
    async_client: AsyncClient,
    user: User,
    admin: User,
    admin_token: str,
    token: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _lock_out(async_client, user.email)
    if user.role != ADMIN_ROLE:  # (in a project of one role, every user is an admin)
        refused = await async_client.post(f"/users/{user.id}/unlock", headers=bearer(token))
        assert refused.status_code == 403
    caplog.set_level(logging.INFO, logger=audit_logger.name)
    unlocked = await async_client.post(f"/users/{user.id}/unlock", headers=bearer(admin_token))
    assert unlocked.json() == {"failed_logins_cleared": FAILURES}
    login = await async_client.post("/token", data={"username": user.email, "password": PASSWORD})
    assert login.status_code == 200
    (line,) = [event for event in audit_events(caplog) if event["event"] == "unlock"]
    assert (line["user_id"], line["by"], line["outcome"]) == (
        str(user.id),
        str(admin.id),
        "cleared",
    )


async def test_the_operator_unlocks_an_account(
    concurrent_client: AsyncClient, initialize_database: AsyncDatabase
) -> None:
    body = new_sign_up(PASSWORD)
    signed_up = await concurrent_client.post("/users", json=body)
    assert signed_up.status_code == 201
    await _lock_out(concurrent_client, body["email"])
    url = initialize_database.engine.url.render_as_string(hide_password=False)
    command = (PROJECT_COMMAND, "unlock", body["email"].upper())
    done = await run(*command, environment={"DATABASE_URL": url})
    assert done.returncode == 0, done.stderr
    assert f"{FAILURES} failed login(s) cleared" in done.stdout
    audited = f'"event": "unlock", "outcome": "cleared", "user_id": "{signed_up.json()["id"]}"'
    assert audited in done.stderr, "the audit line, naming whose failures were cleared"
    login = await concurrent_client.post(
        "/token", data={"username": body["email"], "password": PASSWORD}
    )
    assert login.status_code == 200
    again = await run(*command, environment={"DATABASE_URL": url})
    assert "nothing to clear" in again.stdout
