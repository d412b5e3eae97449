"""Make an existing user of a rendered project an admin, straight in its database.

    cd PROJECT_DIR && python .../promote_admin.py PACKAGE EMAIL

Run by tests/scale/run.py with the project's Python; DATABASE_URL (through the project's
settings) names the database, a direct connection (not through PgBouncer).
"""

import asyncio
import importlib
import sys

from sqlalchemy import update
from sqlalchemy.ext.asyncio import create_async_engine


async def promote(package: str, email: str) -> None:
    models, roles, settings = (
        importlib.import_module(f"{package}.{name}")
        for name in ("users.models", "users.roles", "core.settings")
    )
    engine = create_async_engine(settings.get_settings().require_database_url())
    async with engine.begin() as connection:
        user = models.User
        await connection.execute(
            update(user).where(user.email == email).values(role=roles.ADMIN_ROLE)
        )
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(promote(sys.argv[1], sys.argv[2]))
