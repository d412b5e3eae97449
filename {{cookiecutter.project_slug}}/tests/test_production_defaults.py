"""Production defaults: bounded waits on the database, a prompt /health, docs that can be
turned off, safe headers, clock-skew leeway, no Host-built redirects, an unguessable key."""

import asyncio
import datetime as dt
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import jwt
import pytest
from httpx import AsyncClient
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from {{ cookiecutter.package_name }}.database import AsyncDatabase
from {{ cookiecutter.package_name }}.models import User
from {{ cookiecutter.package_name }}.security import JWT_ALGORITHM
from {{ cookiecutter.package_name }}.settings import Settings, get_settings

from tests.conftest import PASSWORD, bearer
from tests.served import started_app

LOGIN = {"username": "someone@example.com", "password": PASSWORD}


# Behind PgBouncer the app sends no start-up statement_timeout (PgBouncer refuses it: it is the
# role's) and keeps no pool of its own.
needs_a_direct_connection = pytest.mark.skipif(
    get_settings().database_pooler != "none",
    reason="behind PgBouncer, the statement timeout is the role's and the pool is PgBouncer's",
)


def _elapsed_since(start: float) -> float:
    return time.monotonic() - start


@needs_a_direct_connection
async def test_a_locked_table_gives_503_within_the_statement_timeout(
    initialize_database: AsyncDatabase,
) -> None:
    engine = initialize_database.engine
    async with (
        started_app(engine, DATABASE_STATEMENT_TIMEOUT_SECONDS="1") as (_, client),
        engine.connect() as locker,
    ):
        await locker.execute(text("SET LOCAL lock_timeout = '5s'"))
        await locker.execute(text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
        start = time.monotonic()
        response = await client.post("/token", data=LOGIN)
        waited = _elapsed_since(start)
        await locker.rollback()
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"]
    assert 0.9 < waited < 4, waited


@pytest.fixture
async def exhausted_pool(
    initialize_database: AsyncDatabase,
) -> AsyncIterator[tuple[AsyncClient, float]]:
    """An app whose every pooled connection is taken; with how long the last try waited."""
    async with (
        started_app(initialize_database.engine, DATABASE_POOL_TIMEOUT_SECONDS="1") as (app, client),
        AsyncExitStack() as held,
    ):
        database: AsyncDatabase = app.state.database
        for _ in range(1_000):
            start = time.monotonic()
            try:
                await held.enter_async_context(database.engine.connect())
            except sa_exc.TimeoutError:
                yield client, _elapsed_since(start)
                return
        pytest.fail("the pool never ran out of connections")


@needs_a_direct_connection
async def test_a_full_pool_is_waited_for_only_a_while(
    exhausted_pool: tuple[AsyncClient, float],
) -> None:
    client, waited = exhausted_pool
    assert 0.9 < waited < 3, waited
    start = time.monotonic()
    response = await client.post("/token", data=LOGIN)
    assert response.status_code == 503, response.text
    assert _elapsed_since(start) < 3


@needs_a_direct_connection
async def test_health_answers_within_a_second_even_with_no_connection_free(
    exhausted_pool: tuple[AsyncClient, float],
) -> None:
    client, _ = exhausted_pool
    start = time.monotonic()
    response = await client.get("/health")
    assert _elapsed_since(start) < 1.0
    assert response.status_code == 503
    assert response.json() == {"detail": "The database is unavailable; try again shortly"}


async def test_health_answers_at_once_when_all_is_well(initialize_database: AsyncDatabase) -> None:
    async with started_app(initialize_database.engine) as (_, client):
        responses = await asyncio.gather(*(client.get("/health") for _ in range(5)))
    assert [response.status_code for response in responses] == [200] * 5


def test_the_timeouts_default_to_five_seconds() -> None:
    settings = Settings(_env_file=None)
    assert settings.database_statement_timeout_seconds == 5
    assert settings.database_pool_timeout_seconds == 5


DOCS_PATHS = ["/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"]


@pytest.mark.parametrize("path", DOCS_PATHS)
async def test_docs_are_served_by_default(async_client: AsyncClient, path: str) -> None:
    response = await async_client.get(path)
    assert response.status_code == 200


@pytest.mark.parametrize("path", DOCS_PATHS)
async def test_docs_can_be_turned_off(initialize_database: AsyncDatabase, path: str) -> None:
    async with started_app(initialize_database.engine, DOCS_ENABLED="false") as (_, client):
        response = await client.get(path)
        health = await client.get("/health")
    assert response.status_code == 404
    assert health.status_code == 200


async def test_the_schema_still_lists_every_route(async_client: AsyncClient) -> None:
    paths = (await async_client.get("/openapi.json")).json()["paths"]
    assert {"/token", "/users", "/users/me", "/health"} <= set(paths)
    assert not set(DOCS_PATHS) & set(paths)


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


def _token(token: str, **shifts: int) -> str:
    """`token` signed again with its claims moved by `shifts` seconds (iat, nbf, exp)."""
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    claims.update(iat=now, exp=now + 300)
    for claim, seconds in shifts.items():
        claims[claim] = now + seconds
    return jwt.encode(claims, get_settings().secret_key.get_secret_value(), JWT_ALGORITHM)


@pytest.mark.parametrize(
    ("shifts", "status"),
    [
        ({"iat": 10}, 200),
        ({"iat": 25}, 200),
        ({"nbf": 25}, 200),
        ({"iat": 90}, 401),
        ({"nbf": 90}, 401),
        ({"exp": -90}, 401),
    ],
    ids=["iat +10 s", "iat +25 s", "nbf +25 s", "iat +90 s", "nbf +90 s", "expired 90 s ago"],
)
async def test_clocks_may_differ_by_30_seconds(
    async_client: AsyncClient, token: str, shifts: dict[str, int], status: int
) -> None:
    response = await async_client.get("/users/me", headers=bearer(_token(token, **shifts)))
    assert response.status_code == status, response.text


@pytest.mark.parametrize("path", ["/users/", "/health/", "/users/me/"])
async def test_no_redirect_is_built_from_the_host_header(
    async_client: AsyncClient, path: str
) -> None:
    response = await async_client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 404
    assert "location" not in response.headers


@pytest.mark.parametrize(
    "key",
    [
        "a" * 32,
        "abcdefgh" * 4,
        "abcdefghijklmnopqrstuvwxyz012345",
        "0123456789" * 4,
        "secret-secret-secret-secret-secret-",
    ],
)
def test_a_low_entropy_secret_key_is_refused(key: str) -> None:
    with pytest.raises(ValidationError, match="too predictable") as error:
        Settings(_env_file=None, secret_key=key)
    assert key not in str(error.value)


# Fixed ids: the keys differ in each pytest-xdist worker, which must collect the same tests.
@pytest.mark.parametrize(
    "key",
    [secrets.token_hex(16), secrets.token_urlsafe(32), secrets.token_urlsafe(48)],
    ids=["token_hex(16)", "token_urlsafe(32)", "token_urlsafe(48)"],
)
def test_a_random_secret_key_is_accepted(key: str) -> None:
    assert Settings(_env_file=None, secret_key=key).secret_key.get_secret_value() == key
