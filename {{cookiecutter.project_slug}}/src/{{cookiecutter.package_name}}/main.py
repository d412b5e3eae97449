"""The ASGI application: `uvicorn {{ cookiecutter.package_name }}.main:app`."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from {{ cookiecutter.package_name }}.body_limit import BodyLimitMiddleware
from {{ cookiecutter.package_name }}.connection_budget import pool_options, warn_if_over_budget
from {{ cookiecutter.package_name }}.database import RequestSessions, initialize_async_db
from {{ cookiecutter.package_name }}.errors import register_error_handlers
from {{ cookiecutter.package_name }}.lifecycle import Lifecycle, watch_for_sigterm
from {{ cookiecutter.package_name }}.pooler import engine_options
from {{ cookiecutter.package_name }}.routes import auth, docs, health, sessions, users
from {{ cookiecutter.package_name }}.security_headers import SecurityHeadersMiddleware
from {{ cookiecutter.package_name }}.settings import get_settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    warn_if_over_budget(settings)
    direct = settings.database_pooler == "none"
    if direct:
        options = {**pool_options(settings), "pool_timeout": settings.database_pool_timeout_seconds}
    else:
        options = engine_options(settings.database_pooler)
    database = initialize_async_db(
        settings.require_database_url(),
        # A start-up parameter, which PgBouncer refuses: behind it, set it on the role instead.
        statement_timeout_seconds=settings.database_statement_timeout_seconds if direct else None,
        autocommit_reads=direct,
        **options,
    )
    app.state.database = database
    # What start-up made (modules, routes, schemas) lives as long as the process: the garbage
    # collector need not walk it again at every full collection, a pause of every request.
    gc.freeze()
    stop_watching = watch_for_sigterm(
        app.state.lifecycle, settings.shutdown_timeout_seconds, settings.shutdown_delay_seconds
    )
    try:
        yield
    finally:
        stop_watching()
        await database.dispose()


def create_app() -> FastAPI:
    app = FastAPI(
        title={{ cookiecutter.project_name | quoted }},
        version="0.1.0",
        lifespan=lifespan,
        # routes/docs.py serves them, when DOCS_ENABLED allows.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        # The framework's trailing-slash redirect builds its Location from the Host header,
        # which the client chooses: a wrong path is a plain 404 instead.
        redirect_slashes=False,
    )
    app.state.lifecycle = Lifecycle()
    register_error_handlers(app)
    # The last added runs first: the headers go on every answer, the 413 included.
    app.add_middleware(RequestSessions)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    for module in (health, auth, sessions, users, docs):
        app.include_router(module.router)
    return app


app = create_app()
