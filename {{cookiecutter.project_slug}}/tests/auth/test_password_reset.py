"""Password reset against a real SMTP server: the same 202 for any email, a link by mail whose
token works once, before it expires, until a newer one; the new password follows the sign-up's
rules, ends every session and clears the failed logins; throttled; no token in any log."""

import logging
import statistics
import time

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.models import PasswordResetToken
from {{ cookiecutter.package_name }}.auth.password_reset import INVALID_TOKEN
from {{ cookiecutter.package_name }}.auth.sessions import token_hash
from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.mail.messages import PROJECT_NAME
from {{ cookiecutter.package_name }}.users.models import User

from tests.auth.mailed_links import confirm_email, mailed_tokens
from tests.helpers import PASSWORD, bearer, log_in, settings_changed
from tests.isolation import CleanDatabase
from tests.logs import audit_events, lines_written
from tests.mailbox import Mailbox, parts

NEW_PASSWORD = "a brand new reset passphrase"
NOBODY = "nobody-here@example.com"


async def _ask(client: AsyncClient, email: str) -> Response:
    return await client.post("/password-reset", json={"email": email})


async def _confirm(client: AsyncClient, token: str, password: str = NEW_PASSWORD) -> Response:
    return await client.post(
        "/password-reset/confirm", json={"token": token, "new_password": password}
    )


async def _reset_link(
    client: AsyncClient, database: CleanDatabase, mailbox: Mailbox, email: str
) -> str:
    sent = len(mailbox.messages)
    assert (await _ask(client, email)).status_code == 202
    tokens = await mailed_tokens(database, mailbox, "password-reset")
    assert len(tokens) == sent + 1
    return tokens[-1]


def _assert_invalid(response: Response) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["detail"] == INVALID_TOKEN


async def test_any_email_gets_the_same_answer_and_only_an_account_a_mail(
    async_client: AsyncClient, setup_database: CleanDatabase, mailbox: Mailbox, user: User
) -> None:
    known, unknown = await _ask(async_client, user.email), await _ask(async_client, NOBODY)
    assert (known.status_code, unknown.status_code) == (202, 202)
    assert known.json() == unknown.json()
    assert known.headers.keys() == unknown.headers.keys()
    await mailed_tokens(setup_database, mailbox, "password-reset")
    (mail,) = mailbox.messages
    assert mail["To"] == user.email
    assert " ".join(PROJECT_NAME.split()) in mail["Subject"]  # one line, as headers are
    text, _ = parts(mail)
    base = get_settings().public_base_url.rstrip("/")
    assert f"{base}/password-reset?token=" in text
    assert f"{get_settings().password_reset_token_minutes} minutes" in text


async def test_any_email_gets_its_answer_in_about_the_same_time(
    async_client: AsyncClient, user: User
) -> None:
    """The time tells no more than the answer: an account's mail is only queued, never sent
    while the request waits. Queuing it takes a few statements: a 40 % longer answer, a few
    ms (60 % on a loaded machine, hence the bound of twice as long); SMTP spoken, or a hash
    computed as production does, would take far longer."""
    seconds: dict[str, list[float]] = {user.email: [], NOBODY: []}
    unlimited = {
        "password_reset_max_per_account_per_hour": 0,
        "password_reset_max_per_address_per_hour": 0,
    }
    with settings_changed(**unlimited):
        for _ in range(15):
            for email, taken in seconds.items():
                started = time.perf_counter()
                assert (await _ask(async_client, email)).status_code == 202
                taken.append(time.perf_counter() - started)
    known, unknown = (statistics.median(taken) for taken in seconds.values())
    said = f"medians: known {known * 1e3:.1f} ms, unknown {unknown * 1e3:.1f} ms"
    assert abs(known - unknown) < min(known, unknown) + 0.005, said


