"""Email verification by a link in a mail: sign-up sends one, the account's owner may ask for
another (`POST /email-verification`), and following it sets the account's `email_verified_at`.

A change of one's own email is verified the same way, before it happens: the new address waits
in `pending_email`, a link goes to it, and only following that link makes it the account's email
(verified, every session ended, a notice sent to the old address).

The link's token holds 256 random bits (link_tokens.py), is stored only as its SHA-256, and is
good once, for EMAIL_VERIFICATION_TOKEN_HOURS, for the address it was sent to: a newer link voids
the older ones, and a change of email voids them all. With REQUIRE_VERIFIED_EMAIL, an account
logs in only once verified (auth/routes.py).
"""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.link_tokens import link, new_token, well_formed
from {{ cookiecutter.package_name }}.auth.models import EmailVerificationToken
from {{ cookiecutter.package_name }}.auth.password_reset import void_reset_links
from {{ cookiecutter.package_name }}.auth.sessions import revoke_user_sessions, token_hash
from {{ cookiecutter.package_name }}.core.settings import Settings
from {{ cookiecutter.package_name }}.mail.messages import render
from {{ cookiecutter.package_name }}.mail.outbox import queue_mail
from {{ cookiecutter.package_name }}.users.models import User

# The page of the front end that reads the token and confirms it (for a change too).
VERIFY_PAGE = "/verify-email"
# One message for an unknown, used or expired token, as for password resets.
INVALID_TOKEN = "This verification link is invalid, used or expired; ask for a new one"
# Requests for links are counted under this name (throttling.py's count_mail_request).
KIND = "email verification"


class InvalidVerificationTokenError(Exception):
    """The token is malformed, unknown, used, expired, for an address the account no longer
    has, or its account is deactivated."""


def request_limits(settings: Settings) -> tuple[int, int]:
    return (
        settings.email_verification_max_per_account_per_hour,
        settings.email_verification_max_per_address_per_hour,
    )


async def void_verification_links(
    session: AsyncSession, user: User, *, to: str | None = None
) -> None:
    """Delete `user`'s links sent `to` an address, or all of them (the caller commits). Without
    a flush first: the caller's pending changes (a new email, a new account) are committed, and
    checked, by the caller."""
    of_user = EmailVerificationToken.user_id == user.id
    sent_to = [EmailVerificationToken.email == to] if to is not None else []
    with session.no_autoflush:
        await session.execute(delete(EmailVerificationToken).where(of_user, *sent_to))


def send_verification_link(session: AsyncSession, user: User, settings: Settings) -> None:
    """A link for `user`'s current email, its mail queued (the caller commits; an older link
    stays good unless `void_verification_links` went first)."""
    _send_link(session, user, user.email, "email_verification", settings)


async def ask_to_change_email(
    session: AsyncSession, user: User, new_email: str, settings: Settings
) -> None:
    """Make `new_email` the account's pending email and mail it a link (the caller commits):
    the email changes only when the link is followed. A link for an earlier pending email
    stops working."""
    await _void_change_links(session, user)
    user.pending_email = new_email
    _send_link(session, user, new_email, "email_change", settings)


async def cancel_email_change(session: AsyncSession, user: User) -> None:
    """Forget `user`'s pending email; its link stops working (the caller commits)."""
    await _void_change_links(session, user)
    user.pending_email = None


async def _void_change_links(session: AsyncSession, user: User) -> None:
    # Every link for another address than the current one is a change's.
    with session.no_autoflush:
        await session.execute(
            delete(EmailVerificationToken).where(
                EmailVerificationToken.user_id == user.id,
                EmailVerificationToken.email != user.email,
            )
        )


def _send_link(session: AsyncSession, user: User, to: str, mail: str, settings: Settings) -> None:
    token, hashed = new_token()
    lifetime = dt.timedelta(hours=settings.email_verification_token_hours)
    session.add(
        EmailVerificationToken(
            token_hash=hashed,
            user=user,
            email=to,
            expires_at=dt.datetime.now(dt.UTC) + lifetime,
        )
    )
    verify = link(VERIFY_PAGE, token, settings)
    hours = str(settings.email_verification_token_hours)
    queue_mail(session, render(mail, to, link=verify, hours=hours))


@dataclass(frozen=True, slots=True)
class Verified:
    """Whose email a link verified, and the email it replaced when it confirmed a change."""

    user: User
    replaced: str | None


async def verify_email(session: AsyncSession, token: str) -> Verified:
    """Spend `token` (the caller commits): its account's email is verified, or its pending
    email becomes its email; else InvalidVerificationTokenError."""
    if not well_formed(token):
        raise InvalidVerificationTokenError(INVALID_TOKEN)
    # Locked: of two requests with one token at once, the second waits, then finds it gone.
    found = await session.execute(
        select(User, EmailVerificationToken.email)
        .join(EmailVerificationToken, EmailVerificationToken.user_id == User.id)
        .where(
            EmailVerificationToken.token_hash == token_hash(token),
            EmailVerificationToken.expires_at > func.now(),
            or_(
                EmailVerificationToken.email == User.email,
                EmailVerificationToken.email == User.pending_email,
            ),
            User.is_active,
        )
        .with_for_update(of=EmailVerificationToken)
    )
    row = found.first()
    if row is None:
        raise InvalidVerificationTokenError(INVALID_TOKEN)
    user, address = row
    if address == user.email:
        # A pending change's link stays good.
        await void_verification_links(session, user, to=address)
        if user.email_verified_at is None:
            user.email_verified_at = dt.datetime.now(dt.UTC)
        return Verified(user, replaced=None)
    # A change: whoever held the old address, or a session, must not keep the account.
    await void_verification_links(session, user)
    await void_reset_links(session, user)
    replaced, user.email, user.pending_email = user.email, address, None
    user.email_verified_at = dt.datetime.now(dt.UTC)
    await revoke_user_sessions(session, user.id)
    queue_mail(session, render("email_changed", replaced, new_email=address))
    return Verified(user, replaced)
