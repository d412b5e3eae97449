"""Password reset by a link in a mail (OWASP's Forgot Password cheat sheet; ASVS 5.0 6.4).

A request for the account's email queues a mail with a link to PUBLIC_BASE_URL/password-reset
?token=...: 256 random bits, stored only as their SHA-256, good for PASSWORD_RESET_TOKEN_MINUTES
and once; a newer link voids the older ones. Spending it sets the new password (the sign-up's
rules), ends every session of the account and clears its failed logins: the owner is back in
at once, however many failures a stranger caused.
"""

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.hashing import hash_password
from {{ cookiecutter.package_name }}.auth.link_tokens import link, new_token, well_formed
from {{ cookiecutter.package_name }}.auth.models import PasswordResetToken
from {{ cookiecutter.package_name }}.auth.passwords import password_refusal
from {{ cookiecutter.package_name }}.auth.sessions import revoke_user_sessions, token_hash
from {{ cookiecutter.package_name }}.auth.throttling import forget_login_failures
from {{ cookiecutter.package_name }}.core.settings import Settings
from {{ cookiecutter.package_name }}.mail.messages import render
from {{ cookiecutter.package_name }}.mail.outbox import queue_mail
from {{ cookiecutter.package_name }}.users.models import User

# The page of the front end that reads the token and asks for the new password.
RESET_PAGE = "/password-reset"
# One message for an unknown, used or expired token: which one it was helps no one but a guesser.
INVALID_TOKEN = "This password reset link is invalid, used or expired; ask for a new one"


class InvalidResetTokenError(Exception):
    """The token is malformed, unknown, used, expired, or its account is deactivated."""


class PasswordRefusedError(Exception):
    """The new password breaks a rule (auth/passwords.py): the rule, in words."""


async def void_reset_links(session: AsyncSession, user: User) -> None:
    """Every reset link of `user` stops working (the caller commits): a newer one goes out, or
    the password or the email changed, and a link mailed to an old address must not take the
    account back."""
    await session.execute(delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id))


async def send_reset_link(session: AsyncSession, user: User, settings: Settings) -> None:
    """A new token for `user`, the older ones void, and its mail queued (the caller commits)."""
    await void_reset_links(session, user)
    token, hashed = new_token()
    lifetime = dt.timedelta(minutes=settings.password_reset_token_minutes)
    session.add(
        PasswordResetToken(
            token_hash=hashed,
            user_id=user.id,
            expires_at=dt.datetime.now(dt.UTC) + lifetime,
        )
    )
    minutes = str(settings.password_reset_token_minutes)
    reset = link(RESET_PAGE, token, settings)
    queue_mail(session, render("password_reset", user.email, link=reset, minutes=minutes))


async def reset_password(session: AsyncSession, token: str, new_password: str) -> User:
    """Spend `token` on `new_password` (the caller commits): the account's sessions end and its
    failed logins are forgotten. InvalidResetTokenError, or PasswordRefusedError (the token
    then stays good)."""
    if not well_formed(token):
        raise InvalidResetTokenError(INVALID_TOKEN)
    # Locked: of two requests with one token at once, the second waits, then finds it gone.
    found = await session.execute(
        select(PasswordResetToken, User)
        .join(User, User.id == PasswordResetToken.user_id)
        .where(
            PasswordResetToken.token_hash == token_hash(token),
            PasswordResetToken.expires_at > func.now(),
            User.is_active,
        )
        .with_for_update(of=PasswordResetToken)
    )
    row = found.first()
    if row is None:
        raise InvalidResetTokenError(INVALID_TOKEN)
    user: User = row[1]
    problem = await password_refusal(new_password, user.email)
    if problem is not None:
        raise PasswordRefusedError(problem)
    await void_reset_links(session, user)  # spent: this token and any other of the account's
    user.hashed_password = await hash_password(new_password)
    await revoke_user_sessions(session, user.id)
    await forget_login_failures(session, user.email)
    return user
