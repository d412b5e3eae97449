"""`get_async_db`: the request's database session, the one way routes reach PostgreSQL.

    @router.get("/books/{book_id}")
    async def read_book(book_id: UUID, session: DbSession) -> BookRead:
        book = await session.get(Book, book_id)

One session per request, whichever dependencies ask for it (FastAPI caches it for the request).
A writing request (POST, PUT, PATCH, DELETE) runs in one transaction: the route commits what it
changed (`await session.commit()`), anything not committed is rolled back when it ends. A
reading request (GET, HEAD, OPTIONS) only reads: its session refuses to write (reading.py).
"""

import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase
from {{ cookiecutter.package_name }}.database.reading import READ_METHODS

logger = logging.getLogger(__name__)


async def get_async_db(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session, from the database the app's lifespan opened.

    The tests override this dependency (tests/isolation.py's `request_session`), so that every
    request runs on the test's database, as production would run it.
    """
    database: AsyncDatabase = request.app.state.database
    reading = request.method in READ_METHODS
    session = (database.reading_sessionmaker if reading else database.sessionmaker)()
    try:
        yield session
    finally:
        await close_session(session)


async def close_session(session: AsyncSession) -> None:
    """End a request's session: what was not committed is rolled back.

    This runs once the response has been sent. A connection lost by then (a database restart,
    a pooler's cut) fails the rollback, but loses nothing (the server rolls back what a closed
    connection left) and must not turn an answered request into an error.
    """
    try:
        await session.close()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        logger.warning("The database connection was lost as a request ended (%s)", error.code)


DbSession = Annotated[AsyncSession, Depends(get_async_db)]
