"""The ASGI application: `uvicorn {{ cookiecutter.package_name }}.main:app`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from {{ cookiecutter.package_name }}.auth import (
    email_verification_routes,
    link_pages,
    password_reset_routes,
    session_routes,
)
from {{ cookiecutter.package_name }}.auth import routes as auth_routes
from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.database.connection_budget import (
    pool_options,
    warn_if_over_budget,
)
from {{ cookiecutter.package_name }}.database.engine import initialize_async_db
from {{ cookiecutter.package_name }}.database.pooler import engine_options
from {{ cookiecutter.package_name }}.mail.sender import MailSender
from {{ cookiecutter.package_name }}.mail.smtp import announce
from {{ cookiecutter.package_name }}.observability import metrics_endpoint
from {{ cookiecutter.package_name }}.observability.access_log import AccessLogMiddleware
from {{ cookiecutter.package_name }}.observability.metrics import MetricsMiddleware
from {{ cookiecutter.package_name }}.observability.request_id import RequestIdMiddleware
from {{ cookiecutter.package_name }}.observability.telemetry import (
    Telemetry,
    instrument_requests,
    instrument_statements,
    telemetry_from_environment,
    tracer_of,
)
from {{ cookiecutter.package_name }}.users import routes as user_routes
from {{ cookiecutter.package_name }}.web import docs, health
from {{ cookiecutter.package_name }}.web.body_limit import BodyLimitMiddleware
from {{ cookiecutter.package_name }}.web.cors import allow_cross_origin
from {{ cookiecutter.package_name }}.web.errors import register_error_handlers
from {{ cookiecutter.package_name }}.web.lifecycle import Lifecycle, watch_for_sigterm
from {{ cookiecutter.package_name }}.web.request_limit import RequestLimitMiddleware
from {{ cookiecutter.package_name }}.web.security_headers import SecurityHeadersMiddleware


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
        # Connecting waits no longer than a free connection would be waited for.
        connect_timeout_seconds=settings.database_pool_timeout_seconds,
        autocommit_reads=direct,
        **options,
    )
    app.state.database = database
    instrument_statements(app, database.engine)
    stop_watching = watch_for_sigterm(
        app.state.lifecycle, settings.shutdown_timeout_seconds, settings.shutdown_delay_seconds
    )
    # The outbox's mails, sent in the background of every process (mail/sender.py).
    announce(settings)
    mail_sender = MailSender(database.sessionmaker, settings, tracer_of(app, MailSender.__module__))
    mail_sender.start()
    try:
        yield
    finally:
        stop_watching()
        await mail_sender.stop(settings.shutdown_timeout_seconds)
        await database.dispose()


# Every domain's routes; a new resource's router is added here.
ROUTERS = (
    health.router,
    auth_routes.router,
    session_routes.router,
    password_reset_routes.router,
    email_verification_routes.router,
    link_pages.router,
    user_routes.router,
    docs.router,
    metrics_endpoint.router,
)


def create_app(telemetry: Telemetry | None = None) -> FastAPI:
    """The app; its traces and metrics go where `telemetry` says, else the OTEL_* environment."""
    app = FastAPI(
        title={{ cookiecutter.project_name | quoted }},
        version="0.1.0",
        lifespan=lifespan,
        # web/docs.py serves them, when DOCS_ENABLED allows.
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
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(RequestLimitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestIdMiddleware)
    # Outside the limits and the errors' ids: a page may read every answer, a 413 or 503 too.
    allow_cross_origin(app, get_settings().cors_allowed_origins)
    # Outside the request id's: its line counts the bytes sent, error bodies' ids included.
    app.add_middleware(AccessLogMiddleware)
    for router in ROUTERS:
        app.include_router(router)
    telemetry = telemetry or telemetry_from_environment()
    if telemetry.on:
        instrument_requests(app, telemetry)
    return app


app = create_app()
