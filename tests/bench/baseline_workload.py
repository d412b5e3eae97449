"""As many tests as the isolation workload with no database fixture at all: what pytest itself
costs (copied into a render's bench_baseline/, outside its tests/ and their conftest)."""

import os

import pytest

TESTS = int(os.environ.get("BENCH_WORKLOAD_TESTS", "200"))


@pytest.mark.parametrize("n", range(TESTS))
async def test_nothing(n: int) -> None:
    assert n >= 0
