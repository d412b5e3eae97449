"""The project's commands in processes of their own, for what only a process boundary shows:
signals, exit statuses, what a command prints, several servers sharing one database.

A fresh `python` spends about 1.5 s importing FastAPI, SQLAlchemy and the rest before it runs a
line of ours. These processes fork instead from a server that imported those libraries once
(multiprocessing's forkserver, started with the run), so one starts in about a tenth of that.
Each still imports the project's own modules itself, after its environment is set, as a fresh
start would.
"""

import asyncio
import multiprocessing
import multiprocessing.forkserver
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
# The libraries the commands import, with the modules uvicorn and anyio import only as a server
# starts: the forkserver imports them once, and every process forks from it. (Import errors are
# ignored: uvloop, for one, is not on every platform.) Not prometheus_client: it reads
# PROMETHEUS_MULTIPROC_DIR, which a command may set, at import.
# Also pytest and this module: each process unpickles `_run_command` from here, and runs the
# main script (pytest's) again, as Python 3.11, 3.12 and early 3.13 ignore "__main__"
# below (CPython gh-126631). With pytest imported already, that is free; it was 0.1 s each.
PRELOADED = (
    "__main__",
    "aiosmtplib",
    "alembic.command",
    "alembic.config",
    "anyio._backends._asyncio",
    "asyncpg",
    "email_validator",
    "fastapi",
    "httptools",
    "jwt",
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.instrumentation.fastapi",
    "opentelemetry.instrumentation.sqlalchemy",
    "opentelemetry.sdk.trace",
    "pwdlib.hashers.argon2",
    "pydantic.v1",
    "pydantic_settings",
    "pytest",
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.orm",
    "structlog",
    "tests.processes",
    "uvicorn.lifespan.on",
    "uvicorn.loops.uvloop",
    "uvicorn.main",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.protocols.websockets.auto",
    "uvloop",
)
CLI = "{{ cookiecutter.package_name }}.cli:main"
# The project's own command, named as pyproject.toml's [project.scripts] names it.
(PROJECT_COMMAND,) = [script.name for script in entry_points(group="console_scripts", value=CLI)]
# Each command's entry point, as the packages' own scripts name them.
ENTRY_POINTS = {
    PROJECT_COMMAND: CLI,
    "alembic": "alembic.config:main",
    "uvicorn": "uvicorn.main:main",
    "python": f"{__name__}:python_c",
}
if sys.platform == "win32":  # no forkserver there: each process starts afresh, and slowly
    _context = multiprocessing.get_context("spawn")
else:
    _context = multiprocessing.get_context("forkserver")


def start_forkserver() -> None:
    """Start the forkserver now, so that its imports run alongside the first tests."""
    if sys.platform != "win32":
        _context.set_forkserver_preload(list(PRELOADED))
        multiprocessing.forkserver.ensure_running()


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str


class Command:
    """A command running in a process of its own; its output goes to files read at the end."""

    def __init__(self, *command: str, environment: Mapping[str, str], stdin: str) -> None:
        self.command = command
        self._folder = tempfile.TemporaryDirectory(prefix="command-")
        folder = Path(self._folder.name)
        self._stdin, self._stdout, self._stderr = (folder / name for name in ("in", "out", "err"))
        self._stdin.write_text(stdin)
        self._stdout.touch()
        self._stderr.touch()
        self._process = _context.Process(
            target=_run_command,
            args=(list(command), dict(environment), self._stdin, self._stdout, self._stderr),
            daemon=True,
        )

    @property
    def pid(self) -> int:
        assert self._process.pid is not None, "not started"
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        """The exit status once it ended, `-signal` if a signal ended it; else None."""
        return self._process.exitcode

    async def start(self) -> None:
        # A blocking exchange with the forkserver: in a thread, off the event loop.
        await asyncio.to_thread(self._process.start)

    def send_signal(self, signal: int) -> None:
        os.kill(self.pid, signal)

    async def wait(self, at_most: float) -> int:
        """Its exit status, once it ends; fails the test if that takes over `at_most` seconds."""
        await asyncio.to_thread(self._process.join, at_most)
        if self._process.exitcode is None:
            raise AssertionError(f"{self} still runs after {at_most} s")
        return self._process.exitcode

    async def stderr_so_far(self) -> str:
        """What it has written to its standard error until now (it may still be running)."""
        return (await asyncio.to_thread(self._output))[1]

    async def finished(self) -> Finished:
        assert self.returncode is not None, "still running"
        stdout, stderr = await asyncio.to_thread(self._output)
        return Finished(self.returncode, stdout, stderr)

    def _output(self) -> tuple[str, str]:
        return self._stdout.read_text(errors="replace"), self._stderr.read_text(errors="replace")

    async def close(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        await asyncio.to_thread(self._process.join)
        await asyncio.to_thread(self._folder.cleanup)

    def __str__(self) -> str:
        return " ".join(self.command)


@asynccontextmanager
async def started(
    *command: str, environment: Mapping[str, str] | None = None, stdin: str = ""
) -> AsyncIterator[Command]:
    """`command` (e.g. `"uvicorn", "app:app"`, or `"python", "-c", code`) running with
    `environment` added to ours, killed at the end of the block if it still runs."""
    # Its folder and files are made in a thread: no file work on the event loop.
    process = await asyncio.to_thread(
        Command, *command, environment={**os.environ, **(environment or {})}, stdin=stdin
    )
    await process.start()
    try:
        yield process
    finally:
        await process.close()


async def run(
    *command: str,
    environment: Mapping[str, str] | None = None,
    stdin: str = "",
    at_most: float = 60,
) -> Finished:
    """`command` run to its end (in `at_most` seconds): its exit status and output."""
    async with started(*command, environment=environment, stdin=stdin) as process:
        await process.wait(at_most)
        return await process.finished()


def python_c() -> None:
    """`python -c CODE`, as a fresh interpreter would run it."""
    flag, code = sys.argv[1:]
    assert flag == "-c", sys.argv
    exec(code, {"__name__": "__main__"})


def _run_command(
    command: list[str],
    environment: dict[str, str],
    stdin: Path,
    stdout: Path,
    stderr: Path,
) -> None:
    """In the new process: the command's own environment, streams and arguments, then its main."""
    # A program of its own, as if started afresh: it may start processes too (uvicorn's
    # workers), which multiprocessing refuses a daemon (the flag only has it killed with us).
    multiprocessing.current_process().daemon = False
    os.chdir(PROJECT)
    os.environ.clear()
    os.environ.update(environment)
    for descriptor, path, flags in (
        (0, stdin, os.O_RDONLY),
        (1, stdout, os.O_WRONLY),
        (2, stderr, os.O_WRONLY),
    ):
        opened = os.open(path, flags)
        os.dup2(opened, descriptor)
        os.close(opened)
    # multiprocessing gave the process /dev/null as its standard input.
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 (the process's own, open until it ends)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    name, *arguments = command
    sys.argv = [name, *arguments]
    module, function = ENTRY_POINTS[name].split(":")
    sys.exit(getattr(import_module(module), function)())
