"""`X-Request-ID` on every response, in every log line of the request and in every error body.

The caller's id is kept when it is a sane token (a load balancer's or a client's, so that one
request can be followed across services); anything else is replaced by a new one.
"""

import json
import re
import uuid

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
# Letters, digits and a few separators, as UUIDs and load balancers' ids use: nothing that
# could break a log line or a header.
SANE = re.compile(r"[A-Za-z0-9._:+=/-]{1,128}")


def request_id_from(scope: Scope) -> str:
    """The caller's id if it is sane, else a new one."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text: str = value.decode("latin-1")
            if SANE.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


def with_request_id(body: bytes, request_id: str) -> bytes | None:
    """An error's JSON object body with `request_id` added; None if it is not one."""
    try:
        content = json.loads(body)
    except ValueError:
        return None
    if not isinstance(content, dict):
        return None
    return json.dumps({**content, "request_id": request_id}).encode()


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        bound = structlog.contextvars.bind_contextvars(request_id=request_id)
        error_start: Message | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal error_start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[HEADER] = request_id
                json_error = message["status"] >= 400 and headers.get(
                    "content-type", ""
                ).startswith("application/json")
                if json_error:
                    error_start = message  # sent with its body, which gets the id
                    return
            elif error_start is not None and message["type"] == "http.response.body":
                if message.get("more_body", False):  # errors' bodies come whole; else as is
                    await send(error_start)
                    error_start = None
                else:
                    body = with_request_id(message.get("body", b""), request_id)
                    if body is not None:
                        MutableHeaders(scope=error_start)["content-length"] = str(len(body))
                        message = {**message, "body": body}
                    await send(error_start)
                    error_start = None
            await send(message)

        await self.app(scope, receive, send_with_id)
        # Only once the request ended well: on an exception the server's line about it, written
        # after this, names the request too (the binding ends with the request's task).
        structlog.contextvars.reset_contextvars(**bound)