async def test_a_reset_sets_the_password_and_ends_every_session(
    async_client: AsyncClient,
    setup_database: CleanDatabase,
    mailbox: Mailbox,
    user: User,
    token: str,
) -> None:
    reset = await _reset_link(async_client, setup_database, mailbox, user.email)
    assert (await _confirm(async_client, reset)).status_code == 204
    assert (await async_client.get("/users/me", headers=bearer(token))).status_code == 401
    assert (await log_in(async_client, user.email, PASSWORD)).status_code == 401
    assert (await log_in(async_client, user.email, NEW_PASSWORD)).status_code == 200


async def test_a_token_works_once(
    async_client: AsyncClient, setup_database: CleanDatabase, mailbox: Mailbox, user: User
) -> None:
    reset = await _reset_link(async_client, setup_database, mailbox, user.email)
    assert (await _confirm(async_client, reset)).status_code == 204
    _assert_invalid(await _confirm(async_client, reset, "yet another fine passphrase"))
    assert (await log_in(async_client, user.email, NEW_PASSWORD)).status_code == 200


async def test_a_link_stops_working_once_the_password_or_the_email_changes_by_hand(
    async_client: AsyncClient,
    setup_database: CleanDatabase,
    mailbox: Mailbox,
    user: User,
    token: str,
    admin_token: str,
) -> None:
    """A link mailed to an old address must not take the account back: losing that mailbox
    may be why the email changed."""
    before_password = await _reset_link(async_client, setup_database, mailbox, user.email)
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    changed = await async_client.post("/users/me/password", json=change, headers=bearer(token))
    assert changed.status_code == 204
    _assert_invalid(await _confirm(async_client, before_password, "yet another fine passphrase"))
    before_email = await _reset_link(async_client, setup_database, mailbox, user.email)
    moved = {"email": "moved.by.an.admin@example.com"}
    by_admin = await async_client.patch(
        f"/users/{user.id}", json=moved, headers=bearer(admin_token)
    )
    assert by_admin.status_code == 200
    _assert_invalid(await _confirm(async_client, before_email, "yet another fine passphrase"))


async def test_a_link_stops_working_once_an_email_change_is_confirmed(
    async_client: AsyncClient,
    setup_database: CleanDatabase,
    mailbox: Mailbox,
    user: User,
    token: str,
) -> None:
    reset = await _reset_link(async_client, setup_database, mailbox, user.email)
    change = {"email": "moved.by.its.owner@example.com", "current_password": PASSWORD}
    asked = await async_client.patch(f"/users/{user.id}", json=change, headers=bearer(token))
    assert asked.status_code == 200
    (link,) = await mailed_tokens(setup_database, mailbox, "verify-email")
    assert (await confirm_email(async_client, link)).status_code == 204
    _assert_invalid(await _confirm(async_client, reset))


async def test_an_expired_or_unknown_token_gets_the_same_400(
    async_client: AsyncClient,
    setup_database: CleanDatabase,
    db_session: AsyncSession,
    mailbox: Mailbox,
    user: User,
) -> None:
    reset = await _reset_link(async_client, setup_database, mailbox, user.email)
    expired = func.now() - func.make_interval(0, 0, 0, 0, 0, 1)
    await db_session.execute(update(PasswordResetToken).values(expires_at=expired))
    await db_session.commit()
    _assert_invalid(await _confirm(async_client, reset))
    _assert_invalid(await _confirm(async_client, "an-unknown-token-of-the-right-shape-000000"))
    for malformed in ("", "x", "a" * 5_000, "token with spaces and\x00 a NUL", "é" * 43):
        _assert_invalid(await _confirm(async_client, malformed))
    lone_surrogate = b'{"token": "\\ud800", "new_password": "a long enough passphrase"}'
    _assert_invalid(
        await async_client.post(
            "/password-reset/confirm",
            content=lone_surrogate,
            headers={"Content-Type": "application/json"},
        )
    )
    assert (await log_in(async_client, user.email, PASSWORD)).status_code == 200


async def test_a_newer_link_voids_the_older_ones(
    async_client: AsyncClient, setup_database: CleanDatabase, mailbox: Mailbox, user: User
) -> None:
    older = await _reset_link(async_client, setup_database, mailbox, user.email)
    newer = await _reset_link(async_client, setup_database, mailbox, user.email)
    assert older != newer
    _assert_invalid(await _confirm(async_client, older))
    assert (await _confirm(async_client, newer)).status_code == 204


