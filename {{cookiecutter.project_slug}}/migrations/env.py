"""How Alembic reaches the database: through the app's own settings and models.

`uv run alembic ...` migrates the database of DATABASE_URL (else `.env`), and autogenerate
compares it with `Base.metadata`. A caller that already holds a connection (the tests) hands
it over as `config.attributes["connection"]`; Alembic then runs on it and leaves logging alone.

Replicas that start together may all run `alembic upgrade head`: each first takes the migration
lock (see database/migration_lock.py), so one migrates and the others wait, then find nothing to do.
"""

import asyncio
from logging.config import fileConfig

from alembic import context
from alembic.util import CommandError
from sqlalchemy import Connection, pool
from sqlalchemy.ext.asyncio import create_async_engine

from {{ cookiecutter.package_name }}.core.settings import MissingDatabaseUrlError, get_settings
from {{ cookiecutter.package_name }}.database.migration_lock import take_migration_lock
from {{ cookiecutter.package_name }}.database.pooler import engine_options
from {{ cookiecutter.package_name }}.models import Base

config = context.config
# Alembic's own words, when autogenerate or `check` meets a database behind the migrations.
NOT_UP_TO_DATE = "Target database is not up to date."
UPGRADE_FIRST = (
    "The database has not had every migration yet (a fresh project's has had none): run "
    "`alembic upgrade head` the way you ran this command, then this command again."
)
# Alembic says only "Can't locate revision identified by ..." when the database's own revision
# is one migrations/versions/ no longer has.
UNKNOWN_REVISION = (
    "The database is at migration {revision!r}, which migrations/versions/ does not have "
    "(deleted, renamed, or on a branch not checked out): put that file back; or, if this "
    "database's data may go, start it afresh (the embedded one: delete .pgdata/)."
)


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        compare_type=True,
    )
    with context.begin_transaction():
        # Before Alembic reads the current revision: a waiter reads it once the holder committed.
        take_migration_lock(connection)
        try:
            context.run_migrations()
        except CommandError as error:
            if str(error) == NOT_UP_TO_DATE:
                raise CommandError(UPGRADE_FIRST) from None
            unknown = getattr(error.__cause__, "argument", None)
            if unknown is not None and unknown in context.get_context().get_current_heads():
                raise CommandError(UNKNOWN_REVISION.format(revision=unknown)) from None
            raise


def database_url() -> str:
    """DATABASE_URL; unset, a CommandError, which Alembic prints as one line (`FAILED: ...`)."""
    try:
        return get_settings().require_database_url()
    except MissingDatabaseUrlError as error:
        raise CommandError(
            f"{error}. The project's own `alembic` command (README: Migrations) uses that one"
        ) from None


async def run_migrations_online() -> None:
    options = {"poolclass": pool.NullPool, **engine_options(get_settings().database_pooler)}
    engine = create_async_engine(database_url(), **options)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations)
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: print the SQL instead of connecting."""
    context.configure(
        url=database_url(),
        target_metadata=Base.metadata,
        compare_type=True,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


given_connection = config.attributes.get("connection")
if given_connection is not None:
    run_migrations(given_connection)
else:
    if config.config_file_name is not None:
        fileConfig(config.config_file_name)
    if context.is_offline_mode():
        run_migrations_offline()
    else:
        asyncio.run(run_migrations_online())
