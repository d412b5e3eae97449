"""Requests sent at once: every one answered, and the database keeps the data consistent."""

import asyncio

from httpx import AsyncClient
from sqlalchemy import func, select

from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.roles import ADMIN_ROLE

from tests.factories import new_sign_up
from tests.helpers import PASSWORD, access_token, bearer


async def _count_users(database: AsyncDatabase) -> int:
    async with database.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(User)) or 0


# More than the test engine's pool holds (10 connections and 10 more): some wait for one.
SIGN_UPS = 50


async def test_many_sign_ups_at_once(
    concurrent_client: AsyncClient, initialize_database: AsyncDatabase
) -> None:
    bodies = [new_sign_up(PASSWORD) for _ in range(SIGN_UPS)]
    responses = await asyncio.gather(*(concurrent_client.post("/users", json=b) for b in bodies))
    assert [response.status_code for response in responses] == [201] * SIGN_UPS
    assert len({response.json()["id"] for response in responses}) == SIGN_UPS
    assert await _count_users(initialize_database) == SIGN_UPS


async def test_same_email_at_once_is_created_once(
    concurrent_client: AsyncClient, initialize_database: AsyncDatabase
) -> None:
    body = new_sign_up(PASSWORD)
    responses = await asyncio.gather(
        *(concurrent_client.post("/users", json=body) for _ in range(20))
    )
    codes = sorted(response.status_code for response in responses)
    assert codes == [201] + [409] * 19
    assert await _count_users(initialize_database) == 1


async def test_reads_at_once_agree(
    concurrent_client: AsyncClient, initialize_database: AsyncDatabase
) -> None:
    bodies = [new_sign_up(PASSWORD) for _ in range(10)]
    await asyncio.gather(*(concurrent_client.post("/users", json=body) for body in bodies))
    async with initialize_database.sessionmaker() as session:
        admin = await session.scalar(select(User).where(User.email == bodies[0]["email"]))
        assert admin is not None
        admin.role = ADMIN_ROLE
        await session.commit()
    headers = bearer(await access_token(concurrent_client, bodies[0]["email"]))
    pages = await asyncio.gather(
        *(
            concurrent_client.get("/users", params={"limit": 100}, headers=headers)
            for _ in range(20)
        )
    )
    assert {page.status_code for page in pages} == {200}
    assert {page.json()["total"] for page in pages} == {10}
    assert len({tuple(item["id"] for item in page.json()["items"]) for page in pages}) == 1
