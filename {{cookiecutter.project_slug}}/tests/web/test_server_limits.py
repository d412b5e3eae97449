"""What the served process itself refuses, before the app sees a request: bodies over
MAX_REQUEST_BODY_BYTES (413, unread), header sections over MAX_HEADER_BYTES (431) or slower
than HEADER_TIMEOUT_SECONDS, bodies slower than BODY_TIMEOUT_SECONDS (closed); and sockets that
send nothing, or requests waiting for their bodies, keep no one else out.

One `serve` process for the module, on real sockets, as the image runs it; the idle sockets'
test has one of its own, with a header timeout longer than the test.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from httpx import AsyncClient
from sqlalchemy import text

from {{ cookiecutter.package_name }}.auth.models import LoginFailure
from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase

from tests.database_setup import delete_all_rows
from tests.served import started_app, uvicorn_serving

MAX_HEADER_BYTES = 16_384
HEADER_TIMEOUT = 0.5
BODY_TIMEOUT = 0.5
HELD = "held.login@example.com"
# How long the idle sockets' server waits for their headers: longer than any test takes.
IDLE_FOR = 30
# A bound on what the client may have written before the server's answer: socket buffers
# hold a few MB; a server that reads everything would take all of it.
SENT_AT_MOST = 50 * 1024 * 1024


@pytest.fixture(scope="module")
async def server(initialize_database: AsyncDatabase) -> AsyncIterator[tuple[str, int]]:
    """`serve` with small header and body limits, so that the tests need not wait long."""
    async with uvicorn_serving(
        initialize_database.engine,
        MAX_HEADER_BYTES=str(MAX_HEADER_BYTES),
        HEADER_TIMEOUT_SECONDS=str(HEADER_TIMEOUT),
        BODY_TIMEOUT_SECONDS=str(BODY_TIMEOUT),
    ) as address:
        yield address


async def _answer_while_sending(host: str, port: int, head: bytes, chunk: bytes) -> bytes:
    """Send `head`, then `chunk` over and over until the server answers or closes the
    connection: its status line (empty if it closed without one)."""
    reader, writer = await asyncio.open_connection(host, port)
    loop = asyncio.get_running_loop()
    try:
        writer.write(head)
        answer = asyncio.ensure_future(reader.readline())
        sent = 0
        deadline = loop.time() + 15
        try:
            while not answer.done() and sent < SENT_AT_MOST:
                assert loop.time() < deadline, "no answer within 15 s"
                writer.write(chunk)
                sent += len(chunk)
                try:
                    await asyncio.wait_for(asyncio.shield(answer), timeout=0.01)
                except TimeoutError:
                    await writer.drain()
        except ConnectionError:
            pass  # it closed the connection while we were still sending
        assert sent < SENT_AT_MOST, "the server read all that was sent"
        try:
            return await asyncio.wait_for(answer, timeout=10)
        except ConnectionError:
            return b""
    finally:
        writer.close()


async def test_uvicorn_answers_413_without_reading_the_body(server: tuple[str, int]) -> None:
    declared = f"Content-Length: {100 * 1024 * 1024}".encode()
    chunk = b"10000\r\n" + b"x" * 0x10000 + b"\r\n"
    cases = {
        "a declared length, and no body sent": (declared, b""),
        "chunked, sent until the server answers": (b"Transfer-Encoding: chunked", chunk),
    }
    for case, (framing, body_chunk) in cases.items():
        head = (
            b"POST /users HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            + framing
            + b"\r\n\r\n"
        )
        status_line = await _answer_while_sending(*server, head, body_chunk)
        assert status_line.startswith(b"HTTP/1.1 413 "), (case, status_line)


async def test_a_header_section_over_the_limit_gets_431_after_little_work(
    server: tuple[str, int],
) -> None:
    head = b"GET /health/live HTTP/1.1\r\nHost: test\r\nX-Padding: "
    status_line = await _answer_while_sending(*server, head, b"a" * 65_536)
    # 431, unless the connection's reset (the unread rest of the header) overtook it.
    assert status_line.startswith(b"HTTP/1.1 431 ") or status_line == b"", status_line
    host, port = server
    async with AsyncClient(base_url=f"http://{host}:{port}") as client:
        within = {"X-Padding": "a" * (MAX_HEADER_BYTES // 2)}
        assert (await client.get("/health/live", headers=within)).status_code == 200


async def _response(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """A whole response read: its status line and body."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return head.split(b"\r\n")[0], await reader.readexactly(length)


