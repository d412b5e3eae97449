"""Inserts, updates and deletes keep the data whole: constraints hold, every field round-trips."""

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.models import User
from {{ cookiecutter.package_name }}.roles import DEFAULT_ROLE
from {{ cookiecutter.package_name }}.schemas import UserCreate, UserRead

from tests.conftest import PASSWORD, bearer
from tests.factories import new_sign_up, new_user_values
from tests.leaks import assert_no_secrets

EXTRA_FIELDS = sorted(set(UserCreate.model_fields) - {"email", "password", "role"})


async def test_sign_up_stores_every_field(
    async_client: AsyncClient, db_session: AsyncSession
) -> None:
    body = new_sign_up(PASSWORD)
    response = await async_client.post("/users", json=body)
    assert response.status_code == 201, response.text
    sent = UserCreate.model_validate(body)
    returned = UserRead.model_validate(response.json())
    stored = await db_session.get(User, returned.id)
    assert stored is not None
    await db_session.refresh(stored)  # read back what PostgreSQL holds
    assert returned.role == DEFAULT_ROLE
    assert returned.email == stored.email == sent.email
    for name in EXTRA_FIELDS:
        assert getattr(returned, name) == getattr(sent, name), name
        assert getattr(stored, name) == getattr(sent, name), name


async def test_update_changes_only_what_is_sent(
    async_client: AsyncClient, db_session: AsyncSession, user: User, token: str
) -> None:
    before = UserRead.model_validate(user)
    new_values = new_sign_up(PASSWORD)
    changes = {name: new_values[name] for name in EXTRA_FIELDS}
    response = await async_client.patch(f"/users/{user.id}", json=changes, headers=bearer(token))
    assert response.status_code == 200, response.text
    after = UserRead.model_validate(response.json())
    expected = UserCreate.model_validate(new_values)
    for name in EXTRA_FIELDS:
        assert getattr(after, name) == getattr(expected, name), name
    assert (after.email, after.role, after.created_at) == (
        before.email,
        before.role,
        before.created_at,
    )
    await db_session.refresh(user)
    assert UserRead.model_validate(user) == after


async def test_password_change_takes_effect(
    async_client: AsyncClient, user: User, token: str
) -> None:
    new_password = "a brand new passphrase"
    response = await async_client.patch(
        f"/users/{user.id}",
        json={"password": new_password, "current_password": PASSWORD},
        headers=bearer(token),
    )
    assert response.status_code == 200
    old = await async_client.post("/token", data={"username": user.email, "password": PASSWORD})
    new = await async_client.post("/token", data={"username": user.email, "password": new_password})
    assert (old.status_code, new.status_code) == (401, 200)


async def test_delete_removes_the_row(
    async_client: AsyncClient, db_session: AsyncSession, user: User, admin_token: str
) -> None:
    response = await async_client.delete(f"/users/{user.id}", headers=bearer(admin_token))
    assert response.status_code == 204
    assert await db_session.scalar(select(User).where(User.id == user.id)) is None
    again = await async_client.delete(f"/users/{user.id}", headers=bearer(admin_token))
    assert again.status_code == 404


async def test_database_rejects_a_duplicate_email(
    db_session: AsyncSession, user: User, password_hash: str
) -> None:
    duplicate = User(**{**new_user_values(DEFAULT_ROLE, password_hash), "email": user.email})
    db_session.add(duplicate)
    with pytest.raises(IntegrityError, match="uq_users_email"):
        await db_session.commit()
    await db_session.rollback()


@pytest.mark.parametrize("column", ["email", "hashed_password", "role"])
async def test_database_rejects_null(
    db_session: AsyncSession, password_hash: str, column: str
) -> None:
    db_session.add(User(**{**new_user_values(DEFAULT_ROLE, password_hash), column: None}))
    with pytest.raises(IntegrityError, match="not-null"):
        await db_session.commit()
    await db_session.rollback()


async def test_hash_and_password_never_leave_the_service(
    async_client: AsyncClient, user: User, token: str
) -> None:
    response = await async_client.get("/users/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.json().keys() == UserRead.model_fields.keys()
    assert_no_secrets(response, PASSWORD, user.hashed_password)
    assert user.hashed_password.startswith("$argon2id$")
