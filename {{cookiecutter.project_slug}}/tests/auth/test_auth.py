"""Who gets in: tokens, credentials, deactivated and deleted users, the secret key, passwords."""

import base64
import datetime as dt
import json
import secrets
import uuid
import warnings
from typing import Any

import jwt
import pytest
from httpx import AsyncClient
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.auth.tokens import JWT_ALGORITHM, create_access_token
from {{ cookiecutter.package_name }}.core.settings import Settings, get_settings
from {{ cookiecutter.package_name }}.users.models import User

from tests.factories import new_sign_up
from tests.helpers import PASSWORD, bearer, log_in
from tests.leaks import assert_no_secrets

FIVE_MINUTES = dt.timedelta(minutes=5)


def _key() -> str:
    return get_settings().secret_key.get_secret_value()


def _signed(
    claims: dict[str, object], key: str | None = None, algorithm: str = JWT_ALGORITHM
) -> str:
    with warnings.catch_warnings():
        # PyJWT warns that the key is short for HS512: these tokens are meant to fail anyway.
        warnings.simplefilter("ignore")
        return jwt.encode(claims, key or _key(), algorithm=algorithm)


def _unsigned(claims: dict[str, object]) -> str:
    """A token with `alg: none`: whoever made it needed no key."""

    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _claims(subject: str, expires_in: dt.timedelta = FIVE_MINUTES) -> dict[str, object]:
    now = dt.datetime.now(dt.UTC)
    return {"sub": subject, "iat": int(now.timestamp()), "exp": int((now + expires_in).timestamp())}


def bad_authorization(case: str, user: User) -> dict[str, str]:
    """The Authorization header of each way a caller can fail to authenticate."""
    subject = str(user.id)
    valid = _claims(subject)
    headers = {
        "missing": {},
        "empty bearer": {"Authorization": "Bearer "},
        "basic scheme": {"Authorization": "Basic dXNlcjpwYXNz"},
        "malformed": bearer("not-a-jwt"),
        "three garbage parts": bearer("a.b.c"),
        "expired": bearer(_signed(_claims(subject, -FIVE_MINUTES))),
        "wrong key": bearer(_signed(valid, key="another-key-" + "x" * 32)),
        "alg none": bearer(_unsigned(valid)),
        "other algorithm, same key": bearer(_signed(valid, algorithm="HS512")),
        "no expiry": bearer(_signed({k: v for k, v in valid.items() if k != "exp"})),
        "no subject": bearer(_signed({k: v for k, v in valid.items() if k != "sub"})),
        "subject not a UUID": bearer(_signed({**valid, "sub": "admin"})),
        "unknown subject": bearer(_signed({**valid, "sub": str(uuid.uuid4())})),
        "tampered signature": bearer(_signed(valid)[:-4] + "AAAA"),
    }
    return headers[case]


BAD_AUTHORIZATION_CASES = [
    "missing",
    "empty bearer",
    "basic scheme",
    "malformed",
    "three garbage parts",
    "expired",
    "wrong key",
    "alg none",
    "other algorithm, same key",
    "no expiry",
    "no subject",
    "subject not a UUID",
    "unknown subject",
    "tampered signature",
]


@pytest.mark.parametrize("case", BAD_AUTHORIZATION_CASES)
async def test_bad_authorization_is_401(async_client: AsyncClient, user: User, case: str) -> None:
    response = await async_client.get("/users/me", headers=bad_authorization(case, user))
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["detail"]


