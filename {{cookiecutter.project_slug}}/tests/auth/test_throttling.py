"""Throttled logins and sign-ups: 429 with Retry-After, counted in PostgreSQL for every process."""

import asyncio
import threading
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from ipaddress import ip_network
from typing import Any

import httpx
import pytest
from httpx import AsyncClient, Response
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from {{ cookiecutter.package_name }}.auth import hashing
from {{ cookiecutter.package_name }}.auth.current_password import require_current_password
from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.roles import ADMIN_ROLE
from {{ cookiecutter.package_name }}.web.client_address import throttling_key

from tests.database_setup import delete_all_rows
from tests.factories import new_sign_up
from tests.helpers import PASSWORD, access_token, bearer, log_in, settings_changed
from tests.served import uvicorn_serving

NOBODY = "nobody@example.com"


def _assert_throttled(response: Response) -> int:
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= get_settings().login_failure_window_seconds
    assert "Too many failed logins" in response.json()["detail"]
    assert "access_token" not in response.json()
    return retry_after


async def test_after_five_failures_even_the_right_password_gets_429(
    async_client: AsyncClient, user: User
) -> None:
    for _ in range(5):
        assert (await log_in(async_client, user.email, "wrong password!")).status_code == 401
    _assert_throttled(await log_in(async_client, user.email, PASSWORD))


async def test_an_unknown_account_is_throttled_alike(async_client: AsyncClient, user: User) -> None:
    answers = {}
    for email in (user.email, NOBODY):
        for _ in range(5):
            assert (await log_in(async_client, email, "wrong password!")).status_code == 401
        answers[email] = await log_in(async_client, email, PASSWORD)
    for answer in answers.values():
        _assert_throttled(answer)
    assert answers[user.email].json().keys() == answers[NOBODY].json().keys()


async def test_a_successful_login_clears_the_accounts_failures(
    async_client: AsyncClient, user: User
) -> None:
    for _ in range(4):
        await log_in(async_client, user.email, "wrong password!")
    assert (await log_in(async_client, user.email, PASSWORD)).status_code == 200
    for _ in range(4):
        assert (await log_in(async_client, user.email, "wrong password!")).status_code == 401


async def test_failures_are_limited_per_address_across_accounts(
    async_client: AsyncClient,
) -> None:
    with settings_changed(login_max_failures_per_address=3, login_max_failures_per_account=0):
        for number in range(3):
            response = await log_in(async_client, f"guess{number}@example.com", "wrong password!")
            assert response.status_code == 401
        _assert_throttled(await log_in(async_client, "guess9@example.com", "wrong password!"))


async def test_a_limit_of_zero_is_off(async_client: AsyncClient, user: User) -> None:
    with settings_changed(login_max_failures_per_account=0, login_max_failures_per_address=0):
        for _ in range(8):
            assert (await log_in(async_client, user.email, "wrong password!")).status_code == 401
        assert (await log_in(async_client, user.email, PASSWORD)).status_code == 200


async def test_x_forwarded_for_is_ignored_unless_the_proxy_is_trusted(
    async_client: AsyncClient,
) -> None:
    # The test client connects from 127.0.0.1.
    with settings_changed(login_max_failures_per_address=2, login_max_failures_per_account=0):
        for number in range(2):
            forwarded = {"X-Forwarded-For": f"203.0.113.{number}"}
            await log_in(async_client, NOBODY, "wrong password!", **forwarded)
        spoofed = {"X-Forwarded-For": "203.0.113.77"}
        _assert_throttled(await log_in(async_client, NOBODY, "wrong password!", **spoofed))


