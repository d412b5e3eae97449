"""The bench's isolation workload, copied into a render as tests/test_bench_workload.py (its
package in BENCH_PACKAGE): each test inserts and reads one row, and the count proves that every
test starts clean."""

import importlib
import os
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import new_user_values

TESTS = int(os.environ.get("BENCH_WORKLOAD_TESTS", "200"))
FIFTY_REPEATS = int(os.environ.get("BENCH_FIFTY_REPEATS", "20"))
PACKAGE = os.environ.get("BENCH_PACKAGE", "")
User: Any = importlib.import_module(f"{PACKAGE}.models").User
DEFAULT_ROLE: Any = importlib.import_module(f"{PACKAGE}.users.roles").DEFAULT_ROLE


@pytest.mark.parametrize("n", range(TESTS))
async def test_insert_and_read(db_session: AsyncSession, password_hash: str, n: int) -> None:
    db_session.add(User(**new_user_values(DEFAULT_ROLE, password_hash)))
    await db_session.commit()
    assert await db_session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize("n", range(FIFTY_REPEATS))
async def test_session_only(db_session: AsyncSession, password_hash: str, n: int) -> None:
    assert db_session.is_active


@pytest.mark.parametrize("n", range(FIFTY_REPEATS))
async def test_fifty_users(users_with_same_role_50_users: list[Any], n: int) -> None:
    assert len(users_with_same_role_50_users) == 50
