"""What the database guarantees behind the API: its constraints hold for any writer, and whatever
it refuses is never a 500.

A value the schemas should have stopped is a 422; a database not fit to serve is a 503. The
errors are real ones from PostgreSQL and asyncpg, raised by a probe route on a fresh app.
"""

import logging

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.database.session import DbSession
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.roles import DEFAULT_ROLE
from {{ cookiecutter.package_name }}.web import errors
from {{ cookiecutter.package_name }}.web.errors import UNAVAILABLE

from tests.factories import new_user_values
from tests.isolation import CleanDatabase
from tests.leaks import json_strings


async def test_database_rejects_a_duplicate_email(
    db_session: AsyncSession, user: User, password_hash: str
) -> None:
    duplicate = User(**{**new_user_values(DEFAULT_ROLE, password_hash), "email": user.email})
    db_session.add(duplicate)
    with pytest.raises(IntegrityError, match="uq_users_email"):
        await db_session.commit()
    await db_session.rollback()


@pytest.mark.parametrize("column", ["email", "hashed_password", "role"])
async def test_database_rejects_null(
    db_session: AsyncSession, password_hash: str, column: str
) -> None:
    db_session.add(User(**{**new_user_values(DEFAULT_ROLE, password_hash), column: None}))
    with pytest.raises(IntegrityError, match="not-null"):
        await db_session.commit()
    await db_session.rollback()


# name: (SQL, its :value, the status the client gets)
PROBES: dict[str, tuple[str, object, int]] = {
    "text for an integer": ("SELECT CAST(CAST(:value AS text) AS integer)", "abc", 422),
    "number out of range": ("SELECT CAST(CAST(:value AS text) AS numeric(3, 0))", "12345", 422),
    "NUL in text": ("SELECT CAST(:value AS text)", "a\x00b", 422),
    "date out of range": ("SELECT CAST(CAST(:value AS text) AS date)", "2020-02-30", 422),
    "int the driver cannot send": ("SELECT CAST(:value AS integer)", 2**40, 422),
    "result too large": ("SELECT repeat('x', CAST(:value AS integer))", 2**30, 422),
    "missing table": ("SELECT * FROM no_such_table WHERE 1 = :value", 1, 503),
}


def probe_app() -> FastAPI:
    app = create_app()

    @app.post("/probe/{name}")
    async def probe(name: str, session: DbSession) -> None:
        sql, value, _ = PROBES[name]
        await session.execute(text(sql), {"value": value})

    return app


@pytest.mark.parametrize("name", list(PROBES))
async def test_database_refusal_is_never_a_500(
    setup_database: CleanDatabase, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    caplog.set_level(logging.WARNING, logger=errors.__name__)
    async with setup_database.client(probe_app()) as client:
        response = await client.post(f"/probe/{name}")
        # The failed statement left nothing behind: the next request works.
        health = await client.get("/health")
    expected = PROBES[name][2]
    assert response.status_code == expected, response.text
    if expected == 422:
        (error,) = response.json()["detail"]
        assert error["msg"].startswith("The database cannot store this request")
    else:
        assert response.json()["detail"] == UNAVAILABLE
        # A table missing is the setup's fault, not the moment's: the operator is told why.
        (logged,) = [r for r in caplog.records if r.name == errors.__name__]
        assert logged.levelno == logging.ERROR
        assert logged.getMessage().endswith("42P01: a table is missing: " + errors.MIGRATE)
    assert not any("SELECT" in text for text in json_strings(response.json()))
    assert health.status_code == 200
