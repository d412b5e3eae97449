"""DriverSelect: a SELECT (or an INSERT ... RETURNING) that SQLAlchemy compiles once and
asyncpg runs.

What SQLAlchemy does around each statement (an execution context, a result, a greenlet per
call) costs a short request more than its query: about a third of `GET /users/me`'s CPU. A
DriverSelect keeps what matters of SQLAlchemy, the statement's SQL and its type conversions
(each parameter's bind processor, each column's result processor, as SQLAlchemy applies them),
and sends the statement itself on an asyncpg connection: the request's session's once it has
begun a transaction (to see what the transaction wrote), else one of the pool's of its own,
returned at once (a session and its connection cost more bookkeeping than the query), or a
test's connection (SessionsOn).

Only where a statement may run outside a transaction: on a direct connection. Behind
PgBouncer's transaction mode (DATABASE_POOLER), where asyncpg's prepare and execute steps may
reach two servers, SQLAlchemy runs it as any other. Plain bind parameters only (no `IN` lists).
An INSERT needs a value for every column it names: the model's Python-side defaults are
SQLAlchemy's to fill in, not the driver's (the test harness's `user`: tests/factories.py).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast
from weakref import WeakKeyDictionary

from fastapi import Request
from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlalchemy.sql.dml import ReturningInsert
from sqlalchemy.util import greenlet_spawn

from {{ cookiecutter.package_name }}.database import begun_session, bind_for, session_for
from {{ cookiecutter.package_name }}.settings import get_settings

Processor = Callable[[Any], Any]
Values = dict[str, Any]
_Columns = ReadOnlyColumnCollection[str, ColumnElement[Any]]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    parameters: tuple[tuple[str, Processor | None], ...]
    keys: tuple[str, ...]
    # Only the columns that have one (most have none): a row is made whole, then these applied.
    result_processors: tuple[tuple[str, Processor], ...]


class DriverSelect:
    def __init__(self, statement: Select[Any] | ReturningInsert[Any]) -> None:
        self.statement = statement
        # By dialect: an app has one engine, a test suite several.
        self._compiled: WeakKeyDictionary[Dialect, _Compiled] = WeakKeyDictionary()

    async def _compiled_for(self, dialect: Dialect, driver: Any) -> _Compiled:
        compiled = self._compiled.get(dialect)
        if compiled is None:
            compiled = self._compiled[dialect] = await self._compile(dialect, driver)
        return compiled

    async def _compile(self, dialect: Dialect, driver: Any) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        parameters = tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in compiled.positiontup or ()
        )
        # Some processors depend on the type the server sends (numeric or float, say): as
        # SQLAlchemy does, ask the server once, by preparing the statement.
        prepared = await driver.prepare(compiled.string)
        server_types = [attribute.type.oid for attribute in prepared.get_attributes()]
        # Named columns only (an unnamed one has no key to answer by): any Select's, a RETURNING
        # of a table's columns.
        columns = cast(_Columns, self.statement.exported_columns)
        processors = (
            (key, column.type.dialect_impl(dialect).result_processor(dialect, server_type))
            for (key, column), server_type in zip(columns.items(), server_types, strict=True)
        )
        return _Compiled(
            compiled.string,
            parameters,
            tuple(columns.keys()),
            tuple((key, process) for key, process in processors if process is not None),
        )

    async def all(self, request: Request, parameters: Mapping[str, Any]) -> list[Values]:
        """`request`'s rows, each as {column key: value}: on the driver where the statement may
        run; in the request's session once it has begun (to see what it wrote)."""
        session = begun_session(request)
        if get_settings().database_pooler != "none":
            session = session or await session_for(request)
            return await self.by_sqlalchemy(await session.connection(), parameters)
        bind = None if session else bind_for(request)
        if bind is None:  # a begun session, or another override of get_async_db: its session
            session = session or await session_for(request)
            return await self.on_connection(await session.connection(), parameters)
        if isinstance(bind, AsyncEngine):
            return await self.on_own_connection(bind, parameters)
        return await self.on_connection(bind, parameters)

    async def on_connection(
        self, connection: AsyncConnection, parameters: Mapping[str, Any]
    ) -> list[Values]:
        """On `connection`'s own asyncpg connection; if that fails, by SQLAlchemy on it."""
        try:
            return await self.on_driver(connection, parameters)
        except Exception:
            # Run again by SQLAlchemy, which reports the failure as for any statement: a lost
            # connection discards the pool's, a refusal becomes the usual DBAPIError.
            return await self.by_sqlalchemy(connection, parameters)

    async def on_own_connection(
        self, engine: AsyncEngine, parameters: Mapping[str, Any]
    ) -> list[Values]:
        """On a pool connection of its own, returned at once; if the statement fails there,
        that connection is discarded and SQLAlchemy runs it on another."""
        # A failed checkout is SQLAlchemy's own error already: not tried twice.
        borrowed = await engine.raw_connection()
        try:
            return await self._fetch(borrowed.driver_connection, engine.dialect, parameters)
        except BaseException as error:
            await greenlet_spawn(borrowed.invalidate, error)
            if not isinstance(error, Exception):  # cancelled: nothing to answer
                raise
        finally:
            await greenlet_spawn(borrowed.close)
        async with engine.connect() as connection:
            return await self.by_sqlalchemy(connection, parameters)

    async def on_driver(
        self, connection: AsyncConnection, parameters: Mapping[str, Any]
    ) -> list[Values]:
        """On `connection`'s own asyncpg connection."""
        driver = (await connection.get_raw_connection()).driver_connection
        return await self._fetch(driver, connection.dialect, parameters)

    async def _fetch(
        self, driver: Any, dialect: Dialect, parameters: Mapping[str, Any]
    ) -> list[Values]:
        compiled = await self._compiled_for(dialect, driver)
        values = [
            process(parameters[name]) if process else parameters[name]
            for name, process in compiled.parameters
        ]
        records = await driver.fetch(compiled.sql, *values)
        rows = [dict(zip(compiled.keys, record, strict=True)) for record in records]
        for key, process in compiled.result_processors:
            for row in rows:
                row[key] = process(row[key])
        return rows

    async def by_sqlalchemy(
        self, connection: AsyncConnection, parameters: Mapping[str, Any]
    ) -> list[Values]:
        result = await connection.execute(self.statement, dict(parameters))
        return [dict(row) for row in result.mappings()]
