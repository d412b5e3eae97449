"""Scripts the benchmark runs inside the rendered project, with its code and test helpers."""

import subprocess
import sys
from pathlib import Path

# What every script starts from: `fresh_database()` gives the database at argv[1], made if
# missing, with an empty schema built from the models.
PRELUDE = """
import asyncio, statistics, sys, time
from sqlalchemy import insert, make_url, text
from {package}.database import initialize_async_db
from {package}.embedded_database import start_embedded_postgres
from {package}.models import Base, User
from {package}.roles import ADMIN_ROLE, DEFAULT_ROLE
from {package}.security import hash_password
from tests.database import create_database_if_missing, delete_all_rows, recreate_schema
from tests.factories import new_user_values

async def fresh_database():
    await create_database_if_missing(make_url(sys.argv[1]))
    database = initialize_async_db(sys.argv[1])
    await recreate_schema(database.engine)
    return database
"""


def run_in_project(
    project: Path, package: str, script: str, database_url: str, env: dict[str, str] | None = None
) -> str:
    """Run PRELUDE + `script` (whose `main()` is awaited) in `project`; return its stdout."""
    source = PRELUDE.format(package=package) + script + "\nasyncio.run(main())\n"
    return subprocess.run(
        [sys.executable, "-c", source, database_url],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