# Another scheme (Basic) is no bearer token at all: such a caller signs up anonymously.
@pytest.mark.parametrize(
    "case", [case for case in BAD_AUTHORIZATION_CASES if case not in ("missing", "basic scheme")]
)
async def test_bad_token_cannot_sign_up_either(
    async_client: AsyncClient, user: User, case: str
) -> None:
    # A token, once sent, must be valid: no silent fall-back to an anonymous sign-up.
    response = await async_client.post(
        "/users", json=new_sign_up(PASSWORD), headers=bad_authorization(case, user)
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_unknown_email_and_wrong_password_get_the_same_answer(
    async_client: AsyncClient, user: User
) -> None:
    answers = [
        await async_client.post("/token", data={"username": email, "password": password})
        for email, password in [
            (user.email, "wrong password"),
            ("nobody@example.com", PASSWORD),
            ("not even an email", PASSWORD),
        ]
    ]
    assert {answer.status_code for answer in answers} == {401}
    # The same answer, to the byte count (the request ids differ).
    assert {(answer.json()["detail"], len(answer.content)) for answer in answers} == {
        ("Incorrect email or password", len(answers[0].content))
    }
    assert all(answer.headers["WWW-Authenticate"] == "Bearer" for answer in answers)


async def test_email_is_matched_whatever_its_case(async_client: AsyncClient, user: User) -> None:
    response = await async_client.post(
        "/token", data={"username": f"  {user.email.upper()} ", "password": PASSWORD}
    )
    assert response.status_code == 200


async def test_token_carries_an_expiry_and_the_pinned_algorithm(
    async_client: AsyncClient, token: str
) -> None:
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    lifetime = dt.timedelta(minutes=get_settings().access_token_expire_minutes)
    assert header["alg"] == JWT_ALGORITHM == "HS256"
    assert claims["exp"] - claims["iat"] == lifetime.total_seconds()


@pytest.mark.parametrize("how", ["deactivated", "deleted"])
async def test_a_removed_user_is_shut_out(
    async_client: AsyncClient, user: User, token: str, admin_token: str, how: str
) -> None:
    if how == "deactivated":
        change = await async_client.patch(
            f"/users/{user.id}", json={"is_active": False}, headers=bearer(admin_token)
        )
    else:
        change = await async_client.delete(f"/users/{user.id}", headers=bearer(admin_token))
    assert change.status_code in (200, 204)
    earlier_token = await async_client.get("/users/me", headers=bearer(token))
    login = await async_client.post("/token", data={"username": user.email, "password": PASSWORD})
    assert (earlier_token.status_code, login.status_code) == (401, 401)
    assert login.headers["WWW-Authenticate"] == "Bearer"
    assert "access_token" not in login.json()


def test_secret_key_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(ValidationError, match="secret_key"):
        Settings(_env_file=None)


@pytest.mark.parametrize("key", ["", "short", "x" * 31])
def test_a_weak_secret_key_is_refused(key: str) -> None:
    with pytest.raises(ValidationError, match="secret_key"):
        Settings(_env_file=None, secret_key=key)


# Durations and costs the app turns into dates and allocations: past these bounds, a login or
# the mail sender would fail on every use (a date past year 9999, an interval out of range).
UPPER_BOUNDS = {
    "access_token_expire_minutes": 1_440,
    "argon2_memory_kib": 1_048_576,
    "argon2_time_cost": 100,
    "mail_retry_first_seconds": 3_600,
    "mail_retry_max_seconds": 86_400,
    "mail_give_up_hours": 24 * 30,
    "mail_keep_days": 3_650,
}


@pytest.mark.parametrize(("name", "bound"), UPPER_BOUNDS.items())
def test_settings_past_their_upper_bound_are_refused(name: str, bound: int) -> None:
    at_bound: dict[str, Any] = {name: bound}
    assert getattr(Settings(_env_file=None, **at_bound), name) == bound
    past: dict[str, Any] = {name: 10**12}
    with pytest.raises(ValidationError, match=name):
        Settings(_env_file=None, **past)


def test_an_access_token_at_the_longest_lifetime_is_issued() -> None:
    settings = Settings(_env_file=None, access_token_expire_minutes=1_440)
    token = create_access_token(str(uuid.uuid4()), str(uuid.uuid4()), settings)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 1_440 * 60


def test_settings_errors_do_not_show_secrets() -> None:
    password, key = "hunter2-db-password", "too-short-key"
    with pytest.raises(ValidationError) as error:
        Settings(
            _env_file=None,
            database_url=f"mysql://app:{password}@db.example.com/app",
            secret_key=key,
        )
    assert password not in str(error.value)
    assert key not in str(error.value)


async def test_password_and_hash_never_leave_the_service(
    async_client: AsyncClient, admin: User, admin_token: str
) -> None:
    body = new_sign_up(PASSWORD)
    created = await async_client.post("/users", json=body)
    user_id = created.json()["id"]
    login = await log_in(async_client, body["email"])
    token = login.json()["access_token"]
    responses = [
        created,
        login,
        await async_client.get("/users/me", headers=bearer(token)),
        await async_client.get(f"/users/{user_id}", headers=bearer(admin_token)),
        await async_client.get("/users", headers=bearer(admin_token)),
        await async_client.patch(
            f"/users/{user_id}",
            json={"password": PASSWORD + "!", "current_password": PASSWORD},
            headers=bearer(token),
        ),
        # Invalid requests that carry the password: FastAPI's own 422 would echo it.
        await async_client.post("/users", json={**body, "email": "not-an-email"}),
        await async_client.post("/users", json={"password": PASSWORD}),
        await async_client.patch(
            f"/users/{user_id}", json={"password": PASSWORD, "role": 1}, headers=bearer(token)
        ),
    ]
    assert [response.status_code for response in responses] == [
        201, 200, 200, 200, 200, 200, 422, 422, 422
    ]  # fmt: skip
    assert admin.hashed_password.startswith("$argon2id$")  # a real hash, so a leak would show
    for response in responses:
        assert_no_secrets(response, PASSWORD, admin.hashed_password)


def _token(token: str, **shifts: int) -> str:
    """`token` signed again with its claims moved by `shifts` seconds (iat, nbf, exp)."""
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    claims.update(iat=now, exp=now + 300)
    for claim, seconds in shifts.items():
        claims[claim] = now + seconds
    return jwt.encode(claims, get_settings().secret_key.get_secret_value(), JWT_ALGORITHM)


@pytest.mark.parametrize(
    ("shifts", "status"),
    [
        ({"iat": 10}, 200),
        ({"iat": 25}, 200),
        ({"nbf": 25}, 200),
        ({"iat": 90}, 401),
        ({"nbf": 90}, 401),
        ({"exp": -90}, 401),
    ],
    ids=["iat +10 s", "iat +25 s", "nbf +25 s", "iat +90 s", "nbf +90 s", "expired 90 s ago"],
)
async def test_clocks_may_differ_by_30_seconds(
    async_client: AsyncClient, token: str, shifts: dict[str, int], status: int
) -> None:
    response = await async_client.get("/users/me", headers=bearer(_token(token, **shifts)))
    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    "key",
    [
        "a" * 32,
        "abcdefgh" * 4,
        "abcdefghijklmnopqrstuvwxyz012345",
        "0123456789" * 4,
        "secret-secret-secret-secret-secret-",
        "SECRET_KEY_SECRET_KEY_SECRET_KEY_1",  # a word repeated, then a digit
        "qwertyuiopasdfghjklzxcvbnm123456",  # keyboard rows
    ],
)
def test_a_low_entropy_secret_key_is_refused(key: str) -> None:
    with pytest.raises(ValidationError, match="too predictable") as error:
        Settings(_env_file=None, secret_key=key)
    assert key not in str(error.value)


# Fixed ids: the keys differ in each pytest-xdist worker, which must collect the same tests.
@pytest.mark.parametrize(
    "key",
    [secrets.token_hex(16), secrets.token_urlsafe(32), secrets.token_urlsafe(48)],
    ids=["token_hex(16)", "token_urlsafe(32)", "token_urlsafe(48)"],
)
def test_a_random_secret_key_is_accepted(key: str) -> None:
    assert Settings(_env_file=None, secret_key=key).secret_key.get_secret_value() == key


@pytest.mark.parametrize(
    "email",
    ["Ze\u0301lie.NFD@example.com", "someone@b\u00fccher.example", "Mixed.Case@EXAMPLE.com"],
    ids=["decomposed accent", "unicode domain", "upper case"],
)
async def test_one_logs_in_with_the_email_as_typed_at_sign_up(
    async_client: AsyncClient, email: str
) -> None:
    body = {**new_sign_up(PASSWORD), "email": email}
    assert (await async_client.post("/users", json=body)).status_code == 201, email
    login = await async_client.post("/token", data={"username": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
