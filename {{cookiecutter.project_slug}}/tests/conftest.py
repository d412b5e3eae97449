"""The test harness: a real PostgreSQL test database, a clean state per test, and an HTTP client.

Fixtures: `initialize_database` (once per session), `setup_database` (a clean database for the
test; every fixture below takes it), `db_session`, `async_client`, `user`, `admin`, `token`,
`admin_token`, `users_with_same_role_50_users`, `concurrent_client` for truly concurrent
requests, `assert_max_queries` against a query per row; and `mailbox`, an SMTP server in the
process. A test that takes none of them costs no database work at all. Every test fails on a
call that blocks the event loop (`blockbuster`).

The app and its libraries are imported inside the fixtures that use them: `pytest -n` imports
this file in its controller process too, which runs no test and should start at once.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from contextlib import AbstractContextManager, asynccontextmanager
from typing import TYPE_CHECKING

import pytest

from {{ cookiecutter.package_name }}.users.roles import ADMIN_ROLE, DEFAULT_ROLE, Role

from tests.helpers import PASSWORD, SHARED_ROLE, access_token

if TYPE_CHECKING:
    from blockbuster import BlockBuster
    from httpx import AsyncClient
    from sqlalchemy.ext.asyncio import AsyncSession

    from {{ cookiecutter.package_name }}.database.embedded import EmbeddedPostgresStarting
    from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase
    from {{ cookiecutter.package_name }}.users.models import User

    from tests.isolation import CleanDatabase, Isolation
    from tests.mailbox import Mailbox

EMBEDDED_SERVER: pytest.StashKey[EmbeddedPostgresStarting] = pytest.StashKey()
BLOCKING_HINT = "run it in a thread (`await asyncio.to_thread(...)`), or use the async library"


def pytest_configure(config: pytest.Config) -> None:
    # Tests need no .env: a throwaway key, and the cheapest hash the settings allow (for the
    # processes tests start; in this one, cheap_password_hashing).
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
    os.environ["ARGON2_MEMORY_KIB"] = "8192"
    os.environ["ARGON2_TIME_COST"] = "1"
    # The suite signs users up as anyone would, whatever the default (tests/users/test_users.py
    # tests sign-up closed).
    os.environ["SIGNUP_OPEN"] = "true"
    if not hasattr(config, "workerinput"):  # the run's first process, not an xdist worker
        _start_embedded_server_unless_configured(config)


def _start_embedded_server_unless_configured(config: pytest.Config) -> None:
    """No DATABASE_URL (environment or .env): one throwaway server for this run and its workers.

    It starts while the tests are collected; `_use_embedded_server` waits for it. The workers
    that pytest-xdist starts share it, each with its own database as on any server. It stops
    when the run ends, however it ends.
    """
    from {{ cookiecutter.package_name }}.core.settings import get_settings
    from {{ cookiecutter.package_name }}.database.embedded import EmbeddedPostgresStarting

    if get_settings().database_url is None:
        config.stash[EMBEDDED_SERVER] = EmbeddedPostgresStarting()


def _use_embedded_server(config: pytest.Config) -> None:
    """Once it is up, the embedded server (if any) is the run's DATABASE_URL."""
    from {{ cookiecutter.package_name }}.core.settings import get_settings
    from {{ cookiecutter.package_name }}.database.embedded import EmbeddedPostgresError

    starting = config.stash.get(EMBEDDED_SERVER, None)
    if starting is None or "DATABASE_URL" in os.environ:
        return
    try:
        server = starting.ready()
    except EmbeddedPostgresError as error:
        raise pytest.UsageError(str(error)) from None
    os.environ["DATABASE_URL"] = server.url()
    get_settings.cache_clear()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    if session.config.pluginmanager.hasplugin("dsession"):  # xdist's workers inherit it
        _use_embedded_server(session.config)


def pytest_collection_finish(session: pytest.Session) -> None:
    _use_embedded_server(session.config)


def pytest_unconfigure(config: pytest.Config) -> None:
    server = config.stash.get(EMBEDDED_SERVER, None)
    if server is not None:
        server.stop()


def pytest_runtest_setup(item: pytest.Item) -> None:
    from tests.factories import restart_sequence

    restart_sequence()  # unique values count from 1 again, as the database is empty again


