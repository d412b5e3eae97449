"""The API's documentation, `/docs`, `/redoc` and `/openapi.json`, unless DOCS_ENABLED is false.

Served by routes of their own (rather than FastAPI's built-in ones) so that the setting is
read when the app runs, not when it is imported; turned off, they answer 404 like any path.
"""

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse

from {{ cookiecutter.package_name }}.core.settings import AppSettings

router = APIRouter(include_in_schema=False)

OPENAPI_URL = "/openapi.json"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"


def _require_docs(settings: AppSettings) -> None:
    if not settings.docs_enabled:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Not Found")


@router.get(OPENAPI_URL)
async def openapi(request: Request, settings: AppSettings) -> dict[str, Any]:
    _require_docs(settings)
    # Built on the first request, then kept: the whole app's schemas are slow to build, and
    # pydantic reads package metadata from disk meanwhile. So in a thread, off the event loop.
    return await asyncio.to_thread(request.app.openapi)


@router.get("/docs")
async def swagger_ui(request: Request, settings: AppSettings) -> HTMLResponse:
    _require_docs(settings)
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title=f"{request.app.title} - Swagger UI",
        oauth2_redirect_url=OAUTH2_REDIRECT_URL,
    )


@router.get(OAUTH2_REDIRECT_URL)
async def swagger_ui_redirect(settings: AppSettings) -> HTMLResponse:
    _require_docs(settings)
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
async def redoc(request: Request, settings: AppSettings) -> HTMLResponse:
    _require_docs(settings)
    return get_redoc_html(openapi_url=OPENAPI_URL, title=f"{request.app.title} - ReDoc")
