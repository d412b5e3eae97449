"""Email verification by a link in a mail: sign-up sends one, the account's owner may ask for
another (`POST /email-verification`), and following it sets the account's `email_verified_at`.

The link's token holds 256 random bits (link_tokens.py), is stored only as its SHA-256, and is
good once, for EMAIL_VERIFICATION_TOKEN_HOURS, for the address it was sent to: a newer link voids
the older ones, and a change of email voids them all. With REQUIRE_VERIFIED_EMAIL, an account
logs in only once verified (auth/routes.py).
"""

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.link_tokens import link, new_token, well_formed
from {{ cookiecutter.package_name }}.auth.models import EmailVerificationToken
from {{ cookiecutter.package_name }}.auth.sessions import token_hash
from {{ cookiecutter.package_name }}.core.settings import Settings
from {{ cookiecutter.package_name }}.mail.messages import render
from {{ cookiecutter.package_name }}.mail.outbox import queue_mail
from {{ cookiecutter.package_name }}.users.models import User

# The page of the front end that reads the token and confirms it.
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


async def void_verification_links(session: AsyncSession, user: User) -> None:
    """Delete `user`'s links (the caller commits). Without a flush first: the caller's pending
    changes (a new email, a new account) are committed, and checked, by the caller."""
    with session.no_autoflush:
        await session.execute(
            delete(EmailVerificationToken).where(EmailVerificationToken.user_id == user.id)
        )


def send_verification_link(session: AsyncSession, user: User, settings: Settings) -> None:
    """A link for `user`'s current email, its mail queued (the caller commits; an older link
    stays good unless `void_verification_links` went first)."""
    token, hashed = new_token()
    lifetime = dt.timedelta(hours=settings.email_verification_token_hours)
    session.add(
        EmailVerificationToken(
            token_hash=hashed,
            user=user,
            email=user.email,
            expires_at=dt.datetime.now(dt.UTC) + lifetime,
        )
    )
    verify = link(VERIFY_PAGE, token, settings)
    hours = str(settings.email_verification_token_hours)
    queue_mail(session, render("email_verification", user.email, link=verify, hours=hours))


async def verify_email(session: AsyncSession, token: str) -> User:
    """Spend `token`: its account's email is verified (the caller commits), or
    InvalidVerificationTokenError."""
    if not well_formed(token):
        raise InvalidVerificationTokenError(INVALID_TOKEN)
    # Locked: of two requests with one token at once, the second waits, then finds it gone.
    found = await session.execute(
        select(User)
        .join(EmailVerificationToken, EmailVerificationToken.user_id == User.id)
        .where(
            EmailVerificationToken.token_hash == token_hash(token),
            EmailVerificationToken.expires_at > func.now(),
            EmailVerificationToken.email == User.email,
            User.is_active,
        )
        .with_for_update(of=EmailVerificationToken)
    )
    user = found.scalar()
    if user is None:
        raise InvalidVerificationTokenError(INVALID_TOKEN)
    await void_verification_links(session, user)
    if user.email_verified_at is None:
        user.email_verified_at = dt.datetime.now(dt.UTC)
    return user
