"""Bounded waits on the database: a statement timeout, a pool timeout, and a /health that answers
within its own timeout even when the pool is exhausted."""

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from {{ cookiecutter.package_name }}.core.settings import Settings, get_settings
from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase

from tests.helpers import PASSWORD
from tests.served import started_app

LOGIN = {"username": "someone@example.com", "password": PASSWORD}


# Behind PgBouncer the app sends no start-up statement_timeout (PgBouncer refuses it: it is the
# pooler's) and keeps no pool of its own.
needs_a_direct_connection = pytest.mark.skipif(
    get_settings().database_pooler != "none",
    reason="behind PgBouncer, the pool is PgBouncer's",
)


def _elapsed_since(start: float) -> float:
    return time.monotonic() - start


# Short, as the tests set them: what they prove holds for any length.
STATEMENT_TIMEOUT = 0.2
POOL_TIMEOUT = 0.2
READINESS_TIMEOUT = 0.2
CONNECT_ATTEMPTS = 5
POOL_SIZE = 2


# Behind PgBouncer, PgBouncer's query_timeout bounds a statement (compose.yaml and the Kubernetes
# manifests set it); the `scale` template session runs the suite behind one and says its value.
POOLER_QUERY_TIMEOUT = os.environ.get("POOLER_QUERY_TIMEOUT_SECONDS")


def _statement_timeout() -> tuple[float, dict[str, str]]:
    """The bound on a statement, and the app's settings that give it: the app's own on a direct
    connection, else the pooler's."""
    if get_settings().database_pooler == "none":
        return STATEMENT_TIMEOUT, {"DATABASE_STATEMENT_TIMEOUT_SECONDS": str(STATEMENT_TIMEOUT)}
    if POOLER_QUERY_TIMEOUT is None:
        pytest.skip("behind a pooler that does not say its query_timeout")
    return float(POOLER_QUERY_TIMEOUT), {}


async def test_a_locked_table_gives_503_within_the_statement_timeout(
    initialize_database: AsyncDatabase,
) -> None:
    timeout, settings = _statement_timeout()
    engine = initialize_database.engine
    async with started_app(engine.url, **settings) as (_, client):
        locker = await engine.connect()
        try:
            await locker.execute(text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
            start = time.monotonic()
            login = asyncio.ensure_future(client.post("/token", data=LOGIN))
            # Behind PgBouncer, its query_timeout counts from a transaction's last statement:
            # the locker keeps sending some, so that only the login's waits that long.
            while not login.done():
                await locker.execute(text("SELECT 1"))
                await asyncio.wait({login}, timeout=timeout / 4)
            response = await login
            waited = _elapsed_since(start)
        finally:
            await locker.close()
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"]
    assert timeout * 0.9 < waited < timeout + 4, waited


@asynccontextmanager
async def every_connection_taken(
    database: AsyncDatabase, **environment: str
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    """An app with a pool of POOL_SIZE connections and these settings, every one of them taken."""
    pool = {"DATABASE_POOL_SIZE": str(POOL_SIZE), "DATABASE_MAX_OVERFLOW": "0"}
    async with (
        started_app(database.engine.url, **pool, **environment) as (app, client),
        AsyncExitStack() as held,
    ):
        engine = app.state.database.engine
        for _ in range(POOL_SIZE):
            # Opening one is bounded by the short pool timeout too: on a busy machine it may
            # take longer, and is tried again (CONNECT_ATTEMPTS in all).
            for attempt in range(1, CONNECT_ATTEMPTS + 1):
                try:
                    await held.enter_async_context(engine.connect())
                    break
                except TimeoutError:
                    if attempt == CONNECT_ATTEMPTS:
                        raise
        yield app, client


@needs_a_direct_connection
async def test_a_full_pool_is_waited_for_only_a_while(initialize_database: AsyncDatabase) -> None:
    timeout = {"DATABASE_POOL_TIMEOUT_SECONDS": str(POOL_TIMEOUT)}
    async with every_connection_taken(initialize_database, **timeout) as (app, client):
        start = time.monotonic()
        with pytest.raises(sa_exc.TimeoutError):
            await app.state.database.engine.connect()
        waited = _elapsed_since(start)
        start = time.monotonic()
        response = await client.post("/token", data=LOGIN)
        answered = _elapsed_since(start)
    assert POOL_TIMEOUT * 0.9 < waited < 3, waited
    assert response.status_code == 503, response.text
    assert answered < 3


@needs_a_direct_connection
async def test_health_answers_in_time_even_with_no_connection_free(
    initialize_database: AsyncDatabase,
) -> None:
    # The pool's own timeout stays at its default (5 s): the probe must not wait for it.
    timeout = {"READINESS_TIMEOUT_SECONDS": str(READINESS_TIMEOUT)}
    async with every_connection_taken(initialize_database, **timeout) as (_, client):
        start = time.monotonic()
        response = await client.get("/health")
        answered = _elapsed_since(start)
    assert READINESS_TIMEOUT * 0.9 < answered < 1.0, answered
    assert response.status_code == 503
    assert response.json()["detail"] == "The database is unavailable; try again shortly"


async def test_health_answers_at_once_when_all_is_well(initialize_database: AsyncDatabase) -> None:
    async with started_app(initialize_database.engine.url) as (_, client):
        responses = await asyncio.gather(*(client.get("/health") for _ in range(5)))
    assert [response.status_code for response in responses] == [200] * 5


def test_the_timeouts_default_to_five_seconds_and_readiness_to_under_one() -> None:
    settings = Settings(_env_file=None)
    assert settings.database_statement_timeout_seconds == 5
    assert settings.database_pool_timeout_seconds == 5
    assert settings.readiness_timeout_seconds == 0.9
