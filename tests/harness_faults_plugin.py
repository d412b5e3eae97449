"""A pytest plugin that tests/harness_faults.py loads into a rendered project's run.

It writes the run's DATABASE_URL to $FAULT_MARK, then does what $FAULT says: `sleep` (in the
first test: for Ctrl-C to find it there) or `crash` (the first test's worker dies).
"""

import os
import time
from pathlib import Path

import pytest


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the run's first process
        Path(os.environ["FAULT_MARK"]).write_text(os.environ.get("DATABASE_URL", ""))


def pytest_runtest_call(item: pytest.Item) -> None:
    fault = os.environ.get("FAULT")
    if fault is None:
        return
    try:  # only the first test, of whichever worker runs it first
        os.close(os.open(f"{os.environ['FAULT_MARK']}.{fault}-done", os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return
    if fault == "sleep":
        Path(f"{os.environ['FAULT_MARK']}.sleeping").touch()
        time.sleep(120)
    elif fault == "crash":
        os._exit(1)
