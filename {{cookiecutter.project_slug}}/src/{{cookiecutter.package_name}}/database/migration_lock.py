"""The lock that lets one process at a time migrate, however many replicas start together.

A PostgreSQL advisory lock for the migration's transaction: it holds through PgBouncer's
transaction mode too (a session lock would stay on a server connection that others then get),
and it is freed however the process ends. Waiters read the revision once the holder committed,
and find nothing left to do.
"""

import hashlib

from sqlalchemy import Connection, text

# One 64-bit number, the same in every process of this project, derived from its name.
LOCK_NAME = "{{ cookiecutter.package_name }} migrations"
MIGRATION_LOCK_KEY = int.from_bytes(
    hashlib.blake2b(LOCK_NAME.encode(), digest_size=8).digest(), "big", signed=True
)


def take_migration_lock(connection: Connection) -> None:
    """Wait for the lock; it is released when `connection`'s transaction ends."""
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
