"""How failures reach the client: always a 4xx or a 503 with a JSON body, never a 500.

- Invalid requests: 422, without echoing what was sent (it may hold a password).
- What the database refuses: 409 for a duplicate, 422 for a value it cannot store.
- An unreachable database: 503, and the service recovers by itself when it returns.
"""

import logging
import math
import re
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import sqlalchemy as sa
from fastapi import FastAPI, HTTPException, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from {{ cookiecutter.package_name }}.database.base import Base

logger = logging.getLogger(__name__)

# SQLSTATE classes of values the database cannot store: data exceptions, and program limits
# such as an index entry too large.
VALUE_ERROR_CLASSES = ("22", "54")
# Integrity errors that say the value is invalid rather than that it clashes with another row.
INVALID_VALUE_STATES = ("23502", "23514")  # not-null and check violations
UNAVAILABLE = "The database is unavailable; try again shortly"
# SQLSTATEs that mean the setup, not the moment, is wrong: still a 503 (a deploy may not have
# migrated yet), but logged as an error that says what to check.
MIGRATE = "is the schema migrated (`alembic upgrade head`)?"
SETUP_PROBLEMS = {
    "42P01": f"a table is missing: {MIGRATE}",
    "42703": f"a column is missing: {MIGRATE}",
    "42704": f"a type is missing: {MIGRATE}",
    "3D000": "DATABASE_URL names a database that does not exist",
    "28P01": "DATABASE_URL's password was refused",
    "28000": "DATABASE_URL's user may not connect",
    "42501": "DATABASE_URL's user lacks a privilege this needs",
}


class ErrorBody(BaseModel):
    detail: str


ERROR_DESCRIPTIONS = {
    401: "Missing, invalid or expired credentials",
    403: "The caller's role does not allow this",
    404: "No {resource} with this id",
    409: "Conflicts with an existing {resource}",
    429: "Too many attempts from this client or for this account; see Retry-After",
    503: "The database is unavailable",
}


def error_responses(
    *codes: int, resource: str = "resource", **described: str
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers a route can give, so clients (and fuzzers) know:
    `error_responses(404, 409, resource="book")`. A description of a route's own is given by
    code: `error_responses(409, resource="user", on_409="... or would leave no admin")`."""
    return {
        code: {
            "model": ErrorBody,
            "description": described.get(f"on_{code}")
            or ERROR_DESCRIPTIONS[code].format(resource=resource),
        }
        for code in codes
    }


def resource_name(model: type) -> str:
    """How messages name a model's rows: `LogEntry` -> "log entry"."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", model.__name__).lower()


def _unique_columns(constraint_name: str | None) -> tuple[str, list[str]] | None:
    """The resource and the columns of a unique index or constraint, by its name."""
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        if not isinstance(table, sa.Table):
            continue
        for index in table.indexes:
            if index.name == constraint_name:
                return resource_name(mapper.class_), [column.name for column in index.columns]
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint) and constraint.name == constraint_name:
                columns = [column.name for column in constraint.columns]
                return resource_name(mapper.class_), columns
    return None


def _driver_error(error: sa_exc.DBAPIError) -> BaseException | None:
    """asyncpg's own exception, behind SQLAlchemy's: it names the constraint and SQLSTATE."""
    return error.orig.__cause__ if error.orig else None


def _sqlstate(error: sa_exc.DBAPIError) -> str:
    return str(getattr(error.orig, "sqlstate", None) or "")


def conflict_message(error: sa_exc.IntegrityError) -> str:
    """What a unique value already taken conflicts with, e.g. "A user with this email already
    exists"."""
    constraint = getattr(_driver_error(error), "constraint_name", None)
    found = _unique_columns(constraint)
    if found:
        resource, columns = found
        return f"A {resource} with this {', '.join(columns)} already exists"
    return "The change conflicts with existing data"


def conflict(error: sa_exc.IntegrityError) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, detail=conflict_message(error))


async def commit_or_conflict(session: AsyncSession) -> None:
    """Commit; let the database's constraints decide uniqueness, without a racy pre-check."""
    try:
        await session.commit()
    except sa_exc.IntegrityError as error:
        await session.rollback()
        if _sqlstate(error) in INVALID_VALUE_STATES:
            raise
        raise conflict(error) from None


