"""uvicorn's httptools protocol with the limits httptools lacks.

httptools reads a header section of any size (one 100 MB header costs seconds of CPU) and
waits for it, and for a body, forever (a socket that sends nothing, or a byte at a time, is held
open). Here a header section over MAX_HEADER_BYTES gets 431; one not complete within
HEADER_TIMEOUT_SECONDS of its first byte (or of the connection, for a first request), or a body
not complete within BODY_TIMEOUT_SECONDS of its headers, closes the connection. `serve` passes
this class to uvicorn as its `http` protocol.
"""

import asyncio
import json
from functools import cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from {{ cookiecutter.package_name }}.core.settings import get_settings


@cache
def too_large(max_header_bytes: int) -> bytes:
    """The 431 answer, with a JSON body as the app's own errors have (the app never sees it)."""
    detail = (
        f"The request line and headers are over {max_header_bytes:,} bytes "
        "(MAX_HEADER_BYTES): send a shorter URL or fewer or smaller headers"
    )
    body = json.dumps({"detail": detail}).encode()
    head = (
        "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *arguments: Any, **options: Any) -> None:
        super().__init__(*arguments, **options)
        settings = get_settings()
        self.max_header_bytes = settings.max_header_bytes
        self.header_timeout_seconds = settings.header_timeout_seconds
        self.body_timeout_seconds = settings.body_timeout_seconds
        self.too_large = too_large(settings.max_header_bytes)
        # Bytes of the header section read so far; None from a request's end of headers to
        # its end (its body).
        self.header_bytes: int | None = 0
        # When the connection closes unless the header section (or the body) is in by then.
        self.deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_deadline(self.header_timeout_seconds)

    def data_received(self, data: bytes) -> None:
        if self.header_bytes is not None:
            # Counted before the parser sees them: a header section that arrives in one read
            # is complete after it. Up to the section's end only, for a body may follow. (A
            # request pipelined after another in one read is counted from the next read.)
            end = data.find(b"\r\n\r\n")
            self.header_bytes += len(data) if end == -1 else end + 4
            if self.header_bytes > self.max_header_bytes:
                if not self.transport.is_closing():
                    self.transport.write(self.too_large)
                    self.transport.close()
                return
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_deadline(self.header_timeout_seconds)

    def on_headers_complete(self) -> None:
        self.header_bytes = None
        self._cancel_deadline()
        super().on_headers_complete()
        # Waiting for a body holds no place of MAX_CONCURRENT_REQUESTS, but it holds the socket.
        self._start_deadline(self.body_timeout_seconds)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._cancel_deadline()
        self.header_bytes = 0  # what the connection sends next is a header section

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def _start_deadline(self, seconds: float) -> None:
        if self.deadline is None:  # the first request's runs from the connection on
            self.deadline = asyncio.get_running_loop().call_later(seconds, self._too_slow)

    def _cancel_deadline(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _too_slow(self) -> None:
        self.deadline = None
        if not self.transport.is_closing():
            self.transport.close()