async def test_behind_a_trusted_proxy_each_client_counts_alone(
    async_client: AsyncClient,
) -> None:
    with settings_changed(
        login_max_failures_per_address=2,
        login_max_failures_per_account=0,
        trusted_proxies=[ip_network("127.0.0.0/8")],
    ):
        for number in range(4):
            # A client may prepend anything; the proxy appends the address it saw.
            forwarded = {"X-Forwarded-For": f"198.51.100.9, 203.0.113.{number}"}
            response = await log_in(async_client, NOBODY, "wrong password!", **forwarded)
            assert response.status_code == 401
        again = {"X-Forwarded-For": "203.0.113.1"}
        await log_in(async_client, NOBODY, "wrong password!", **again)
        _assert_throttled(await log_in(async_client, NOBODY, "wrong password!", **again))


async def test_guesses_sent_at_once_are_counted_exactly(concurrent_client: AsyncClient) -> None:
    responses = await asyncio.gather(
        *(log_in(concurrent_client, NOBODY, f"guess number {n}") for n in range(10))
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [401] * 5 + [429] * 5


async def test_two_server_processes_share_the_counts(initialize_database: AsyncDatabase) -> None:
    engine = initialize_database.engine
    try:
        async with AsyncExitStack() as servers, httpx.AsyncClient() as client:
            first, second = await asyncio.gather(  # started side by side
                *(servers.enter_async_context(uvicorn_serving(engine)) for _ in range(2))
            )
            statuses = []
            for number in range(6):
                host, port = (first, second)[number % 2]
                response = await client.post(
                    f"http://{host}:{port}/token",
                    data={"username": NOBODY, "password": "wrong password!"},
                )
                statuses.append(response.status_code)
            assert statuses == [401] * 5 + [429]
            assert int(response.headers["Retry-After"]) >= 1
    finally:
        await delete_all_rows(initialize_database.engine)


async def test_failures_sent_at_once_from_one_address_are_counted_exactly(
    concurrent_client: AsyncClient,
) -> None:
    with settings_changed(login_max_failures_per_address=5, login_max_failures_per_account=0):
        responses = await asyncio.gather(
            *(log_in(concurrent_client, f"n{n}@example.com", "wrong password!") for n in range(20))
        )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [401] * 5 + [429] * 15


async def test_current_password_guesses_sent_at_once_are_counted_exactly(
    concurrent_client: AsyncClient,
) -> None:
    _, token = await _signed_up(concurrent_client)
    guess = {"current_password": "a wrong guess", "new_password": "a completely new passphrase"}
    responses = await asyncio.gather(
        *(
            concurrent_client.post("/users/me/password", json=guess, headers=bearer(token))
            for _ in range(10)
        )
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [403] * 5 + [429] * 5


class PausedHasher(PasswordHash):
    """Argon2 as the suite hashes, but the first hash or check waits until the test lets it go
    on: meanwhile, the test looks at what the request holds, or sends others."""

    def __init__(self) -> None:
        super().__init__((Argon2Hasher(memory_cost=1024, time_cost=1, parallelism=1),))
        self.started = threading.Event()
        self.go_on = threading.Event()
        self._first = threading.Lock()

    def _pause(self) -> None:
        with self._first:
            first = not self.started.is_set()
            self.started.set()
        if first:
            self.go_on.wait(timeout=60)

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self._pause()
        return super().hash(password, salt=salt)

    def verify(self, password: str | bytes, hash: str | bytes) -> bool:
        self._pause()
        return super().verify(password, hash)


@pytest.mark.parametrize("kind", ["login", "sign-up", "current password check"])
async def test_no_database_connection_waits_on_argon2(
    concurrent_client: AsyncClient,
    initialize_database: AsyncDatabase,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    """A request held its pooled connection (a login, the throttling locks too) while Argon2
    ran: logins or sign-ups sent at once from one client took the whole pool."""
    email, token = await _signed_up(concurrent_client)
    wrong_password = {"current_password": "a wrong guess", "new_password": "a new passphrase"}
    requests: dict[str, tuple[Callable[[], Coroutine[Any, Any, Response]], int]] = {
        "login": (lambda: log_in(concurrent_client, email, "a wrong guess"), 401),
        "sign-up": (lambda: concurrent_client.post("/users", json=new_sign_up(PASSWORD)), 201),
        "current password check": (
            lambda: concurrent_client.post(
                "/users/me/password", json=wrong_password, headers=bearer(token)
            ),
            403,
        ),
    }
    send, answer = requests[kind]
    paused = PausedHasher()
    monkeypatch.setattr(hashing, "password_hasher", lambda: paused)
    before = await _connections_held(initialize_database.engine)  # the test's own, if any
    sent = asyncio.create_task(send())
    try:
        assert await asyncio.to_thread(paused.started.wait, 60), "no password was hashed"
        held = await _connections_held(initialize_database.engine) - before
    finally:
        paused.go_on.set()
    assert (await sent).status_code == answer
    assert held == 0, f"{held} connection(s) held while a password was hashed or checked"


async def test_a_password_changed_while_a_login_checks_it_wins(
    concurrent_client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The login checks the password with nothing held: a change made meanwhile must not
    leave it a session that the change's end of sessions missed."""
    email, token = await _signed_up(concurrent_client)
    paused = PausedHasher()
    monkeypatch.setattr(hashing, "password_hasher", lambda: paused)
    login = asyncio.create_task(log_in(concurrent_client, email, PASSWORD))
    change = {"current_password": PASSWORD, "new_password": "a completely new passphrase"}
    try:
        assert await asyncio.to_thread(paused.started.wait, 60), "the login checked nothing"
        changed = await asyncio.wait_for(
            concurrent_client.post("/users/me/password", json=change, headers=bearer(token)), 10
        )
    finally:
        paused.go_on.set()
    assert changed.status_code == 204, changed.text
    answer = await login
    assert answer.status_code == 401, answer.text


async def _signed_up(client: AsyncClient) -> tuple[str, str]:
    """A new user's email and access token, committed (for `concurrent_client`)."""
    body = new_sign_up(PASSWORD)
    assert (await client.post("/users", json=body)).status_code == 201
    return body["email"], await access_token(client, body["email"])


async def _connections_held(engine: AsyncEngine) -> int:
    """Connections to the test database in a transaction but idle, or waiting on a lock."""
    held = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND (state = 'idle in transaction' OR wait_event_type = 'Lock')"
    )
    async with engine.connect() as connection:  # a new snapshot of pg_stat_activity each time
        return int(await connection.scalar(held) or 0)


async def test_the_current_password_check_will_not_commit_changes_made_before_it(
    db_session: AsyncSession, user: User
) -> None:
    user.is_active = False  # its commit would make this for good, the password wrong or not
    with pytest.raises(RuntimeError, match="call it before making changes"):
        await require_current_password(
            db_session, user, PASSWORD, "192.0.2.1", get_settings(), "refused"
        )


async def test_the_right_current_password_never_counts_as_a_failure(
    async_client: AsyncClient, user: User, token: str
) -> None:
    weak = {"current_password": PASSWORD, "new_password": "short"}
    for _ in range(get_settings().login_max_failures_per_account + 1):
        response = await async_client.post("/users/me/password", json=weak, headers=bearer(token))
        assert response.status_code == 422, response.text
    assert (await log_in(async_client, user.email, PASSWORD)).status_code == 200


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe"),  # one /64
        ("192.0.2.7", "::ffff:192.0.2.7"),  # IPv4, and the same mapped into IPv6
        ("fe80::1%eth0", "fe80::1"),  # a zone names no other host
    ],
    ids=["one IPv6 /64", "IPv4-mapped IPv6", "IPv6 zone"],
)
async def test_the_addresses_of_one_client_count_together(
    async_client: AsyncClient, first: str, second: str
) -> None:
    with settings_changed(
        login_max_failures_per_address=2,
        login_max_failures_per_account=0,
        trusted_proxies=[ip_network("127.0.0.0/8")],
    ):
        for address in (first, second):
            response = await log_in(async_client, NOBODY, "wrong!", **{"X-Forwarded-For": address})
            assert response.status_code == 401
        _assert_throttled(
            await log_in(async_client, NOBODY, "wrong!", **{"X-Forwarded-For": first})
        )
        other_network = {"X-Forwarded-For": "2001:db8:1:3::1"}
        assert (await log_in(async_client, NOBODY, "wrong!", **other_network)).status_code == 401


def test_the_ipv6_network_counted_as_one_client_is_a_setting() -> None:
    assert throttling_key("2001:db8:1:2:3:4:5:6", 64) == "2001:db8:1:2::/64"
    assert throttling_key("2001:db8:1:2:3:4:5:6", 48) == "2001:db8:1::/48"
    assert throttling_key("::ffff:198.51.100.1", 64) == "198.51.100.1"


async def test_a_username_that_grows_in_lower_case_is_counted_too(
    async_client: AsyncClient,
) -> None:
    grows = "\u0130" * 200  # "İ" lower-cased is two characters: 400, more than an email may be
    with settings_changed(login_max_failures_per_address=2, login_max_failures_per_account=0):
        for _ in range(2):
            assert (await log_in(async_client, grows, "wrong password!")).status_code == 401
        _assert_throttled(await log_in(async_client, grows, "wrong password!"))


async def test_anonymous_sign_ups_are_limited_per_address(
    async_client: AsyncClient, admin_token: str
) -> None:
    with settings_changed(signup_max_per_address_per_hour=2):
        for _ in range(2):
            signed_up = await async_client.post("/users", json=new_sign_up(PASSWORD))
            assert signed_up.status_code == 201
        refused = await async_client.post("/users", json=new_sign_up(PASSWORD))
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 3600
        # An admin making accounts is not an anonymous sign-up.
        made = await async_client.post(
            "/users",
            json={**new_sign_up(PASSWORD), "role": ADMIN_ROLE},
            headers=bearer(admin_token),
        )
        assert made.status_code == 201, made.text


async def test_every_sign_up_attempt_counts_but_an_admins(
    async_client: AsyncClient, user: User, token: str
) -> None:
    taken = new_sign_up(PASSWORD)
    with settings_changed(signup_max_per_address_per_hour=3):
        assert (await async_client.post("/users", json=taken)).status_code == 201
        # A taken email is refused, and counted: no hashing for free.
        assert (await async_client.post("/users", json=taken)).status_code == 409
        # A signed-in user counts as anyone does, unless an admin (as all are in a one-role
        # project).
        body = new_sign_up(PASSWORD)
        signed_in = await async_client.post("/users", json=body, headers=bearer(token))
        assert signed_in.status_code == 201
        if user.role == ADMIN_ROLE:
            another = await async_client.post("/users", json=new_sign_up(PASSWORD))
            assert another.status_code == 201
        refused = await async_client.post("/users", json=new_sign_up(PASSWORD))
        assert refused.status_code == 429


async def test_sign_ups_sent_at_once_are_counted_exactly(concurrent_client: AsyncClient) -> None:
    with settings_changed(signup_max_per_address_per_hour=5):
        responses = await asyncio.gather(
            *(concurrent_client.post("/users", json=new_sign_up(PASSWORD)) for _ in range(20))
        )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * 5 + [429] * 15


async def test_guessing_the_current_password_with_a_token_is_throttled_too(
    async_client: AsyncClient, user: User, token: str
) -> None:
    def change(current: str) -> dict[str, str]:
        return {"current_password": current, "new_password": "a completely new passphrase"}

    for _ in range(5):
        response = await async_client.post(
            "/users/me/password", json=change("a wrong guess"), headers=bearer(token)
        )
        assert response.status_code == 403
    right = await async_client.post(
        "/users/me/password", json=change(PASSWORD), headers=bearer(token)
    )
    _assert_throttled(right)
    also = await async_client.patch(
        f"/users/{user.id}",
        json={"email": "elsewhere@example.com", "current_password": PASSWORD},
        headers=bearer(token),
    )
    _assert_throttled(also)
