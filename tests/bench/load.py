"""Load on the rendered service: uvicorn with one worker, bounded concurrent clients, bounded time."""

import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.bench.project_scripts import run_in_project

CONCURRENCY = 16
SECONDS_PER_ENDPOINT = 5.0
SEED_USERS = 60
PASSWORD = "bench password 123"

# Users, and an admin whose token the load uses, all with PASSWORD.
SEED = """
async def main() -> None:
    database = await fresh_database()
    hashed = await hash_password({password!r})
    rows = [new_user_values(DEFAULT_ROLE, hashed) for _ in range({users})]
    rows.append({{**new_user_values(ADMIN_ROLE, hashed), "email": "admin@example.com"}})
    async with database.sessionmaker() as session:
        await session.execute(insert(User), rows)
        await session.commit()
    await database.dispose()
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_service(project: Path, package: str, database_url: str) -> Iterator[str]:
    """Seed the database, start uvicorn on 127.0.0.1, yield its base URL, stop it."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secrets.token_urlsafe(32)}
    seed = SEED.format(password=PASSWORD, users=SEED_USERS)
    run_in_project(project, package, seed, database_url, env)
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            f"{package}.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=project,
        env=env,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the service did not become healthy within 30 s")
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=10)


async def _hammer(base_url: str, path: str, headers: dict[str, str]) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits) as client:
        deadline = time.perf_counter() + SECONDS_PER_ENDPOINT

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.get(path)
                latencies.append(time.perf_counter() - started)
                errors += response.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "errors": errors,
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
    }


def measure_load(project: Path, package: str, database_url: str) -> dict[str, dict[str, float]]:
    with running_service(project, package, database_url) as base_url:
        login = httpx.post(
            f"{base_url}/token", data={"username": "admin@example.com", "password": PASSWORD}
        )
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        return {
            path: asyncio.run(_hammer(base_url, path, headers))
            for path in ("/users/me", "/users?limit=50")
        }
