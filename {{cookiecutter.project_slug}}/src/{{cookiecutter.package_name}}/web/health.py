"""Health for orchestrators: `/health/live` (the process answers) and `/health/ready` (it can
serve: the database answers within READINESS_TIMEOUT_SECONDS, and it is not shutting down).
`/health` is the readiness check under its older name. Each answers HEAD too, as some load
balancers probe with it (out of the API's description, where it would repeat GET)."""

import asyncio

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy import text

from {{ cookiecutter.package_name }}.core.settings import AppSettings
from {{ cookiecutter.package_name }}.database.session import DbSession
from {{ cookiecutter.package_name }}.web.errors import UNAVAILABLE, error_responses
from {{ cookiecutter.package_name }}.web.lifecycle import Lifecycle

router = APIRouter(tags=["health"])

SHUTTING_DOWN = "The service is shutting down"


@router.get("/health/live")
@router.head("/health/live", include_in_schema=False)
async def live() -> dict[str, str]:
    """200 while the process answers; no database call, so a database outage restarts nothing."""
    return {"status": "ok"}


@router.get("/health/ready", responses=error_responses(503))
@router.head("/health/ready", include_in_schema=False)
@router.get("/health", responses=error_responses(503))
@router.head("/health", include_in_schema=False)
async def ready(request: Request, session: DbSession, settings: AppSettings) -> dict[str, str]:
    """200 when the database answers within READINESS_TIMEOUT_SECONDS; 503 when it does not."""
    # Also 503 once shutdown began.
    lifecycle: Lifecycle = request.app.state.lifecycle
    if lifecycle.shutting_down:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=SHUTTING_DOWN)
    try:
        # Longer, and the replica is better taken out of the load balancer's rotation: the
        # probe gets its answer in time even while every pooled connection is busy.
        async with asyncio.timeout(settings.readiness_timeout_seconds):
            await session.execute(text("SELECT 1"))
    except TimeoutError:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail=UNAVAILABLE, headers={"Retry-After": "5"}
        ) from None
    return {"status": "ok", "database": "ok"}
