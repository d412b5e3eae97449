"""A pytest plugin that tests/harness_faults.py loads into a rendered project's run.

It writes the run's DATABASE_URL to $FAULT_MARK, then does what $FAULT says: `sleep` (in the
first test: for Ctrl-C to find it there) or `crash` (the first test's worker dies). On
SIGUSR1, each of the run's processes prints its threads' stacks (for a run that hangs).
"""

import faulthandler
import os
import signal
import sys
import time
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    assert sys.__stderr__ is not None
    faulthandler.register(signal.SIGUSR1, file=sys.__stderr__, all_threads=True)


def _write_mark(config: pytest.Config) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if url and not hasattr(config, "workerinput"):  # the run's first process
        Path(os.environ["FAULT_MARK"]).write_text(url)


# The harness sets DATABASE_URL as xdist's controller starts, or, in a serial run, once the
# tests are collected (its embedded server starts meanwhile): after it, either way.
@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _write_mark(session.config)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    _write_mark(session.config)


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
