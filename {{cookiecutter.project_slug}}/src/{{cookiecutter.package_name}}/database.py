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


def initialize_async_db(url: str, **engine_options: Any) -> AsyncDatabase:
    """Make the engine and session factory; no connection is opened until first use."""
    # pre-ping lets the pool recover by itself after the database restarts.
    # A bounded connect timeout: an unreachable database is a prompt 503, not a 60 s wait.
    options = {"pool_pre_ping": True, "connect_args": {"timeout": 10}, **engine_options}
    engine = create_async_engine(url, **options)
    return AsyncDatabase(engine, async_sessionmaker(engine, expire_on_commit=False))


async def get_async_db(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, from the database the app's lifespan opened."""
    database: AsyncDatabase = request.app.state.database
    async with database.sessionmaker() as session:
        yield session
