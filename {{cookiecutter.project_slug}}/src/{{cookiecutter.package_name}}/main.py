"""The ASGI application: `uvicorn {{ cookiecutter.package_name }}.main:app`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from {{ cookiecutter.package_name }}.connection_budget import pool_options, warn_if_over_budget
from {{ cookiecutter.package_name }}.database import initialize_async_db
from {{ cookiecutter.package_name }}.errors import register_error_handlers
from {{ cookiecutter.package_name }}.lifecycle import Lifecycle, watch_for_sigterm
from {{ cookiecutter.package_name }}.pooler import engine_options
from {{ cookiecutter.package_name }}.routes import auth, health, users
from {{ cookiecutter.package_name }}.settings import get_settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    warn_if_over_budget(settings)
    options = engine_options(settings.database_pooler) or pool_options(settings)
    database = initialize_async_db(settings.require_database_url(), **options)
    app.state.database = database
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
    )
    app.state.lifecycle = Lifecycle()
    register_error_handlers(app)
    for module in (health, auth, users):
        app.include_router(module.router)
    return app


app = create_app()
