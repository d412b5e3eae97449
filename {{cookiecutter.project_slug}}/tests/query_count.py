"""`assert_max_queries`: a block that sends more SQL statements than planned fails its test, so a
query per row (an N+1) is a failing test, not a slow page in production."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

# The statements that count: not the harness's savepoints, nor transaction control.
_COUNTED = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)


@contextmanager
def max_queries(engine: Engine, most: int) -> Iterator[list[str]]:
    """Fail if the block sends more than `most` statements on `engine`; the list of those sent."""
    sent: list[str] = []

    def count(connection: Any, cursor: Any, statement: str, *_: Any) -> None:
        if _COUNTED.match(statement):
            sent.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)
    if len(sent) > most:
        listing = "\n".join(f"  {number}. {sql}" for number, sql in enumerate(sent, 1))
        raise AssertionError(
            f"{len(sent)} SQL statements where at most {most} were expected: a query per row "
            f"(N+1)? Load what the rows need in the first query (selectinload, a join).\n{listing}"
        )
