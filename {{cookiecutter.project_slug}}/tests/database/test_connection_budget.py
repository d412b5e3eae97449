"""The connection budget: each process's pool as configured, and a warning at start-up when
REPLICAS * WEB_CONCURRENCY * (DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW) exceeds it."""

import asyncio
import logging

import pytest
from sqlalchemy.pool import QueuePool

from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase

from tests.served import started_app

BUDGET_LOGGER = "{{ cookiecutter.package_name }}.database.connection_budget"
# More requests at once than the small pool below has connections: they queue for them.
CONCURRENT_REQUESTS = 20


@pytest.fixture(autouse=True)
def _own_pools() -> None:
    """Behind PgBouncer the app keeps no pool: PgBouncer's own pool size is the budget."""
    if get_settings().database_pooler != "none":
        pytest.skip("DATABASE_POOLER is set: the app keeps no pool of its own")


def _budget_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == BUDGET_LOGGER]


async def test_pools_beyond_the_budget_warn_at_start_up(
    initialize_database: AsyncDatabase,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = {"REPLICAS": "3", "WEB_CONCURRENCY": "2", "DATABASE_POOL_SIZE": "10"}
    for name, value in {**settings, "DATABASE_MAX_OVERFLOW": "10"}.items():
        monkeypatch.setenv(name, value)
    caplog.set_level(logging.WARNING, logger=BUDGET_LOGGER)
    async with started_app(initialize_database.engine.url) as (_, client):
        assert (await client.get("/health/ready")).status_code == 200, "it warns, and serves"
    (warning,) = _budget_warnings(caplog)
    assert "120 connections" in warning
    assert "DATABASE_CONNECTION_BUDGET=90" in warning


async def test_the_defaults_fit_the_budget_quietly(
    initialize_database: AsyncDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=BUDGET_LOGGER)
    async with started_app(initialize_database.engine.url):
        pass
    assert _budget_warnings(caplog) == []


async def test_each_process_keeps_to_its_pool_under_concurrent_requests(
    initialize_database: AsyncDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_POOL_SIZE", "2")
    monkeypatch.setenv("DATABASE_MAX_OVERFLOW", "1")
    async with started_app(initialize_database.engine.url) as (app, client):
        responses = await asyncio.gather(
            *(client.get("/health/ready") for _ in range(CONCURRENT_REQUESTS))
        )
        assert [response.status_code for response in responses] == [200] * CONCURRENT_REQUESTS
        pool = app.state.database.engine.pool
        assert isinstance(pool, QueuePool)
        assert (pool.size(), pool.overflow() <= 1) == (2, True)
