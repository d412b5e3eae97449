"""The API's documentation, `/docs`, `/redoc` and `/openapi.json`, unless DOCS_ENABLED is false.

Served by routes of their own (rather than FastAPI's built-in ones) so that the setting is
read when the app runs, not when it is imported; turned off, they answer 404 like any path.

The pages' scripts, styles and icon come from this service (the files fastapi-offline ships),
not from a CDN: no third party's script runs on the API's origin, where a user types their
password and holds tokens, and the docs work on a network without the internet.
"""

import asyncio
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import FileResponse, HTMLResponse

from {{ cookiecutter.package_name }}.core.settings import AppSettings

router = APIRouter(include_in_schema=False)

OPENAPI_URL = "/openapi.json"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSETS_URL = "/docs/assets"
# In the files' addresses: a browser keeps them for good, and a new fastapi-offline's are new.
ASSETS_VERSION = version("fastapi-offline")
# An installed package's folder (uv installs none zipped), its files served as they are.
ASSETS = Path(str(files("fastapi_offline") / "static"))
# Typed here: guessing a type from the name reads the system's table from disk, the first time.
ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}


def _asset(name: str) -> str:
    return f"{ASSETS_URL}/{name}?v={ASSETS_VERSION}"


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
        swagger_js_url=_asset("swagger-ui-bundle.js"),
        swagger_css_url=_asset("swagger-ui.css"),
        swagger_favicon_url=_asset("favicon.png"),
    )


@router.get(OAUTH2_REDIRECT_URL)
async def swagger_ui_redirect(settings: AppSettings) -> HTMLResponse:
    _require_docs(settings)
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
async def redoc(request: Request, settings: AppSettings) -> HTMLResponse:
    _require_docs(settings)
    return get_redoc_html(
        openapi_url=OPENAPI_URL,
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=_asset("redoc.standalone.js"),
        redoc_favicon_url=_asset("favicon.png"),
        with_google_fonts=False,
    )


@router.get(ASSETS_URL + "/{name}")
@router.head(ASSETS_URL + "/{name}")  # as static files answer it: their size, no body
async def docs_asset(name: str, settings: AppSettings) -> FileResponse:
    _require_docs(settings)
    if name not in ASSET_TYPES:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Not Found")
    cache = {"Cache-Control": "public, max-age=31536000, immutable"}  # see ASSETS_VERSION
    return FileResponse(ASSETS / name, media_type=ASSET_TYPES[name], headers=cache)
