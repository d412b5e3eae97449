"""Email verification against a real SMTP server: sign-up mails a link that verifies the email
once; the owner may ask for a new one (throttled); REQUIRE_VERIFIED_EMAIL refuses unverified
logins with a fresh link; an admin may mark an email verified. A change of email:
test_email_change.py."""

from httpx import AsyncClient

from {{ cookiecutter.package_name }}.auth.email_verification import INVALID_TOKEN
from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.roles import ADMIN_ROLE

from tests.auth.mailed_links import confirm_email, mailed_tokens
from tests.factories import new_sign_up
from tests.helpers import PASSWORD, access_token, bearer, settings_changed
from tests.isolation import CleanDatabase
from tests.mailbox import Mailbox


async def _me(client: AsyncClient, token: str) -> dict[str, object]:
    response = await client.get("/users/me", headers=bearer(token))
    assert response.status_code == 200, response.text
    me: dict[str, object] = response.json()
    return me


async def test_a_sign_up_mails_a_link_that_verifies_the_email_once(
    async_client: AsyncClient, setup_database: CleanDatabase, mailbox: Mailbox
) -> None:
    body = new_sign_up(PASSWORD)
    created = await async_client.post("/users", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["email_verified_at"] is None
    (token,) = await mailed_tokens(setup_database, mailbox, "verify-email")
    assert mailbox.messages[0]["To"] == body["email"]
    # Opening the link's page (as a mail scanner would) spends nothing: only its button does.
    assert (await async_client.get("/verify-email", params={"token": token})).status_code == 200
    assert (await confirm_email(async_client, token)).status_code == 204
    signed_in = await access_token(async_client, body["email"])
    assert (await _me(async_client, signed_in))["email_verified_at"]
    used = await confirm_email(async_client, token)
    assert used.status_code == 400
    assert used.json()["detail"] == INVALID_TOKEN
    for malformed in ("", "x", "A" * 43, "é" * 43):
        assert (await confirm_email(async_client, malformed)).json()["detail"] == INVALID_TOKEN


async def test_a_new_link_voids_the_older_and_requests_are_throttled(
    async_client: AsyncClient,
    setup_database: CleanDatabase,
    mailbox: Mailbox,
    user: User,
    token: str,
) -> None:
    limit = get_settings().email_verification_max_per_account_per_hour
    for _ in range(limit):
        asked = await async_client.post("/email-verification", headers=bearer(token))
        assert asked.status_code == 202, asked.text
    throttled = await async_client.post("/email-verification", headers=bearer(token))
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"]
    tokens = await mailed_tokens(setup_database, mailbox, "verify-email")
    assert len(tokens) == limit
    assert (await confirm_email(async_client, tokens[0])).status_code == 400
    assert (await confirm_email(async_client, tokens[-1])).status_code == 204
    again = await async_client.post("/email-verification", headers=bearer(token))
    assert again.status_code == 409


async def test_required_verification_refuses_unverified_logins_with_a_fresh_link(
    async_client: AsyncClient, setup_database: CleanDatabase, mailbox: Mailbox, user: User
) -> None:
    login = {"username": user.email, "password": PASSWORD}
    with settings_changed(require_verified_email=True):
        refused = await async_client.post("/token", data=login)
        assert refused.status_code == 403
        assert "not verified" in refused.json()["detail"]
        assert "access_token" not in refused.json()
        (token,) = await mailed_tokens(setup_database, mailbox, "verify-email")
        assert mailbox.messages[0]["To"] == user.email
        assert (await confirm_email(async_client, token)).status_code == 204
        assert (await async_client.post("/token", data=login)).status_code == 200


async def test_an_admin_marks_an_email_verified_and_others_may_not(
    async_client: AsyncClient, user: User, admin: User, token: str, admin_token: str
) -> None:
    mark = {"email_verified": True}
    if user.role != ADMIN_ROLE:
        own = await async_client.patch(f"/users/{user.id}", json=mark, headers=bearer(token))
        assert own.status_code == 403
    marked = await async_client.patch(f"/users/{user.id}", json=mark, headers=bearer(admin_token))
    assert marked.status_code == 200, marked.text
    assert marked.json()["email_verified_at"] is not None
    unmarked = await async_client.patch(
        f"/users/{user.id}", json={"email_verified": False}, headers=bearer(admin_token)
    )
    assert unmarked.json()["email_verified_at"] is None
