"""The async engine and its session factories: `initialize_async_db`; `command_session` for the
project's commands."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from {{ cookiecutter.package_name }}.database.pooler import Pooler, engine_options
from {{ cookiecutter.package_name }}.database.reading import ReadingSession


@dataclass(frozen=True, slots=True)
class AsyncDatabase:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    # For reading requests (GET, HEAD, OPTIONS): sessions that refuse to write, on connections
    # in autocommit where that is safe (see reading.py).
    reading_sessionmaker: async_sessionmaker[AsyncSession]

    async def dispose(self) -> None:
        await self.engine.dispose()


def initialize_async_db(
    url: str,
    *,
    statement_timeout_seconds: float | None = None,
    connect_timeout_seconds: float = 10,
    autocommit_reads: bool = False,
    **engine_options: Any,
) -> AsyncDatabase:
    """Make the engine and its session factories; no connection is opened until first use.

    `statement_timeout_seconds`: the server cancels any statement that runs (or waits for a
    lock) longer, so a stuck database gives a prompt 503 rather than hung requests.
    `connect_timeout_seconds`: how long opening a connection may take (a database whose
    replies are lost is a 503 after this, not after the driver's 60 s).
    `autocommit_reads`: reading requests send no BEGIN and ROLLBACK around their statements
    (not behind PgBouncer's transaction mode, where a statement's two steps outside a
    transaction may reach two server connections).
    """
    # No pre-ping (a round trip per checkout): after the database restarts, the first statement
    # on a dead connection fails as a disconnect, and SQLAlchemy then discards every connection
    # the pool held (its default on a disconnect), so only the requests already in flight fail.
    options = {"pool_pre_ping": False, **engine_options}
    connect_args = {**options.get("connect_args", {}), "timeout": connect_timeout_seconds}
    options["connect_args"] = connect_args
    if statement_timeout_seconds is not None:
        # Sent when the connection starts: no extra round trip per request.
        timeout = {"statement_timeout": str(max(1, round(statement_timeout_seconds * 1000)))}
        options["connect_args"] = {**options["connect_args"], "server_settings": timeout}
    engine = create_async_engine(url, **options)
    reading_engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    # Objects stay readable after a commit (no reload): a route commits, then answers with them.
    return AsyncDatabase(
        engine,
        async_sessionmaker(engine, expire_on_commit=False),
        async_sessionmaker(
            reading_engine if autocommit_reads else engine,
            expire_on_commit=False,
            sync_session_class=ReadingSession,
        ),
    )


@asynccontextmanager
async def command_session(url: str, pooler: Pooler) -> AsyncIterator[AsyncSession]:
    """A session for one of the project's commands (create-admin, unlock), connecting as the
    app does (behind PgBouncer too), on an engine of its own that ends with it."""
    database = initialize_async_db(url, **engine_options(pooler))
    try:
        async with database.sessionmaker() as session:
            yield session
    finally:
        await database.dispose()
