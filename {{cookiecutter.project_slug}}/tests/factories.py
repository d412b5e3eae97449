"""Faker-made users whose values fit each field's type and length, and stay unique where needed."""

import datetime as dt
import itertools
import string
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from faker import Faker
from pydantic_core import to_jsonable_python

from {{ cookiecutter.package_name }}.roles import Role

fake = Faker()
# Unique values come from one counter, so they never collide within a test run.
_sequence = itertools.count(1)
_DIGITS = string.digits + string.ascii_letters


def _base62(number: int) -> str:
    text = ""
    while True:
        number, digit = divmod(number, len(_DIGITS))
        text = _DIGITS[digit] + text
        if not number:
            return text


def fake_string(max_length: int, unique: int | None) -> str:
    filler = fake.pystr(min_chars=1, max_chars=min(max_length, 24))
    if unique is None:
        return filler
    tag = _base62(unique)
    if len(tag) > max_length:
        raise ValueError(f"str({max_length}) cannot hold {unique} unique values")
    return f"{tag}-{filler}"[:max_length]


def fake_text(unique: int | None) -> str:
    paragraph = fake.paragraph()
    return paragraph if unique is None else f"{_base62(unique)} {paragraph}"


def fake_int(unique: int | None) -> int:
    return unique if unique is not None else fake.pyint(min_value=-1_000_000, max_value=1_000_000)


def fake_float(unique: int | None) -> float:
    if unique is not None:
        return unique + 0.5
    return fake.pyfloat(min_value=-1_000_000, max_value=1_000_000)


def fake_decimal(precision: int, scale: int, unique: int | None) -> Decimal:
    largest = 10**precision - 1  # in units of the last decimal place
    if unique is not None and unique > largest:
        raise ValueError(f"decimal({precision},{scale}) cannot hold {unique} unique values")
    units = unique if unique is not None else fake.pyint(min_value=-largest, max_value=largest)
    return Decimal(units).scaleb(-scale)


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
    return f"{fake.user_name()}.{seq}@example.com".lower()


def extra_field_values(seq: int) -> dict[str, Any]:
    """A value for every field chosen when the project was made."""
{%- set fields = cookiecutter.user_fields | user_fields %}
    return {
        # One entry per field chosen when the project was made.
{%- for field in fields %}
        "{{ field.name }}": {{ field.fake_value }},
{%- endfor %}
    }


def new_user_values(role: Role, hashed_password: str) -> dict[str, Any]:
    """The columns of a new User row."""
    seq = next(_sequence)
    return {
        "email": fake_email(seq),
        "role": role,
        "hashed_password": hashed_password,
        **extra_field_values(seq),
    }


def new_sign_up(password: str) -> dict[str, Any]:
    """A JSON body for `POST /users`."""
    seq = next(_sequence)
    body = {"email": fake_email(seq), "password": password, **extra_field_values(seq)}
    return dict(to_jsonable_python(body))
