"""The `user` fixture of the harnesses the bench compares the template's with, on the same tests.

Copied as the conftest of the bench's user workload in a render (its package in BENCH_PACKAGE);
BENCH_HARNESS chooses:

- `template`: the render's own fixtures (tests/conftest.py), untouched;
- `floor`: no database behind the fixture, an unsaved User: what the test costs without one;
- `seed`: the first version of this template: tables created, the user added through a session
  and committed, tables dropped and the engine disposed, every test;
- `peers`: the async peers' (rafsaf/minimal-fastapi-postgres-template): a connection, a
  transaction and a savepoint per test, a session bound to it without
  join_transaction_mode="create_savepoint", the user added and committed, then rolled back.
"""

import importlib
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

HARNESS = os.environ.get("BENCH_HARNESS", "template")
PACKAGE = os.environ.get("BENCH_PACKAGE", "")


def _new_user(password_hash: str) -> Any:
    from tests.factories import new_user_values

    models = importlib.import_module(f"{PACKAGE}.models")
    roles = importlib.import_module(f"{PACKAGE}.users.roles")
    return models.User(**new_user_values(roles.DEFAULT_ROLE, password_hash))


if HARNESS == "floor":

    @pytest.fixture
    async def user(password_hash: str) -> Any:
        return _new_user(password_hash)

elif HARNESS == "seed":

    @pytest.fixture
    async def user(initialize_database: Any, password_hash: str) -> AsyncIterator[Any]:
        from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

        metadata = importlib.import_module(f"{PACKAGE}.models").Base.metadata
        engine = create_async_engine(initialize_database.engine.url)
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        async with AsyncSession(engine, expire_on_commit=False) as session:
            made = _new_user(password_hash)
            session.add(made)
            await session.commit()
            yield made
        async with engine.begin() as connection:
            await connection.run_sync(metadata.drop_all)
        await engine.dispose()

elif HARNESS == "peers":

    @pytest.fixture
    async def user(
        initialize_database: Any, isolation: Any, password_hash: str
    ) -> AsyncIterator[Any]:
        from sqlalchemy.ext.asyncio import AsyncSession

        async with initialize_database.engine.connect() as connection:
            await connection.begin()
            await connection.begin_nested()
            session = AsyncSession(bind=connection, expire_on_commit=False)
            made = _new_user(password_hash)
            session.add(made)
            await session.commit()
            yield made
            await session.close()
            await connection.rollback()

elif HARNESS != "template":
    raise pytest.UsageError(f"BENCH_HARNESS={HARNESS!r}: use template, floor, seed or peers")
