"""Sessions and their refresh tokens (RFC 6749 section 6, RFC 7009; OWASP ASVS 5.0 V7).

A login starts a session. Its access tokens carry the session's id, which every request
checks in the query that loads the user; its refresh token is used once and replaced. A
refresh token presented a second time means it was copied: the whole session ends. Refresh
tokens are random, and stored only as their SHA-256.
"""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.models import RefreshToken, UserSession
from {{ cookiecutter.package_name }}.auth.tokens import create_access_token
from {{ cookiecutter.package_name }}.core.settings import Settings
from {{ cookiecutter.package_name }}.users.models import User

# How long a revoked session's refresh tokens are kept, so that one presented again is still
# recognised (and logged) as reused rather than unknown.
DEAD_SESSIONS_KEPT = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds, the access token's lifetime
    user_id: UUID


class InvalidGrantError(Exception):
    """The refresh token is unknown, used, revoked, expired or its user is gone."""

    def __init__(self, reason: str, *, session_id: UUID | None = None, reused: bool = False):
        super().__init__(reason)
        self.session_id = session_id
        self.reused = reused


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_refresh_token(session: AsyncSession, session_id: UUID) -> str:
    token = secrets.token_urlsafe(32)
    session.add(RefreshToken(token_hash=token_hash(token), session_id=session_id))
    return token


def _issued(user_id: UUID, session_id: UUID, refresh: str, settings: Settings) -> IssuedTokens:
    access = create_access_token(str(user_id), str(session_id), settings)
    return IssuedTokens(access, refresh, settings.access_token_expire_minutes * 60, user_id)


async def start_session(session: AsyncSession, user_id: UUID, settings: Settings) -> IssuedTokens:
    """A new session for `user_id` and its first tokens (the caller commits); the user's
    sessions that ended a day ago or more go, with their refresh tokens, and the oldest live
    ones beyond MAX_SESSIONS_PER_USER end (a script logging in in a loop keeps only so many)."""
    await session.execute(
        delete(UserSession).where(
            UserSession.user_id == user_id,
            or_(
                UserSession.expires_at < func.now(),
                UserSession.revoked_at < func.now() - DEAD_SESSIONS_KEPT,
            ),
        )
    )
    beyond_the_limit = (
        select(UserSession.id)
        .where(
            UserSession.user_id == user_id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > func.now(),
        )
        .order_by(UserSession.created_at.desc(), UserSession.id.desc())
        .offset(settings.max_sessions_per_user - 1)  # the new one is the last of the limit
    )
    await session.execute(
        update(UserSession)
        .where(UserSession.id.in_(beyond_the_limit))
        .values(revoked_at=func.now())
    )
    lifetime = dt.timedelta(days=settings.refresh_token_expire_days)
    user_session = UserSession(user_id=user_id, expires_at=dt.datetime.now(dt.UTC) + lifetime)
    session.add(user_session)
    await session.flush()
    return _issued(user_id, user_session.id, _new_refresh_token(session, user_session.id), settings)


async def rotate(session: AsyncSession, refresh_token: str, settings: Settings) -> IssuedTokens:
    """Spend `refresh_token` for new tokens of its session (the caller commits).

    Claimed with one conditional UPDATE, so of two refreshes at once exactly one wins; the
    other finds it used, as a thief's would, and ends the session.
    """
    hashed = token_hash(refresh_token)
    claimed = await session.scalar(
        update(RefreshToken)
        .where(RefreshToken.token_hash == hashed, RefreshToken.used_at.is_(None))
        .values(used_at=func.now())
        .returning(RefreshToken.session_id)
    )
    if claimed is None:
        used_by = await session.scalar(
            select(RefreshToken.session_id).where(RefreshToken.token_hash == hashed)
        )
        if used_by is None:
            raise InvalidGrantError("The refresh token is not valid")
        await revoke_session(session, used_by)
        raise InvalidGrantError(
            "The refresh token was already used: its session has ended",
            session_id=used_by,
            reused=True,
        )
    user_id = await session.scalar(
        select(UserSession.user_id)
        .join(User, User.id == UserSession.user_id)
        .where(
            UserSession.id == claimed,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > func.now(),
            User.is_active,
        )
    )
    if user_id is None:
        raise InvalidGrantError("The session has ended", session_id=claimed)
    return _issued(user_id, claimed, _new_refresh_token(session, claimed), settings)


async def revoke_session(session: AsyncSession, session_id: UUID) -> None:
    await session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )


async def session_user(session: AsyncSession, session_id: UUID) -> UUID | None:
    """Whose session it is (for the audit log)."""
    return await session.scalar(select(UserSession.user_id).where(UserSession.id == session_id))


async def session_of_refresh_token(session: AsyncSession, refresh_token: str) -> UUID | None:
    return await session.scalar(
        select(RefreshToken.session_id).where(RefreshToken.token_hash == token_hash(refresh_token))
    )


async def revoke_user_sessions(
    session: AsyncSession, user_id: UUID, *, keep: UUID | None = None
) -> None:
    """End every session of `user_id` (but `keep`, the caller's own, when given)."""
    others = [UserSession.id != keep] if keep is not None else []
    await session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None), *others)
        .values(revoked_at=func.now())
    )