async def test_a_header_section_over_the_limit_in_one_read_gets_431(
    server: tuple[str, int],
) -> None:
    """Sent whole, so that the server reads it whole: first on its connection, and after a
    request on the same connection."""
    request = b"GET /health/live HTTP/1.1\r\nHost: test\r\n"
    too_large = request + b"X-Padding: " + b"a" * (4 * MAX_HEADER_BYTES) + b"\r\n\r\n"
    for first in (b"", request + b"\r\n"):
        reader, writer = await asyncio.open_connection(*server)
        try:
            if first:
                writer.write(first)
                assert (await _response(reader))[0].startswith(b"HTTP/1.1 200 ")
            writer.write(too_large)
            status_line, body = await asyncio.wait_for(_response(reader), timeout=10)
            assert status_line.startswith(b"HTTP/1.1 431 "), (first, status_line)
            detail = json.loads(body)["detail"]
            assert detail.startswith(f"The request line and headers are over {MAX_HEADER_BYTES:,}")
        finally:
            writer.close()
    # A body in the same read is not counted as headers.
    reader, writer = await asyncio.open_connection(*server)
    try:
        body = b"x" * (4 * MAX_HEADER_BYTES)
        writer.write(b"POST /health/live HTTP/1.1\r\nHost: test\r\n")
        writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        assert (await _response(reader))[0].startswith(b"HTTP/1.1 405 ")
    finally:
        writer.close()


async def _seconds_until_closed(reader: asyncio.StreamReader) -> float:
    """Seconds until the server closes the connection (reading nothing from it)."""
    started = time.monotonic()
    try:
        said = await asyncio.wait_for(reader.read(), timeout=10 * HEADER_TIMEOUT)
    except TimeoutError:
        raise AssertionError(f"still open after {10 * HEADER_TIMEOUT} s") from None
    except ConnectionResetError:  # closed with bytes we sent unread: a reset, not a FIN
        said = b""
    assert said == b"", said
    return time.monotonic() - started


async def _sending_nothing(host: str, port: int) -> float:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        return await _seconds_until_closed(reader)
    finally:
        writer.close()


async def _sending_headers_a_byte_at_a_time(host: str, port: int) -> float:
    reader, writer = await asyncio.open_connection(host, port)

    async def trickle() -> None:
        writer.write(b"GET /health/live HTTP/1.1\r\nHost: test\r\n")
        while not writer.is_closing():
            writer.write(b"X")
            await asyncio.sleep(0.02)

    sending = asyncio.ensure_future(trickle())
    try:
        return await _seconds_until_closed(reader)
    finally:
        sending.cancel()
        writer.close()


async def test_connections_that_do_not_send_their_headers_in_time_are_closed(
    server: tuple[str, int],
) -> None:
    waited = await asyncio.gather(
        _sending_nothing(*server), _sending_headers_a_byte_at_a_time(*server)
    )
    assert all(seconds >= HEADER_TIMEOUT * 0.8 for seconds in waited), waited


async def test_hundreds_of_idle_sockets_keep_no_one_else_out(
    initialize_database: AsyncDatabase,
) -> None:
    # A server of its own, whose header timeout cannot close the idle sockets before the
    # clients are served, however busy the machine.
    engine = initialize_database.engine
    async with uvicorn_serving(engine, HEADER_TIMEOUT_SECONDS=str(IDLE_FOR)) as (host, port):
        idle = await asyncio.gather(*(asyncio.open_connection(host, port) for _ in range(300)))
        try:
            for _, writer in idle[::2]:  # half of them start a request and never finish it
                writer.write(b"GET /users/me HTTP/1.1\r\nHost: test\r\n")
            async with AsyncClient(base_url=f"http://{host}:{port}") as client:
                answers = await asyncio.gather(
                    client.get("/health/ready"), client.get("/users/me"), client.get("/health/live")
                )
            still_open = not any(reader.at_eof() for reader, _ in idle)
        finally:
            for _, writer in idle:
                writer.close()
    assert [answer.status_code for answer in answers] == [200, 401, 200]
    assert still_open, "the idle sockets were open meanwhile"


@asynccontextmanager
async def _logins_held(database: AsyncDatabase) -> AsyncIterator[None]:
    """Logins wait, at work, while this holds the table of failed logins."""
    async with database.engine.connect() as holder:
        table = LoginFailure.__tablename__
        await holder.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        yield
        await holder.rollback()


