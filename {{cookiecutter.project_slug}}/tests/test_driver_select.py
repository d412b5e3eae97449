"""DriverSelect (driver_select.py): the list's and the caller's statements, sent on asyncpg's own
connection (the session's, or one of the pool's of their own), read what SQLAlchemy reads (the
same values of the same types, for every field) and fail as SQLAlchemy fails."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from fastapi import Request
from httpx import ASGITransport, AsyncClient
from sqlalchemy import event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool, QueuePool

from {{ cookiecutter.package_name }}.database import (
    AsyncDatabase,
    get_async_db,
    initialize_async_db,
    request_session,
)
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.models import User
from {{ cookiecutter.package_name }}.routes.users import PAGE_ROWS
from {{ cookiecutter.package_name }}.settings import get_settings

from tests.helpers import SHARED_ROLE
from tests.isolation import CleanDatabase

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
    async_client: AsyncClient,
    admin_token: str,
    setup_database: CleanDatabase,
    users_with_same_role_50_users: list[User],
) -> None:
    sent: list[str] = []

    def count(*args: Any) -> None:
        if args[2].startswith("SELECT"):  # not a test session's SAVEPOINT and its release
            sent.append(args[2])

    engine = setup_database.bind.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = await async_client.get(
            "/users", params={"limit": 100}, headers={"Authorization": f"Bearer {admin_token}"}
        )
        assert response.status_code == 200
        assert response.json()["total"] == 51  # and the admin
        # The caller's lookup and the page: SQLAlchemy runs them only behind PgBouncer.
        assert len(sent) == (0 if DIRECT else 2)
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
async def own_database(initialize_database: AsyncDatabase) -> AsyncIterator[AsyncDatabase]:
    """An engine of the test's own: a lost connection discards its pool, not the suite's."""
    url = initialize_database.engine.url.render_as_string(hide_password=False)
    database = initialize_async_db(url)
    try:
        yield database
    finally:
        await database.dispose()


async def _pid(connection: AsyncConnection) -> int:
    # On the driver: no transaction begun, none to roll back on a connection about to be cut.
    driver: Any = (await connection.get_raw_connection()).driver_connection
    pid: int = await driver.fetchval("SELECT pg_backend_pid()")
    return pid


async def _cut_pooled_connections(database: AsyncDatabase, count: int) -> set[int]:
    """`count` connections of `database`'s pool, their server processes ended; back in the pool."""
    async with AsyncExitStack() as held:
        connections = [
            await held.enter_async_context(database.engine.connect()) for _ in range(count)
        ]
        pids = {await _pid(connection) for connection in connections}
        # From outside the pool, which must hold only the connections cut.
        outsider = create_async_engine(database.engine.url, poolclass=NullPool)
        try:
            async with outsider.connect() as other:
                for pid in pids:
                    await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            await outsider.dispose()
    return pids


@needs_a_direct_connection
async def test_a_connection_of_its_own_goes_back_to_the_pool_at_once(
    own_database: AsyncDatabase,
) -> None:
    assert isinstance(await PAGE_ROWS[False].on_own_connection(own_database.engine, PAGE), list)
    pool = own_database.engine.sync_engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.checkedout() == 0


@needs_a_direct_connection
async def test_a_lost_connection_is_dropped_and_the_statement_runs_on_another(
    own_database: AsyncDatabase,
) -> None:
    cut = await _cut_pooled_connections(own_database, 1)
    assert isinstance(await PAGE_ROWS[False].on_own_connection(own_database.engine, PAGE), list)
    async with own_database.engine.connect() as connection:
        assert await _pid(connection) not in cut


@needs_a_direct_connection
async def test_every_connection_lost_fails_as_in_sqlalchemy(own_database: AsyncDatabase) -> None:
    # As after a database restart: the pool's connections are all dead.
    await _cut_pooled_connections(own_database, 2)
    with pytest.raises(sa_exc.DBAPIError) as raised:
        await PAGE_ROWS[False].on_own_connection(own_database.engine, PAGE)
    assert raised.value.connection_invalidated
    # The pool was discarded: the next connection is a new one, and the driver reads on it.
    async with own_database.engine.connect() as connection:
        assert isinstance(await PAGE_ROWS[False].on_driver(connection, PAGE), list)


async def test_any_other_override_of_get_async_db_serves_reads_through_its_session(
    setup_database: CleanDatabase, user: User, token: str
) -> None:
    app = create_app()

    async def own_sessions(request: Request) -> AsyncSession:
        return request_session(request, setup_database.make_session)

    app.dependency_overrides[get_async_db] = own_sessions
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        response = await client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["id"] == str(user.id)
