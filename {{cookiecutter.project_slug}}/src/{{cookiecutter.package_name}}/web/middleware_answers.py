"""Answers a middleware sends itself, before or instead of the app's: JSON like the app's own
errors (`{"detail": ...}`), so that a client reads every refusal the same way."""

import json

from starlette.types import Message, Send

Headers = tuple[tuple[bytes, bytes], ...]


async def send_refusal(send: Send, status: int, detail: str, headers: Headers = ()) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RefusableSend:
    """The app's `send`, for a middleware that may refuse a request from inside the app's
    `receive` (raising into it): once `refusing` is set, whatever the app answers (the framework
    makes a 400 or 422 of an interrupted body) gives way to the refusal, sent once."""

    def __init__(self, send: Send, status: int, detail: str, headers: Headers = ()) -> None:
        self.send = send
        self.refusal = (status, detail, headers)
        self.refusing = False
        self.started = False

    async def __call__(self, message: Message) -> None:
        if self.refusing:
            await self.refuse()
            return
        self.started = self.started or message["type"] == "http.response.start"
        await self.send(message)

    async def refuse(self) -> None:
        """The refusal, unless an answer has begun already."""
        if not self.started:
            self.started = True
            await send_refusal(self.send, *self.refusal)
