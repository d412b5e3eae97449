"""Signed, expiring JWT access tokens, each bound to a login session."""

import datetime as dt
import time
from functools import lru_cache
from uuid import UUID

import jwt

from {{ cookiecutter.package_name }}.core.settings import Settings

# Pinned, so a token cannot choose how it is checked (e.g. "none").
JWT_ALGORITHM = "HS256"
# Replicas' clocks differ a little: a token issued "in the future" by a few seconds is still
# good, and so is one that expired that recently.
CLOCK_SKEW_LEEWAY = dt.timedelta(seconds=30)


def create_access_token(subject: str, session_id: str, settings: Settings) -> str:
    """A short-lived token for `subject`, bound to its session (`sid`), checked on every use."""
    now = dt.datetime.now(dt.UTC)
    claims = {
        "sub": subject,
        "sid": session_id,
        "iat": now,
        "exp": now + dt.timedelta(minutes=settings.access_token_expire_minutes),
    }
    return jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=JWT_ALGORITHM)


def read_access_token(token: str, settings: Settings) -> tuple[UUID, UUID] | None:
    """The token's user id and session id, or None when it is malformed, expired or wrongly
    signed."""
    verified = _verified(token, settings.secret_key.get_secret_value())
    if verified is None:
        return None
    user_id, session_id, expires_at = verified
    if time.time() >= expires_at + CLOCK_SKEW_LEEWAY.total_seconds():
        return None
    return user_id, session_id


def access_token_session(token: str, settings: Settings) -> UUID | None:
    """The session of an access token signed with our key, even one that has expired: what
    logging out with it ends (its refresh token may still be good). None for any other token."""
    try:
        claims = jwt.decode(
            token,
            settings.secret_key.get_secret_value(),
            algorithms=[JWT_ALGORITHM],
            options={"require": ["sub", "sid", "exp", "iat"], "verify_exp": False},
        )
        return UUID(claims["sid"])
    except (jwt.InvalidTokenError, ValueError, TypeError, AttributeError):
        return None


# A client sends the same token with every request, and checking its signature again costs
# about a tenth of a short GET: a verified token is remembered (keyed by the key too, so a new
# SECRET_KEY trusts nothing checked with the old one), its expiry still checked at each use.
# Revocation is unaffected: the login session is checked in the database on every request.
@lru_cache(maxsize=4096)
def _verified(token: str, secret_key: str) -> tuple[UUID, UUID, float] | None:
    try:
        claims = jwt.decode(
            token,
            secret_key,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["sub", "sid", "exp", "iat"]},
            leeway=CLOCK_SKEW_LEEWAY,
        )
        return UUID(claims["sub"]), UUID(claims["sid"]), float(claims["exp"])
    except (jwt.InvalidTokenError, ValueError, TypeError, AttributeError):
        return None
