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
from {{ cookiecutter.package_name }}.web.middleware_answers import RefusableSend

BUSY = "The service is busy: try again in a moment"


class BusyError(Exception):
    """Raised into the app when its body is in and every place is taken: the answer is 503."""


def _refusal(send: Send) -> RefusableSend:
    return RefusableSend(send, 503, BUSY, ((b"retry-after", b"1"),))


class RequestLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/health"):
            await self.app(scope, receive, send)
            return
        limit = get_settings().max_concurrent_requests
        answer = _refusal(send)
        if self.in_flight >= limit:
            await answer.refuse()
            return
        counted = True
        body_in = False

        async def receive_uncounted() -> Message:
            nonlocal counted, body_in
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
                answer.refusing = True
                raise BusyError
            self.in_flight += 1
            counted = True
            return message

        self.in_flight += 1
        try:
            await self.app(scope, receive_uncounted, answer)
        except BusyError:
            await answer.refuse()
        finally:
            if counted:
                self.in_flight -= 1
