"""A rendered project served on the loopback for the scripts that talk to it over HTTP: the fuzz
run, the README walkthrough and the scale run's replicas (the benchmark can adopt it too).

    with served_render(project, [python, "-m", "uvicorn", "pkg.main:app"], env, log=log) as app:
        ... app.url ...

The command gets `--port <a free port>`, runs in the project in a process group of its own (as a
terminal runs it), and is yielded once its readiness route answers 200; at the end its group gets
`stop_signal` (Ctrl-C's SIGINT, or SIGTERM as a process manager sends) and must stop in time.
"""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
START_SECONDS = 60
STOP_SECONDS = 30


class ServeError(RuntimeError):
    """The command did not serve, or did not stop; the message holds its log."""


@dataclass(frozen=True)
class Served:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def is_ready(url: str) -> bool:
    """Whether `url` answers 200; False while nothing listens yet, or it answers an error."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:  # refused, reset, timed out, or an HTTP error status
        return False


@contextmanager
def served_render(
    project: Path,
    command: Sequence[str],
    env: Mapping[str, str],
    *,
    log: Path,
    ready_path: str = "/health/ready",
    stop_signal: signal.Signals = signal.SIGTERM,
    start_seconds: float = START_SECONDS,
    stop_seconds: float = STOP_SECONDS,
) -> Iterator[Served]:
    """Serve `command --port N` in `project` with `env`, output to `log`; yield it once ready."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=project, env=dict(env), stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    served = Served(f"http://{HOST}:{port}", port, process, log)
    try:
        deadline = time.monotonic() + start_seconds
        while not is_ready(served.url + ready_path):
            if process.poll() is not None:
                raise ServeError(f"`{' '.join(command)}` ended before serving:\n{log_of(served)}")
            if time.monotonic() > deadline:
                raise ServeError(
                    f"{ready_path} not ready within {start_seconds} s:\n{log_of(served)}"
                )
            time.sleep(0.2)
        yield served
    finally:
        stop(served, stop_signal, stop_seconds, " ".join(command))


def stop(served: Served, stop_signal: signal.Signals, seconds: float, command: str) -> None:
    """`stop_signal` to the server's process group; killed, and an error, if it outlives it."""
    if served.process.poll() is not None:
        return
    os.killpg(served.process.pid, stop_signal)
    try:
        served.process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(served.process.pid, signal.SIGKILL)
        served.process.wait()
        raise ServeError(
            f"{stop_signal.name} did not stop `{command}`:\n{log_of(served)}"
        ) from None


def log_of(served: Served) -> str:
    return served.log.read_text(errors="replace")
