"""Sessions that end: refresh rotation with reuse detection (RFC 6749 6), revocation
(RFC 7009), password changes and deactivation that end sessions, checked on every request."""

import asyncio
import datetime as dt
import hashlib

import jwt
import pytest
from httpx import AsyncClient, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.models import RefreshToken, UserSession
from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.users.models import User

from tests.factories import new_sign_up
from tests.helpers import PASSWORD, bearer, settings_changed, tokens_for

NEW_PASSWORD = "a completely new passphrase"


async def _refresh(client: AsyncClient, refresh_token: str) -> Response:
    return await client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token}
    )


async def _me(client: AsyncClient, tokens: dict[str, str]) -> int:
    response = await client.get("/users/me", headers=bearer(tokens["access_token"]))
    return response.status_code


def _assert_invalid_grant(response: Response) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_grant"
    assert response.json()["error_description"]
    assert response.headers["Cache-Control"] == "no-store"


async def test_a_login_gives_a_short_access_token_and_a_refresh_token(
    async_client: AsyncClient, user: User
) -> None:
    response = await async_client.post(
        "/token", data={"grant_type": "password", "username": user.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == get_settings().access_token_expire_minutes * 60 == 15 * 60
    assert body["refresh_token"]
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sid"], "the access token names its session"
    assert response.headers["Cache-Control"] == "no-store"


async def test_a_refresh_rotates_and_a_reused_token_ends_the_session(
    async_client: AsyncClient, user: User
) -> None:
    first = await tokens_for(async_client, user.email)
    refreshed = await _refresh(async_client, first["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert await _me(async_client, second) == 200
    # The old one again: someone copied it. The whole session ends, the new tokens too.
    _assert_invalid_grant(await _refresh(async_client, first["refresh_token"]))
    assert await _me(async_client, second) == 401
    assert await _me(async_client, first) == 401
    _assert_invalid_grant(await _refresh(async_client, second["refresh_token"]))


async def test_other_sessions_go_on_when_one_ends(async_client: AsyncClient, user: User) -> None:
    ended = await tokens_for(async_client, user.email)
    other = await tokens_for(async_client, user.email)
    revoked = await async_client.post("/token/revoke", data={"token": ended["refresh_token"]})
    assert revoked.status_code == 200
    assert (await _me(async_client, ended), await _me(async_client, other)) == (401, 200)


@pytest.mark.parametrize("which", ["refresh_token", "access_token"])
async def test_revoking_either_token_ends_the_session_at_once(
    async_client: AsyncClient, user: User, which: str
) -> None:
    tokens = await tokens_for(async_client, user.email)
    response = await async_client.post(
        "/token/revoke", data={"token": tokens[which], "token_type_hint": which}
    )
    assert response.status_code == 200
    assert await _me(async_client, tokens) == 401
    _assert_invalid_grant(await _refresh(async_client, tokens["refresh_token"]))


async def test_an_expired_access_token_still_logs_out(
    async_client: AsyncClient, user: User
) -> None:
    tokens = await tokens_for(async_client, user.email)
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    expired = jwt.encode(
        {**claims, "iat": an_hour_ago, "exp": an_hour_ago + dt.timedelta(minutes=15)},
        get_settings().secret_key.get_secret_value(),
        algorithm="HS256",
    )
    assert await _me(async_client, {"access_token": expired}) == 401
    assert (await async_client.post("/token/revoke", data={"token": expired})).status_code == 200
    _assert_invalid_grant(await _refresh(async_client, tokens["refresh_token"]))


@pytest.mark.parametrize("token", ["not a token", "a.b.c", "x" * 43])
async def test_revoking_an_unknown_token_says_nothing(
    async_client: AsyncClient, token: str
) -> None:
    response = await async_client.post("/token/revoke", data={"token": token})
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize("token", ["", "x" * 5_000])
async def test_revoking_needs_a_token(async_client: AsyncClient, token: str) -> None:
    response = await async_client.post("/token/revoke", data={"token": token})
    assert response.status_code == 422


async def test_refresh_tokens_are_stored_only_as_hashes(
    async_client: AsyncClient, db_session: AsyncSession, user: User
) -> None:
    tokens = await tokens_for(async_client, user.email)
    stored = list(await db_session.scalars(select(RefreshToken.token_hash)))
    assert tokens["refresh_token"] not in stored
    assert hashlib.sha256(tokens["refresh_token"].encode()).hexdigest() in stored


async def test_a_password_change_ends_every_other_session(
    async_client: AsyncClient, user: User
) -> None:
    this = await tokens_for(async_client, user.email)
    other = await tokens_for(async_client, user.email)
    response = await async_client.post(
        "/users/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(this["access_token"]),
    )
    assert response.status_code == 204, response.text
    assert (await _me(async_client, this), await _me(async_client, other)) == (200, 401)
    _assert_invalid_grant(await _refresh(async_client, other["refresh_token"]))
    assert (await _refresh(async_client, this["refresh_token"])).status_code == 200
    old = await async_client.post("/token", data={"username": user.email, "password": PASSWORD})
    assert old.status_code == 401
    await tokens_for(async_client, user.email, NEW_PASSWORD)


@pytest.mark.parametrize(
    ("body", "status", "said"),
    [
        ({"current_password": "not my password", "new_password": NEW_PASSWORD}, 403, "current"),
        ({"current_password": PASSWORD, "new_password": "qwerty123456"}, 422, "common"),
        ({"new_password": NEW_PASSWORD}, 422, "current_password"),
        ({"current_password": PASSWORD, "new_password": PASSWORD}, 422, "differ"),
    ],
    ids=["wrong current password", "weak new password", "no current password", "unchanged"],
)
async def test_a_password_change_needs_the_current_password_and_a_good_new_one(
    async_client: AsyncClient, user: User, token: str, body: dict[str, str], status: int, said: str
) -> None:
    response = await async_client.post("/users/me/password", json=body, headers=bearer(token))
    assert response.status_code == status, response.text
    assert said in response.text
    for password in body.values():
        assert password not in response.text
    assert await _me(async_client, {"access_token": token}) == 200


@pytest.mark.parametrize(
    "change", [{"email": "another.address@example.com"}, {"password": NEW_PASSWORD}]
)
@pytest.mark.parametrize("current", [None, "not my password"], ids=["missing", "wrong"])
async def test_changing_ones_own_email_or_password_needs_the_current_password(
    async_client: AsyncClient,
    user: User,
    token: str,
    change: dict[str, str],
    current: str | None,
) -> None:
    body = {**change, **({"current_password": current} if current else {})}
    refused = await async_client.patch(f"/users/{user.id}", json=body, headers=bearer(token))
    assert refused.status_code == 403, refused.text
    assert "current password" in refused.json()["detail"]
    done = await async_client.patch(
        f"/users/{user.id}", json={**change, "current_password": PASSWORD}, headers=bearer(token)
    )
    assert done.status_code == 200, done.text


@pytest.mark.parametrize(
    "change",
    [{"password": NEW_PASSWORD}, {"is_active": False}],
    ids=["password reset", "deactivation"],
)
async def test_an_admins_reset_or_deactivation_ends_the_users_sessions(
    async_client: AsyncClient, user: User, admin_token: str, change: dict[str, object]
) -> None:
    tokens = await tokens_for(async_client, user.email)
    response = await async_client.patch(
        f"/users/{user.id}", json=change, headers=bearer(admin_token)
    )
    assert response.status_code == 200, response.text
    assert await _me(async_client, tokens) == 401
    _assert_invalid_grant(await _refresh(async_client, tokens["refresh_token"]))
    # Reactivated, the user logs in again: the old tokens stay dead.
    await async_client.patch(
        f"/users/{user.id}", json={"is_active": True}, headers=bearer(admin_token)
    )
    assert await _me(async_client, tokens) == 401


async def test_two_refreshes_of_one_token_at_once_exactly_one_succeeds(
    concurrent_client: AsyncClient,
) -> None:
    body = new_sign_up(PASSWORD)
    assert (await concurrent_client.post("/users", json=body)).status_code == 201
    tokens = await tokens_for(concurrent_client, str(body["email"]))
    answers = await asyncio.gather(
        *(_refresh(concurrent_client, tokens["refresh_token"]) for _ in range(2))
    )
    assert sorted(answer.status_code for answer in answers) == [200, 400]


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"grant_type": "refresh_token"}, "refresh_token"),
        ({"grant_type": "refresh_token", "refresh_token": ""}, "refresh_token"),
        ({"grant_type": "client_credentials"}, "grant_type"),
        ({"grant_type": "password", "username": "a@example.com"}, "password"),
    ],
)
async def test_an_incomplete_token_request_is_422(
    async_client: AsyncClient, form: dict[str, str], field: str
) -> None:
    response = await async_client.post("/token", data=form)
    assert response.status_code == 422, response.text
    assert any(field in error["loc"] for error in response.json()["detail"])


