"""Synthetic tests written into a rendered project, and the per-test figures taken from them."""

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

WORKLOAD_TESTS = 200
FIFTY_REPEATS = 20

# Each test inserts and reads one row; the count proves that every test starts clean.
DATABASE_WORKLOAD = """
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from {package}.models import User
from {package}.roles import DEFAULT_ROLE

from tests.factories import new_user_values


@pytest.mark.parametrize("n", range({tests}))
async def test_insert_and_read(db_session: AsyncSession, password_hash: str, n: int) -> None:
    db_session.add(User(**new_user_values(DEFAULT_ROLE, password_hash)))
    await db_session.commit()
    assert await db_session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize("n", range({fifty}))
async def test_session_only(db_session: AsyncSession, password_hash: str, n: int) -> None:
    assert db_session.is_active


@pytest.mark.parametrize("n", range({fifty}))
async def test_fifty_users(users_with_same_role_50_users: list[User], n: int) -> None:
    assert len(users_with_same_role_50_users) == 50
"""

# The same number of tests with no database fixture at all: what pytest itself costs.
BASELINE_WORKLOAD = """
import pytest


@pytest.mark.parametrize("n", range({tests}))
async def test_nothing(n: int) -> None:
    assert n >= 0
"""


def write_workloads(project: Path, package: str) -> tuple[Path, Path]:
    database = project / "tests" / "test_bench_workload.py"
    database.write_text(
        DATABASE_WORKLOAD.format(package=package, tests=WORKLOAD_TESTS, fifty=FIFTY_REPEATS)
    )
    baseline_dir = project / "bench_baseline"
    baseline_dir.mkdir(exist_ok=True)
    baseline = baseline_dir / "test_baseline.py"
    baseline.write_text(BASELINE_WORKLOAD.format(tests=WORKLOAD_TESTS))
    return database, baseline


def run_timed(
    project: Path, targets: tuple[Path, ...], env: dict[str, str]
) -> dict[str, dict[str, float]]:
    """Run pytest on `targets`; return {nodeid: {setup, call, teardown}} in seconds."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = out.name
    plugin_dir = str(Path(__file__).parent)
    run_env = {
        **os.environ,
        **env,
        "BENCH_TIMINGS": path,
        "PYTHONPATH": os.pathsep.join([plugin_dir, os.environ.get("PYTHONPATH", "")]),
    }
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "timings_plugin",
        "-p",
        "no:cacheprovider",
    ]
    subprocess.run(
        [*command, *map(str, targets)],
        cwd=project,
        env=run_env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    timings: dict[str, dict[str, float]] = json.loads(Path(path).read_text())
    os.unlink(path)
    return timings


def median_ms(timings: dict[str, dict[str, float]], name: str, phases: tuple[str, ...]) -> float:
    """Median over the tests called `name` of the summed phases, in milliseconds."""
    totals = [
        sum(phases_of.get(phase, 0.0) for phase in phases)
        for nodeid, phases_of in timings.items()
        if f"::{name}[" in nodeid
    ]
    # The first test of a run pays one-off costs (schema, first hash): leave it out.
    return statistics.median(totals[1:]) * 1000
