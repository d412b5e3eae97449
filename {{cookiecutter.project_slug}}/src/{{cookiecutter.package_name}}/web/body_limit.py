"""Request bodies above MAX_REQUEST_BODY_BYTES get 413 before they are read in full.

A pure ASGI middleware: a declared Content-Length over the limit is refused before a byte of
the body is read; a body without one (chunked) is counted as it arrives, and refused as soon as
it passes the limit. Forms and JSON alike: the limit applies below the framework's parsers.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.web.middleware_answers import RefusableSend


class BodyTooLargeError(Exception):
    """Raised into the app when the body passes the limit; the middleware answers 413."""


def _refusal(send: Send, limit: int) -> RefusableSend:
    # The rest of the body is never read: the connection cannot serve another request.
    detail = f"The request body is larger than {limit} bytes"
    return RefusableSend(send, 413, detail, ((b"connection", b"close"),))


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = get_settings().max_request_body_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        answer = _refusal(send, limit)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await answer.refuse()
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    answer.refusing = True
                    raise BodyTooLargeError
            return message

        try:
            await self.app(scope, counting_receive, answer)
        except BodyTooLargeError:
            await answer.refuse()
