"""How many PostgreSQL connections the service may hold, and the pool options that keep to it.

Every process has its own pool: REPLICAS * WEB_CONCURRENCY * (DATABASE_POOL_SIZE +
DATABASE_MAX_OVERFLOW) connections at most, which must fit in DATABASE_CONNECTION_BUDGET (the
server's max_connections less what migrations, admins and superusers keep). Behind PgBouncer the
app keeps no pool: PgBouncer's own pool size bounds the server's connections instead.
"""

import logging
from typing import Any

from {{ cookiecutter.package_name }}.core.settings import Settings

logger = logging.getLogger(__name__)


def pool_options(settings: Settings) -> dict[str, Any]:
    """The pool of a process that connects to PostgreSQL directly."""
    return {
        "pool_size": settings.database_pool_size,
        "max_overflow": settings.database_max_overflow,
    }


def connections_at_most(settings: Settings) -> int:
    """What the whole service may hold on the server at once, without a pooler."""
    per_process = settings.database_pool_size + settings.database_max_overflow
    return settings.replicas * settings.web_concurrency * per_process


def warn_if_over_budget(settings: Settings) -> None:
    """A warning at start-up when the pools together may exceed the budget (nothing stops)."""
    if settings.database_pooler != "none":
        return
    needed = connections_at_most(settings)
    if needed > settings.database_connection_budget:
        logger.warning(
            "The database pools may need %d connections, more than DATABASE_CONNECTION_BUDGET=%d: "
            "REPLICAS=%d x WEB_CONCURRENCY=%d x (DATABASE_POOL_SIZE=%d + DATABASE_MAX_OVERFLOW=%d)."
            " Lower them, raise the server's max_connections, or put PgBouncer in front "
            "(DATABASE_POOLER=pgbouncer).",
            needed,
            settings.database_connection_budget,
            settings.replicas,
            settings.web_concurrency,
            settings.database_pool_size,
            settings.database_max_overflow,
        )
