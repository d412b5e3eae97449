"""The app as uvicorn starts it: its lifespan, its settings read from the environment; or
uvicorn itself, in a process of its own, for what only a real socket shows."""

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager

import httpx
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.observability.telemetry import Telemetry

from tests.processes import PROJECT_COMMAND, Command, started
from tests.tcp_proxy import free_port

# A bound on a server's start, that only keeps a broken one from hanging the run.
START_TIMEOUT_SECONDS = 60


@asynccontextmanager
async def started_app(url: URL, **environment: str) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    """A new app on the database at `url`, started through its lifespan as uvicorn would, with
    these settings (e.g. `DATABASE_POOL_TIMEOUT_SECONDS="1"`); the app and a client to it."""
    async with _started(url, environment, None) as started:
        yield started


@asynccontextmanager
async def started_traced_app(
    url: URL, tracer_provider: TracerProvider
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    """As `started_app`, the app traced with `tracer_provider`."""
    async with _started(url, {}, Telemetry(tracer_provider=tracer_provider)) as started:
        yield started


@asynccontextmanager
async def _started(
    url: URL, environment: Mapping[str, str], telemetry: Telemetry | None
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    database_url = url.render_as_string(hide_password=False)
    settings: Mapping[str, str] = {"DATABASE_URL": database_url, **environment}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in settings.items():
            patch.setenv(name, value)
        get_settings.cache_clear()
        app = create_app(telemetry)
        try:
            async with (
                app.router.lifespan_context(app),
                AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client,
            ):
                yield app, client
        finally:
            get_settings.cache_clear()  # read the real settings again once this is undone
    get_settings.cache_clear()


@asynccontextmanager
async def uvicorn_serving(
    engine: AsyncEngine, **environment: str
) -> AsyncIterator[tuple[str, int]]:
    """The app under uvicorn, as the image runs it (the `serve` command: uvloop, httptools),
    on `engine`'s database, with these settings added: (host, port)."""
    host, port = "127.0.0.1", free_port()
    command = (PROJECT_COMMAND, "serve", "--host", host, "--port", str(port))
    url = engine.url.render_as_string(hide_password=False)
    async with started(*command, environment={"DATABASE_URL": url, **environment}) as server:
        await wait_until_live(server, f"http://{host}:{port}")
        yield host, port
        assert server.returncode is None, f"the server ended meanwhile: {await server.finished()}"
        server.send_signal(signal.SIGTERM)
        await server.wait(at_most=30)


async def wait_until_live(server: Command, base_url: str) -> None:
    """Until the server started as `server` answers /health/live at `base_url`."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    async with httpx.AsyncClient(base_url=base_url) as client:
        while True:
            assert server.returncode is None, (
                f"the server ended at start: {await server.finished()}"
            )
            assert time.monotonic() < deadline, f"no answer within {START_TIMEOUT_SECONDS} s"
            try:
                if (await client.get("/health/live")).status_code == 200:
                    return
            except httpx.TransportError:
                await asyncio.sleep(0.02)


@contextmanager
def settings_from_environment(monkeypatch: pytest.MonkeyPatch, **values: str) -> Iterator[None]:
    """The app's settings read again with these environment variables, for the block."""
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name in values:
            monkeypatch.delenv(name)
        get_settings.cache_clear()
