"""Bad requests get a 4xx that says what was wrong, never a 500."""

import datetime as dt
import uuid

import jwt
import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.models import User
from {{ cookiecutter.package_name }}.roles import ADMIN_ROLE, DEFAULT_ROLE, Role
from {{ cookiecutter.package_name }}.security import JWT_ALGORITHM
from {{ cookiecutter.package_name }}.settings import get_settings

from tests.conftest import PASSWORD, bearer
from tests.factories import new_sign_up

needs_a_non_admin_role = pytest.mark.skipif(
    DEFAULT_ROLE == ADMIN_ROLE, reason="every user is an admin when the default role is"
)


async def test_unknown_user_is_404(async_client: AsyncClient, admin_token: str) -> None:
    response = await async_client.get(f"/users/{uuid.uuid4()}", headers=bearer(admin_token))
    assert response.status_code == 404
    assert response.json()["detail"].startswith("No user with id ")


def _token(claims: dict[str, object], key: str | None = None) -> str:
    secret = key or get_settings().secret_key.get_secret_value()
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM)


def _claims(user: User, expires_in: dt.timedelta) -> dict[str, object]:
    now = dt.datetime.now(dt.UTC)
    return {"sub": str(user.id), "iat": now, "exp": now + expires_in}


@pytest.mark.parametrize(
    "case", ["missing", "malformed", "expired", "wrong key", "no expiry", "unknown user"]
)
async def test_bad_tokens_are_401(async_client: AsyncClient, user: User, case: str) -> None:
    valid_for = dt.timedelta(minutes=5)
    headers = {
        "missing": {},
        "malformed": bearer("not-a-jwt"),
        "expired": bearer(_token(_claims(user, -valid_for))),
        "wrong key": bearer(_token(_claims(user, valid_for), key="another-key-" + "x" * 32)),
        "no expiry": bearer(_token({"sub": str(user.id), "iat": dt.datetime.now(dt.UTC)})),
        "unknown user": bearer(_token({**_claims(user, valid_for), "sub": str(uuid.uuid4())})),
    }[case]
    response = await async_client.get("/users/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["detail"]


@pytest.mark.parametrize("known_email", [True, False])
async def test_wrong_credentials_are_401(
    async_client: AsyncClient, user: User, known_email: bool
) -> None:
    email = user.email if known_email else "nobody@example.com"
    response = await async_client.post("/token", data={"username": email, "password": "wrong-pw"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect email or password"}


async def test_deactivated_user_is_shut_out(
    async_client: AsyncClient, user: User, token: str, admin_token: str
) -> None:
    response = await async_client.patch(
        f"/users/{user.id}", json={"is_active": False}, headers=bearer(admin_token)
    )
    assert response.status_code == 200
    login = await async_client.post("/token", data={"username": user.email, "password": PASSWORD})
    assert login.status_code == 401
    assert (await async_client.get("/users/me", headers=bearer(token))).status_code == 401


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


async def test_admin_may_choose_a_role(async_client: AsyncClient, admin_token: str) -> None:
    role = list(Role)[-1]
    body = {**new_sign_up(PASSWORD), "role": role.value}
    response = await async_client.post("/users", json=body, headers=bearer(admin_token))
    assert response.status_code == 201
    assert response.json()["role"] == role.value


async def test_duplicate_email_is_409(async_client: AsyncClient, user: User) -> None:
    body = {**new_sign_up(PASSWORD), "email": user.email.upper()}
    response = await async_client.post("/users", json=body)
    assert response.status_code == 409
    assert response.json() == {"detail": "A user with this email already exists"}
    # The failed insert did not spoil the session: the next request works.
    assert (await async_client.post("/users", json=new_sign_up(PASSWORD))).status_code == 201


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
async def test_invalid_sign_up_is_422(
    async_client: AsyncClient, change: dict[str, object], field: str
) -> None:
    response = await async_client.post("/users", json={**new_sign_up(PASSWORD), **change})
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["body", field]]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/users/not-a-uuid", {}),
        ("/users", {"limit": 0}),
        ("/users", {"limit": 101}),
        ("/users", {"offset": -1}),
        ("/users", {"offset": 2**63}),
        ("/users", {"role": "NOT_A_ROLE"}),
    ],
)
async def test_invalid_query_is_422(
    async_client: AsyncClient, admin_token: str, path: str, params: dict[str, int | str]
) -> None:
    response = await async_client.get(path, params=params, headers=bearer(admin_token))
    assert response.status_code == 422
    assert response.json()["detail"]


async def test_null_for_a_required_column_is_422(
    async_client: AsyncClient, user: User, token: str
) -> None:
    response = await async_client.patch(
        f"/users/{user.id}", json={"email": None}, headers=bearer(token)
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["msg"] == "Value error, email may not be null"
