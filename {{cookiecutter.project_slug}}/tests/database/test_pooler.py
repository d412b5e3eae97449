"""DATABASE_POOLER: an unknown value stops the service at start-up, naming the allowed values.

That the engine works behind PgBouncer is proven by the whole suite, run with DATABASE_URL on a
PgBouncer in transaction mode and DATABASE_POOLER=pgbouncer (the template's `scale` session).
"""

import os
import subprocess
import sys

from {{ cookiecutter.package_name }}.database.pooler import POOLERS

# The app refuses long before this; the bound only keeps a broken start from hanging the run.
START_TIMEOUT_SECONDS = 60


def test_unknown_pooler_stops_the_start_naming_the_allowed_values() -> None:
    started = subprocess.run(
        [
            *(sys.executable, "-m", "uvicorn", "{{ cookiecutter.package_name }}.main:app"),
            *("--host", "127.0.0.1", "--port", "0"),
        ],
        env={**os.environ, "DATABASE_POOLER": "pgpool"},
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_SECONDS,
        check=False,
    )
    assert started.returncode != 0
    assert "database_pooler" in started.stderr
    assert " or ".join(repr(pooler) for pooler in POOLERS) in started.stderr, started.stderr
