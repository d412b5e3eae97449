"""Request dependencies: the database session, settings and the authenticated caller."""

from typing import Annotated
from uuid import UUID

from fastapi import Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.database import get_async_db
from {{ cookiecutter.package_name }}.models import User
from {{ cookiecutter.package_name }}.roles import ADMIN_ROLE
from {{ cookiecutter.package_name }}.security import read_access_token
from {{ cookiecutter.package_name }}.settings import Settings, get_settings

DbSession = Annotated[AsyncSession, Depends(get_async_db)]
AppSettings = Annotated[Settings, Depends(get_settings)]

# auto_error=False: sign-up accepts anonymous callers; routes that need a user say so below.
bearer_token = OAuth2PasswordBearer(tokenUrl="token", auto_error=False)


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def get_optional_user(
    token: Annotated[str | None, Depends(bearer_token)], session: DbSession, settings: AppSettings
) -> User | None:
    """The caller when a token is sent (which must then be valid), else None."""
    if token is None:
        return None
    subject = read_access_token(token, settings)
    try:
        user_id = UUID(subject) if subject else None
    except ValueError:
        user_id = None
    user = await session.get(User, user_id) if user_id else None
    if user is None or not user.is_active:
        raise unauthorized("Could not validate credentials")
    return user


async def get_current_user(user: Annotated[User | None, Depends(get_optional_user)]) -> User:
    if user is None:
        raise unauthorized("Not authenticated")
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]
CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_admin_user(user: CurrentUser) -> User:
    if user.role != ADMIN_ROLE:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail=f"Only {ADMIN_ROLE} users may do this"
        )
    return user


AdminUser = Annotated[User, Depends(get_admin_user)]
