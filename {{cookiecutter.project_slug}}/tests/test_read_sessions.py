"""Reading requests' sessions send no BEGIN/ROLLBACK: each statement is its own transaction
(`autocommit_reads`, on direct connections); other requests' sessions keep one transaction."""

import asyncio

import pytest
from sqlalchemy import text

from {{ cookiecutter.package_name }}.database import AsyncDatabase, initialize_async_db
from {{ cookiecutter.package_name }}.pooler import engine_options
from {{ cookiecutter.package_name }}.settings import get_settings


async def _transaction_starts(database: AsyncDatabase, *, reads: bool) -> set[object]:
    """now() of two statements in one session: the start of the transaction each ran in."""
    make_session = database.read_sessionmaker if reads else database.sessionmaker
    async with make_session() as session:
        first = await session.scalar(text("SELECT now()"))
        await asyncio.sleep(0.01)
        second = await session.scalar(text("SELECT now()"))
    return {first, second}


async def test_reads_run_each_statement_on_its_own(initialize_database: AsyncDatabase) -> None:
    if get_settings().database_pooler != "none":
        pytest.skip("autocommit reads are for direct connections only (not behind PgBouncer)")
    url = initialize_database.engine.url.render_as_string(hide_password=False)
    database = initialize_async_db(url, autocommit_reads=True)
    try:
        assert len(await _transaction_starts(database, reads=True)) == 2
        assert len(await _transaction_starts(database, reads=False)) == 1
    finally:
        await database.dispose()


async def test_without_autocommit_reads_share_the_transaction(
    initialize_database: AsyncDatabase,
) -> None:
    url = initialize_database.engine.url.render_as_string(hide_password=False)
    # As the app behind PgBouncer.
    database = initialize_async_db(url, **engine_options(get_settings().database_pooler))
    try:
        assert len(await _transaction_starts(database, reads=True)) == 1
    finally:
        await database.dispose()
