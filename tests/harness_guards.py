"""A rendered harness catches the async mistakes people make, in a test they add themselves.

    python -m tests.harness_guards PROJECT_DIR      (run by nox's `rendered` session)

A test calling `time.sleep` in the event loop is added to the project: its run fails for that
reason, saying what to do instead; with `await asyncio.sleep` in its place, the run passes.
The test file is removed afterwards.
"""

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
SAID = (
    "BlockingError: Blocking call to time.sleep in the event loop: "
    "run it in a thread (`await asyncio.to_thread(...)`), or use the async library"
)


def run_probe(project: Path, wait: str) -> subprocess.CompletedProcess[str]:
    (project / PROBE).write_text(TEST.format(wait=wait))
    command = ["uv", "run", "pytest", "-q", "-p", "no:randomly", PROBE]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)


def main(project: Path) -> None:
    try:
        blocking = run_probe(project, BLOCKING)
        said = blocking.stdout + blocking.stderr
        if blocking.returncode != 1 or SAID not in said or "1 failed" not in said:
            sys.exit(f"a test calling time.sleep: exit {blocking.returncode}:\n{said[-3000:]}")
        print("ok: a test calling time.sleep fails, saying what to do instead", flush=True)
        waiting = run_probe(project, NOT_BLOCKING)
        if waiting.returncode != 0:
            sys.exit(f"the same test with asyncio.sleep failed:\n{waiting.stdout[-3000:]}")
        print("ok: the same test with `await asyncio.sleep` passes", flush=True)
    finally:
        (project / PROBE).unlink(missing_ok=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
