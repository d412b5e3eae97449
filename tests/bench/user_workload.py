"""The bench's held-out workload: tests that each take `user` (copied into a render as a test
module next to harness_conftest.py; BENCH_USER_TESTS of them)."""

import os
from typing import Any

import pytest

TESTS = int(os.environ.get("BENCH_USER_TESTS", "150"))


@pytest.mark.parametrize("n", range(TESTS))
async def test_takes_user(user: Any, n: int) -> None:
    assert user.email
    assert user.role is not None
