"""Leak checks on a response's JSON: its keys, and the secret values themselves.

Never a search of the response's text for a word: a field may well be called `password_hint`.
"""

from collections.abc import Iterator
from typing import Any

from httpx import Response

# Keys that only a leak would put in a body, at any depth.
SECRET_KEYS = frozenset({"password", "hashed_password"})
# Every Argon2 hash starts so, whichever user's it is.
HASH_MARK = "$argon2"


def json_keys(value: Any) -> Iterator[str]:
    """Every object key in a decoded JSON document, at any depth."""
    return (text for text, is_key in _json_texts(value) if is_key)


def json_strings(value: Any) -> Iterator[str]:
    """Every string in a decoded JSON document, keys included, at any depth."""
    return (text for text, _ in _json_texts(value))


def _json_texts(value: Any) -> Iterator[tuple[str, bool]]:
    """Every string of a decoded JSON document, and whether it is an object key."""
    if isinstance(value, str):
        yield value, False
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key, True
            yield from _json_texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_texts(item)


def assert_no_secrets(response: Response, *secrets: str) -> None:
    """No key of the body is a secret's, and no string in it holds a secret or a hash."""
    if response.request.method == "HEAD":
        assert not response.content  # an answer to HEAD has no body
        return
    body = response.json()
    assert not SECRET_KEYS & set(json_keys(body)), body
    for text in json_strings(body):
        for secret in (*secrets, HASH_MARK):
            assert secret not in text, (secret, body)