async def test_an_unknown_refresh_token_is_an_invalid_grant(async_client: AsyncClient) -> None:
    _assert_invalid_grant(await _refresh(async_client, "x" * 43))


async def test_a_login_clears_the_users_long_dead_sessions(
    async_client: AsyncClient, db_session: AsyncSession, user: User
) -> None:
    now = dt.datetime.now(dt.UTC)
    dead = [
        UserSession(user_id=user.id, expires_at=now - dt.timedelta(seconds=1)),
        UserSession(
            user_id=user.id,
            expires_at=now + dt.timedelta(days=1),
            revoked_at=now - dt.timedelta(days=2),
        ),
    ]
    recently_revoked = UserSession(
        user_id=user.id, expires_at=now + dt.timedelta(days=1), revoked_at=now
    )
    db_session.add_all([*dead, recently_revoked])
    await db_session.commit()
    await tokens_for(async_client, user.email)
    left = set(await db_session.scalars(select(UserSession.id)))
    assert not {session.id for session in dead} & left
    assert recently_revoked.id in left
    assert len(left) == 2  # that one, and the new login's


async def test_a_login_beyond_the_users_limit_of_sessions_ends_the_oldest(
    async_client: AsyncClient, db_session: AsyncSession, user: User
) -> None:
    now = dt.datetime.now(dt.UTC)
    later = now + dt.timedelta(days=1)
    live = [
        UserSession(user_id=user.id, created_at=now - dt.timedelta(hours=hours), expires_at=later)
        for hours in (3, 2, 1)  # the oldest first
    ]
    db_session.add_all(live)
    await db_session.commit()
    with settings_changed(max_sessions_per_user=3):
        tokens = await tokens_for(async_client, user.email)
    assert await _me(async_client, tokens) == 200
    ended = await db_session.scalars(
        select(UserSession.id).where(UserSession.revoked_at.is_not(None))
    )
    assert list(ended) == [live[0].id]
