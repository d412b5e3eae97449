"""A rendered harness catches the async mistakes people make, in a test they add themselves,
and serves that test as well when it runs alone.

    python -m tests.harness_guards PROJECT_DIR      (run by nox's `rendered` session)

A test calling `time.sleep` in the event loop is added to the project: its run fails for that
reason, saying what to do instead; with `await asyncio.sleep` in its place, the run passes.
A test that never ends fails once its timeout (pytest-timeout) passes, and the run goes on.
A test that takes only the engine (`initialize_database`, as one serving the app in a process
of its own does) and reads a table, run without the other tests, finds the tables. The test
file is removed afterwards.
"""

import json
import subprocess
import sys
from pathlib import Path

PROBE = "tests/test_added_by_harness_guards.py"
# Two runs of an added test file: the mistakes, which fail, then the same tests done right.
# The hanging test comes second: the first test's time includes the session's set-up.
MISTAKES = """import asyncio
import time

import pytest


async def test_waits_a_little() -> None:
    time.sleep(0.01)  # noqa: ASYNC251


@pytest.mark.timeout(2)
async def test_waits_for_ever() -> None:
    await asyncio.Event().wait()
"""
SAID = (
    "BlockingError: Blocking call to time.sleep in the event loop: "
    "run it in a thread (`await asyncio.to_thread(...)`), or use the async library"
)
TIMED_OUT = "Failed: Timeout (>2.0s) from pytest-timeout"
# The second test takes no fixture that cleans the database (setup_database, db_session,
# async_client...): the tables must still be there.
DONE_RIGHT = """import asyncio

from sqlalchemy import func, select

from {package}.database.engine import AsyncDatabase
from {package}.users.models import User


async def test_waits_a_little() -> None:
    await asyncio.sleep(0.01)


async def test_reads_the_users_table(initialize_database: AsyncDatabase) -> None:
    async with initialize_database.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(User)) == 0
"""


def run_probe(project: Path, test: str, status: int) -> str:
    """pytest's output on the test file `test`, run on its own; exit unless its status is
    `status`."""
    (project / PROBE).write_text(test)
    command = ["uv", "run", "pytest", "-q", "-p", "no:randomly", PROBE]
    run = subprocess.run(
        command, cwd=project, capture_output=True, text=True, check=False, timeout=120
    )
    said = run.stdout + run.stderr
    if run.returncode != status:
        sys.exit(f"`{' '.join(command)}`: exit {run.returncode}:\n{said[-3000:]}")
    return said


def main(project: Path) -> None:
    try:
        said = run_probe(project, MISTAKES, 1)
        if SAID not in said or TIMED_OUT not in said or "2 failed" not in said:
            sys.exit(f"the added mistakes did not fail for their reasons:\n{said[-3000:]}")
        print("ok: a test calling time.sleep fails, saying what to do instead", flush=True)
        print("ok: a test that never ends fails at its timeout, and the run goes on", flush=True)
        answers = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
        run_probe(project, DONE_RIGHT.format(package=answers["package_name"]), 0)
        print("ok: the same wait with `await asyncio.sleep` passes", flush=True)
        print("ok: a test taking only the engine, run alone, finds the tables", flush=True)
    finally:
        (project / PROBE).unlink(missing_ok=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
