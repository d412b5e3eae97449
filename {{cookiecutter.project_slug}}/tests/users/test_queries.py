"""Lookups, role filters and pagination, through the session and through the API."""

from collections.abc import Callable
from contextlib import AbstractContextManager

from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.users.models import User

from tests.helpers import SHARED_ROLE, bearer


async def test_lookup_by_email(db_session: AsyncSession, user: User) -> None:
    found = await db_session.scalar(select(User).where(User.email == user.email))
    assert found is not None
    assert found.id == user.id


async def test_fifty_users_share_one_role(
    db_session: AsyncSession, users_with_same_role_50_users: list[User]
) -> None:
    count = await db_session.scalar(
        select(func.count()).select_from(User).where(User.role == SHARED_ROLE)
    )
    assert count == 50
    assert len({user.email for user in users_with_same_role_50_users}) == 50


async def test_filter_by_role(
    async_client: AsyncClient,
    admin: User,
    admin_token: str,
    users_with_same_role_50_users: list[User],
) -> None:
    response = await async_client.get(
        "/users", params={"role": SHARED_ROLE.value, "limit": 100}, headers=bearer(admin_token)
    )
    assert response.status_code == 200
    expected = {str(user.id) for user in users_with_same_role_50_users}
    if admin.role == SHARED_ROLE:
        expected.add(str(admin.id))
    body = response.json()
    assert body["total"] == len(expected)
    assert {item["id"] for item in body["items"]} == expected
    assert all(item["role"] == SHARED_ROLE.value for item in body["items"])
    # Past the last row, the total is still counted (with the filter).
    beyond = await async_client.get(
        "/users",
        params={"role": SHARED_ROLE.value, "offset": len(expected)},
        headers=bearer(admin_token),
    )
    assert beyond.json()["items"] == []
    assert beyond.json()["total"] == len(expected)


async def test_pages_cover_every_user_once(
    async_client: AsyncClient, admin_token: str, users_with_same_role_50_users: list[User]
) -> None:
    seen: list[str] = []
    for offset in range(0, 80, 20):  # the last page is past the last row
        response = await async_client.get(
            "/users", params={"offset": offset, "limit": 20}, headers=bearer(admin_token)
        )
        assert response.status_code == 200
        page = response.json()
        assert page["total"] == 51  # the 50 and the admin
        assert (page["offset"], page["limit"]) == (offset, 20)
        seen += [item["id"] for item in page["items"]]
    assert page["items"] == []
    assert len(seen) == 51
    assert len(set(seen)) == 51


async def test_a_page_of_users_is_three_statements_whatever_its_size(
    async_client: AsyncClient,
    admin_token: str,
    users_with_same_role_50_users: list[User],
    assert_max_queries: Callable[[int], AbstractContextManager[list[str]]],
) -> None:
    # The caller, the page, the total: a query per row would fail here.
    with assert_max_queries(3):
        response = await async_client.get(
            "/users", params={"limit": 100}, headers=bearer(admin_token)
        )
    assert response.status_code == 200
    assert len(response.json()["items"]) >= 50
