"""Password hashing (Argon2id, off the event loop) and signed, expiring JWT access tokens."""

import datetime as dt
from functools import lru_cache

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from starlette.concurrency import run_in_threadpool

from {{ cookiecutter.package_name }}.settings import Settings, get_settings

# Pinned, so a token cannot choose how it is checked (e.g. "none").
JWT_ALGORITHM = "HS256"
# Replicas' clocks differ a little: a token issued "in the future" by a few seconds is still
# good, and so is one that expired that recently.
CLOCK_SKEW_LEEWAY = dt.timedelta(seconds=30)


@lru_cache
def _password_hash() -> PasswordHash:
    settings = get_settings()
    hasher = Argon2Hasher(
        memory_cost=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost, parallelism=1
    )
    return PasswordHash((hasher,))


@lru_cache
def _unknown_user_hash() -> str:
    """Checked against when no user matches, so a login takes as long either way."""
    return _password_hash().hash("no user has this password")


async def hash_password(password: str) -> str:
    return await run_in_threadpool(_password_hash().hash, password)


async def verify_password(password: str, hashed_password: str | None) -> bool:
    """Check a password; with no hash (unknown user) spend the same time and say no."""
    if hashed_password is None:
        await run_in_threadpool(_password_hash().verify, password, _unknown_user_hash())
        return False
    return await run_in_threadpool(_password_hash().verify, password, hashed_password)


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


def read_access_token(token: str, settings: Settings) -> tuple[str, str] | None:
    """The token's subject and session id, or None when it is malformed, expired or wrongly
    signed."""
    try:
        claims = jwt.decode(
            token,
            settings.secret_key.get_secret_value(),
            algorithms=[JWT_ALGORITHM],
            options={"require": ["sub", "sid", "exp", "iat"]},
            leeway=CLOCK_SKEW_LEEWAY,
        )
    except jwt.InvalidTokenError:
        return None
    subject, session_id = claims["sub"], claims["sid"]
    if isinstance(subject, str) and isinstance(session_id, str):
        return subject, session_id
    return None
