"""The test database: its name, its creation, and resetting its schema and rows."""

import os
from typing import Any

from sqlalchemy import URL, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.database.pooler import engine_options
from {{ cookiecutter.package_name }}.models import Base

# SQLSTATE duplicate_database.
DUPLICATE_DATABASE = "42P04"


def database_url_for_tests(app_database_url: str) -> URL:
    """`<database>_test`, plus the xdist worker's id (`_gw0`, ...) in parallel runs."""
    url = make_url(app_database_url)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    name = f"{url.database}_test" + (f"_{worker}" if worker else "")
    return url.set(database=name)


def unpooled_engine(url: URL, **options: Any) -> AsyncEngine:
    """An engine without a pool of its own, safe behind DATABASE_POOLER's pooler as the app's."""
    return create_async_engine(
        url, **{"poolclass": NullPool, **options, **engine_options(get_settings().database_pooler)}
    )


async def on_server(url: URL, statement: str) -> None:
    """A statement that cannot run in a transaction (CREATE or DROP DATABASE), on `url`'s server.

    Sent as one simple query: a prepared statement's two steps, outside a transaction, may reach
    two server connections behind PgBouncer's transaction mode, and the second not find it.
    """
    server = unpooled_engine(url.set(database="postgres"))
    try:
        async with server.connect() as connection:
            raw = await connection.get_raw_connection()
            await raw.driver_connection.execute(statement)  # type: ignore[union-attr]
    finally:
        await server.dispose()


async def create_database_if_missing(url: URL) -> None:
    server = unpooled_engine(url.set(database="postgres"))
    try:
        async with server.connect() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
            )
    finally:
        await server.dispose()
    if not exists:
        try:
            await on_server(url, f'CREATE DATABASE "{url.database}"')
        except Exception as error:  # the driver's own: the statement went around SQLAlchemy
            if getattr(error, "sqlstate", None) != DUPLICATE_DATABASE:
                raise  # else created meanwhile by another run


async def recreate_schema(engine: AsyncEngine) -> None:
    """An empty schema, then the models' tables: nothing left from earlier runs or models."""
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
        # Nothing can exist yet: no query per table and type to ask (a fifth of each reset).
        await connection.run_sync(Base.metadata.create_all, checkfirst=False)


async def delete_all_rows(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            await connection.execute(table.delete())
