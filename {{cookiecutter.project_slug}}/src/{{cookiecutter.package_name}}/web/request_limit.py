"""At most MAX_CONCURRENT_REQUESTS requests in the works per process; past it, 503 at once.

The server's own limit (`serve`'s MAX_CONNECTIONS) counts connections, idle ones included: a
few hundred sockets that send nothing would fill it. This one counts requests, from their
headers on, so open sockets cost ordinary clients nothing. Health checks are never refused: an
orchestrator must not restart a process for being busy.
"""

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from {{ cookiecutter.package_name }}.core.settings import get_settings

BUSY = json.dumps({"detail": "The service is busy: try again in a moment"}).encode()


class RequestLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/health"):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= get_settings().max_concurrent_requests:
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(BUSY)).encode()),
                        (b"retry-after", b"1"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": BUSY})
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
