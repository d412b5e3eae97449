"""Faker-made users whose values fit each field's type and length, and stay unique where needed.

Unique values are numbered by a sequence that restarts with every test, as the database does
(conftest's `setup_database`): a test needs as many distinct values as it makes users, whatever
ran before it. A test that needs more than a unique field can hold is skipped, saying so.
"""

import datetime as dt
import itertools
import string
from decimal import Decimal
from typing import Any, NoReturn
from uuid import UUID, uuid4

import pytest
from faker import Faker
from pydantic_core import to_jsonable_python

from {{ cookiecutter.package_name }}.users.roles import Role

fake = Faker()
# Letters of the tags that make text unique: ASCII first, then the CJK ideographs, so that even a
# one-character field holds over 20,000 distinct values.
_TAG_LETTERS = string.digits + string.ascii_letters + "".join(map(chr, range(0x4E00, 0xA000)))


class _Sequence:
    """1, 2, 3, ... within a test; `restart` when the database is emptied."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)

    def restart(self) -> None:
        self._numbers = itertools.count(1)

    def __next__(self) -> int:
        return next(self._numbers)


_sequence = _Sequence()


def restart_sequence() -> None:
    """Number unique values from 1 again: every test starts from an empty database."""
    _sequence.restart()


def unique_number() -> int:
    """The test's next number: what makes a value of a unique field unique (factories of new
    resources use it too)."""
    return next(_sequence)


def _too_few(what: str, capacity: int, number: int) -> NoReturn:
    pytest.skip(
        f"a unique {what} holds only {capacity} distinct values; this test needs more ({number})"
    )


def _tag(number: int) -> str:
    """`number` (from 1) spelt in _TAG_LETTERS, shortest strings first: no two numbers alike."""
    letters = []
    while number:
        number, letter = divmod(number - 1, len(_TAG_LETTERS))
        letters.append(_TAG_LETTERS[letter])
    return "".join(reversed(letters))


def fake_string(max_length: int, unique: int | None) -> str:
    filler = fake.pystr(min_chars=1, max_chars=min(max_length, 24))
    if unique is None:
        return filler
    tag = _tag(unique)
    if len(tag) > max_length:
        capacity = sum(len(_TAG_LETTERS) ** length for length in range(1, max_length + 1))
        _too_few(f"str({max_length})", capacity, unique)
    # Tags hold no "-": whatever the length cuts off, two tags never make the same text.
    return f"{tag}-{filler}"[:max_length]


def fake_text(unique: int | None) -> str:
    paragraph = fake.paragraph()
    return paragraph if unique is None else f"{_tag(unique)} {paragraph}"


def fake_int(unique: int | None) -> int:
    return unique if unique is not None else fake.pyint(min_value=-1_000_000, max_value=1_000_000)


def fake_float(unique: int | None) -> float:
    if unique is not None:
        return unique + 0.5
    return fake.pyfloat(min_value=-1_000_000, max_value=1_000_000)


def fake_decimal(precision: int, scale: int, unique: int | None) -> Decimal:
    largest = 10**precision - 1  # in units of the last decimal place
    if unique is None:
        units = fake.pyint(min_value=-largest, max_value=largest)
    else:
        # 0, 1, -1, 2, -2, ...: negative values too, so decimal(2,S) holds 199 of them.
        if unique > 2 * largest + 1:
            _too_few(f"decimal({precision},{scale})", 2 * largest + 1, unique)
        units = unique // 2 if unique % 2 == 0 else -(unique // 2)
    # Built exactly: arithmetic (scaleb) would round to the context's 28 digits.
    return Decimal(f"{units}E-{scale}")


def fake_bool() -> bool:
    return fake.pybool()


def fake_date(unique: int | None) -> dt.date:
    if unique is None:
        return fake.date_object()
    return dt.date(2000, 1, 1) + dt.timedelta(days=unique)


def fake_datetime(unique: int | None) -> dt.datetime:
    if unique is None:
        return fake.date_time(tzinfo=dt.UTC)
    return dt.datetime(2000, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=unique)


def fake_uuid() -> UUID:
    return uuid4()


def fake_email(seq: int) -> str:
    # A word, not fake.user_name(): that weighs names for every call, 15x the cost.
    return f"{fake.word()}.{seq}@example.com".lower()


def extra_field_values(seq: int) -> dict[str, Any]:
    """A value for every field chosen when the project was made."""
{%- set fields = cookiecutter.user_fields | user_fields %}
    return {
        # One entry per field chosen when the project was made.
{%- for field in fields %}
        "{{ field.name }}": {{ field | fake_value }},
{%- endfor %}
    }


def new_user_values(role: Role, hashed_password: str) -> dict[str, Any]:
    """The columns of a new User row."""
    seq = unique_number()
    return {
        "email": fake_email(seq),
        "role": role,
        "hashed_password": hashed_password,
        **extra_field_values(seq),
    }


def new_sign_up(password: str) -> dict[str, Any]:
    """A JSON body for `POST /users`."""
    seq = unique_number()
    return json_body({"email": fake_email(seq), "password": password, **extra_field_values(seq)})


def json_body(values: dict[str, Any]) -> dict[str, Any]:
    """`values` as a JSON body, each written as the API answers it (`json_value`)."""
    return {name: json_value(value) for name, value in values.items()}


def json_value(value: Any) -> Any:
    """`value` as the API writes it in JSON: as pydantic does, but a decimal in full, as
    PostgreSQL writes it (`0.00000001`: pydantic would write `1E-8`)."""
    return format(value, "f") if isinstance(value, Decimal) else to_jsonable_python(value)
