"""The engine's options for the connection pooler in front of PostgreSQL (DATABASE_POOLER).

PgBouncer in transaction mode hands each transaction whichever server connection is free, so
asyncpg's prepared statements must not outlive a transaction nor share a name across clients:
SQLAlchemy's asyncpg recipe (unique statement names, no statement caches), and NullPool, as its
documentation advises (PgBouncer does the pooling; a second pool in the app only holds clients).
"""

from typing import Any, Literal, get_args
from uuid import uuid4

from sqlalchemy.pool import NullPool

Pooler = Literal["none", "pgbouncer"]
POOLERS: tuple[str, ...] = get_args(Pooler)


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid4()}__"


def engine_options(pooler: Pooler) -> dict[str, Any]:
    """Options for `create_async_engine` (none for a direct connection)."""
    if pooler == "none":
        return {}
    return {
        "poolclass": NullPool,
        # Every checkout is a new client connection to PgBouncer: nothing stale to ping.
        "pool_pre_ping": False,
        "connect_args": {
            "statement_cache_size": 0,  # asyncpg's own cache
            "prepared_statement_cache_size": 0,  # SQLAlchemy's asyncpg adapter's cache
            "prepared_statement_name_func": _unique_statement_name,
        },
    }
