from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from {{ cookiecutter.package_name }}.dependencies import AppSettings, DbSession, unauthorized
from {{ cookiecutter.package_name }}.models import User
from {{ cookiecutter.package_name }}.schemas import Token
from {{ cookiecutter.package_name }}.security import create_access_token, verify_password

router = APIRouter(tags=["auth"])


@router.post("/token")
async def issue_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], session: DbSession, settings: AppSettings
) -> Token:
    """OAuth2 password flow: the username is the email."""
    user = await session.scalar(select(User).where(User.email == form.username.strip().lower()))
    # The same answer for an unknown email and a wrong password.
    password_ok = await verify_password(form.password, user.hashed_password if user else None)
    if user is None or not password_ok:
        raise unauthorized("Incorrect email or password")
    if not user.is_active:
        raise unauthorized("This account is deactivated")
    return Token(access_token=create_access_token(str(user.id), settings))
