"""Request bodies above MAX_REQUEST_BODY_BYTES get 413 before they are read in full.

A pure ASGI middleware: a declared Content-Length over the limit is refused before a byte of
the body is read; a body without one (chunked) is counted as it arrives, and refused as soon as
it passes the limit. Forms and JSON alike: the limit applies below the framework's parsers.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.web.middleware_answers import send_refusal


class BodyTooLargeError(Exception):
    """Raised into the app when the body passes the limit; the middleware answers 413."""


async def _refuse(send: Send, limit: int) -> None:
    # The rest of the body is never read: the connection cannot serve another request.
    detail = f"The request body is larger than {limit} bytes"
    await send_refusal(send, 413, detail, ((b"connection", b"close"),))


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = get_settings().max_request_body_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit)
            return

        received = 0
        too_large = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise BodyTooLargeError
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            # Whatever the app makes of the interrupted body (the framework calls it
            # unparsable), the answer is 413.
            if too_large:
                if not started:
                    started = True
                    await _refuse(send, limit)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLargeError:
            if not started:
                await _refuse(send, limit)
