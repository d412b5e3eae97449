"""Seed the bench's service database: users, an admin whose token and id the load uses, and as
many rows of the resource `new resource` added (voyages).

Run in a render's folder (its `tests` package is the render's):
    python PATH/seed_service.py PACKAGE DATABASE_URL USERS PASSWORD
Prints the admin's id.
"""

import asyncio
import importlib
import os
import sys

from sqlalchemy import insert, make_url


async def seed(package: str, url: str, users: int, password: str) -> str:
    sys.path.insert(0, os.getcwd())  # the render's `tests`, not the template's
    from tests.database_setup import create_database_if_missing, recreate_schema
    from tests.factories import new_user_values
    from tests.voyages.factories import new_voyage_values  # type: ignore[import-not-found]

    database = importlib.import_module(f"{package}.database.engine")
    models = importlib.import_module(f"{package}.models")
    roles = importlib.import_module(f"{package}.users.roles")
    security = importlib.import_module(f"{package}.auth.hashing")

    await create_database_if_missing(make_url(url))
    db = database.initialize_async_db(url)
    await recreate_schema(db.engine)
    hashed = await security.hash_password(password)
    rows = [new_user_values(roles.DEFAULT_ROLE, hashed) for _ in range(users)]
    admin = {**new_user_values(roles.ADMIN_ROLE, hashed), "email": "admin@example.com"}
    async with db.sessionmaker() as session:
        await session.execute(insert(models.User), rows)
        voyages = [new_voyage_values() for _ in range(users)]
        await session.execute(insert(models.Voyage), voyages)
        admin_id = await session.scalar(insert(models.User).values(admin).returning(models.User.id))
        await session.commit()
    await db.dispose()
    return str(admin_id)


if __name__ == "__main__":
    package, url, users, password = sys.argv[1:5]
    print(asyncio.run(seed(package, url, int(users), password)))
