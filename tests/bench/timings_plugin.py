"""A pytest plugin that writes each test's setup, call and teardown times (seconds) as JSON.

Loaded with `-p timings_plugin` (its folder on PYTHONPATH); the path comes from BENCH_TIMINGS.
"""

import json
import os
from collections import defaultdict

import pytest

_timings: dict[str, dict[str, float]] = defaultdict(dict)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _timings[report.nodeid][report.when] = report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    with open(os.environ["BENCH_TIMINGS"], "w", encoding="utf-8") as out:
        json.dump(_timings, out)
