"""Who is calling: `CurrentUser`, `OptionalUser` and `AdminUser`, for a route's parameters.

    @router.get("/books")
    async def list_books(session: DbSession, caller: CurrentUser) -> BookPage: ...

The caller is loaded in the request's session (`DbSession`), so a route may change and commit
it like any row it loaded; the dependencies may be declared in any order.
"""

from collections.abc import Collection
from typing import Annotated
from uuid import UUID

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import func, select

from {{ cookiecutter.package_name }}.auth.models import UserSession
from {{ cookiecutter.package_name }}.auth.tokens import read_access_token
from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.database.session import DbSession
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.roles import ADMIN_ROLE, Role

# auto_error=False: sign-up accepts anonymous callers; routes that need a user say so below.
bearer_token = OAuth2PasswordBearer(tokenUrl="token", auto_error=False)
BearerToken = Annotated[str | None, Depends(bearer_token)]


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def get_optional_user(
    token: BearerToken, session: DbSession, request: Request
) -> User | None:
    """The caller when a token is sent (which must then be valid), else None.

    The token's login session is checked in the query that loads the user: a session that was
    revoked (or has expired) lets none of its tokens in, at once.
    """
    if token is None:
        return None
    claims = read_access_token(token, get_settings())
    if claims is None:
        raise unauthorized("Could not validate credentials")
    user_id, session_id = claims
    user = await session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == user_id,
            User.is_active,
            UserSession.id == session_id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > func.now(),
        )
    )
    if user is None:
        raise unauthorized("Could not validate credentials")
    request.state.session_id = session_id
    request.state.user_id = user.id  # for the access log
    return user


async def get_current_user(caller: Annotated[User | None, Depends(get_optional_user)]) -> User:
    if caller is None:
        raise unauthorized("Not authenticated")
    return caller


OptionalUser = Annotated[User | None, Depends(get_optional_user)]
CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_current_session_id(request: Request, _caller: CurrentUser) -> UUID:
    """The id of the login session the caller's access token belongs to."""
    session_id: UUID = request.state.session_id
    return session_id


CurrentSessionId = Annotated[UUID, Depends(get_current_session_id)]


def require_role(caller: User | None, roles: Collection[Role], action: str) -> None:
    """403 naming `action` ("may do this") unless `caller` has one of `roles`. The template's
    own routes check only the admin role; a route of yours gives another role its meaning."""
    if caller is None or caller.role not in roles:
        detail = f"Only {' or '.join(sorted(roles))} users may {action}"
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=detail)


def require_admin(caller: User | None, action: str) -> None:
    """The one admin check: 403 naming `action` unless `caller` is an admin."""
    require_role(caller, (ADMIN_ROLE,), action)


async def get_admin_user(caller: CurrentUser) -> User:
    require_admin(caller, "do this")
    return caller


AdminUser = Annotated[User, Depends(get_admin_user)]
