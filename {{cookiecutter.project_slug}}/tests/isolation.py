"""How each test gets a clean database. The project was made with `{{ cookiecutter.db_isolation }}`;
set TEST_DB_ISOLATION to try another. Tests cannot tell the modes apart, except by speed, as
long as they commit the rows that requests must see (the fixtures do): in rollback mode the
requests share the test's connection, and would see rows that were only flushed too.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from {{ cookiecutter.package_name }}.database.reading import READ_METHODS, ReadingSession
from {{ cookiecutter.package_name }}.database.session import close_session, get_async_db

from tests.database_setup import delete_all_rows, recreate_schema

DB_ISOLATION = os.environ.get("TEST_DB_ISOLATION", "{{ cookiecutter.db_isolation }}")


class CleanDatabase:
    """One test's database: what its sessions bind to, and the sessions made for the test."""

    def __init__(self, bind: AsyncEngine | AsyncConnection) -> None:
        self.bind = bind
        self._sessions: list[AsyncSession] = []

    def make_session(self, *, reading: bool = False) -> AsyncSession:
        # SQLAlchemy's recipe for tests in a transaction: on a connection in one (rollback
        # mode), a session's commit only releases a savepoint; on the engine, it commits.
        return AsyncSession(
            bind=self.bind,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
            sync_session_class=ReadingSession if reading else Session,
        )

    async def request_session(self, request: Request) -> AsyncIterator[AsyncSession]:
        """A stand-in for get_async_db: each request's own session, on the test's database, as
        in production: closed (its uncommitted work rolled back) when the request ends, and
        refusing to write in a reading request."""
        session = self.make_session(reading=request.method in READ_METHODS)
        try:
            yield session
        finally:
            await close_session(session)

    @asynccontextmanager
    async def client(self, app: FastAPI) -> AsyncIterator[AsyncClient]:
        """An HTTP client on `app` (the project's, or one with a test's own routes) whose
        requests each get a session of their own on this database, as in production."""
        app.dependency_overrides[get_async_db] = self.request_session
        try:
            transport = ASGITransport(app=app)
            async with AsyncClient(transport=transport, base_url="http://test") as client:
                yield client
        finally:
            app.dependency_overrides.pop(get_async_db, None)

    def session(self) -> AsyncSession:
        """A session that is closed when the test ends."""
        session = self.make_session()
        self._sessions.append(session)
        return session

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """The test's connection (rollback mode), else one of its own, committed at the end."""
        if isinstance(self.bind, AsyncConnection):
            yield self.bind
        else:
            async with self.bind.begin() as connection:
                yield connection

    async def close_sessions(self) -> None:
        for session in self._sessions:
            await session.close()


class _OnTheTestDatabase:
    """The tables are built with the test database (`initialize_database`); each mode's way
    back to them empty differs."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine


class RollbackEachTest(_OnTheTestDatabase):
    """Each test inside a transaction on a connection of its own, rolled back after it.

    Sessions (the test's and each request's) join that transaction with savepoints, so code
    under test may commit freely: SQLAlchemy's documented recipe ("Joining a Session into an
    External Transaction").
    """

    @asynccontextmanager
    async def clean_database(self) -> AsyncIterator[CleanDatabase]:
        async with self._engine.connect() as connection:
            transaction = await connection.begin()
            database = CleanDatabase(connection)
            try:
                yield database
            finally:
                await database.close_sessions()
                if transaction.is_active:
                    await transaction.rollback()


class _ResetAfterEachTest(_OnTheTestDatabase):
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
        await recreate_schema(self._engine)


Isolation = RollbackEachTest | DeleteRowsAfterEachTest | RecreateTablesAfterEachTest
ISOLATIONS: dict[str, type[Isolation]] = {
    "rollback": RollbackEachTest,
    "truncate": DeleteRowsAfterEachTest,  # DELETE: faster than TRUNCATE for a test's few rows
    "recreate": RecreateTablesAfterEachTest,
}


def chosen_isolation(engine: AsyncEngine) -> Isolation:
    try:
        return ISOLATIONS[DB_ISOLATION](engine)
    except KeyError:
        raise ValueError(
            f"TEST_DB_ISOLATION={DB_ISOLATION!r} is not a mode; use one of {', '.join(ISOLATIONS)}"
        ) from None
