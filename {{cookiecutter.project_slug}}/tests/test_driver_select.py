"""DriverSelect (driver_select.py): the list's and the caller's statements, sent on asyncpg's own
connection, read what SQLAlchemy reads (the same values of the same types, for every field) and
fail as SQLAlchemy fails."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from {{ cookiecutter.package_name }}.database import AsyncDatabase, initialize_async_db
from {{ cookiecutter.package_name }}.models import User
from {{ cookiecutter.package_name }}.routes.users import PAGE_ROWS
from {{ cookiecutter.package_name }}.settings import get_settings

from tests.helpers import SHARED_ROLE

PAGE = {"offset": 0, "limit": 100, "role": SHARED_ROLE}

DIRECT = get_settings().database_pooler == "none"
needs_a_direct_connection = pytest.mark.skipif(
    not DIRECT, reason="statements go on the driver on direct connections only"
)


def _typed(rows: list[dict[str, Any]]) -> list[dict[str, tuple[type, Any]]]:
    # A str-based enum equals its value: compare the types too.
    return [{key: (type(value), value) for key, value in row.items()} for row in rows]


@needs_a_direct_connection
@pytest.mark.parametrize("by_role", [False, True], ids=["all", "by_role"])
async def test_the_driver_reads_what_sqlalchemy_reads(
    db_session: AsyncSession, users_with_same_role_50_users: list[User], by_role: bool
) -> None:
    connection = await db_session.connection()
    on_driver = await PAGE_ROWS[by_role].on_driver(connection, PAGE)
    assert len(on_driver) == 50
    assert _typed(on_driver) == _typed(await PAGE_ROWS[by_role].by_sqlalchemy(connection, PAGE))


async def test_statements_go_on_the_driver_unless_behind_pgbouncer(
    db_session: AsyncSession, users_with_same_role_50_users: list[User]
) -> None:
    connection = await db_session.connection()
    sent: list[str] = []

    def count(*args: Any) -> None:
        sent.append(args[2])

    event.listen(connection.sync_engine, "before_cursor_execute", count)
    try:
        assert len(await PAGE_ROWS[False].all(connection, PAGE)) == 50
        assert len(sent) == (0 if DIRECT else 1)
        await PAGE_ROWS[False].by_sqlalchemy(connection, PAGE)
        assert len(sent) == (1 if DIRECT else 2)  # the listener does see SQLAlchemy's
    finally:
        event.remove(connection.sync_engine, "before_cursor_execute", count)


@pytest.fixture
async def own_database(initialize_database: AsyncDatabase) -> AsyncIterator[AsyncDatabase]:
    """An engine of the test's own: a lost connection discards its pool, not the suite's."""
    url = initialize_database.engine.url.render_as_string(hide_password=False)
    database = initialize_async_db(url)
    try:
        yield database
    finally:
        await database.dispose()


async def _cut(connection: AsyncConnection, database: AsyncDatabase) -> None:
    pid = await connection.scalar(text("SELECT pg_backend_pid()"))
    async with database.engine.connect() as other:
        await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


@needs_a_direct_connection
async def test_a_lost_connection_fails_as_in_sqlalchemy(own_database: AsyncDatabase) -> None:
    async with own_database.engine.connect() as connection:
        await _cut(connection, own_database)
        with pytest.raises(sa_exc.DBAPIError) as raised:
            await PAGE_ROWS[False].all(connection, PAGE)
        assert raised.value.connection_invalidated
    # The pool was discarded: the next connection is a new one, and the driver reads on it.
    async with own_database.engine.connect() as connection:
        assert isinstance(await PAGE_ROWS[False].on_driver(connection, PAGE), list)