async def _until_waiting_for_locks(database: AsyncDatabase, count: int) -> None:
    """Until `count` statements of others wait for a lock (the held logins are at work)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    async with database.engine.connect() as watcher:
        for _ in range(500):
            if await watcher.scalar(waiting) == count:
                return
            await watcher.rollback()  # the view is read once per transaction
            await asyncio.sleep(0.01)
    raise AssertionError(f"not {count} statements waiting for a lock after 5 s")


async def _log_in(client: AsyncClient) -> httpx.Response:
    return await client.post("/token", data={"username": HELD, "password": "any password"})


def _assert_busy(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "1"
    assert response.json()["detail"] == "The service is busy: try again in a moment"


async def test_requests_past_the_limit_get_503_at_once(
    initialize_database: AsyncDatabase,
) -> None:
    url = initialize_database.engine.url
    try:
        async with started_app(url, MAX_CONCURRENT_REQUESTS="2") as (_, client):
            assert get_settings().max_concurrent_requests == 2
            async with _logins_held(initialize_database):
                held = [asyncio.ensure_future(_log_in(client)) for _ in range(2)]
                await _until_waiting_for_locks(initialize_database, 2)
                _assert_busy(await client.get("/users/me"))
                health = await client.get("/health/ready")
                assert health.status_code == 200, "health is never refused"
            assert [(await login).status_code for login in held] == [401, 401]
            assert (await client.get("/users/me")).status_code == 401, "served once they end"
    finally:
        await delete_all_rows(initialize_database.engine)


async def test_requests_waiting_for_their_bodies_hold_no_place(
    initialize_database: AsyncDatabase,
) -> None:
    """A client that sends its bodies slowly keeps no one out; each request takes a place once
    its body is in."""
    releases = [asyncio.Event() for _ in range(3)]

    async def body_sent_on(release: asyncio.Event) -> AsyncIterator[bytes]:
        await release.wait()
        yield b"{}"

    async with started_app(initialize_database.engine.url, MAX_CONCURRENT_REQUESTS="1") as (
        _,
        client,
    ):
        waiting = [
            asyncio.ensure_future(client.post("/users", content=body_sent_on(release)))
            for release in releases
        ]
        await asyncio.sleep(0.05)  # all three wait for their bodies
        assert (await client.get("/users/me")).status_code == 401, "no place is held"
        for release, request in zip(releases, waiting, strict=True):
            release.set()
            assert (await request).status_code == 422  # in the free place: an invalid body


async def test_a_body_in_while_every_place_is_taken_gets_503(
    initialize_database: AsyncDatabase,
) -> None:
    release = asyncio.Event()

    async def body_sent_later() -> AsyncIterator[bytes]:
        await release.wait()
        yield b"{}"

    url = initialize_database.engine.url
    try:
        async with started_app(url, MAX_CONCURRENT_REQUESTS="1") as (_, client):
            waiting = asyncio.ensure_future(client.post("/users", content=body_sent_later()))
            await asyncio.sleep(0.05)  # it waits for its body, holding no place
            async with _logins_held(initialize_database):
                login = asyncio.ensure_future(_log_in(client))
                await _until_waiting_for_locks(initialize_database, 1)
                release.set()
                _assert_busy(await waiting)
            assert (await login).status_code == 401
    finally:
        await delete_all_rows(initialize_database.engine)


async def test_a_request_the_client_gives_up_on_frees_its_place(
    initialize_database: AsyncDatabase,
) -> None:
    url = initialize_database.engine.url
    try:
        async with (
            started_app(url, MAX_CONCURRENT_REQUESTS="1") as (_, client),
            _logins_held(initialize_database),
        ):
            abandoned = asyncio.ensure_future(_log_in(client))
            await _until_waiting_for_locks(initialize_database, 1)
            _assert_busy(await client.get("/users/me"))
            abandoned.cancel()
            with pytest.raises((asyncio.CancelledError, httpx.HTTPError)):
                await abandoned
            assert (await client.get("/users/me")).status_code == 401
    finally:
        await delete_all_rows(initialize_database.engine)


async def test_a_body_not_in_within_its_timeout_closes_the_connection(
    server: tuple[str, int],
) -> None:
    reader, writer = await asyncio.open_connection(*server)
    try:
        head = b"POST /users HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        writer.write(head + b"Content-Length: 100\r\n\r\n{")
        waited = await _seconds_until_closed(reader)
    finally:
        writer.close()
    assert waited >= BODY_TIMEOUT * 0.8, waited
