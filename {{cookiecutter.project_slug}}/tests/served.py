"""The app as uvicorn starts it: its lifespan, its settings read from the environment."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import get_settings


@asynccontextmanager
async def started_app(
    engine: AsyncEngine, **environment: str
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    """A new app on `engine`'s database, started through its lifespan with these settings
    (e.g. `DATABASE_POOL_TIMEOUT_SECONDS="1"`); the app and a client to it."""
    url = engine.url.render_as_string(hide_password=False)
    settings: Mapping[str, str] = {"DATABASE_URL": url, **environment}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in settings.items():
            patch.setenv(name, value)
        get_settings.cache_clear()
        app = create_app()
        try:
            async with (
                app.router.lifespan_context(app),
                AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client,
            ):
                yield app, client
        finally:
            get_settings.cache_clear()  # read the real settings again once this is undone
    get_settings.cache_clear()
