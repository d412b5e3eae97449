"""At most MAX_CONCURRENT_REQUESTS requests in the works per process; past it, 503 at once.

The server's own limit (`serve`'s MAX_CONNECTIONS) counts connections, idle ones included: a
few hundred sockets that send nothing would fill it. This one counts requests at work, from
their headers on, so open sockets cost ordinary clients nothing. A request waiting for the rest
of its body is not at work: a client that sends bodies a byte at a time holds no place (the
server closes it after BODY_TIMEOUT_SECONDS), and once its body is in, the request takes a
place again, or gets the 503 if none is free. Health checks are never refused: an orchestrator
must not restart a process for being busy.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.web.middleware_answers import send_refusal

BUSY = "The service is busy: try again in a moment"


class BusyError(Exception):
    """Raised into the app when its body is in and every place is taken: the answer is 503."""


async def _refuse(send: Send) -> None:
    await send_refusal(send, 503, BUSY, ((b"retry-after", b"1"),))


class RequestLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/health"):
            await self.app(scope, receive, send)
            return
        limit = get_settings().max_concurrent_requests
        if self.in_flight >= limit:
            await _refuse(send)
            return
        counted = True
        body_in = busy = started = False

        async def receive_uncounted() -> Message:
            nonlocal counted, body_in, busy
            if body_in:  # later calls wait for a disconnect, during the answer: still at work
                return await receive()
            if counted:
                self.in_flight -= 1
                counted = False
            message = await receive()
            if message["type"] == "http.request" and message.get("more_body", False):
                return message
            body_in = True
            if self.in_flight >= limit:
                busy = True
                raise BusyError
            self.in_flight += 1
            counted = True
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            # Whatever the app makes of the interrupted body, the answer is the 503.
            if busy:
                if not started:
                    started = True
                    await _refuse(send)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        self.in_flight += 1
        try:
            await self.app(scope, receive_uncounted, guarded_send)
        except BusyError:
            if not started:
                await _refuse(send)
        finally:
            if counted:
                self.in_flight -= 1
