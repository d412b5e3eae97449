"""The /users resource: sign-up, reading, updating and deleting, and who may do which."""

import uuid

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.settings import Settings
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.roles import ADMIN_ROLE, DEFAULT_ROLE, Role
from {{ cookiecutter.package_name }}.users.schemas import UserCreate, UserRead

from tests.factories import new_sign_up
from tests.helpers import PASSWORD, bearer, settings_changed
from tests.leaks import assert_no_secrets

EXTRA_FIELDS = sorted(set(UserCreate.model_fields) - {"email", "password", "role"})

needs_a_non_admin_role = pytest.mark.skipif(
    DEFAULT_ROLE == ADMIN_ROLE, reason="every user is an admin when the default role is"
)


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


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "password"),
        ({"role": "NOT_A_ROLE"}, "role"),
        ({"hashed_password": "x"}, "hashed_password"),
        ({"email": None}, "email"),
    ],
)
async def test_an_invalid_sign_up_is_one_422_at_the_field(
    async_client: AsyncClient, change: dict[str, object], field: str
) -> None:
    response = await async_client.post("/users", json={**new_sign_up(PASSWORD), **change})
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["body", field]]


async def test_admin_may_choose_a_role(async_client: AsyncClient, admin_token: str) -> None:
    role = list(Role)[-1]
    body = {**new_sign_up(PASSWORD), "role": role.value}
    response = await async_client.post("/users", json=body, headers=bearer(admin_token))
    assert response.status_code == 201
    assert response.json()["role"] == role.value


async def test_closed_sign_up_lets_only_an_admin_add_users(
    async_client: AsyncClient, user: User, token: str, admin_token: str
) -> None:
    with settings_changed(signup_open=False):
        anyone = await async_client.post("/users", json=new_sign_up(PASSWORD))
        by_user = await async_client.post(
            "/users", json=new_sign_up(PASSWORD), headers=bearer(token)
        )
        by_admin = await async_client.post(
            "/users", json=new_sign_up(PASSWORD), headers=bearer(admin_token)
        )
    assert anyone.status_code == 403, anyone.text
    closed = f"Only {ADMIN_ROLE} users may add users: sign-up is closed (SIGNUP_OPEN)"
    assert anyone.json()["detail"] == closed
    assert by_user.status_code == (201 if user.role == ADMIN_ROLE else 403), by_user.text
    assert by_admin.status_code == 201, by_admin.text


def test_sign_up_is_closed_by_default_only_where_a_sign_up_would_be_an_admin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SIGNUP_OPEN")  # the suite's own opening (conftest.py)
    assert Settings(_env_file=None).signup_open is (DEFAULT_ROLE != ADMIN_ROLE)


async def test_read_me(async_client: AsyncClient, user: User, token: str) -> None:
    response = await async_client.get("/users/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.json().keys() == UserRead.model_fields.keys()
    assert response.json()["id"] == str(user.id)
    assert response.json()["email"] == user.email
    assert_no_secrets(response, PASSWORD, user.hashed_password)


async def test_unknown_user_is_404(async_client: AsyncClient, admin_token: str) -> None:
    response = await async_client.get(f"/users/{uuid.uuid4()}", headers=bearer(admin_token))
    assert response.status_code == 404
    assert response.json()["detail"].startswith("No user with id ")


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


async def test_null_for_a_required_column_is_422(
    async_client: AsyncClient, user: User, token: str
) -> None:
    response = await async_client.patch(
        f"/users/{user.id}", json={"email": None, "is_active": None}, headers=bearer(token)
    )
    assert response.status_code == 422
    # Each at its field's place, as a form would show it.
    errors = {tuple(error["loc"]): error["msg"] for error in response.json()["detail"]}
    assert errors == {
        ("body", "email"): "Value error, email may not be null",
        ("body", "is_active"): "Value error, is_active may not be null",
    }


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


@needs_a_non_admin_role
async def test_non_admin_is_403(
    async_client: AsyncClient, user: User, admin: User, token: str
) -> None:
    attempts = [
        async_client.get("/users", headers=bearer(token)),
        async_client.get(f"/users/{admin.id}", headers=bearer(token)),
        async_client.patch(f"/users/{admin.id}", json={"is_active": False}, headers=bearer(token)),
        async_client.patch(
            f"/users/{user.id}", json={"role": ADMIN_ROLE.value}, headers=bearer(token)
        ),
        async_client.delete(f"/users/{admin.id}", headers=bearer(token)),
        async_client.post("/users", json={**new_sign_up(PASSWORD), "role": ADMIN_ROLE.value}),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status_code == 403, response.request.url
        assert response.json()["detail"].startswith(f"Only {ADMIN_ROLE.value} users may ")
