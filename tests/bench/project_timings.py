"""Timings taken inside a rendered project, with its code and test helpers.

    cd PROJECT_DIR && python .../project_timings.py PACKAGE cleanup DATABASE_URL
    cd PROJECT_DIR && python .../project_timings.py PACKAGE embedded-start

`cleanup` prints `delete <ms>` and `truncate <ms>`: the median cost of emptying the tables by
DELETE (what `truncate` mode does) and by TRUNCATE. `embedded-start` prints the median seconds
a test run without DATABASE_URL pays before its first test: a throwaway embedded server
started, its test database made and the schema built.
"""

import asyncio
import importlib
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import insert, make_url, text

REPEATS = 100
STARTS = 5


def project_module(package: str, name: str) -> Any:
    """A module of the rendered project, which only it can import (its package, or its tests
    with package "tests")."""
    return importlib.import_module(f"{package}.{name}")


async def fresh_database(package: str, url: str) -> Any:
    """The database at `url`, made if missing, with an empty schema built from the models."""
    test_database = project_module("tests", "database_setup")
    await test_database.create_database_if_missing(make_url(url))
    database = project_module(package, "database.engine").initialize_async_db(url)
    await test_database.recreate_schema(database.engine)
    return database


async def cleanup(package: str, url: str) -> None:
    database = await fresh_database(package, url)
    models, roles = project_module(package, "models"), project_module(package, "users.roles")
    tables = ", ".join(table.name for table in models.Base.metadata.sorted_tables)

    async def delete() -> None:
        await project_module("tests", "database_setup").delete_all_rows(database.engine)

    async def truncate() -> None:
        async with database.engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))

    emptiers: dict[str, Callable[[], Awaitable[None]]] = {"delete": delete, "truncate": truncate}
    for name, empty in emptiers.items():
        times = []
        for _ in range(REPEATS):
            async with database.engine.begin() as connection:
                row = project_module("tests", "factories").new_user_values(roles.DEFAULT_ROLE, "x")
                await connection.execute(insert(models.User), [row])
            started = time.perf_counter()
            await empty()
            times.append(time.perf_counter() - started)
        print(name, statistics.median(times) * 1000)
    await database.dispose()


async def embedded_start(package: str) -> None:
    start_embedded_postgres = project_module(package, "database.embedded").start_embedded_postgres
    times = []
    for _ in range(STARTS):
        started = time.perf_counter()
        server = start_embedded_postgres()
        database = await fresh_database(package, server.url("bench_start_test"))
        await database.dispose()
        times.append(time.perf_counter() - started)
        server.stop()
    print(statistics.median(times))


def main() -> None:
    sys.path.insert(0, os.getcwd())  # the render's `tests`, not this repository's
    package, command, *rest = sys.argv[1:]
    if command == "cleanup":
        asyncio.run(cleanup(package, rest[0]))
    elif command == "embedded-start":
        asyncio.run(embedded_start(package))
    else:
        sys.exit(f"unknown command {command!r}: use cleanup or embedded-start")


if __name__ == "__main__":
    main()
