"""The storable types against PostgreSQL itself: a value they take comes out in the form its
column keeps it in (so that a write answers what a read will), and one the column could not
keep exactly is refused."""

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated

import pytest
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.database.storable import PgDatetime, PlainDecimal, numeric


def _decimal(precision: int, scale: int, sent: str) -> Decimal:
    return TypeAdapter(Annotated[Decimal, numeric(precision, scale)]).validate_python(sent)


@pytest.mark.parametrize(
    ("precision", "scale", "sent"),
    [
        (10, 2, "12.5"),
        (10, 2, "-12.500"),
        (10, 2, "-0"),
        (5, 5, "0"),  # no digit before the point is needed for 0
        (5, 5, "0.5"),
        (3, 0, "1E+1"),
        (3, 0, "999.000"),
        (20, 10, "0.0000001"),
        (30, 18, "-0"),  # Python's str() writes these two in exponent form (0E-18)
        (11, 8, "-1E-8"),
        (1000, 500, "1.5"),
    ],
)
async def test_a_decimal_comes_out_and_is_answered_as_its_column_keeps_it(
    db_session: AsyncSession, precision: int, scale: int, sent: str
) -> None:
    column = f"CAST(:value AS numeric({precision}, {scale}))"
    kept, written = (
        await db_session.execute(
            text(f"SELECT {column}, CAST({column} AS text)"), {"value": Decimal(sent)}
        )
    ).one()
    taken = _decimal(precision, scale, sent)
    assert str(taken) == str(kept)
    assert TypeAdapter(PlainDecimal).dump_json(taken) == f'"{written}"'.encode()


@pytest.mark.parametrize(
    ("precision", "scale", "sent", "problem"),
    [
        (5, 5, "1", "at most 0 digits before the point (numeric(5,5))"),
        (3, 0, "1E+3", "at most 3 digits before the point (numeric(3,0))"),
        (10, 2, "1E+999999999", "at most 8 digits before the point (numeric(10,2))"),
        # PostgreSQL would round these: refused, so that no digit sent is lost.
        (10, 2, "12.505", "at most 2 digits after the point (numeric(10,2))"),
        (10, 2, "1E-999999", "at most 2 digits after the point (numeric(10,2))"),
        # Refused, as a float field refuses them: no JSON number can say them.
        (10, 2, "NaN", "Input should be a finite number"),
        (10, 2, "-Infinity", "Input should be a finite number"),
    ],
)
def test_a_decimal_its_column_cannot_keep_exactly_is_refused(
    precision: int, scale: int, sent: str, problem: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(problem)):
        _decimal(precision, scale, sent)


async def test_a_moment_comes_out_in_utc_as_its_column_keeps_it(db_session: AsyncSession) -> None:
    sent = "2020-06-01T12:00:00.5+02:00"
    kept = await db_session.scalar(
        text("SELECT CAST(:value AS timestamptz)"), {"value": dt.datetime.fromisoformat(sent)}
    )
    taken = TypeAdapter(PgDatetime).validate_python(sent)
    assert (taken, taken.utcoffset()) == (kept, dt.timedelta(0))
    assert TypeAdapter(PgDatetime).dump_json(taken) == TypeAdapter(PgDatetime).dump_json(kept)
