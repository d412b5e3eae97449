"""Health for orchestrators, and shutting down on SIGTERM without failing accepted requests.

The SIGTERM tests serve the app with uvicorn in a process of its own, on the test database, and
hold a lock on the users table so that a sign-up is still in flight when the signal arrives.
"""

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from types import FrameType

import httpx
import pytest
from httpx import AsyncClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase
from {{ cookiecutter.package_name }}.users.models import User

from tests.database_setup import delete_all_rows
from tests.factories import new_sign_up
from tests.helpers import PASSWORD
from tests.processes import Command, started
from tests.served import started_app, wait_until_live
from tests.tcp_proxy import free_port, tcp_url

# A bound on the served process's end, once its requests are done.
EXIT_TIMEOUT_SECONDS = 30
# Short, as the tests set them: what they prove holds for any length.
SHUTDOWN_TIMEOUT = 0.1
SHUTDOWN_DELAY = 0.2


async def test_live_answers_without_the_database(initialize_database: AsyncDatabase) -> None:
    closed = tcp_url(initialize_database.engine.url, free_port())
    async with started_app(closed) as (_, client):
        assert (await client.get("/health/live")).json() == {"status": "ok"}
        assert (await client.get("/health/ready")).status_code == 503


@pytest.mark.parametrize("path", ["/health/ready", "/health"])
async def test_ready_when_the_database_answers(async_client: AsyncClient, path: str) -> None:
    response = await async_client.get(path)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("path", ["/health/live", "/health/ready", "/health"])
async def test_a_load_balancers_head_probe_is_answered(
    async_client: AsyncClient, path: str
) -> None:
    assert (await async_client.head(path)).status_code == 200


@contextmanager
def sigterm_handled_by_the_server() -> Iterator[list[int]]:
    """A SIGTERM handler standing in for uvicorn's; the signals it received."""
    received: list[int] = []

    def server_handler(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = signal.signal(signal.SIGTERM, server_handler)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


async def test_ready_is_503_from_sigterm_on_and_the_server_still_gets_it(
    initialize_database: AsyncDatabase,
) -> None:
    with sigterm_handled_by_the_server() as received:
        async with started_app(initialize_database.engine.url) as (_, client):
            assert (await client.get("/health/ready")).status_code == 200
            signal.raise_signal(signal.SIGTERM)
            assert received == [signal.SIGTERM], "uvicorn's own handler runs too"
            for path in ("/health/ready", "/health"):
                response = await client.get(path)
                assert response.status_code == 503
                assert response.json()["detail"] == "The service is shutting down"
            assert (await client.get("/health/live")).status_code == 200


async def test_the_server_gets_sigterm_once_the_delay_is_over(
    initialize_database: AsyncDatabase,
) -> None:
    settings = {"SHUTDOWN_DELAY_SECONDS": str(SHUTDOWN_DELAY)}
    with sigterm_handled_by_the_server() as received:
        async with started_app(initialize_database.engine.url, **settings) as (_, client):
            signalled = time.monotonic()
            signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGTERM)  # a second one changes nothing
            assert received == [], "the server is not told before the delay is over"
            assert (await client.get("/health/ready")).status_code == 503
            for _ in range(EXIT_TIMEOUT_SECONDS * 100):
                if received:
                    break
                await asyncio.sleep(0.01)
            waited = time.monotonic() - signalled
    assert received == [signal.SIGTERM]
    assert waited >= SHUTDOWN_DELAY


@dataclass
class Served:
    """uvicorn serving the app in a process of its own."""

    process: Command
    base_url: str

    async def exit_status_and_log(self) -> tuple[int, str]:
        status = await self.process.wait(EXIT_TIMEOUT_SECONDS)
        return status, (await self.process.finished()).stderr


@asynccontextmanager
async def served(database: AsyncDatabase, **environment: str) -> AsyncIterator[Served]:
    """uvicorn serving the app on the test database; its rows removed after."""
    port = free_port()
    url = database.engine.url.render_as_string(hide_password=False)
    command = ("uvicorn", "{{ cookiecutter.package_name }}.main:app", "--port", str(port))
    try:
        async with started(*command, environment={"DATABASE_URL": url, **environment}) as server:
            await wait_until_live(server, f"http://127.0.0.1:{port}")
            yield Served(server, f"http://127.0.0.1:{port}")
    finally:
        await delete_all_rows(database.engine)


@asynccontextmanager
async def users_table_locked(database: AsyncDatabase) -> AsyncIterator[AsyncConnection]:
    """Sign-ups wait until the block ends (the lock is held by a transaction of the test's)."""
    async with database.engine.connect() as connection:
        await connection.execute(text(f"LOCK TABLE {User.__tablename__} IN EXCLUSIVE MODE"))
        yield connection
        await connection.rollback()


async def _wait_for_blocked_sign_up(connection: AsyncConnection) -> None:
    query = text("SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'relation'")
    for _ in range(EXIT_TIMEOUT_SECONDS * 50):
        if await connection.scalar(query):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the sign-up never reached the database")


