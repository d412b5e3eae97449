"""Pydantic types for values a PostgreSQL column can hold, so that a bad value is a 422 in the
schemas rather than an error from the database. Every resource's schemas use them."""

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field

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


def _within_utc_range(moment: dt.datetime) -> dt.datetime:
    # The driver stores moments in UTC: 0001-01-01T00:00+01:00 has no UTC year to go to.
    try:
        moment.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("must fall between the years 1 and 9999 in UTC") from None
    return moment


PgText = Annotated[str, AfterValidator(storable_text)]
LongText = Annotated[str, AfterValidator(storable_text), AfterValidator(_within_text_limit)]
IndexedText = Annotated[str, AfterValidator(storable_text), AfterValidator(_fits_an_index)]
Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
FiniteDecimal = Annotated[Decimal, Field(allow_inf_nan=False)]
PgDatetime = Annotated[AwareDatetime, AfterValidator(_within_utc_range)]
