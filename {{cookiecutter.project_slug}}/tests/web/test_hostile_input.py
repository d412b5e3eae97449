"""Hostile bodies, queries, paths and forms: each a 422 that names what was wrong, never a 500.

The per-field cases come from tests/hostile_values.py, written from the fields chosen when the
project was made. Values are raw JSON, to send what `json.dumps` would refuse (NaN, lone
surrogates).
"""

from typing import Any

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.roles import Role
from {{ cookiecutter.package_name }}.users.schemas import UserCreate

from tests.factories import new_sign_up
from tests.helpers import PASSWORD, bearer
from tests.hostile_values import HOSTILE_VALUES, assert_refused, body_with, json_string

JSON = {"Content-Type": "application/json"}
EXTRA_FIELDS = sorted(set(UserCreate.model_fields) - {"email", "password", "role"})

FIELD_CASES = [
    pytest.param(name, raw, id=f"{name}: {case}")
    for name, cases in HOSTILE_VALUES.items()
    for case, raw in cases
]


def test_every_field_has_hostile_values() -> None:
    assert sorted(HOSTILE_VALUES) == EXTRA_FIELDS
    assert all(HOSTILE_VALUES.values())


BUILT_IN_CASES = [
    pytest.param("email", '"not-an-email"', id="email: malformed"),
    pytest.param("email", '"someone@localhost"', id="email: no dot in domain"),
    pytest.param("email", json_string("a" * 321 + "@example.com"), id="email: too long"),
    pytest.param("email", '"a\\u0000b@example.com"', id="email: NUL"),
    pytest.param("email", '"\\ud800@example.com"', id="email: lone surrogate"),
    pytest.param("email", "42", id="email: number"),
    pytest.param("email", "null", id="email: null"),
    pytest.param("password", '"seven77"', id="password: too short"),
    pytest.param("password", json_string("x" * 129), id="password: too long"),
    pytest.param("password", "12345678", id="password: number"),
    pytest.param("password", '"\\ud800abcdefgh"', id="password: lone surrogate"),
    pytest.param("role", '"NOT_A_ROLE"', id="role: unknown"),
    pytest.param("role", json_string(next(iter(Role)).value.lower()), id="role: lower case"),
    pytest.param("role", "1", id="role: number"),
    pytest.param("is_active", "false", id="is_active: not a sign-up field"),
    pytest.param("hashed_password", '"x"', id="hashed_password: never accepted"),
    pytest.param("id", '"00000000-0000-0000-0000-000000000000"', id="id: never accepted"),
]


def _body_with(field: str, raw: str, valid_body: dict[str, Any] | None = None) -> str:
    """A valid sign-up body (`valid_body`, else a new one) whose `field` is the raw JSON `raw`."""
    return body_with(valid_body or new_sign_up(PASSWORD), field, raw)


@pytest.mark.parametrize(("field", "raw"), BUILT_IN_CASES + FIELD_CASES)
async def test_sign_up_refuses(async_client: AsyncClient, field: str, raw: str) -> None:
    response = await async_client.post("/users", content=_body_with(field, raw), headers=JSON)
    assert_refused(response, field)


@pytest.mark.parametrize(("field", "raw"), FIELD_CASES)
async def test_update_refuses(
    async_client: AsyncClient, user: User, token: str, field: str, raw: str
) -> None:
    response = await async_client.patch(
        f"/users/{user.id}",
        content=body_with({}, field, raw),
        headers={**JSON, **bearer(token)},
    )
    assert_refused(response, field)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"[]", "application/json"),
        (b'"a string"', "application/json"),
        (b"null", "application/json"),
        (b"42", "application/json"),
        (b"NaN", "application/json"),
        (b'{"email": ', "application/json"),
        (b"", "application/json"),
        (b'{"email": "\xff"}', "application/json"),
        (b"[" * 100_000, "application/json"),
        (b'{"\\ud800": 1}', "application/json"),
        (b"email=a%40example.com&password=secret-enough", "application/x-www-form-urlencoded"),
        (b"hello", "text/plain"),
    ],
    ids=[
        "array",
        "string",
        "null",
        "number",
        "NaN",
        "cut short",
        "empty",
        "invalid UTF-8",
        "nested too deep",
        "lone surrogate as a key",
        "form",
        "plain text",
    ],
)
async def test_body_that_is_no_json_object_is_422(
    async_client: AsyncClient, content: bytes, content_type: str
) -> None:
    response = await async_client.post(
        "/users", content=content, headers={"Content-Type": content_type}
    )
    assert_refused(response, "body")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("offset", "-1"),
        ("offset", str(2**31)),
        ("offset", str(2**63)),
        ("offset", "1" + "0" * 100),
        ("offset", "abc"),
        ("offset", "1.5"),
        ("offset", ""),
        ("limit", "0"),
        ("limit", "101"),
        ("limit", "-1"),
        ("limit", "1e2"),
        ("role", "NOT_A_ROLE"),
        ("role", "\x00"),
    ],
)
async def test_invalid_query_is_422(
    async_client: AsyncClient, admin_token: str, name: str, value: str
) -> None:
    response = await async_client.get("/users", params={name: value}, headers=bearer(admin_token))
    assert_refused(response, name)


@pytest.mark.parametrize(
    "user_id",
    ["not-a-uuid", "1", "%00", "0" * 33, "'%20OR%20'1'='1", "a" * 5000],
    ids=["word", "number", "NUL", "33 digits", "SQL", "5000 letters"],
)
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_malformed_user_id_is_422(
    async_client: AsyncClient, admin_token: str, method: str, user_id: str
) -> None:
    response = await async_client.request(
        method, f"/users/{user_id}", json={}, headers=bearer(admin_token)
    )
    assert_refused(response, "user_id")


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"username": "a\x00b@example.com", "password": PASSWORD}, "username"),
        ({"username": "a" * 321, "password": PASSWORD}, "username"),
        ({"username": "a@example.com", "password": "x" * 129}, "password"),
        ({"password": PASSWORD}, "username"),
        ({"username": "a@example.com"}, "password"),
        ({"username": "", "password": PASSWORD}, "username"),
        ({"username": "a@example.com", "password": ""}, "password"),
    ],
)
async def test_invalid_login_form_is_422(
    async_client: AsyncClient, form: dict[str, str], field: str
) -> None:
    response = await async_client.post("/token", data=form)
    assert_refused(response, field)


async def test_login_as_json_is_422(async_client: AsyncClient) -> None:
    response = await async_client.post(
        "/token", json={"username": "a@example.com", "password": PASSWORD}
    )
    assert_refused(response, "username")


async def test_nothing_refused_was_stored(
    async_client: AsyncClient, admin: User, admin_token: str
) -> None:
    # One valid body for all: a unique field need not hold a value for every case.
    body = new_sign_up(PASSWORD)
    for param in BUILT_IN_CASES + FIELD_CASES:
        field, raw = param.values
        content = _body_with(str(field), str(raw), body)
        await async_client.post("/users", content=content, headers=JSON)
    response = await async_client.get("/users", headers=bearer(admin_token))
    assert response.json()["total"] == 1  # the admin alone
