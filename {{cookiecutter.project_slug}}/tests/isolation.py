"""How each test gets a clean database. The project was made with `{{ cookiecutter.db_isolation }}`;
set TEST_DB_ISOLATION to try another. Tests cannot tell the modes apart, except by speed.
"""

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from {{ cookiecutter.package_name }}.models import Base

from tests.database import delete_all_rows, recreate_schema

DB_ISOLATION = os.environ.get("TEST_DB_ISOLATION", "{{ cookiecutter.db_isolation }}")


class CleanDatabase:
    """One test's database: what its sessions bind to, and the sessions made for the test."""

    def __init__(self, bind: AsyncEngine | AsyncConnection) -> None:
        self.bind = bind
        self._sessions: list[AsyncSession] = []

    def make_session(self) -> AsyncSession:
        # On a connection in a transaction (rollback mode), a commit only releases a savepoint.
        return AsyncSession(
            bind=self.bind, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )

    def connection(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """Where a fixture writes directly: the test's transaction, or a committed one."""
        if isinstance(self.bind, AsyncConnection):
            return nullcontext(self.bind)
        return self.bind.begin()

    def session(self) -> AsyncSession:
        """A session that is closed when the test ends."""
        session = self.make_session()
        self._sessions.append(session)
        return session

    async def close_sessions(self) -> None:
        for session in self._sessions:
            await session.close()


class _TablesBuiltOnce:
    """The tables are built once per test session; each test's way to a clean state differs."""

    _engine: AsyncEngine

    async def start(self, engine: AsyncEngine) -> None:
        await recreate_schema(engine)
        self._engine = engine

    async def stop(self) -> None:
        """Nothing is held between tests."""


class RollbackEachTest(_TablesBuiltOnce):
    """Each test inside a transaction, rolled back after.

    Sessions join that transaction with savepoints, so application code may commit freely.
    One connection serves every test, and stays in a transaction from one test to the next: in
    autocommit, SQLAlchemy sends no BEGIN or ROLLBACK of its own; the harness begins once, then
    after each test sends "ROLLBACK; BEGIN" and reads the answer only when the next test needs
    the connection, so the round trip overlaps pytest's own work between tests (was: a BEGIN
    before the test's first statement, a ROLLBACK after it, and the connection taken from the
    pool and returned).
    """

    _connection: AsyncConnection | None = None
    _driver: Any = None
    _restarting: asyncio.Task[Any] | None = None  # the last test's "ROLLBACK; BEGIN"

    async def stop(self) -> None:
        if self._connection is not None:
            try:
                if await self._restarted():
                    await self._driver.execute("ROLLBACK")
            finally:
                await self._connection.close()

    async def _restarted(self) -> bool:
        """Whether the connection is still good, once the last test's restart has answered."""
        assert self._connection is not None
        restarting, self._restarting = self._restarting, None
        if restarting is not None:
            try:
                await restarting
            except Exception:
                await self._connection.invalidate()  # lost between tests
        if self._driver.is_closed() and not self._connection.invalidated:
            await self._connection.invalidate()  # ended by the server since (a restart, say)
        return not self._connection.invalidated

    async def _held_connection(self) -> AsyncConnection:
        if self._connection is not None:
            if await self._restarted():
                return self._connection
            await self._connection.close()  # lost: the pool discards it
        connection = await self._engine.connect()
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        self._driver = (await connection.get_raw_connection()).driver_connection
        await self._driver.execute("BEGIN")
        self._connection = connection
        return connection

    @asynccontextmanager
    async def clean_database(self) -> AsyncIterator[CleanDatabase]:
        connection = await self._held_connection()
        _restart_savepoint_names(connection)
        transaction = await connection.begin()  # for the sessions' savepoints; sends nothing
        database = CleanDatabase(connection)
        try:
            yield database
        finally:
            await transaction.rollback()  # sends nothing either
            await database.close_sessions()  # after the rollback: no savepoint left to release
            if not connection.invalidated:  # else lost during the test
                self._restarting = asyncio.create_task(self._driver.execute("ROLLBACK; BEGIN"))
                await asyncio.sleep(0)  # sent now: the server undoes the test at once


def _restart_savepoint_names(connection: AsyncConnection) -> None:
    """Savepoints named as in a connection of the test's own (sa_savepoint_1, 2, ...): the same
    names each test keep asyncpg's prepared statements hitting. SQLAlchemy counts them per
    Connection, in a private attribute; were it renamed, names would keep counting: slower, not
    wrong (tests/test_harness.py notices)."""
    vars(connection.sync_connection)["_Connection__savepoint_seq"] = 0


class _ResetAfterEachTest(_TablesBuiltOnce):
    """Tests commit for real, on the engine itself; after each, `reset` cleans the tables."""

    @asynccontextmanager
    async def clean_database(self) -> AsyncIterator[CleanDatabase]:
        database = CleanDatabase(self._engine)
        try:
            yield database
        finally:
            await database.close_sessions()
            await self.reset()

    async def reset(self) -> None:
        raise NotImplementedError


class DeleteRowsAfterEachTest(_ResetAfterEachTest):
    """Every table emptied after each test."""

    async def reset(self) -> None:
        await delete_all_rows(self._engine)


class RecreateTablesAfterEachTest(_ResetAfterEachTest):
    """Every table dropped and created afresh after each test that used the database (so tests
    that take no database fixture, or only the engine, still find the tables)."""

    async def reset(self) -> None:
        async with self._engine.begin() as connection:
            await connection.run_sync(Base.metadata.drop_all)
            await connection.run_sync(Base.metadata.create_all)


Isolation = RollbackEachTest | DeleteRowsAfterEachTest | RecreateTablesAfterEachTest
ISOLATIONS: dict[str, type[Isolation]] = {
    "rollback": RollbackEachTest,
    "truncate": DeleteRowsAfterEachTest,  # DELETE: faster than TRUNCATE for a test's few rows
    "recreate": RecreateTablesAfterEachTest,
}


def chosen_isolation() -> Isolation:
    try:
        return ISOLATIONS[DB_ISOLATION]()
    except KeyError:
        raise ValueError(
            f"TEST_DB_ISOLATION={DB_ISOLATION!r} is not a mode; use one of {', '.join(ISOLATIONS)}"
        ) from None
