"""The async engine and session factory, and the `get_async_db` request dependency."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


@dataclass(frozen=True, slots=True)
class AsyncDatabase:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    async def dispose(self) -> None:
        await self.engine.dispose()


def initialize_async_db(
    url: str, *, statement_timeout_seconds: float | None = None, **engine_options: Any
) -> AsyncDatabase:
    """Make the engine and session factory; no connection is opened until first use.

    `statement_timeout_seconds`: the server cancels any statement that runs (or waits for a
    lock) longer, so a stuck database gives a prompt 503 rather than hung requests.
    """
    # pre-ping lets the pool recover by itself after the database restarts.
    # A bounded connect timeout: an unreachable database is a prompt 503, not a 60 s wait.
    options = {"pool_pre_ping": True, "connect_args": {"timeout": 10}, **engine_options}
    if statement_timeout_seconds is not None:
        # Sent when the connection starts: no extra round trip per request.
        timeout = {"statement_timeout": str(max(1, round(statement_timeout_seconds * 1000)))}
        options["connect_args"] = {**options["connect_args"], "server_settings": timeout}
    engine = create_async_engine(url, **options)
    return AsyncDatabase(engine, async_sessionmaker(engine, expire_on_commit=False))


async def get_async_db(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, from the database the app's lifespan opened."""
    database: AsyncDatabase = request.app.state.database
    async with database.sessionmaker() as session:
        yield session
