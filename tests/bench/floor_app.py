"""The floor the service is measured against: bare FastAPI and asyncpg, the same queries.

`uvicorn tests.bench.floor_app:app`, with BENCH_DATABASE_URL (a postgresql:// URL) and
BENCH_USER_ID (the user `/users/me` reads). No authentication, no ORM, no middleware: what a
request costs in this environment before the service adds anything.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, Request

# Connections per process: service_load.py sets it, and the service's pool, to the load's
# connections shared among the workers, so that every app served at once fits the server's
# max_connections (100 by default).
POOL_SIZE = int(os.environ.get("BENCH_POOL_SIZE", "16"))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    url = os.environ["BENCH_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://", 1)
    async with asyncpg.create_pool(url, min_size=POOL_SIZE, max_size=POOL_SIZE) as pool:
        app.state.pool = pool
        yield


app = FastAPI(lifespan=lifespan, openapi_url=None)


@app.get("/users/me")
async def me(request: Request) -> dict[str, Any]:
    """One query by primary key."""
    row = await request.app.state.pool.fetchrow(
        "SELECT * FROM users WHERE id = $1", os.environ["BENCH_USER_ID"]
    )
    return dict(row)


async def _page(request: Request, table: str, limit: int, offset: int) -> dict[str, Any]:
    """The count, then a page of rows, on one pooled connection."""
    async with request.app.state.pool.acquire() as connection:
        total = await connection.fetchval(f"SELECT count(*) FROM {table}")
        rows = await connection.fetch(
            f"SELECT * FROM {table} ORDER BY created_at, id OFFSET $1 LIMIT $2", offset, limit
        )
    return {"items": [dict(row) for row in rows], "total": total, "offset": offset, "limit": limit}


@app.get("/users")
async def users(request: Request, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    return await _page(request, "users", limit, offset)


@app.get("/voyages")
async def voyages(request: Request, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """The resource the bench adds with `new resource` (service_load.py)."""
    return await _page(request, "voyages", limit, offset)