@pytest.fixture(scope="session", autouse=True)
def blockbuster() -> Iterator[BlockBuster]:
    """Every test fails on a blocking call made in the event loop (blockbuster).

    On for the whole run: switched on and off around each test, it patched the built-in types
    each time, which slowed everything after by as much as a sixth.
    """
    from blockbuster import blockbuster_ctx

    from {{ cookiecutter.package_name }}.core import settings

    # What may block, and why; nothing else may, in the app or the tests. (Argon2 hashes in a
    # thread pool, and the embedded server starts before any event loop: no allowance needed.)
    with blockbuster_ctx() as bb:
        # A module's first import (its files, and whatever it reads then) is start-up work.
        for function in bb.functions.values():
            function.can_block_in("<frozen importlib._bootstrap>", "_find_and_load")
        # .env, read once per process at start-up (tests read it again after changing settings).
        for name in ("os.stat", "io.TextIOWrapper.read"):
            bb.functions[name].can_block_in(settings.__file__, "get_settings")
        # asyncpg's look for ~/.pgpass and client certificates as it connects: a few stat calls.
        connect = ("asyncpg/connect_utils.py", "_parse_connect_dsn_and_args")
        for name in ("os.stat", "os.path.abspath"):
            bb.functions[name].can_block_in(*connect)
        # A started process's exit status (tests/processes.py): the forkserver sends it once the
        # process has ended, and `Process.exitcode` reads it only then (it polls first).
        bb.functions["os.read"].can_block_in("multiprocessing/forkserver.py", "read_signed")
        # Alembic is synchronous: tests/database/test_migrations.py runs its commands on the
        # test's connection through run_sync, on the event loop's thread, awaiting nothing else.
        for function in bb.functions.values():
            function.can_block_in("alembic/command.py", {"upgrade", "downgrade", "revision"})
        yield bb


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    call: pytest.CallInfo[None],
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A blocking call's failure also says what to do about it (blockbuster names the call)."""
    from blockbuster import BlockingError

    error = call.excinfo.value if call.excinfo is not None else None
    while error is not None:  # the test may have seen another error, raised from this one
        if isinstance(error, BlockingError) and not str(error).endswith(BLOCKING_HINT):
            error.args = (f"{error} in the event loop: {BLOCKING_HINT}",)
        error = error.__cause__ or error.__context__
    return (yield)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Argon2id at 1 MiB, one pass: a tenth of a hash at the settings' lowest cost, for the
    suite's hundreds of logins and sign-ups. The settings refuse a hash this weak for the app;
    the processes tests start (tests/served.py) hash at that lowest cost."""
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    from {{ cookiecutter.package_name }}.auth import hashing

    cheap = PasswordHash((Argon2Hasher(memory_cost=1024, time_cost=1, parallelism=1),))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hashing, "password_hasher", lambda: cheap)
        yield


@pytest.fixture(scope="session", autouse=True)
def forkserver() -> None:
    """Started with the run, so that its imports (tests/processes.py) overlap the first tests."""
    from tests.processes import start_forkserver

    start_forkserver()


@pytest.fixture(scope="session", autouse=True)
async def initialize_database() -> AsyncIterator[AsyncDatabase]:
    """The test database (DATABASE_URL's database + `_test`), created if missing, and the
    models' tables built afresh: there for every test, whichever fixtures it takes."""
    from sqlalchemy.pool import QueuePool

    from {{ cookiecutter.package_name }}.core.settings import get_settings
    from {{ cookiecutter.package_name }}.database.engine import initialize_async_db
    from {{ cookiecutter.package_name }}.database.pooler import engine_options

    from tests.database_setup import (
        create_database_if_missing,
        database_url_for_tests,
        recreate_schema,
    )

    url = database_url_for_tests(get_settings().require_database_url())
    try:
        await create_database_if_missing(url)
    except OSError as error:  # refused, unknown host, timed out: no fallback to another server
        where = url.query.get("host") or f"{url.host or 'localhost'}:{url.port or 5432}"
        pytest.exit(f"DATABASE_URL's server at {where} is unreachable ({error})", returncode=1)
    # No pre-ping: the test server is local, and a ping per checkout would cost every test.
    # Behind a pooler (DATABASE_POOLER), the app's own options for it instead.
    options = engine_options(get_settings().database_pooler) or {
        "pool_size": 10,
        "pool_pre_ping": False,
    }
    database = initialize_async_db(url.render_as_string(hide_password=False), **options)
    await recreate_schema(database.engine)
    yield database
    pool = database.engine.pool
    leaked = pool.checkedout() if isinstance(pool, QueuePool) else 0  # NullPool keeps none
    await database.dispose()
    assert leaked == 0, f"{leaked} database connection(s) were not returned to the pool"


@pytest.fixture(scope="session")
def isolation(initialize_database: AsyncDatabase) -> Isolation:
    """The way each test gets a clean database (see tests/isolation.py)."""
    from tests.isolation import chosen_isolation

    return chosen_isolation(initialize_database.engine)


@pytest.fixture
async def setup_database(isolation: Isolation) -> AsyncIterator[CleanDatabase]:
    """The test starts from an empty database (and leaves nothing behind).

    Not automatic: a test that takes no database fixture pays for none (between tests the
    schema is there and empty in every isolation mode).
    """
    async with isolation.clean_database() as database:
        yield database


@pytest.fixture
def db_session(setup_database: CleanDatabase) -> AsyncSession:
    """The test's own session, closed after the test (a plain fixture: async ones cost more)."""
    return setup_database.session()


@asynccontextmanager
async def _app_client(database: CleanDatabase) -> AsyncIterator[AsyncClient]:
    """A client on the app whose requests each get a session of their own, as in production,
    on the test's database."""
    from {{ cookiecutter.package_name }}.main import app

    async with database.client(app) as client:
        yield client


@pytest.fixture
async def async_client(setup_database: CleanDatabase) -> AsyncIterator[AsyncClient]:
    """HTTP through the ASGI app; requests see what the test committed."""
    async with _app_client(setup_database) as client:
        yield client


@pytest.fixture
async def concurrent_client(
    initialize_database: AsyncDatabase, setup_database: CleanDatabase
) -> AsyncIterator[AsyncClient]:
    """HTTP through the ASGI app, each request on its own pooled connection.

    A connection serves one query at a time, so requests sent at once (asyncio.gather) need
    this client. What they commit is real, and outside the test's transaction: every row is
    deleted after the test.
    """
    from tests.database_setup import delete_all_rows
    from tests.isolation import CleanDatabase

    try:
        async with _app_client(CleanDatabase(initialize_database.engine)) as client:
            yield client
    finally:
        await delete_all_rows(initialize_database.engine)


@pytest.fixture
def assert_max_queries(
    initialize_database: AsyncDatabase,
) -> Callable[[int], AbstractContextManager[list[str]]]:
    """`with assert_max_queries(3): await async_client.get(...)`: the test fails if the block
    sends more than 3 SQL statements (savepoints aside), listing them (tests/query_count.py)."""
    from tests.query_count import max_queries

    engine = initialize_database.engine.sync_engine
    return lambda most: max_queries(engine, most)


@pytest.fixture
async def mailbox() -> AsyncIterator[Mailbox]:
    """A real SMTP server in the test process, on a free port, keeping what it receives
    (tests/mailbox.py); `mailbox.settings()` are the app's settings to send there."""
    from tests.mailbox import Mailbox

    box = Mailbox()
    await box.start()
    try:
        yield box
    finally:
        await box.stop()


@pytest.fixture(scope="session")
async def password_hash() -> str:
    """The real hash of PASSWORD, computed once: hashing is deliberately slow."""
    from {{ cookiecutter.package_name }}.auth.hashing import hash_password

    return await hash_password(PASSWORD)


async def _add_user(session: AsyncSession, role: Role, password_hash: str) -> User:
    """A committed user (so that requests see it in every isolation mode)."""
    from {{ cookiecutter.package_name }}.users.models import User

    from tests.factories import new_user_values

    user = User(**new_user_values(role, password_hash))
    session.add(user)
    await session.commit()
    return user


@pytest.fixture
async def user(db_session: AsyncSession, password_hash: str) -> User:
    """A user with the default role and the password PASSWORD."""
    return await _add_user(db_session, DEFAULT_ROLE, password_hash)


@pytest.fixture
async def admin(db_session: AsyncSession, password_hash: str) -> User:
    """A user with the admin role and the password PASSWORD."""
    return await _add_user(db_session, ADMIN_ROLE, password_hash)


@pytest.fixture
async def token(async_client: AsyncClient, user: User) -> str:
    """An access token for `user`, from `POST /token`."""
    return await access_token(async_client, user.email)


@pytest.fixture
async def admin_token(async_client: AsyncClient, admin: User) -> str:
    """An access token for `admin`, from `POST /token`."""
    return await access_token(async_client, admin.email)


@pytest.fixture
async def users_with_same_role_50_users(db_session: AsyncSession, password_hash: str) -> list[User]:
    """50 users with SHARED_ROLE and the password PASSWORD, inserted in one statement."""
    from sqlalchemy import insert

    from {{ cookiecutter.package_name }}.users.models import User

    from tests.factories import new_user_values

    rows = [new_user_values(SHARED_ROLE, password_hash) for _ in range(50)]
    users = (await db_session.scalars(insert(User).returning(User), rows)).all()
    await db_session.commit()
    return list(users)
