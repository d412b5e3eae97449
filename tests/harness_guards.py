"""A rendered harness catches the async mistakes people make, in a test they add themselves,
and serves that test as well when it runs alone.

    python -m tests.harness_guards PROJECT_DIR      (run by nox's `rendered` session)

A test calling `time.sleep` in the event loop is added to the project: its run fails for that
reason, saying what to do instead; with `await asyncio.sleep` in its place, the run passes.
A test that never ends fails once its timeout (pytest-timeout) passes; the run goes on.
A test that takes only the engine (`initialize_database`, as one serving the app in a process
of its own does) and reads a table, run alone, finds the tables. The test file is removed
afterwards.
"""

import json
import subprocess
import sys
from pathlib import Path

PROBE = "tests/test_added_by_harness_guards.py"
TEST = """import asyncio
import time


async def test_waits_a_little() -> None:
    {wait}
"""
BLOCKING = "time.sleep(0.01)  # noqa: ASYNC251"
NOT_BLOCKING = "await asyncio.sleep(0.01)"
HANGING = "await asyncio.Event().wait()"
SAID = (
    "BlockingError: Blocking call to time.sleep in the event loop: "
    "run it in a thread (`await asyncio.to_thread(...)`), or use the async library"
)


# No fixture that cleans the database (setup_database, db_session, async_client...): the tables
# must still be there.
ENGINE_ONLY_TEST = """from sqlalchemy import func, select

from {package}.database.engine import AsyncDatabase
from {package}.users.models import User


async def test_reads_the_users_table(initialize_database: AsyncDatabase) -> None:
    async with initialize_database.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(User)) == 0
"""


def run_probe(project: Path, test: str, *options: str) -> subprocess.CompletedProcess[str]:
    (project / PROBE).write_text(test)
    command = ["uv", "run", "pytest", "-q", "-p", "no:randomly", *options, PROBE]
    return subprocess.run(
        command, cwd=project, capture_output=True, text=True, check=False, timeout=120
    )


def main(project: Path) -> None:
    try:
        blocking = run_probe(project, TEST.format(wait=BLOCKING))
        said = blocking.stdout + blocking.stderr
        if blocking.returncode != 1 or SAID not in said or "1 failed" not in said:
            sys.exit(f"a test calling time.sleep: exit {blocking.returncode}:\n{said[-3000:]}")
        print("ok: a test calling time.sleep fails, saying what to do instead", flush=True)
        waiting = run_probe(project, TEST.format(wait=NOT_BLOCKING))
        if waiting.returncode != 0:
            sys.exit(f"the same test with asyncio.sleep failed:\n{waiting.stdout[-3000:]}")
        print("ok: the same test with `await asyncio.sleep` passes", flush=True)
        hanging = run_probe(project, TEST.format(wait=HANGING), "--timeout", "2")
        said = hanging.stdout + hanging.stderr
        if hanging.returncode != 1 or "Timeout (>2.0s)" not in said or "1 failed" not in said:
            sys.exit(
                f"a test that never ends, --timeout 2: exit {hanging.returncode}:\n{said[-3000:]}"
            )
        print("ok: a test that never ends fails after its timeout", flush=True)
        answers = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
        alone = run_probe(project, ENGINE_ONLY_TEST.format(package=answers["package_name"]))
        if alone.returncode != 0:
            sys.exit(f"a test taking only the engine, run alone:\n{alone.stdout[-3000:]}")
        print("ok: a test taking only the engine, run alone, finds the tables", flush=True)
    finally:
        (project / PROBE).unlink(missing_ok=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
