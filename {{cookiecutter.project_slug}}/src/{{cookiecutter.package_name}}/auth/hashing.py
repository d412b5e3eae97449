"""Password hashing: Argon2id, in a thread pool of its own so the event loop never waits."""

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TypeVar

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from {{ cookiecutter.package_name }}.core.settings import get_settings


@lru_cache
def password_hasher() -> PasswordHash:
    """Argon2id at the settings' cost (the test harness swaps in a cheaper one)."""
    settings = get_settings()
    hasher = Argon2Hasher(
        memory_cost=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost, parallelism=1
    )
    return PasswordHash((hasher,))


@lru_cache
def _unknown_user_hash() -> str:
    """Checked against when no user matches, so a login takes as long either way."""
    return password_hasher().hash("no user has this password")


# As many hashes at once as there are CPUs, the others wait their turn: a login storm takes no
# more memory (ARGON2_MEMORY_KIB per hash, which the allocator keeps) and no less throughput.
_HASHING = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="argon2")


T = TypeVar("T")


async def _hashing(work: Callable[..., T], *arguments: str) -> T:
    return await asyncio.get_running_loop().run_in_executor(_HASHING, work, *arguments)


async def hash_password(password: str) -> str:
    return await _hashing(password_hasher().hash, password)


def _verify_for_unknown_user(password: str) -> bool:
    # In the pool too: the first call computes _unknown_user_hash(), a whole Argon2 hash.
    return password_hasher().verify(password, _unknown_user_hash())


async def verify_password(password: str, hashed_password: str | None) -> bool:
    """Check a password; with no hash (unknown user) spend the same time and say no."""
    if hashed_password is None:
        await _hashing(_verify_for_unknown_user, password)
        return False
    return await _hashing(password_hasher().verify, password, hashed_password)
