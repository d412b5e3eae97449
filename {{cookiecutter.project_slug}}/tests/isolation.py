"""How each test gets a clean database. The project was made with `{{ cookiecutter.db_isolation }}`;
set TEST_DB_ISOLATION to try another. Tests cannot tell the modes apart, except by speed.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from {{ cookiecutter.package_name }}.models import Base

from tests.database import delete_all_rows, drop_schema, recreate_schema

DB_ISOLATION = os.environ.get("TEST_DB_ISOLATION", "{{ cookiecutter.db_isolation }}")


class RollbackIsolation:
    """Schema once; each test inside a transaction on one shared connection, rolled back after.

    Sessions join that transaction with savepoints, so application code may commit freely.
    """

    _connection: AsyncConnection

    async def start(self, engine: AsyncEngine) -> None:
        await recreate_schema(engine)
        self._connection = await engine.connect()

    @asynccontextmanager
    async def clean_database(self) -> AsyncIterator[AsyncConnection]:
        transaction = await self._connection.begin()
        try:
            yield self._connection
        finally:
            await transaction.rollback()

    async def stop(self) -> None:
        await self._connection.close()


class TruncateIsolation:
    """Schema once; every table emptied after each test (DELETE: faster than TRUNCATE here)."""

    _engine: AsyncEngine

    async def start(self, engine: AsyncEngine) -> None:
        await recreate_schema(engine)
        self._engine = engine

    @asynccontextmanager
    async def clean_database(self) -> AsyncIterator[AsyncEngine]:
        try:
            yield self._engine
        finally:
            await delete_all_rows(self._engine)

    async def stop(self) -> None:
        """Nothing is held between tests."""


class RecreateIsolation:
    """Every table created before each test and dropped after it."""

    _engine: AsyncEngine

    async def start(self, engine: AsyncEngine) -> None:
        await drop_schema(engine)
        self._engine = engine

    @asynccontextmanager
    async def clean_database(self) -> AsyncIterator[AsyncEngine]:
        async with self._engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        try:
            yield self._engine
        finally:
            async with self._engine.begin() as connection:
                await connection.run_sync(Base.metadata.drop_all)

    async def stop(self) -> None:
        """Nothing is held between tests."""


Isolation = RollbackIsolation | TruncateIsolation | RecreateIsolation
ISOLATIONS: dict[str, type[Isolation]] = {
    "rollback": RollbackIsolation,
    "truncate": TruncateIsolation,
    "recreate": RecreateIsolation,
}


def chosen_isolation() -> Isolation:
    try:
        return ISOLATIONS[DB_ISOLATION]()
    except KeyError:
        raise ValueError(
            f"TEST_DB_ISOLATION={DB_ISOLATION!r} is not a mode; use one of {', '.join(ISOLATIONS)}"
        ) from None
