"""Headers every response carries."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class SecurityHeadersMiddleware:
    """`X-Content-Type-Options: nosniff` on every response (OWASP ASVS 5.0 3.4.4), and
    `Cache-Control: no-store` unless the route said otherwise: answers hold a user's data,
    which no shared cache (a proxy's, a CDN's) nor a browser's disk should keep (OWASP REST
    Security Cheat Sheet)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