async def _until_logged(process: Command, line: str) -> None:
    """Until the process has written `line` to its standard error (its log)."""
    for _ in range(EXIT_TIMEOUT_SECONDS * 50):
        if line in await process.stderr_so_far():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the server never logged {line!r}:\n{await process.stderr_so_far()}")


# uvicorn ends by the signal it was sent, once it has shut down (or 0, as older ones did).
ENDED_BY_SIGTERM = {0, -signal.SIGTERM}
ENDED_BY_SIGINT = {0, -signal.SIGINT}
# Each request on a new connection, as a load balancer's health check opens one.
CLOSE = {"Connection": "close"}


async def test_sigterm_lets_the_request_in_flight_finish(
    initialize_database: AsyncDatabase,
) -> None:
    async with (
        served(initialize_database) as server,
        AsyncClient(base_url=server.base_url, timeout=EXIT_TIMEOUT_SECONDS) as client,
    ):
        async with users_table_locked(initialize_database) as lock:
            sign_up = asyncio.ensure_future(client.post("/users", json=new_sign_up(PASSWORD)))
            await _wait_for_blocked_sign_up(lock)
            server.process.send_signal(signal.SIGTERM)
            # Shutting down, with the request in flight: only then is the lock released.
            await _until_logged(server.process, "Waiting for connections to close")
            assert server.process.returncode is None, "it waits for the request in flight"
        assert (await sign_up).status_code == 201
        status, log = await server.exit_status_and_log()
    assert status in ENDED_BY_SIGTERM, log
    assert "Application shutdown complete" in log, "the lifespan disposed of the pool"


async def test_sigterm_cancels_requests_still_running_after_the_timeout(
    initialize_database: AsyncDatabase,
) -> None:
    # The statement's own timeout as long as the test's: only the shutdown's may end the wait
    # (on a loaded machine, the 5 s default once answered 503 before the shutdown cancelled).
    settings = {
        "SHUTDOWN_TIMEOUT_SECONDS": str(SHUTDOWN_TIMEOUT),
        "DATABASE_STATEMENT_TIMEOUT_SECONDS": str(EXIT_TIMEOUT_SECONDS),
    }
    async with (
        served(initialize_database, **settings) as server,
        AsyncClient(base_url=server.base_url, timeout=EXIT_TIMEOUT_SECONDS) as client,
    ):
        async with users_table_locked(initialize_database) as lock:
            sign_up = asyncio.ensure_future(client.post("/users", json=new_sign_up(PASSWORD)))
            await _wait_for_blocked_sign_up(lock)
            signalled = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            # The lock is still held: only the timeout can end the wait.
            status, log = await server.exit_status_and_log()
            waited = time.monotonic() - signalled
        try:
            answer: int | None = (await sign_up).status_code
        except httpx.TransportError:
            answer = None
        # Which comes first, the cancelled request's 500 or the process's end, is uvicorn's race.
        assert answer in (500, None), "uvicorn's 500, or the connection closed"
        async with initialize_database.engine.connect() as connection:
            users = await connection.scalar(select(func.count()).select_from(User))
        assert users == 0, "the cancelled sign-up left nothing"
    assert status in ENDED_BY_SIGTERM, log
    assert SHUTDOWN_TIMEOUT <= waited < EXIT_TIMEOUT_SECONDS / 2
    assert "timeout graceful shutdown exceeded" in log


async def test_during_the_delay_it_still_answers_but_is_no_longer_ready(
    initialize_database: AsyncDatabase,
) -> None:
    # A delay the test never waits out: Ctrl-C (SIGINT, uvicorn's own) ends it at once.
    delay = {"SHUTDOWN_DELAY_SECONDS": str(EXIT_TIMEOUT_SECONDS)}
    async with (
        served(initialize_database, **delay) as server,
        AsyncClient(base_url=server.base_url, timeout=EXIT_TIMEOUT_SECONDS) as client,
    ):
        server.process.send_signal(signal.SIGTERM)
        # New connections still reach it: what load balancers sent meanwhile is served. Ready
        # until the server has handled the signal (at once, unless the machine is busy).
        for _ in range(EXIT_TIMEOUT_SECONDS * 50):
            ready = await client.get("/health/ready", headers=CLOSE)
            if ready.status_code != 200:
                break
            await asyncio.sleep(0.02)
        assert ready.status_code == 503
        assert ready.json()["detail"] == "The service is shutting down"
        assert (await client.get("/health/live", headers=CLOSE)).status_code == 200
        assert server.process.returncode is None, "it waits out the delay"
        interrupted = time.monotonic()
        server.process.send_signal(signal.SIGINT)
        status, log = await server.exit_status_and_log()
    assert time.monotonic() - interrupted < EXIT_TIMEOUT_SECONDS / 2, "Ctrl-C ends the delay"
    assert status in ENDED_BY_SIGINT, log
    assert "Application shutdown complete" in log
