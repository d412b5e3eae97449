import asyncio

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import text

from {{ cookiecutter.package_name }}.dependencies import DbSession
from {{ cookiecutter.package_name }}.errors import UNAVAILABLE, error_responses

router = APIRouter(tags=["health"])

# A load balancer's probe must get its answer promptly, even when every pooled connection is
# busy or the database does not answer: then it is told so, within this time.
HEALTH_TIMEOUT_SECONDS = 0.9


@router.get("/health", responses=error_responses(503))
async def health(session: DbSession) -> dict[str, str]:
    """200 when the database answers within a second; 503 when it does not."""
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
            await session.execute(text("SELECT 1"))
    except TimeoutError:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail=UNAVAILABLE, headers={"Retry-After": "5"}
        ) from None
    return {"status": "ok", "database": "ok"}