def _json_safe(value: Any) -> Any:
    """Lone surrogates and NaN cannot be written as JSON: spell them out instead."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {_json_safe(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


# FastAPI's own 400, for a body it cannot even parse (bytes that are no UTF-8, JSON nested too
# deep); a route's own HTTPException(400) is left as it is.
UNPARSABLE_BODY = "There was an error parsing the body"


async def unparsable_body(request: Request, error: Exception) -> Response:
    # As invalid as malformed JSON, so the same 422.
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 400 and error.detail == UNPARSABLE_BODY:
        body_error = {"type": "body_unparsable", "loc": ["body"], "msg": str(error.detail)}
        return JSONResponse(status_code=422, content={"detail": [body_error]})
    return await http_exception_handler(request, error)


def _said_of_text(item: dict[str, Any]) -> dict[str, Any]:
    # An optional text field's length is checked after its type's validators, where pydantic
    # no longer knows it is text: "Value should have at most 50 items after validation".
    if item.get("type") != "too_long" or not isinstance(item.get("input"), str):
        return item
    limit = item.get("ctx", {}).get("max_length")
    message = f"String should have at most {limit} characters"
    return {**item, "type": "string_too_long", "msg": message}


def _answerable(item: dict[str, Any]) -> dict[str, Any]:
    """One of pydantic's errors as the answer gives it: without the input (FastAPI's own answer
    repeats it: a password, or text it cannot encode), and without the exception behind a
    validator's message, which JSON can only show as `{}`."""
    item = _said_of_text(item)
    answer = {key: value for key, value in item.items() if key not in ("input", "url", "ctx")}
    context = {key: value for key, value in item.get("ctx", {}).items() if key != "error"}
    return {**answer, "ctx": context} if context else answer


async def invalid_request(request: Request, error: Exception) -> JSONResponse:
    errors = error.errors() if isinstance(error, RequestValidationError) else []
    detail = [_answerable(item) for item in errors]
    return JSONResponse(
        status_code=422,
        content={"detail": _json_safe(jsonable_encoder(detail))},
    )


def _unstorable_value(sqlstate: str) -> JSONResponse:
    # The schemas should have refused the value first; say what kind of value, not the SQL.
    reason = {
        "22001": "a text is longer than its field allows",
        "22003": "a number is out of range for its field",
        "22008": "a date or time is out of range",
        "22021": "a text holds a character the database cannot store",
        "23502": "a required field is missing",
        "54000": "a value is too large to store or index",
    }.get(sqlstate, "a value does not fit its field")
    return JSONResponse(
        status_code=422,
        content={
            "detail": [
                {
                    "type": "database_value_error",
                    "loc": ["body"],
                    "msg": f"The database cannot store this request: {reason}",
                }
            ]
        },
    )


async def database_unavailable(request: Request, error: Exception) -> JSONResponse:
    # The error's text can hold the connection string: log only its type and SQLSTATE.
    sqlstate = _sqlstate(error) if isinstance(error, sa_exc.DBAPIError) else ""
    problem = SETUP_PROBLEMS.get(sqlstate)
    logger.log(
        logging.WARNING if problem is None else logging.ERROR,
        "Database unavailable for %s %s: %s %s%s",
        request.method,
        request.url.path,
        type(error).__name__,
        sqlstate,
        "" if problem is None else f": {problem}",
    )
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"detail": UNAVAILABLE},
        headers={"Retry-After": "5"},
    )


async def database_error(request: Request, error: Exception) -> JSONResponse:
    """Whatever the database refused, once past the schemas: a 4xx if the request caused it."""
    assert isinstance(error, sa_exc.DBAPIError)
    sqlstate = _sqlstate(error)
    if isinstance(error, sa_exc.IntegrityError) and sqlstate not in INVALID_VALUE_STATES:
        exception = conflict(error)
        return JSONResponse(status_code=exception.status_code, content={"detail": exception.detail})
    # The driver's own DataError (a ValueError) is a value it cannot send, e.g. an int too big.
    driver_refused = not sqlstate and isinstance(_driver_error(error), ValueError)
    if driver_refused or sqlstate.startswith(VALUE_ERROR_CLASSES + INVALID_VALUE_STATES):
        logger.warning(
            "Database refused a value for %s %s: SQLSTATE %s",
            request.method,
            request.url.path,
            sqlstate or type(_driver_error(error)).__name__,
        )
        return _unstorable_value(sqlstate)
    # Lost connections, restarts, exhausted resources, a schema not yet migrated: not the
    # client's fault, and over when the database is back in order.
    return await database_unavailable(request, error)


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    """A bug: the usual 500, with the request's id and nothing else. (The server logs the
    exception once, with its traceback and the same id.)"""
    request_id = getattr(request.state, "request_id", None)
    return JSONResponse(
        status_code=500,
        content={"detail": "Internal server error", "request_id": request_id},
        headers={"X-Request-ID": request_id} if request_id else None,
    )


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Exception, unexpected_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, unparsable_body)
    app.add_exception_handler(sa_exc.DBAPIError, database_error)
    # Errors SQLAlchemy does not wrap: the network's, the pool's timeout, and the driver's own
    # when a new connection is lost while SQLAlchemy sets it up (its JSON codecs, on checkout).
    lost = (OSError, sa_exc.TimeoutError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError)
    for error in lost:
        app.add_exception_handler(error, database_unavailable)
