from fastapi import APIRouter
from sqlalchemy import text

from {{ cookiecutter.package_name }}.dependencies import DbSession
from {{ cookiecutter.package_name }}.errors import error_responses

router = APIRouter(tags=["health"])


@router.get("/health", responses=error_responses(503))
async def health(session: DbSession) -> dict[str, str]:
    """200 when the database answers; 503 (see errors.py) when it does not."""
    await session.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}
