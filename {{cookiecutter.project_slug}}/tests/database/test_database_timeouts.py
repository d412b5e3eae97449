"""Bounded waits on the database: a statement timeout, a pool timeout, and a /health that answers
within a second even when the pool is exhausted."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from httpx import AsyncClient
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from {{ cookiecutter.package_name }}.core.settings import Settings, get_settings
from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase

from tests.helpers import PASSWORD
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
        started_app(engine.url, DATABASE_STATEMENT_TIMEOUT_SECONDS="1") as (_, client),
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
        started_app(initialize_database.engine.url, DATABASE_POOL_TIMEOUT_SECONDS="1") as (
            app,
            client,
        ),
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
    async with started_app(initialize_database.engine.url) as (_, client):
        responses = await asyncio.gather(*(client.get("/health") for _ in range(5)))
    assert [response.status_code for response in responses] == [200] * 5


def test_the_timeouts_default_to_five_seconds() -> None:
    settings = Settings(_env_file=None)
    assert settings.database_statement_timeout_seconds == 5
    assert settings.database_pool_timeout_seconds == 5