async def test_the_token_is_stored_only_as_its_hash(
    async_client: AsyncClient,
    setup_database: CleanDatabase,
    db_session: AsyncSession,
    mailbox: Mailbox,
    user: User,
) -> None:
    reset = await _reset_link(async_client, setup_database, mailbox, user.email)
    assert len(reset) >= 43  # 32 random bytes: 256 bits
    (stored,) = (await db_session.scalars(select(PasswordResetToken.token_hash))).all()
    assert stored == token_hash(reset)
    assert reset not in stored


async def test_the_new_password_follows_the_sign_up_rules_and_the_token_stays_good(
    async_client: AsyncClient, setup_database: CleanDatabase, mailbox: Mailbox, user: User
) -> None:
    reset = await _reset_link(async_client, setup_database, mailbox, user.email)
    for weak in ("short", "password1234", user.email):
        refused = await _confirm(async_client, reset, weak)
        assert refused.status_code == 422, refused.text
        (error,) = refused.json()["detail"]
        assert error["loc"] == ["body", "new_password"]
        assert weak not in error["msg"]
    assert (await _confirm(async_client, reset)).status_code == 204


async def test_a_reset_clears_the_failed_logins_at_once(
    async_client: AsyncClient, setup_database: CleanDatabase, mailbox: Mailbox, user: User
) -> None:
    """A stranger's wrong guesses lock the owner out; the reset lets the owner in at once."""
    for _ in range(get_settings().login_max_failures_per_account):
        await log_in(async_client, user.email, "a stranger's guess")
    assert (await log_in(async_client, user.email, PASSWORD)).status_code == 429
    reset = await _reset_link(async_client, setup_database, mailbox, user.email)
    assert (await _confirm(async_client, reset)).status_code == 204
    assert (await log_in(async_client, user.email, NEW_PASSWORD)).status_code == 200


async def test_a_deactivated_account_gets_no_mail(
    async_client: AsyncClient,
    setup_database: CleanDatabase,
    db_session: AsyncSession,
    mailbox: Mailbox,
    user: User,
) -> None:
    user.is_active = False
    await db_session.commit()
    assert (await _ask(async_client, user.email)).status_code == 202
    assert await mailed_tokens(setup_database, mailbox, "password-reset") == []


async def test_requests_are_throttled_per_account_and_per_address(
    async_client: AsyncClient, user: User
) -> None:
    limit = get_settings().password_reset_max_per_account_per_hour
    for email in (user.email, NOBODY):  # alike whether or not the account exists
        for _ in range(limit):
            assert (await _ask(async_client, email)).status_code == 202
        throttled = await _ask(async_client, email)
        assert throttled.status_code == 429
        assert 1 <= int(throttled.headers["Retry-After"]) <= 3600
    with settings_changed(password_reset_max_per_address_per_hour=2 * limit + 1):
        assert (await _ask(async_client, "someone-else@example.com")).status_code == 202
        assert (await _ask(async_client, "another-one@example.com")).status_code == 429


async def test_no_token_in_any_log_and_the_flow_is_audited(
    async_client: AsyncClient,
    setup_database: CleanDatabase,
    mailbox: Mailbox,
    user: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with lines_written(logging.DEBUG) as lines:
        reset = await _reset_link(async_client, setup_database, mailbox, user.email)
        await _ask(async_client, NOBODY)
        assert (await _confirm(async_client, reset)).status_code == 204
        _assert_invalid(await _confirm(async_client, reset))
    assert lines
    for line in [*lines, caplog.text]:
        assert reset not in line
        assert token_hash(reset) not in line
        assert NEW_PASSWORD not in line
    events = [(e["event"], e["outcome"], e["user_id"]) for e in audit_events(caplog)]
    assert events == [
        ("password reset request", "mailed", str(user.id)),
        ("password reset request", "unknown", None),
        ("password reset", "success", str(user.id)),
        ("password reset", "invalid", None),
    ]
