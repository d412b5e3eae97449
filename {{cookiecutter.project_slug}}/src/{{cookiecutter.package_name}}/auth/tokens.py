"""Signed, expiring JWT access tokens, each bound to a login session."""

import datetime as dt
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
    try:
        claims = jwt.decode(
            token,
            settings.secret_key.get_secret_value(),
            algorithms=[JWT_ALGORITHM],
            options={"require": ["sub", "sid", "exp", "iat"]},
            leeway=CLOCK_SKEW_LEEWAY,
        )
        return UUID(claims["sub"]), UUID(claims["sid"])
    except (jwt.InvalidTokenError, ValueError, TypeError, AttributeError):
        return None
