"""The async engine and session factories; `get_async_db`, the request's session, and the
middleware that closes it."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import make_transient_to_detached
from starlette.types import ASGIApp, Receive, Scope, Send

# Requests that only read: their session runs each statement on its own (autocommit), with no
# BEGIN and ROLLBACK around it. Under READ COMMITTED every statement takes its own snapshot
# anyway, so a reader sees nothing it would not see inside a transaction.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class AsyncDatabase:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    # For READ_METHODS' requests: autocommit where that is safe, else `sessionmaker`'s twin.
    read_sessionmaker: async_sessionmaker[AsyncSession]

    async def dispose(self) -> None:
        await self.engine.dispose()


def initialize_async_db(
    url: str,
    *,
    statement_timeout_seconds: float | None = None,
    autocommit_reads: bool = False,
    **engine_options: Any,
) -> AsyncDatabase:
    """Make the engine and session factories; no connection is opened until first use.

    `statement_timeout_seconds`: the server cancels any statement that runs (or waits for a
    lock) longer, so a stuck database gives a prompt 503 rather than hung requests.
    `autocommit_reads`: reading requests' sessions send no BEGIN/ROLLBACK (not behind
    PgBouncer's transaction mode, where a statement's two steps outside a transaction may reach
    two server connections).
    """
    # No pre-ping (a round trip per checkout): after the database restarts, the first statement
    # on a dead connection fails as a disconnect, and SQLAlchemy then discards every connection
    # the pool held (its default on a disconnect), so only the requests already in flight fail.
    # A bounded connect timeout: an unreachable database is a prompt 503, not a 60 s wait.
    options = {"pool_pre_ping": False, "connect_args": {"timeout": 10}, **engine_options}
    if statement_timeout_seconds is not None:
        # Sent when the connection starts: no extra round trip per request.
        timeout = {"statement_timeout": str(max(1, round(statement_timeout_seconds * 1000)))}
        options["connect_args"] = {**options["connect_args"], "server_settings": timeout}
    engine = create_async_engine(url, **options)
    read_engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    return AsyncDatabase(
        engine,
        async_sessionmaker(engine, expire_on_commit=False),
        async_sessionmaker(read_engine if autocommit_reads else engine, expire_on_commit=False),
    )


Model = TypeVar("Model")


def as_detached(instance: Model) -> Model:
    """`instance`, every column set, as if a session had loaded it and let it go (no query):
    for rows read some other way (a DriverSelect, an INSERT ... RETURNING)."""
    make_transient_to_detached(instance)
    return instance


def as_loaded(session: AsyncSession, instance: Model) -> Model:
    """`instance`, every column set, put in `session` as if the session had loaded it."""
    session.add(as_detached(instance))
    return instance


# Where a request's scope holds its session (once made), for RequestSessions to close.
REQUEST_SESSION = "{{ cookiecutter.package_name }}.session"

Bind = AsyncEngine | AsyncConnection


def request_session(request: Request, make_session: Callable[[], AsyncSession]) -> AsyncSession:
    """The request's one session: made by `make_session` on first use, closed (what it left
    undone rolled back) once the response is sent."""
    made: list[AsyncSession] = request.scope[REQUEST_SESSION]
    if not made:
        made.append(make_session())
    return made[0]


async def get_async_db(request: Request) -> AsyncSession:
    """The request's session, from the database the app's lifespan opened; a reading
    request's runs its statements without a transaction around them.

    A plain dependency, closed by RequestSessions rather than by a `yield`: FastAPI's
    generator dependencies cost more per request than a short query does.
    """
    database: AsyncDatabase = request.app.state.database
    reads = request.method in READ_METHODS
    return request_session(request, database.read_sessionmaker if reads else database.sessionmaker)


@dataclass(frozen=True, slots=True)
class SessionsOn:
    """A stand-in for get_async_db, `app.dependency_overrides[get_async_db] = SessionsOn(...)`:
    each request's session from `make_session`, and its statements that need none (the
    caller's lookup) on `bind`, where those sessions go."""

    bind: Bind
    make_session: Callable[[], AsyncSession]

    async def __call__(self, request: Request) -> AsyncSession:
        return request_session(request, self.make_session)


async def session_for(request: Request) -> AsyncSession:
    """What get_async_db gives `request` (or its override), outside the dependencies."""
    get_session = request.app.dependency_overrides.get(get_async_db, get_async_db)
    session: AsyncSession = await get_session(request)
    return session


def bind_for(request: Request) -> Bind | None:
    """Where `request`'s statements go, for those that need no session: the app's engine, or
    the bind of a test's SessionsOn; None for any other override (use its session)."""
    override = request.app.dependency_overrides.get(get_async_db)
    if override is None:
        database: AsyncDatabase = request.app.state.database
        return database.engine
    return override.bind if isinstance(override, SessionsOn) else None


def begun_session(request: Request) -> AsyncSession | None:
    """`request`'s session if it has begun a transaction (which other connections do not see)."""
    made: list[AsyncSession] = request.scope[REQUEST_SESSION]
    return made[0] if made and made[0].in_transaction() else None


class RequestSessions:
    """Closes the session a request made (get_async_db's, or a test's), error or not."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        made: list[AsyncSession] = []
        scope[REQUEST_SESSION] = made
        try:
            await self.app(scope, receive, send)
        finally:
            for session in made:
                await session.close()
