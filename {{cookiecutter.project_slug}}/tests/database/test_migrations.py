"""The migrations build exactly the models' schema, take all of it away again, and run once.

The rest of the suite builds its schema from the models; these tests keep the migrations honest.
They run them on a scratch database of their own (the test database's name + `_migrations`, so
one per xdist worker), made for each test and dropped after it. With DATABASE_URL on PgBouncer
(and DATABASE_POOLER=pgbouncer), they run through it.
"""

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import URL, Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.database.migration_lock import take_migration_lock
from {{ cookiecutter.package_name }}.models import Base

from tests.database_setup import (
    create_database_if_missing,
    database_url_for_tests,
    on_server,
    unpooled_engine,
)
from tests.processes import run

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"
# What a migrated database holds besides the models: Alembic's record of the applied revision.
ALEMBIC_TABLE = "alembic_version"
# Replicas that start together, each running `alembic upgrade head`.
REPLICAS = 3
# How long the test waits for their processes to start and queue for the lock (0.02 s each).
LOCK_WAIT_POLLS = 3000


async def _drop_database(url: URL) -> None:
    await on_server(url, f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


@pytest.fixture
async def scratch_url() -> AsyncIterator[URL]:
    """An empty database for the migrations; any copy left by an interrupted run goes first."""
    test_url = database_url_for_tests(get_settings().require_database_url())
    url = test_url.set(database=f"{test_url.database}_migrations")
    await _drop_database(url)
    await create_database_if_missing(url)
    try:
        yield url
    finally:
        await _drop_database(url)


@pytest.fixture
async def scratch_engine(scratch_url: URL) -> AsyncIterator[AsyncEngine]:
    engine = unpooled_engine(scratch_url)
    try:
        yield engine
    finally:
        await engine.dispose()


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


def _revisions() -> list[Script]:
    return list(ScriptDirectory.from_config(Config(ALEMBIC_INI)).walk_revisions())


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


async def test_autogenerate_on_a_fresh_database_says_to_migrate_first(
    scratch_engine: AsyncEngine, tmp_path: Path
) -> None:
    def autogenerate(connection: Connection) -> None:
        # Into tmp_path, were it to get as far as writing (Alembic refuses a path it does not
        # know, with another message): migrations/versions/ gets nothing either way.
        config = _alembic(connection)
        command.revision(config, "probe", autogenerate=True, version_path=str(tmp_path))

    with pytest.raises(CommandError, match="`alembic upgrade head` the way you ran this command"):
        await _run(scratch_engine, autogenerate)
    assert await asyncio.to_thread(os.listdir, tmp_path) == []


async def test_a_database_at_a_migration_the_project_lacks_says_what_to_do(
    scratch_engine: AsyncEngine,
) -> None:
    def upgrade_to(revision: str) -> Callable[[Connection], None]:
        return lambda connection: command.upgrade(_alembic(connection), revision)

    def record_revision(revision: str) -> Callable[[Connection], Any]:
        statement = text("UPDATE alembic_version SET version_num = :revision")
        return lambda connection: connection.execute(statement, {"revision": revision})

    await _run(scratch_engine, _upgrade_to_head)
    # A target the command names that does not exist: Alembic's own message says it well.
    with pytest.raises(CommandError, match="Can't locate revision identified by 'nosuchrev'"):
        await _run(scratch_engine, upgrade_to("nosuchrev"))
    # The database's own revision, whose file was deleted since it ran: what to do about it.
    await _run(scratch_engine, record_revision("0badc0ffee00"))
    with pytest.raises(CommandError, match="The database is at migration '0badc0ffee00', which"):
        await _run(scratch_engine, upgrade_to("head"))


def test_alembic_without_a_database_url_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain `alembic` with DATABASE_URL unset: a CommandError, which Alembic's command line
    prints as one line (no traceback). Without alembic.ini's logging setup, not this run's."""
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_INI.parent / "migrations"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(CommandError, match=r"^DATABASE_URL is not set: .* uses that one$"):
            command.current(config)
    finally:
        get_settings.cache_clear()


async def _alembic_upgrade_head(url: URL) -> tuple[int, str]:
    """`alembic upgrade head` in a process of its own, as a starting replica runs it."""
    done = await run(
        *("alembic", "--config", str(ALEMBIC_INI), "upgrade", "head"),
        environment={"DATABASE_URL": url.render_as_string(hide_password=False)},
    )
    return done.returncode, done.stdout + done.stderr


async def _wait_for_lock_waiters(engine: AsyncEngine, count: int) -> None:
    """Until `count` sessions wait for an advisory lock in the scratch database."""
    query = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    for _ in range(LOCK_WAIT_POLLS):
        async with engine.connect() as connection:
            if await connection.scalar(query) == count:
                return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{count} upgrades never waited for the migration lock together")


async def test_replicas_starting_together_migrate_exactly_once(
    scratch_url: URL, scratch_engine: AsyncEngine
) -> None:
    # The test holds the lock while the replicas start, so all of them reach it, then race.
    async with scratch_engine.connect() as holder:
        await holder.run_sync(take_migration_lock)
        upgrades = [
            asyncio.ensure_future(_alembic_upgrade_head(scratch_url)) for _ in range(REPLICAS)
        ]
        await _wait_for_lock_waiters(scratch_engine, REPLICAS)
        await holder.rollback()
    runs = await asyncio.gather(*upgrades)

    for status, output in runs:
        assert status == 0, output
    # Each revision ran in exactly one process: the others waited, then had nothing to do.
    revisions = await asyncio.to_thread(_revisions)  # Alembic reads the migrations' files
    lines = [line for _, output in runs for line in output.splitlines()]
    applied = [line for line in lines if "Running upgrade" in line]
    assert len(applied) == len(revisions), "\n".join(applied)
    assert await _run(scratch_engine, _differences_from_models) == []
