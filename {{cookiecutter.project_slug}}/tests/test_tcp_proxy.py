"""The relay the database-down tests cut: a cut ends every relay, at whatever step it is."""

import asyncio
import contextlib
import socket

from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase

from tests.tcp_proxy import TcpProxy

CLIENTS = 5
# PostgreSQL answers it at once with one byte, N or S: a connection still relayed says so.
SSL_REQUEST = (8).to_bytes(4, "big") + (80877103).to_bytes(4, "big")


def _connecting(port: int) -> socket.socket:
    """A connection on its way, without a turn of the event loop (as the app's pool opens one
    while the cut comes)."""
    client = socket.socket()
    client.setblocking(False)
    client.connect_ex(("127.0.0.1", port))
    return client


async def _answer(client: socket.socket) -> bytes:
    """What the database says to an SSL request through the cut relay: nothing, if it is cut."""
    reader, writer = await asyncio.open_connection(sock=client)
    try:
        writer.write(SSL_REQUEST)
        await writer.drain()
        async with asyncio.timeout(0.3):
            return await reader.read(1)
    except (ConnectionError, TimeoutError):
        return b""
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def test_a_cut_ends_every_relay_even_one_still_connecting(
    initialize_database: AsyncDatabase,
) -> None:
    """A relay still connecting upstream when the cut came used to carry on once connected:
    its client kept the connection open, and `stop` waited for it forever."""
    for turns in range(8):  # the cut comes at each step of the relays' start in turn
        proxy = TcpProxy(initialize_database.engine.url)
        await proxy.start()
        clients = [_connecting(proxy.port) for _ in range(CLIENTS)]
        for _ in range(turns):
            await asyncio.sleep(0)
        async with asyncio.timeout(2):
            await proxy.stop()
        answers = await asyncio.gather(*(_answer(client) for client in clients))
        assert answers == [b""] * CLIENTS, f"relayed after a cut {turns} turns in: {answers}"
