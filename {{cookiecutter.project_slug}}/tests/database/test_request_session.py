"""A request's session, in production and in the tests alike: a reading request (GET) refuses
to write, so it needs no transaction; a writing request's uncommitted work is gone when it
fails."""

from contextlib import AbstractAsyncContextManager

import pytest
from fastapi import APIRouter, FastAPI, HTTPException
from httpx import ASGITransport, AsyncClient
from sqlalchemy import func, insert, select

from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase
from {{ cookiecutter.package_name }}.database.reading import WriteInReadingRequestError
from {{ cookiecutter.package_name }}.database.session import DbSession
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.roles import DEFAULT_ROLE

from tests.factories import new_user_values
from tests.isolation import CleanDatabase

USER_COUNT = select(func.count()).select_from(User)


def _app_with_probes() -> FastAPI:
    app = create_app()
    router = APIRouter()

    @router.get("/probe/flush")
    async def flush_in_a_read(session: DbSession) -> None:
        session.add(User(**new_user_values(DEFAULT_ROLE, "not a hash")))
        await session.flush()

    @router.get("/probe/insert")
    async def insert_in_a_read(session: DbSession) -> None:
        await session.execute(insert(User), new_user_values(DEFAULT_ROLE, "not a hash"))

    @router.post("/probe/flush-then-fail")
    async def flush_then_fail(session: DbSession) -> None:
        session.add(User(**new_user_values(DEFAULT_ROLE, "not a hash")))
        await session.flush()
        raise HTTPException(409, detail="changed my mind")

    app.include_router(router)
    return app


async def _send(
    where: str, production: AsyncDatabase, tests: CleanDatabase, method: str, path: str
) -> int:
    """The request, through the harness's session (`where` is "tests"), or through the real
    get_async_db on the database the lifespan would open ("production")."""
    app = _app_with_probes()
    app.state.database = production  # what the lifespan sets
    client: AbstractAsyncContextManager[AsyncClient] = (
        tests.client(app)
        if where == "tests"
        else AsyncClient(transport=ASGITransport(app=app), base_url="http://test")
    )
    async with client as http:
        response = await http.request(method, path)
    return response.status_code


async def _users(database: CleanDatabase) -> int:
    """What the test sees: its own transaction (rollback mode) and what was committed."""
    async with database.connection() as connection:
        count: int = (await connection.execute(USER_COUNT)).scalar_one()
    return count


@pytest.mark.parametrize("path", ["/probe/flush", "/probe/insert"])
@pytest.mark.parametrize("where", ["tests", "production"])
async def test_a_reading_request_may_not_write(
    initialize_database: AsyncDatabase, setup_database: CleanDatabase, where: str, path: str
) -> None:
    with pytest.raises(WriteInReadingRequestError, match="make the route a POST"):
        await _send(where, initialize_database, setup_database, "GET", path)
    assert await _users(setup_database) == 0


@pytest.mark.parametrize("where", ["tests", "production"])
async def test_a_failed_write_leaves_nothing(
    initialize_database: AsyncDatabase, setup_database: CleanDatabase, where: str
) -> None:
    sent = await _send(where, initialize_database, setup_database, "POST", "/probe/flush-then-fail")
    assert sent == 409
    assert await _users(setup_database) == 0
