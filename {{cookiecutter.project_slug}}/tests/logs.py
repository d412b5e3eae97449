"""Log records as the service writes them: one JSON object per line (observability/logs.py)."""

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from {{ cookiecutter.package_name }}.observability.logs import formatter

AUDIT_LOGGER = "{{ cookiecutter.package_name }}.audit"
JSON_LINES = formatter("json")


def line_of(record: logging.LogRecord) -> str:
    return JSON_LINES.format(record)


def logged(caplog: pytest.LogCaptureFixture, logger: str | None = None) -> list[dict[str, Any]]:
    """What each captured record's line holds (of `logger`'s records only, if given)."""
    return [
        json.loads(line_of(record))
        for record in caplog.records
        if logger is None or record.name == logger
    ]


def audit_events(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The captured audit lines' fields: event, outcome, user_id, address, ..."""
    return [line["audit"] for line in logged(caplog, AUDIT_LOGGER)]


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JSON_LINES)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Formatted now, as the service's handler would: the request's id is the one bound now.
        self.lines.append(self.format(record))


@contextmanager
def lines_written(level: int = logging.INFO) -> Iterator[list[str]]:
    """Every log line written in the block (at `level` and above), as the service writes it."""
    root = logging.getLogger()
    handler = _Lines()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


@contextmanager
def logging_as_it_was() -> Iterator[None]:
    """Logging put back as it was after the block, for a command run in this process: its
    set-up (`cli.main`) is for the whole process, with a handler on the stderr pytest captures,
    which later tests would share and which is closed by the time a last line is logged."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        for handler in set(root.handlers) - set(handlers):
            handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)
