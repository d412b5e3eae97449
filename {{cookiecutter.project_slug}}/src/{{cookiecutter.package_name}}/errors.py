"""How database failures reach the client: conflicts as 409, an unreachable database as 503."""

import logging

import sqlalchemy as sa
from fastapi import FastAPI, HTTPException, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.models import Base, User

logger = logging.getLogger(__name__)


def _columns_of(constraint_name: str | None) -> list[str]:
    table = Base.metadata.tables[User.__tablename__]
    for index in table.indexes:
        if index.name == constraint_name:
            return [column.name for column in index.columns]
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint) and constraint.name == constraint_name:
            return [column.name for column in constraint.columns]
    return []


def conflict(error: sa_exc.IntegrityError) -> HTTPException:
    # asyncpg's own exception, behind SQLAlchemy's, names the violated constraint.
    constraint = getattr(error.orig.__cause__, "constraint_name", None) if error.orig else None
    columns = _columns_of(constraint)
    if columns:
        detail = f"A user with this {', '.join(columns)} already exists"
    else:
        detail = "The change conflicts with existing data"
    return HTTPException(status.HTTP_409_CONFLICT, detail=detail)


async def commit_or_conflict(session: AsyncSession) -> None:
    """Commit; let the database's constraints decide uniqueness, without a racy pre-check."""
    try:
        await session.commit()
    except sa_exc.IntegrityError as error:
        await session.rollback()
        raise conflict(error) from None


async def database_unavailable(request: Request, error: Exception) -> JSONResponse:
    # The error text can hold the connection string: log only its type.
    logger.warning(
        "Database unavailable for %s %s: %s", request.method, request.url.path, type(error).__name__
    )
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"detail": "The database is unavailable; try again shortly"},
        headers={"Retry-After": "5"},
    )


def register_error_handlers(app: FastAPI) -> None:
    for error in (OSError, sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError):
        app.add_exception_handler(error, database_unavailable)
