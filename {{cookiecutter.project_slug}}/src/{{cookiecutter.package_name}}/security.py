"""Password hashing (Argon2id, off the event loop) and signed, expiring JWT access tokens."""

import asyncio
import datetime as dt
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TypeVar

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

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


# As many hashes at once as there are CPUs, the others wait their turn: a login storm takes no
# more memory (ARGON2_MEMORY_KIB per hash, which the allocator keeps) and no less throughput.
_HASHING = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="argon2")


T = TypeVar("T")


async def _hashing(work: Callable[..., T], *arguments: str) -> T:
    return await asyncio.get_running_loop().run_in_executor(_HASHING, work, *arguments)


async def hash_password(password: str) -> str:
    return await _hashing(_password_hash().hash, password)


async def verify_password(password: str, hashed_password: str | None) -> bool:
    """Check a password; with no hash (unknown user) spend the same time and say no."""
    if hashed_password is None:
        await _hashing(_password_hash().verify, password, _unknown_user_hash())
        return False
    return await _hashing(_password_hash().verify, password, hashed_password)


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


class _VerifiedTokens:
    """Tokens whose signature and claims were checked, until they expire: a client sends the
    same token many times, and checking it again costs more than the query that follows.

    Bounded (the least recently used go first) and keyed by the key too, so a new SECRET_KEY
    trusts nothing checked with the old one. Revocation is unaffected: the session is checked
    in the database on every request.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._claims: OrderedDict[tuple[str, str], tuple[tuple[str, str], float]] = OrderedDict()

    def get(self, key: tuple[str, str]) -> tuple[str, str] | None:
        found = self._claims.get(key)
        if found is None:
            return None
        claims, good_until = found
        if time.time() >= good_until:
            del self._claims[key]
            return None
        self._claims.move_to_end(key)
        return claims

    def put(self, key: tuple[str, str], claims: tuple[str, str], good_until: float) -> None:
        self._claims[key] = (claims, good_until)
        if len(self._claims) > self._size:
            self._claims.popitem(last=False)


_verified_tokens = _VerifiedTokens(4096)


def read_access_token(token: str, settings: Settings) -> tuple[str, str] | None:
    """The token's subject and session id, or None when it is malformed, expired or wrongly
    signed."""
    key = (settings.secret_key.get_secret_value(), token)
    verified = _verified_tokens.get(key)
    if verified is not None:
        return verified
    claims = _decode_access_token(token, key[0])
    if claims is not None:
        ids, expires = claims
        _verified_tokens.put(key, ids, expires + CLOCK_SKEW_LEEWAY.total_seconds())
        return ids
    return None


def _decode_access_token(token: str, secret_key: str) -> tuple[tuple[str, str], float] | None:
    try:
        claims = jwt.decode(
            token,
            secret_key,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["sub", "sid", "exp", "iat"]},
            leeway=CLOCK_SKEW_LEEWAY,
        )
    except jwt.InvalidTokenError:
        return None
    subject, session_id, expires = claims["sub"], claims["sid"], claims["exp"]
    if isinstance(subject, str) and isinstance(session_id, str):
        return (subject, session_id), float(expires)
    return None
