"""The migrations build exactly the models' schema, and take all of it away again.

The rest of the suite builds its schema from the models; this test keeps the migrations honest.
It runs them on a scratch database of its own (the test database's name + `_migrations`, so one
per xdist worker), made for it and dropped after it.
"""

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import URL, Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from {{ cookiecutter.package_name }}.models import Base
from {{ cookiecutter.package_name }}.settings import get_settings

from tests.database import create_database_if_missing, database_url_for_tests

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"
# What a migrated database holds besides the models: Alembic's record of the applied revision.
ALEMBIC_TABLE = "alembic_version"


async def _drop_database(url: URL) -> None:
    server = create_async_engine(
        url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        async with server.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    finally:
        await server.dispose()


@pytest.fixture
async def scratch_engine() -> AsyncIterator[AsyncEngine]:
    """An empty database for the migrations; any copy left by an interrupted run goes first."""
    test_url = database_url_for_tests(get_settings().require_database_url())
    url = test_url.set(database=f"{test_url.database}_migrations")
    await _drop_database(url)
    await create_database_if_missing(url)
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        yield engine
    finally:
        await engine.dispose()
        await _drop_database(url)


def _alembic(connection: Connection) -> Config:
    """The project's own Alembic configuration, told to run on `connection` (see env.py)."""
    config = Config(ALEMBIC_INI)
    config.attributes["connection"] = connection
    return config


def _upgrade_to_head(connection: Connection) -> None:
    command.upgrade(_alembic(connection), "head")


def _downgrade_to_base(connection: Connection) -> None:
    command.downgrade(_alembic(connection), "base")


def _differences_from_models(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _contents(connection: Connection) -> dict[str, list[str]]:
    """Every table, and every enum type, in the database's schemas."""
    tables = connection.scalars(
        text(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
        )
    )
    enums = connection.scalars(text("SELECT typname FROM pg_type WHERE typtype = 'e' ORDER BY 1"))
    return {"tables": list(tables), "enum types": list(enums)}


def _alembic_revision(connection: Connection) -> str | None:
    revision: str | None = MigrationContext.configure(connection).get_current_revision()
    return revision


async def _run(engine: AsyncEngine, step: Callable[[Connection], Any]) -> Any:
    """One step in its own committed transaction, as `alembic` on the command line runs it."""
    async with engine.begin() as connection:
        return await connection.run_sync(step)


async def test_migrations_match_the_models_and_downgrade_to_nothing(
    scratch_engine: AsyncEngine,
) -> None:
    await _run(scratch_engine, _upgrade_to_head)
    assert await _run(scratch_engine, _differences_from_models) == []

    await _run(scratch_engine, _downgrade_to_base)
    assert await _run(scratch_engine, _contents) == {"tables": [ALEMBIC_TABLE], "enum types": []}
    assert await _run(scratch_engine, _alembic_revision) is None

    # Nothing was left behind that would stop the first migration from running again.
    await _run(scratch_engine, _upgrade_to_head)
    assert await _run(scratch_engine, _differences_from_models) == []
