"""`get_async_db`: the request's database session, the one way routes reach PostgreSQL.

    @router.get("/books/{book_id}")
    async def read_book(book_id: UUID, session: DbSession) -> BookRead:
        book = await session.get(Book, book_id)

One session per request, whichever dependencies ask for it (FastAPI caches it for the request),
in one transaction: a route commits what it changed (`await session.commit()`); anything not
committed is rolled back when the request ends, for reading requests too.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase


async def get_async_db(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session, from the database the app's lifespan opened.

    The tests override this dependency (tests/conftest.py), so that every request runs on the
    test's database, as production would run it.
    """
    database: AsyncDatabase = request.app.state.database
    async with database.sessionmaker() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(get_async_db)]
