"""One line per request, from the app itself (ACCESS_LOG), on the logger `<package>.access`.

It names the route by its template (`/users/{user_id}`), so that lines group by route and no
id, query string or secret in a URL reaches the log; the client's address as the throttles
judge it (TRUSTED_PROXIES); and the caller's user id once the request was authenticated.
"""

import logging
import time

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.observability.route_names import route_template
from {{ cookiecutter.package_name }}.web.client_address import client_address

logger = logging.getLogger("{{ cookiecutter.package_name }}.access")


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        settings = get_settings() if scope["type"] == "http" else None
        if settings is None or not settings.access_log:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts
        size = 0

        async def measured_send(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, measured_send)
        finally:
            state = scope.get("state", {})
            user_id = state.get("user_id")
            logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": route_template(scope),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "response_bytes": size,
                    "client_address": client_address(Request(scope), settings.trusted_proxies),
                    "user_id": str(user_id) if user_id else None,
                    # The request's binding of it has ended by now (observability/request_id.py).
                    "request_id": state.get("request_id"),
                },
            )
