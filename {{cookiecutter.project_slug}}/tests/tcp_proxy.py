"""A TCP relay to the test database that can be cut and restored, as if the server restarted;
and a black hole, a server that never answers, as a database whose replies are lost.

The shared database server is never stopped: the app reaches it through these instead.
"""

import asyncio
import contextlib
import socket

from sqlalchemy import URL


def free_port() -> int:
    """A local port nothing listens on (until someone binds it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


class TcpProxy:
    """Listens on 127.0.0.1:`port` once started; `stop` drops every connection, like a crash."""

    def __init__(self, upstream: URL) -> None:
        self.port = free_port()
        self._upstream = upstream
        self._server: asyncio.Server | None = None
        self._relays: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            # No more connections, and a turn of the loop for those accepted already to become
            # transports: closed in between, asyncio leaks their sockets (CPython gh-109564;
            # on 3.13 an error in the socket's finalizer too).
            loop = asyncio.get_running_loop()
            for listening in self._server.sockets:
                loop.remove_reader(listening.fileno())
            await asyncio.sleep(0)
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        await asyncio.gather(*self._relays, return_exceptions=True)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._relays.add(task)
        # Cut at once by `stop`, even while still connecting upstream.
        self._writers.add(writer)
        try:
            await self._forward(reader, writer)
        finally:
            writer.transport.abort()
            self._writers.discard(writer)
            self._relays.discard(task)

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Accepted just before `stop`, the connection is cut like the others.
        if self._server is None or not self._server.is_serving():
            return
        try:
            upstream_reader, upstream_writer = await _connect(self._upstream)
        except OSError:
            return
        try:
            # Cut while connecting upstream: a relay started now would outlive `stop`.
            if writer.transport.is_closing():
                return
            self._writers.add(upstream_writer)
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            upstream_writer.transport.abort()
            self._writers.discard(upstream_writer)


class BlackHole:
    """Listens on 127.0.0.1:`port` while in use; takes every connection and never says a word."""

    def __init__(self) -> None:
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._held: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> "BlackHole":
        self._server = await asyncio.start_server(self._hold, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._held:
            writer.transport.abort()
        await self._server.wait_closed()

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._held.add(writer)
        await reader.read()  # until the client gives up


async def _connect(url: URL) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection to the server of `url`: its TCP address, or its Unix socket (embedded)."""
    socket_dir = url.query.get("host")
    port = url.port or 5432
    if isinstance(socket_dir, str) and socket_dir.startswith("/"):
        return await asyncio.open_unix_connection(f"{socket_dir}/.s.PGSQL.{port}")
    return await asyncio.open_connection(url.host or "127.0.0.1", port)


def tcp_url(url: URL, port: int) -> URL:
    """`url` with its server replaced by 127.0.0.1:`port` (a Unix socket's `host` dropped)."""
    return url.set(host="127.0.0.1", port=port, query={})
