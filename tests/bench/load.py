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

CONCURRENCY = 16
SECONDS_PER_ENDPOINT = 5.0
SEED_USERS = 60
PASSWORD = "bench password 123"

# Runs in the rendered project: its test helpers make the database, schema and users.
SEED = """
import asyncio, sys
from sqlalchemy import insert
from {package}.database import initialize_async_db
from {package}.models import User
from {package}.roles import ADMIN_ROLE, DEFAULT_ROLE
from {package}.security import hash_password
from tests.database import create_database_if_missing, recreate_schema
from tests.factories import new_user_values
from sqlalchemy import make_url

async def main() -> None:
    url = make_url(sys.argv[1])
    await create_database_if_missing(url)
    database = initialize_async_db(sys.argv[1])
    await recreate_schema(database.engine)
    hashed = await hash_password({password!r})
    rows = [new_user_values(DEFAULT_ROLE, hashed) for _ in range({users})]
    rows.append({{**new_user_values(ADMIN_ROLE, hashed), "email": "admin@example.com"}})
    async with database.sessionmaker() as session:
        await session.execute(insert(User), rows)
        await session.commit()
    await database.dispose()

asyncio.run(main())
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_service(project: Path, package: str, database_url: str) -> Iterator[str]:
    """Seed the database, start uvicorn on 127.0.0.1, yield its base URL, stop it."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secrets.token_urlsafe(32)}
    seed = SEED.format(package=package, password=PASSWORD, users=SEED_USERS)
    subprocess.run([sys.executable, "-c", seed, database_url], cwd=project, env=env, check=True)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", f"{package}.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning"],
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
