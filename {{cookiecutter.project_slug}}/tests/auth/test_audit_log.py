"""The audit log: one JSON line per security event, with user id, address and outcome, and
never a password, hash or token."""

import hashlib
import json
import logging

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.models import LoginFailure
from {{ cookiecutter.package_name }}.core.audit import audit
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.roles import ADMIN_ROLE, DEFAULT_ROLE

from tests.factories import new_sign_up
from tests.helpers import PASSWORD, SHARED_ROLE, bearer
from tests.logs import AUDIT_LOGGER, audit_events, line_of
from tests.processes import run

NEW_PASSWORD = "a completely new passphrase"


def _assert_nothing_secret(caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    for record in caplog.records:
        line = line_of(record)
        for secret in (*secrets, "$argon2"):
            assert secret not in line, (secret, line)


@pytest.fixture
def caplog(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    return caplog


async def test_logins_are_logged_without_secrets(
    async_client: AsyncClient, user: User, caplog: pytest.LogCaptureFixture
) -> None:
    await async_client.post("/token", data={"username": user.email, "password": "wrong guess!"})
    login = await async_client.post("/token", data={"username": user.email, "password": PASSWORD})
    for _ in range(5):
        await async_client.post("/token", data={"username": user.email, "password": "wrong!!"})
    await async_client.post("/token", data={"username": user.email, "password": PASSWORD})
    events = [(e["event"], e["outcome"], e["user_id"]) for e in audit_events(caplog)]
    assert events == [
        ("login", "failure", str(user.id)),
        ("login", "success", str(user.id)),
        *[("login", "failure", str(user.id))] * 5,
        ("login", "throttled", None),
    ]
    assert all(event["address"] == "127.0.0.1" for event in audit_events(caplog))
    tokens = login.json()
    _assert_nothing_secret(
        caplog, PASSWORD, "wrong guess!", tokens["access_token"], tokens["refresh_token"]
    )


async def test_a_name_that_is_no_email_is_kept_only_as_a_keyed_hash(
    async_client: AsyncClient, db_session: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    """It may be a password typed in the wrong field: neither the log nor the database holds
    it, nor a plain hash of it, against which anyone could test guesses."""
    typed = "MySecret-Passw0rd-42"
    refused = await async_client.post("/token", data={"username": typed, "password": "x"})
    assert refused.status_code == 401
    (stored,) = await db_session.scalars(select(LoginFailure.account))
    (logged,) = [event["account"] for event in audit_events(caplog)]
    plain = hashlib.sha256(typed.lower().encode()).hexdigest()
    for kept in (stored, logged):
        assert typed.lower() not in kept.lower(), kept
        assert plain[:16] not in kept, kept


async def test_password_changes_and_revocations_are_logged(
    async_client: AsyncClient, user: User, caplog: pytest.LogCaptureFixture
) -> None:
    login = await async_client.post("/token", data={"username": user.email, "password": PASSWORD})
    tokens = login.json()
    await async_client.post(
        "/users/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(tokens["access_token"]),
    )
    await async_client.post("/token/revoke", data={"token": tokens["refresh_token"]})
    events = [(e["event"], e["outcome"]) for e in audit_events(caplog)]
    assert ("password change", "success") in events
    assert ("session revoked", "success") in events
    _assert_nothing_secret(
        caplog, PASSWORD, NEW_PASSWORD, tokens["access_token"], tokens["refresh_token"]
    )


async def test_role_and_active_changes_and_deletions_are_logged(
    async_client: AsyncClient,
    user: User,
    admin: User,
    admin_token: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    changes: dict[str, object] = {"is_active": False}
    if SHARED_ROLE != ADMIN_ROLE:
        changes["role"] = ADMIN_ROLE if user.role != ADMIN_ROLE else SHARED_ROLE
    response = await async_client.patch(
        f"/users/{user.id}", json=changes, headers=bearer(admin_token)
    )
    assert response.status_code == 200, response.text
    await async_client.delete(f"/users/{user.id}", headers=bearer(admin_token))
    events = {e["event"]: e for e in audit_events(caplog)}
    assert events["active change"]["active"] is False
    assert events["active change"]["by"] == str(admin.id)
    assert events["user deleted"]["user_id"] == str(user.id)
    if "role" in changes:
        assert events["role change"]["role"] == str(changes["role"])


def test_a_line_stays_one_line_whatever_a_value_holds(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    forged = 'x\n2026-01-01 INFO forged {"event": "login"}\r\u2028\u2029\u0085\x7f\x1b[31m'
    audit("login", outcome="failure", address=forged)
    (line,) = [line_of(record) for record in caplog.records]
    assert line.isascii(), line
    assert line.isprintable(), line
    assert json.loads(line)["audit"]["address"] == forged


def test_the_audit_log_takes_no_secrets() -> None:
    with pytest.raises(ValueError, match="no secrets"):
        audit("login", outcome="success", password="hunter2")


async def test_the_lines_reach_standard_error_without_any_logging_setup() -> None:
    package = AUDIT_LOGGER.rpartition(".")[0]
    call = "audit('login', outcome='success', address='192.0.2.1')"
    done = await run("python", "-c", f"from {package}.core.audit import audit; {call}")
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stderr.strip().splitlines()[-1])
    assert line["logger"] == AUDIT_LOGGER
    assert line["audit"] == {
        "event": "login",
        "outcome": "success",
        "user_id": None,
        "address": "192.0.2.1",
    }


# Every security event of the service, as (event, outcome): the test below causes each.
SECURITY_EVENTS = {
    ("sign-up", "created"),
    ("sign-up", "conflict"),
    ("login", "failure"),
    ("login", "success"),
    ("refresh", "success"),
    ("refresh", "reused"),
    ("current password check", "failure"),
    ("current password check", "success"),
    ("password change", "success"),
    ("email change requested", "success"),
    ("email change cancelled", "success"),
    ("email change", "success"),
    ("sessions revoked", "success"),
    ("session revoked", "success"),
    ("role change", "success"),
    ("active change", "success"),
    ("unlock", "cleared"),
    ("user deleted", "success"),
}


async def test_every_security_event_is_logged_with_who_and_from_where(
    async_client: AsyncClient, admin: User, admin_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = new_sign_up(PASSWORD)
    email = body["email"]
    created = await async_client.post("/users", json=body)
    assert created.status_code == 201
    user_id = created.json()["id"]
    await async_client.post("/users", json=body)  # taken
    await async_client.post("/token", data={"username": email, "password": "a wrong guess"})
    tokens = (
        await async_client.post("/token", data={"username": email, "password": PASSWORD})
    ).json()
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    renewed = (await async_client.post("/token", data=refresh)).json()
    await async_client.post("/token", data=refresh)  # used again: the session ends
    tokens = (
        await async_client.post("/token", data={"username": email, "password": PASSWORD})
    ).json()
    mine = bearer(tokens["access_token"])
    wrong = {"email": "elsewhere@example.com", "current_password": "a wrong guess"}
    await async_client.patch(f"/users/{user_id}", json=wrong, headers=mine)
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert (
        await async_client.post("/users/me/password", json=change, headers=mine)
    ).status_code == 204
    moved = {"email": "elsewhere@example.com", "current_password": NEW_PASSWORD}
    assert (
        await async_client.patch(f"/users/{user_id}", json=moved, headers=mine)
    ).status_code == 200
    kept = {"email": email, "current_password": NEW_PASSWORD}
    assert (
        await async_client.patch(f"/users/{user_id}", json=kept, headers=mine)
    ).status_code == 200
    await async_client.post("/token/revoke", data={"token": tokens["access_token"]})
    by_admin = "by.admin@example.com"
    admin_changes: dict[str, object] = {"is_active": False, "email": by_admin}
    if SHARED_ROLE != ADMIN_ROLE:
        admin_changes["role"] = SHARED_ROLE if DEFAULT_ROLE != SHARED_ROLE else ADMIN_ROLE
    admins = bearer(admin_token)
    await async_client.patch(f"/users/{user_id}", json=admin_changes, headers=admins)
    await async_client.post("/token", data={"username": by_admin, "password": "x"})
    await async_client.post(f"/users/{user_id}/unlock", headers=admins)
    await async_client.delete(f"/users/{user_id}", headers=admins)

    events = audit_events(caplog)
    expected = SECURITY_EVENTS - (
        {("role change", "success")} if "role" not in admin_changes else set()
    )
    assert expected <= {(e["event"], e["outcome"]) for e in events}
    for event in events:
        assert event["address"] == "127.0.0.1", event
        assert event["user_id"] or event.get("account") or event.get("by"), event
        if event["event"] in {"role change", "active change", "unlock", "user deleted"}:
            assert event["by"] == str(admin.id), event
    created_line = next(e for e in events if (e["event"], e["outcome"]) == ("sign-up", "created"))
    assert (created_line["user_id"], created_line["role"]) == (user_id, str(DEFAULT_ROLE))
    _assert_nothing_secret(
        caplog,
        PASSWORD,
        NEW_PASSWORD,
        "a wrong guess",
        tokens["access_token"],
        tokens["refresh_token"],
        renewed["refresh_token"],
    )
