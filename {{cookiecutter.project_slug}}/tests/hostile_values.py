"""Values the API must refuse for each field chosen when the project was made.

Written from the template's description of each field type (its `hooks/field_types.py`): every
type says what it refuses. Values are raw JSON, to send what `json.dumps` would refuse (NaN,
lone surrogates).
"""
{%- set fields = cookiecutter.user_fields | user_fields %}

import json

from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.database.storable import MAX_INDEXED_BYTES


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
