"""The service under a fixed load next to the floor app, one process and two workers.

For each: GET /users/me and GET /users?limit=50 on the service and on the floor
(floor_app.py), in alternating rounds; then POST /token (logins: Argon2id at its production
cost) on the service, and each serving process's RSS after it. wrk when installed, else a
bounded Python load (httpx) of the same concurrency and duration.
"""

import asyncio
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from tests.served_render import HOST, served_render

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CONCURRENCY = 16
ROUNDS = 3
GET_SECONDS = 5
LOGIN_SECONDS = 10
SEED_USERS = 60
PASSWORD = "bench password 123"
# A resource that `new resource` adds to the render, as a user would, and its list.
RESOURCE = "Voyage"
RESOURCE_FIELDS = "code:str(20):unique, title:str(200), departs_on:date:index, notes:text?"
READS = {
    "me": "/users/me",
    "list50": "/users?limit=50",
    "resource50": "/voyages?limit=50",
}
WORKERS = (1, 2)
# The reads that idiomatic_app.py also serves, written the everyday way.
IDIOMATIC_READS = ("me", "list50")


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)


def _wrk(url: str, seconds: int, headers: dict[str, str], script: Path | None) -> dict[str, float]:
    command = ["wrk", "-t1", f"-c{CONCURRENCY}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    latency = {percent: _ms(value, unit) for percent, value, unit in LATENCY.findall(out)}
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if rate is None or set(latency) != {"50", "99"}:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    return {
        "requests_per_s": float(rate[1]),
        "p50_ms": latency["50"],
        "p99_ms": latency["99"],
        "errors": float(non_2xx[1]) if non_2xx else 0.0,
    }


async def _python_load(
    url: str, seconds: int, headers: dict[str, str], form: dict[str, str] | None
) -> dict[str, float]:
    """What wrk measures, with httpx: CONCURRENCY clients, each a request at a time."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=10) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                if form is None:
                    response = await client.get(url)
                else:
                    response = await client.post(url, data=form)
                latencies.append(time.perf_counter() - started)
                errors += response.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
        "errors": float(errors),
    }


def load(url: str, seconds: int, headers: dict[str, str], login: bool = False) -> dict[str, float]:
    if shutil.which("wrk"):
        return _wrk(url, seconds, headers, HERE / "login.lua" if login else None)
    form = {"username": "admin@example.com", "password": PASSWORD} if login else None
    return asyncio.run(_python_load(url, seconds, headers, form))


def _rss_mib(server: subprocess.Popen[bytes]) -> float:
    """The largest RSS among the processes that serve: uvicorn's workers, else itself."""
    process = psutil.Process(server.pid)
    serving = process.children(recursive=True) or [process]
    return max(child.memory_info().rss for child in serving) / 2**20


def _add_resource(project: Path, package: str) -> None:
    """`new resource` in the render, unless an earlier part of this run added it."""
    if (project / "src" / package / "voyages").is_dir():
        return
    command = [sys.executable, "-m", f"{package}.cli", "new", "resource", RESOURCE]
    subprocess.run([*command, RESOURCE_FIELDS], cwd=project, capture_output=True, check=True)


def _seed(project: Path, package: str, database_url: str) -> str:
    _add_resource(project, package)
    command = [sys.executable, str(HERE / "seed_service.py"), package, database_url]
    command += [str(SEED_USERS), PASSWORD]
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def admin_headers(base: str) -> dict[str, str]:
    """A bearer header of the seeded admin, logged in at `base`."""
    form = {"username": "admin@example.com", "password": PASSWORD}
    login = httpx.post(f"{base}/token", data=form, timeout=30)
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def _median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {name: statistics.median(run[name] for run in runs) for name in runs[0]}


def measure_service(project: Path, package: str, database_url: str) -> dict[str, Any]:
    """{"1": {...}, "2": {...}} by worker count: each read's service and floor figures (medians
    of ROUNDS alternating rounds) and their ratio, the login load and the RSS after it."""
    admin_id = _seed(project, package, database_url)
    results: dict[str, Any] = {"tool": "wrk" if shutil.which("wrk") else "python"}
    for workers in WORKERS:
        # Each worker's pool holds its share of the load's connections: the four apps' pools
        # (floor_app.py) fit the server's connections, which they once overran.
        pool_size = str(CONCURRENCY // workers)
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "WEB_CONCURRENCY": str(workers),
            "BENCH_DATABASE_URL": database_url,
            "BENCH_USER_ID": admin_id,
            "BENCH_POOL_SIZE": pool_size,
            "DATABASE_POOL_SIZE": pool_size,
        }
        service_command = [sys.executable, "-m", f"{package}.cli", "serve", "--host", HOST]
        # The floor, the everyday-way app and the plain one, served alike.
        served_as = ["--host", HOST, "--loop", "uvloop", "--http", "httptools", "--no-access-log"]
        served_as += ["--workers", str(workers), "--log-level", "warning"]
        uvicorn = [sys.executable, "-m", "uvicorn"]
        floor_command = [*uvicorn, "tests.bench.floor_app:app", *served_as]
        idiomatic_command = [*uvicorn, "tests.bench.idiomatic_app:app", *served_as]
        # The same app under uvicorn's own httptools protocol and limits, as `serve` ran it
        # before the header limits (web/http_protocol.py) and the request limit: their cost.
        plain_command = [*uvicorn, f"{package}.main:app", *served_as]
        plain_command += ["--timeout-keep-alive", "5", "--limit-concurrency", "100"]
        with (
            tempfile.TemporaryDirectory() as logs,
            served_render(
                project, service_command, env, log=Path(logs) / "service.log",
                ready_path="/health/live",
            ) as served_service,
            served_render(
                ROOT, floor_command, env, log=Path(logs) / "floor.log", ready_path="/users/me"
            ) as served_floor,
            served_render(
                project, plain_command, env, log=Path(logs) / "plain.log",
                ready_path="/health/live",
            ) as served_plain,
            served_render(
                ROOT, idiomatic_command, {**env, "BENCH_PACKAGE": package},
                log=Path(logs) / "idiomatic.log", ready_path="/health",
            ) as served_idiomatic,
        ):  # fmt: skip
            service, floor, process = served_service.url, served_floor.url, served_service.process
            headers = admin_headers(service)
            runs: dict[str, list[dict[str, float]]] = {}
            for _ in range(ROUNDS):
                for name, path in READS.items():
                    for who, base in (("service", service), ("floor", floor)):
                        runs.setdefault(f"{name}/{who}", []).append(
                            load(f"{base}{path}", GET_SECONDS, headers)
                        )
                runs.setdefault("me/plain", []).append(
                    load(f"{served_plain.url}{READS['me']}", GET_SECONDS, headers)
                )
                for name in IDIOMATIC_READS:
                    runs.setdefault(f"{name}/idiomatic", []).append(
                        load(f"{served_idiomatic.url}{READS[name]}", GET_SECONDS, headers)
                    )
            figures: dict[str, Any] = {key: _median_of(value) for key, value in runs.items()}
            for name in READS:
                figures[f"{name}/ratio"] = (
                    figures[f"{name}/service"]["requests_per_s"]
                    / figures[f"{name}/floor"]["requests_per_s"]
                )
            for name in IDIOMATIC_READS:
                figures[f"{name}/vs_idiomatic"] = (
                    figures[f"{name}/service"]["requests_per_s"]
                    / figures[f"{name}/idiomatic"]["requests_per_s"]
                )
            figures["me/guarded_vs_plain"] = (
                figures["me/service"]["requests_per_s"] / figures["me/plain"]["requests_per_s"]
            )
            figures["resource50/list50"] = (
                figures["resource50/service"]["requests_per_s"]
                / figures["list50/service"]["requests_per_s"]
            )
            figures["rss_mib_before_logins"] = _rss_mib(process)
            figures["token/service"] = _median_of(
                [load(f"{service}/token", LOGIN_SECONDS, {}, login=True) for _ in range(ROUNDS)]
            )
            figures["rss_mib_after_logins"] = _rss_mib(process)
        results[str(workers)] = figures
    return results
