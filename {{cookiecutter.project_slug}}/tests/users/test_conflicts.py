"""Every unique field: a duplicate is a 409 naming it, found by the database's constraint."""

import pytest
from httpx import AsyncClient
from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.users.models import User

from tests.factories import new_sign_up
from tests.helpers import PASSWORD, bearer

UNIQUE_FIELDS = [column.key for column in inspect(User).columns if column.unique]


def _same(field: str, value: object) -> object:
    # Emails are stored in lower case: an upper-case copy is still the same email.
    return value.upper() if field == "email" and isinstance(value, str) else value


@pytest.mark.parametrize("field", UNIQUE_FIELDS)
async def test_duplicate_sign_up_is_409(
    async_client: AsyncClient, db_session: AsyncSession, field: str
) -> None:
    first = new_sign_up(PASSWORD)
    assert (await async_client.post("/users", json=first)).status_code == 201
    second = {**new_sign_up(PASSWORD), field: _same(field, first[field])}
    response = await async_client.post("/users", json=second)
    assert response.status_code == 409, response.text
    assert response.json()["detail"] == f"A user with this {field} already exists"
    assert await db_session.scalar(select(func.count()).select_from(User)) == 1
    # The failed insert did not spoil the session: the next request works.
    assert (await async_client.post("/users", json=new_sign_up(PASSWORD))).status_code == 201


@pytest.mark.parametrize("field", UNIQUE_FIELDS)
async def test_update_to_another_users_value_is_409(
    async_client: AsyncClient, user: User, admin: User, admin_token: str, field: str
) -> None:
    taken = new_sign_up(PASSWORD)[field] if field != "email" else user.email
    if field != "email":
        # Give `user` a fresh value through the API, so both users went through validation.
        patch = await async_client.patch(
            f"/users/{user.id}", json={field: taken}, headers=bearer(admin_token)
        )
        assert patch.status_code == 200, patch.text
    before = await async_client.get("/users/me", headers=bearer(admin_token))
    # One's own email changes only with one's current password.
    body = {
        field: _same(field, taken),
        **({"current_password": PASSWORD} if field == "email" else {}),
    }
    response = await async_client.patch(
        f"/users/{admin.id}", json=body, headers=bearer(admin_token)
    )
    assert response.status_code == 409, response.text
    assert response.json()["detail"] == f"A user with this {field} already exists"
    # The refused change left the admin as it was, and the next request works.
    after = await async_client.get("/users/me", headers=bearer(admin_token))
    assert after.status_code == 200
    assert after.json() == before.json()
