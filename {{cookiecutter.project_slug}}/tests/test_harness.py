"""The harness itself: each test finds the database clean, in every isolation mode, even after a
test lost its connection; what a test commits is what its requests see; a call that blocks the
event loop fails the test."""

import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from blockbuster import BlockingError
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.roles import DEFAULT_ROLE

from tests.factories import new_user_values
from tests.isolation import Isolation

USER_COUNT = select(func.count()).select_from(User)
# The server ends the connection served by process `pid`, waiting until it has.
TERMINATE = text("SELECT pg_terminate_backend(:pid, 5000)")


async def _users(isolation: Isolation) -> int:
    """How many users a new test finds."""
    async with isolation.clean_database() as database, database.connection() as connection:
        count: int = (await connection.execute(USER_COUNT)).scalar_one()
    return count


async def test_a_test_s_rows_are_gone_in_the_next(isolation: Isolation) -> None:
    async with isolation.clean_database() as database:
        session = database.session()
        session.add(User(**new_user_values(DEFAULT_ROLE, "not a hash")))
        await session.commit()
        assert await session.scalar(USER_COUNT) == 1
    assert await _users(isolation) == 0


async def test_a_lost_connection_leaves_the_next_test_a_clean_database(
    isolation: Isolation, initialize_database: AsyncDatabase
) -> None:
    async with isolation.clean_database() as database:
        session = database.session()
        session.add(User(**new_user_values(DEFAULT_ROLE, "not a hash")))
        await session.commit()
        pid = await session.scalar(text("SELECT pg_backend_pid()"))
        async with initialize_database.engine.connect() as other:
            assert await other.scalar(TERMINATE, {"pid": pid})
        with pytest.raises(DBAPIError):  # the server ended it
            await session.execute(text("SELECT 1"))
    assert await _users(isolation) == 0


async def test_requests_see_what_the_test_committed(
    async_client: AsyncClient, db_session: AsyncSession, admin_token: str
) -> None:
    db_session.add(User(**new_user_values(DEFAULT_ROLE, "not a hash")))
    await db_session.commit()
    response = await async_client.get("/users", headers={"Authorization": f"Bearer {admin_token}"})
    assert response.status_code == 200, response.text
    assert response.json()["total"] == 2  # the admin, and the user committed above


async def test_a_query_per_row_fails_assert_max_queries(
    db_session: AsyncSession,
    users_with_same_role_50_users: list[User],
    assert_max_queries: Callable[[int], AbstractContextManager[list[str]]],
) -> None:
    refused = pytest.raises(AssertionError, match=r"4 SQL statements where at most 3 .*N\+1")
    with refused, assert_max_queries(3):
        for row in users_with_same_role_50_users[:4]:
            await db_session.scalar(select(User.email).where(User.id == row.id))


async def test_a_call_that_blocks_the_event_loop_fails_the_test() -> None:
    with pytest.raises(BlockingError, match=r"Blocking call to time\.sleep"):
        time.sleep(0.001)  # noqa: ASYNC251 (the mistake under test)


async def test_a_route_that_blocks_fails_the_test_that_requests_it() -> None:
    app = FastAPI()

    @app.get("/dawdle")
    async def dawdle() -> None:
        time.sleep(0.001)  # noqa: ASYNC251 (the mistake under test)

    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        with pytest.raises(BlockingError, match=r"Blocking call to time\.sleep"):
            await client.get("/dawdle")
