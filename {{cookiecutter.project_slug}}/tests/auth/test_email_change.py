"""A change of one's own email, against a real SMTP server: it needs the current password, waits
in `pending_email` until the link mailed to the new address is followed, then ends every session
and tells the old address. An admin's change of another's email is made at once."""

from httpx import AsyncClient, Response

from {{ cookiecutter.package_name }}.users.models import User

from tests.auth.mailed_links import confirm_email, mailed_tokens
from tests.factories import new_sign_up
from tests.helpers import PASSWORD, access_token, bearer, log_in, settings_changed
from tests.isolation import CleanDatabase
from tests.mailbox import Mailbox, parts

NEW_EMAIL = "moved.elsewhere@example.com"


async def _change_email(client: AsyncClient, user: User, token: str, email: str) -> Response:
    change = {"email": email, "current_password": PASSWORD}
    return await client.patch(f"/users/{user.id}", json=change, headers=bearer(token))


async def test_a_new_email_replaces_the_old_only_through_its_link(
    async_client: AsyncClient,
    setup_database: CleanDatabase,
    mailbox: Mailbox,
    user: User,
    token: str,
) -> None:
    old_email = user.email
    asked = await _change_email(async_client, user, token, NEW_EMAIL)
    assert asked.status_code == 200, asked.text
    assert (asked.json()["email"], asked.json()["pending_email"]) == (old_email, NEW_EMAIL)
    (link,) = await mailed_tokens(setup_database, mailbox, "verify-email")
    assert mailbox.messages[0]["To"] == NEW_EMAIL
    # Until the link is followed, the account is the old address's.
    assert (await log_in(async_client, NEW_EMAIL)).status_code == 401
    assert (await log_in(async_client, old_email)).status_code == 200

    assert (await confirm_email(async_client, link)).status_code == 204
    assert (await async_client.get("/users/me", headers=bearer(token))).status_code == 401
    assert (await log_in(async_client, old_email)).status_code == 401
    moved_in = await access_token(async_client, NEW_EMAIL)
    me = (await async_client.get("/users/me", headers=bearer(moved_in))).json()
    assert (me["email"], me["pending_email"]) == (NEW_EMAIL, None)
    assert me["email_verified_at"] is not None
    await mailed_tokens(setup_database, mailbox, "verify-email")
    notice = mailbox.messages[-1]
    assert notice["To"] == old_email
    assert NEW_EMAIL in parts(notice)[0]
    assert (await confirm_email(async_client, link)).status_code == 400


async def test_a_newer_change_voids_the_older_link_and_a_taken_email_is_refused(
    async_client: AsyncClient,
    setup_database: CleanDatabase,
    mailbox: Mailbox,
    user: User,
    admin: User,
    token: str,
) -> None:
    taken = await _change_email(async_client, user, token, admin.email)
    assert taken.status_code == 409
    assert taken.json()["detail"] == "A user with this email already exists"
    assert (await _change_email(async_client, user, token, "first@example.com")).status_code == 200
    assert (await _change_email(async_client, user, token, NEW_EMAIL)).status_code == 200
    first, second = await mailed_tokens(setup_database, mailbox, "verify-email")
    assert (await confirm_email(async_client, first)).status_code == 400
    assert (await confirm_email(async_client, second)).status_code == 204
    assert (await log_in(async_client, NEW_EMAIL)).status_code == 200


async def test_sending_the_current_email_cancels_a_pending_change(
    async_client: AsyncClient,
    setup_database: CleanDatabase,
    mailbox: Mailbox,
    user: User,
    token: str,
) -> None:
    assert (await _change_email(async_client, user, token, NEW_EMAIL)).status_code == 200
    other = await async_client.patch(f"/users/{user.id}", json={}, headers=bearer(token))
    assert other.json()["pending_email"] == NEW_EMAIL, "a change of nothing keeps it"
    cancelled = await _change_email(async_client, user, token, user.email)
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["email"], cancelled.json()["pending_email"]) == (user.email, None)
    (link,) = await mailed_tokens(setup_database, mailbox, "verify-email")
    assert (await confirm_email(async_client, link)).status_code == 400
    assert (await log_in(async_client, user.email)).status_code == 200


async def test_verifying_the_current_email_keeps_the_pending_change(
    async_client: AsyncClient,
    setup_database: CleanDatabase,
    mailbox: Mailbox,
    user: User,
    token: str,
) -> None:
    assert (await _change_email(async_client, user, token, NEW_EMAIL)).status_code == 200
    asked = await async_client.post("/email-verification", headers=bearer(token))
    assert asked.status_code == 202
    change, verification = await mailed_tokens(setup_database, mailbox, "verify-email")
    assert (await confirm_email(async_client, verification)).status_code == 204
    assert (await confirm_email(async_client, change)).status_code == 204
    assert (await log_in(async_client, NEW_EMAIL)).status_code == 200


async def test_an_email_taken_before_its_link_is_followed_gets_409(
    async_client: AsyncClient,
    setup_database: CleanDatabase,
    mailbox: Mailbox,
    user: User,
    token: str,
) -> None:
    assert (await _change_email(async_client, user, token, NEW_EMAIL)).status_code == 200
    (link,) = await mailed_tokens(setup_database, mailbox, "verify-email")
    body = {**new_sign_up(PASSWORD), "email": NEW_EMAIL}
    signed_up = await async_client.post("/users", json=body)
    assert signed_up.status_code == 201, signed_up.text
    refused = await confirm_email(async_client, link)
    assert refused.status_code == 409, refused.text
    assert (await log_in(async_client, user.email)).status_code == 200


async def test_change_requests_are_throttled_like_verification_mails(
    async_client: AsyncClient, user: User, token: str
) -> None:
    with settings_changed(email_verification_max_per_account_per_hour=1):
        assert (await _change_email(async_client, user, token, NEW_EMAIL)).status_code == 200
        throttled = await _change_email(async_client, user, token, "another@example.com")
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"]


async def test_an_admins_change_is_made_at_once_unverified_and_the_old_address_told(
    async_client: AsyncClient,
    setup_database: CleanDatabase,
    mailbox: Mailbox,
    user: User,
    token: str,
    admin_token: str,
) -> None:
    old_email = user.email
    mark = {"email_verified": True}
    await async_client.patch(f"/users/{user.id}", json=mark, headers=bearer(admin_token))
    moved = await async_client.patch(
        f"/users/{user.id}", json={"email": NEW_EMAIL}, headers=bearer(admin_token)
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["email"], moved.json()["email_verified_at"]) == (NEW_EMAIL, None)
    assert (await async_client.get("/users/me", headers=bearer(token))).status_code == 401
    (link,) = await mailed_tokens(setup_database, mailbox, "verify-email")
    assert {mail["To"] for mail in mailbox.messages} == {old_email, NEW_EMAIL}
    assert (await confirm_email(async_client, link)).status_code == 204
