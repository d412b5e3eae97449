"""Request dependencies: the database session, settings and the authenticated caller."""

from typing import Annotated
from uuid import UUID

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.database import (
    READ_METHODS,
    as_detached,
    as_loaded,
    get_async_db,
    session_for,
)
from {{ cookiecutter.package_name }}.driver_select import DriverSelect
from {{ cookiecutter.package_name }}.models import User, UserSession
from {{ cookiecutter.package_name }}.roles import ADMIN_ROLE
from {{ cookiecutter.package_name }}.security import read_access_token
from {{ cookiecutter.package_name }}.settings import Settings, get_settings


async def app_settings() -> Settings:
    """The cached settings; an async dependency, as FastAPI runs plain functions in a thread."""
    return get_settings()


DbSession = Annotated[AsyncSession, Depends(get_async_db)]
AppSettings = Annotated[Settings, Depends(app_settings)]

# The caller's columns, if their session is live: built once (building it costs more than
# running it), and run on the driver where it may be (driver_select.py).
CALLER_ROW = DriverSelect(
    select(*User.__table__.columns)
    .join(UserSession, UserSession.user_id == User.id)
    .where(
        User.id == bindparam("user_id"),
        User.is_active,
        UserSession.id == bindparam("session_id"),
        UserSession.revoked_at.is_(None),
        UserSession.expires_at > func.now(),
    )
)


async def _load_caller(request: Request, user_id: UUID, session_id: UUID) -> User | None:
    """The caller, or None: in the request's session if it may write (one object per row
    there), else loaded but in no session (a session costs more than the query)."""
    rows = await CALLER_ROW.all(request, {"user_id": user_id, "session_id": session_id})
    if not rows:
        return None
    caller = User(**rows[0])
    if request.method in READ_METHODS:
        return as_detached(caller)
    return as_loaded(await session_for(request), caller)


# auto_error=False: sign-up accepts anonymous callers; routes that need a user say so below.
bearer_token = OAuth2PasswordBearer(tokenUrl="token", auto_error=False)


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def _ids(claims: tuple[str, str] | None) -> tuple[UUID, UUID] | None:
    try:
        return (UUID(claims[0]), UUID(claims[1])) if claims else None
    except ValueError:
        return None


BearerToken = Annotated[str | None, Depends(bearer_token)]

# The caller dependencies take only the token and the request: the session and settings
# they used to take as dependencies cost GET /users/me about a tenth of its time, and a
# reading request needs no session (_load_caller). A route takes one of them, as each runs
# the query.


async def get_optional_user(token: BearerToken, request: Request) -> User | None:
    """The caller when a token is sent (which must then be valid), else None.

    The token's session is checked in the same query that loads the user: a session that was
    revoked (or has expired) lets none of its tokens in, at once.
    """
    if token is None:
        return None
    ids = _ids(read_access_token(token, get_settings()))
    user = None
    if ids is not None:
        user_id, session_id = ids
        user = await _load_caller(request, user_id, session_id)
        request.state.session_id = session_id
    if user is None:
        raise unauthorized("Could not validate credentials")
    return user


async def get_current_user(token: BearerToken, request: Request) -> User:
    user = await get_optional_user(token, request)
    if user is None:
        raise unauthorized("Not authenticated")
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]
CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_current_session_id(request: Request, _user: CurrentUser) -> UUID:
    """The id of the session the caller's access token belongs to."""
    session_id: UUID = request.state.session_id
    return session_id


CurrentSessionId = Annotated[UUID, Depends(get_current_session_id)]


def require_admin(caller: User | None, action: str) -> None:
    """The one admin check: 403 naming `action` ("may do this") unless `caller` is an admin."""
    if caller is None or caller.role != ADMIN_ROLE:
        detail = f"Only {ADMIN_ROLE} users may {action}"
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=detail)


async def get_admin_user(token: BearerToken, request: Request) -> User:
    user = await get_current_user(token, request)
    require_admin(user, "do this")
    return user


AdminUser = Annotated[User, Depends(get_admin_user)]
