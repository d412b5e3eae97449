"""DriverSelect: a SELECT that SQLAlchemy compiles once and asyncpg runs.

What SQLAlchemy does around each statement (an execution context, a result, a greenlet per
call) costs a short request more than its query: about a third of `GET /users/me`'s CPU. A
DriverSelect keeps what matters of SQLAlchemy, the statement's SQL and its type conversions
(each parameter's bind processor, each column's result processor, as SQLAlchemy applies them),
and sends the statement itself on the session's own asyncpg connection.

Only where a statement may run outside a transaction: on a direct connection. Behind
PgBouncer's transaction mode (DATABASE_POOLER), where asyncpg's prepare and execute steps may
reach two servers, SQLAlchemy runs it as any other. Plain bind parameters only (no `IN` lists).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from {{ cookiecutter.package_name }}.settings import get_settings

Processor = Callable[[Any], Any]
Values = dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    parameters: tuple[tuple[str, Processor | None], ...]
    columns: tuple[tuple[str, Processor | None], ...]


class DriverSelect:
    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled_for = cache(self._compile)

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        parameters = tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in compiled.positiontup or ()
        )
        columns = tuple(
            (key, column.type.dialect_impl(dialect).result_processor(dialect, None))
            for key, column in self.statement.selected_columns.items()
        )
        return _Compiled(compiled.string, parameters, columns)

    async def all(self, connection: AsyncConnection, parameters: Mapping[str, Any]) -> list[Values]:
        """The rows, each as {column key: value}: on the driver where the statement may run."""
        if get_settings().database_pooler == "none":
            try:
                return await self.on_driver(connection, parameters)
            except Exception:
                # Run again by SQLAlchemy, which reports the failure as for any statement: a
                # lost connection discards the pool's, a refusal becomes the usual DBAPIError.
                pass
        return await self.by_sqlalchemy(connection, parameters)

    async def on_driver(
        self, connection: AsyncConnection, parameters: Mapping[str, Any]
    ) -> list[Values]:
        compiled = self._compiled_for(connection.dialect)
        values = [
            process(parameters[name]) if process else parameters[name]
            for name, process in compiled.parameters
        ]
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None  # a checked-out connection always has one
        return [
            {
                key: process(value) if process else value
                for (key, process), value in zip(compiled.columns, row, strict=True)
            }
            for row in await driver.fetch(compiled.sql, *values)
        ]

    async def by_sqlalchemy(
        self, connection: AsyncConnection, parameters: Mapping[str, Any]
    ) -> list[Values]:
        result = await connection.execute(self.statement, dict(parameters))
        return [dict(row) for row in result.mappings()]
