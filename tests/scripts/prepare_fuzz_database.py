"""Prepare a rendered project's database for the fuzz run: a fresh schema, and one user per
run with the role it needs, each printed as `user <email>`.

    cd PROJECT_DIR && python .../prepare_fuzz_database.py PACKAGE PASSWORD KIND[,KIND...]

Run by tests/fuzz_rendered.py with the project's Python, in the project's folder: its own code
and test helpers (`tests.database_setup`, `tests.factories`) make the database and the users.
KIND is `admin` or `user`; DATABASE_URL (through the project's settings) names the database.
"""

import asyncio
import importlib
import os
import sys
from typing import Any

from sqlalchemy import make_url


def project_module(name: str) -> Any:
    """A module of the rendered project (its package or its tests), which only it can import."""
    return importlib.import_module(name)


async def prepare(package: str, password: str, kinds: list[str]) -> list[str]:
    # `models` registers every table (and names User); the others are where the layout puts them.
    settings, engine, models, roles, hashing = (
        project_module(f"{package}.{name}")
        for name in ("core.settings", "database.engine", "models", "users.roles", "auth.hashing")
    )
    test_database = project_module("tests.database_setup")
    factories = project_module("tests.factories")
    role = {"admin": roles.ADMIN_ROLE, "user": roles.DEFAULT_ROLE}
    url = make_url(settings.get_settings().database_url)
    await test_database.create_database_if_missing(url)
    db = engine.initialize_async_db(url.render_as_string(hide_password=False))
    await test_database.recreate_schema(db.engine)
    hashed = await hashing.hash_password(password)
    async with db.sessionmaker() as session:
        users = [models.User(**factories.new_user_values(role[kind], hashed)) for kind in kinds]
        session.add_all(users)
        await session.commit()
    await db.dispose()
    return [str(user.email) for user in users]


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())  # the project's own `tests` package
    package, password, kinds = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    for email in asyncio.run(prepare(package, password, kinds)):
        print("user", email)
