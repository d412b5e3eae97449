"""What the operator's view costs: GET /users/me served as the previous release served it,
with every telemetry switch off, as configured by default (metrics and the access log on; then
each alone), and with traces and metrics exported (sampler always_on) to a local OTLP/HTTP
receiver.

The previous release is the template at PREVIOUS_RELEASE (before the structured logs, request
ids, metrics and traces), rendered with the same answers and installed in an environment of its
own; all four serve the same seeded database, one process each, in alternating rounds.
"""

import io
import json
import os
import secrets
import subprocess
import sys
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.bench.service_load import (
    GET_SECONDS,
    ROUNDS,
    _median_of,
    _seed,
    admin_headers,
    load,
)
from tests.served_render import HOST, served_render

ROOT = Path(__file__).resolve().parents[2]
# The last commit before issue 27's observability work.
PREVIOUS_RELEASE = "34aad0b"
OFF = {"METRICS_ENABLED": "false", "ACCESS_LOG": "false"}


class _Accepting(BaseHTTPRequestHandler):
    """An OTLP/HTTP receiver that takes every export and keeps nothing."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _otlp_receiver() -> Iterator[str]:
    server = ThreadingHTTPServer((HOST, 0), _Accepting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()


def _render_previous(project: Path, workdir: Path) -> tuple[Path, str]:
    """The previous release rendered with `project`'s answers, and its own environment's python."""
    template = workdir / "template"
    template.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", PREVIOUS_RELEASE],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout  # fmt: skip
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(template, filter="data")
    record = json.loads((project / ".cruft.json").read_text())
    answers = record["context"]["cookiecutter"]
    command = ["uvx", "--quiet", "cookiecutter", "--no-input", "--output-dir", str(workdir)]
    command += [str(template)]
    command += [f"{key}={value}" for key, value in answers.items() if not key.startswith("_")]
    subprocess.run(command, check=True, capture_output=True)
    previous = workdir / project.name
    environment = workdir / "environment"
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(environment)}
    subprocess.run(["uv", "sync", "--quiet", "--no-dev"], cwd=previous, env=env, check=True)
    return previous, str(environment / "bin" / "python")


def measure_telemetry(project: Path, package: str, database_url: str) -> dict[str, Any]:
    """GET /users/me in each configuration: medians of ROUNDS rounds, and each one's ratio to
    the previous release."""
    admin_id = _seed(project, package, database_url)
    with tempfile.TemporaryDirectory() as work, _otlp_receiver() as receiver, ExitStack() as stack:
        previous, previous_python = _render_previous(project, Path(work))
        base = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "WEB_CONCURRENCY": "1",
            "BENCH_USER_ID": admin_id,
        }
        traced = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver,
            "OTEL_TRACES_SAMPLER": "always_on",
        }
        configurations = {
            "previous release": (previous, previous_python, {}),
            "telemetry off": (project, sys.executable, OFF),
            "defaults": (project, sys.executable, {}),
            "  metrics alone": (project, sys.executable, {**OFF, "METRICS_ENABLED": "true"}),
            "  access log alone": (project, sys.executable, {**OFF, "ACCESS_LOG": "true"}),
            "traces and metrics exported": (project, sys.executable, traced),
        }
        urls = {}
        for name, (where, python, settings) in configurations.items():
            served = stack.enter_context(
                served_render(
                    where, [python, "-m", f"{package}.cli", "serve", "--host", HOST],
                    {**base, **settings}, log=Path(work) / f"{name.strip()}.log",
                    ready_path="/health/live",
                )
            )  # fmt: skip
            urls[name] = served.url
        headers = admin_headers(urls["defaults"])
        runs: dict[str, list[dict[str, float]]] = {}
        for _ in range(ROUNDS):
            for name, url in urls.items():
                runs.setdefault(name, []).append(load(f"{url}/users/me", GET_SECONDS, headers))
    figures: dict[str, Any] = {name: _median_of(value) for name, value in runs.items()}
    previous_rate = figures["previous release"]["requests_per_s"]
    for name in configurations:
        figures[name]["vs_previous"] = figures[name]["requests_per_s"] / previous_rate
    return figures
