"""The app as uvicorn starts it: its lifespan, its settings read from the environment; or
uvicorn itself, in a process of its own, for what only a real socket shows."""

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.main import create_app

from tests.tcp_proxy import free_port


@asynccontextmanager
async def started_app(url: URL, **environment: str) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    """A new app on the database at `url`, started through its lifespan as uvicorn would, with
    these settings (e.g. `DATABASE_POOL_TIMEOUT_SECONDS="1"`); the app and a client to it."""
    database_url = url.render_as_string(hide_password=False)
    settings: Mapping[str, str] = {"DATABASE_URL": database_url, **environment}
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


@asynccontextmanager
async def uvicorn_serving(engine: AsyncEngine) -> AsyncIterator[tuple[str, int]]:
    """The app under uvicorn, as the image runs it (the `serve` command: uvloop, httptools),
    on `engine`'s database: (host, port)."""
    host, port = "127.0.0.1", free_port()
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "{{ cookiecutter.package_name }}.cli", "serve"),
        *("--host", host, "--port", str(port)),
        env={**os.environ, "DATABASE_URL": engine.url.render_as_string(hide_password=False)},
    )
    try:
        async with httpx.AsyncClient() as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if (await client.get(f"http://{host}:{port}/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.returncode is None, "the server exited"
                assert time.monotonic() < deadline, "the server did not start"
                await asyncio.sleep(0.1)
        yield host, port
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=30)
