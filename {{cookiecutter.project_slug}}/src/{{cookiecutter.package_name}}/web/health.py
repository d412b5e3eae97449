"""Health for orchestrators: `/health/live` (the process answers) and `/health/ready` (it can
serve: the database answers within a second, and it is not shutting down). `/health` is the
readiness check under its older name."""

import asyncio

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy import text

from {{ cookiecutter.package_name }}.database.session import DbSession
from {{ cookiecutter.package_name }}.web.errors import UNAVAILABLE, error_responses
from {{ cookiecutter.package_name }}.web.lifecycle import Lifecycle

router = APIRouter(tags=["health"])

# Longer, and the replica is better taken out of the load balancer's rotation; a probe gets its
# answer within a second even when every pooled connection is busy.
READY_DATABASE_TIMEOUT_SECONDS = 0.9
SHUTTING_DOWN = "The service is shutting down"


@router.get("/health/live")
async def live() -> dict[str, str]:
    """200 while the process answers; no database call, so a database outage restarts nothing."""
    return {"status": "ok"}


@router.get("/health/ready", responses=error_responses(503))
@router.get("/health", responses=error_responses(503))
async def ready(request: Request, session: DbSession) -> dict[str, str]:
    """200 when the database answers within a second; 503 when it does not."""
    # Also 503 once shutdown began.
    lifecycle: Lifecycle = request.app.state.lifecycle
    if lifecycle.shutting_down:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=SHUTTING_DOWN)
    try:
        async with asyncio.timeout(READY_DATABASE_TIMEOUT_SECONDS):
            await session.execute(text("SELECT 1"))
    except TimeoutError:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail=UNAVAILABLE, headers={"Retry-After": "5"}
        ) from None
    return {"status": "ok", "database": "ok"}
