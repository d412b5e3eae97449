from fastapi import APIRouter
from sqlalchemy import text

from {{ cookiecutter.package_name }}.dependencies import DbSession

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(session: DbSession) -> dict[str, str]:
    """200 when the database answers; 503 (see errors.py) when it does not."""
    await session.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}
