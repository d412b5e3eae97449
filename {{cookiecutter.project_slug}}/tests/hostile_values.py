"""Values the API must refuse for each field chosen when the project was made, and how a test
sends one (`body_with`) and checks the refusal (`assert_refused`).

Written from the template's description of each field type (its `hooks/field_types.py`): every
type says what it refuses. Values are raw JSON, to send what `json.dumps` would refuse (NaN,
lone surrogates).
"""
{%- set fields = cookiecutter.user_fields | user_fields %}

import json
from typing import Any

from httpx import Response

from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.database.storable import MAX_INDEXED_BYTES

from tests.helpers import PASSWORD
from tests.leaks import assert_no_secrets


def json_string(text: str) -> str:
    return json.dumps(text)


def beyond_text_limit() -> str:
    """Text one character longer than TEXT_MAX_LENGTH, a setting, allows."""
    return json_string("x" * (get_settings().text_max_length + 1))


def too_big_to_index() -> str:
    """4-byte characters: within a column's length, beyond what a B-tree index entry holds."""
    return json_string("\U0001f600" * (MAX_INDEXED_BYTES // 4 + 1))


# Each field's (case, raw JSON).
HOSTILE_VALUES: dict[str, list[tuple[str, str]]] = {{ fields | hostile_values }}


def body_with(body: dict[str, Any], field: str, raw: str) -> str:
    """`body` as JSON, with `field` set to the raw JSON `raw`."""
    rest = {name: value for name, value in body.items() if name != field}
    return json.dumps(rest)[:-1] + (", " if rest else "") + f"{json.dumps(field)}: {raw}" + "}"


def _is_about(error: dict[str, Any], field: str) -> bool:
    """The error is the field's: placed at it (`["body", field, ...]` or `["query", field]`),
    never found by a word of its message."""
    location: list[str | int] = error["loc"]
    return field in location[:2]


def assert_refused(response: Response, field: str | None = None) -> None:
    """A 422 naming the field, with nothing of what was sent echoed back; or a 413 when the body is
    beyond MAX_REQUEST_BODY_BYTES (a `str(N)` field's N may be larger), refused before parsing."""
    limit = get_settings().max_request_body_bytes
    if len(response.request.content) > limit:
        assert response.status_code == 413, response.text
        assert str(limit) in response.json()["detail"]
        return
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert errors
    if field is not None:
        assert any(_is_about(error, field) for error in errors), errors
    assert all("input" not in error for error in errors)
    # Nor the exception behind a validator's message, which JSON shows as {}.
    assert all("error" not in error.get("ctx", {}) for error in errors), errors
    # Text's limit in characters, however the field is declared (optional or not).
    assert not [error for error in errors if "items after validation" in error["msg"]], errors
    assert_no_secrets(response, PASSWORD)
