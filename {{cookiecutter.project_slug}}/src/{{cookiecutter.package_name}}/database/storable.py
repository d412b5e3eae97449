"""Pydantic types for values a PostgreSQL column can hold, so that a bad value is a 422 in the
schemas rather than an error from the database. Every resource's schemas use them.

A value the column keeps in another form than it was sent (a decimal at the column's scale, a
moment in UTC) is put in that form here, so that a write answers what a later read will. A
decimal is answered as PostgreSQL writes it (PlainDecimal).

A JSON body says what kind each value is, so a body takes only the right kind: `true` or `"3"`
is no number (StrictInt32), `1` or `"yes"` no boolean (StrictBool), a number no date or moment.
A query parameter is text, so the lists' filters take a number's text too (Int32)."""

import datetime as dt
import re
from decimal import Context, Decimal, InvalidOperation
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    PlainSerializer,
    Strict,
    WithJsonSchema,
)

from {{ cookiecutter.package_name }}.core.settings import get_settings

# PostgreSQL refuses a B-tree index entry over 2704 bytes; text in an indexed column stays below.
MAX_INDEXED_BYTES = 2600


def encodable_text(text: str) -> str:
    # JSON can spell lone surrogates ("\ud800"), which no UTF-8 text, nor PostgreSQL, can hold.
    try:
        text.encode()
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (it holds a lone surrogate)") from None
    return text


def storable_text(text: str) -> str:
    if "\x00" in text:
        raise ValueError("must not contain the NUL character")
    return encodable_text(text)


def _fits_an_index(text: str) -> str:
    if len(text.encode()) > MAX_INDEXED_BYTES:
        raise ValueError(f"must be at most {MAX_INDEXED_BYTES} bytes in UTF-8, as it is indexed")
    return text


def _within_text_limit(text: str) -> str:
    # A setting, read when a request is validated: unbounded text is unbounded memory and storage.
    limit = get_settings().text_max_length
    if len(text) > limit:
        raise ValueError(f"must be at most {limit} characters (TEXT_MAX_LENGTH)")
    return text


DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date_text(value: object) -> object:
    # Pydantic's own date also takes a number (seconds since 1970) and a datetime at midnight.
    if isinstance(value, str) and DATE_TEXT.fullmatch(value):
        return value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise ValueError("must be a date as YYYY-MM-DD")


def _moment_text(value: object) -> object:
    # Pydantic's own datetime also takes a number, as seconds since 1970.
    if isinstance(value, str | dt.datetime):
        return value
    raise ValueError("must be a date and time in ISO 8601, with a timezone")


def _in_utc(moment: dt.datetime) -> dt.datetime:
    # Stored and read back in UTC: 0001-01-01T00:00+01:00 has no UTC year to go to.
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("must fall between the years 1 and 9999 in UTC") from None


def numeric(precision: int, scale: int) -> AfterValidator:
    """The checks of a `numeric(precision, scale)` column, for a Decimal (pydantic refuses NaN
    and infinities).

    As PostgreSQL counts: at most `precision - scale` digits before the point (so 0 fits a
    numeric(5,5)), and at most `scale` after it (refused, where PostgreSQL would round). The value
    comes out at the column's scale: 12.5 as 12.50, -0 as 0.00.
    """
    unit = Decimal(1).scaleb(-scale)
    # Quantizing signals InvalidOperation when the result needs more than `precision` digits.
    digits = Context(prec=precision)
    column = f"numeric({precision},{scale})"

    def as_stored(value: Decimal) -> Decimal:
        try:
            stored = value.quantize(unit, context=digits)
        except InvalidOperation:
            problem = f"must have at most {precision - scale} digits before the point ({column})"
            raise ValueError(problem) from None
        if stored != value:
            raise ValueError(f"must have at most {scale} digits after the point ({column})")
        return stored.copy_abs() if stored.is_zero() else stored  # numeric has no -0

    return AfterValidator(as_stored)


PgText = Annotated[str, AfterValidator(storable_text)]
LongText = Annotated[str, AfterValidator(storable_text), AfterValidator(_within_text_limit)]
IndexedText = Annotated[str, AfterValidator(storable_text), AfterValidator(_fits_an_index)]
Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
StrictInt32 = Annotated[Int32, Strict()]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
StrictFiniteFloat = Annotated[FiniteFloat, Strict()]  # an integer is a number too: 1 is 1.0
IsoDate = Annotated[dt.date, BeforeValidator(_date_text)]
PgDatetime = Annotated[AwareDatetime, BeforeValidator(_moment_text), AfterValidator(_in_utc)]

# An answered decimal, in JSON as PostgreSQL writes it: "0.00000000" where Python's str() gives
# "0E-8" (below a millionth), which the OpenAPI pattern pydantic declares for Decimal refuses.
PlainDecimal = Annotated[
    Decimal,
    PlainSerializer(lambda value: format(value, "f"), when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}, mode="serialization"),
]
