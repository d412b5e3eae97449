"""Answers a middleware sends itself, before or instead of the app's: JSON like the app's own
errors (`{"detail": ...}`), so that a client reads every refusal the same way."""

import json

from starlette.types import Send


async def send_refusal(
    send: Send, status: int, detail: str, headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
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
