from typing import Annotated

from fastapi import APIRouter, Form, Response
from sqlalchemy import select

from {{ cookiecutter.package_name }}.dependencies import AppSettings, DbSession, unauthorized
from {{ cookiecutter.package_name }}.errors import error_responses
from {{ cookiecutter.package_name }}.models import User
from {{ cookiecutter.package_name }}.schemas import LoginForm, Token
from {{ cookiecutter.package_name }}.security import create_access_token, verify_password

router = APIRouter(tags=["auth"])


@router.post("/token", responses=error_responses(401, 503))
async def issue_token(
    form: Annotated[LoginForm, Form()],
    session: DbSession,
    settings: AppSettings,
    response: Response,
) -> Token:
    """OAuth2 password flow: the username is the email."""
    # No cache may keep a token (RFC 6749 5.1), nor an answer about credentials.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    user = await session.scalar(select(User).where(User.email == form.username.strip().lower()))
    # The same answer for an unknown email and a wrong password.
    password_ok = await verify_password(form.password, user.hashed_password if user else None)
    if user is None or not password_ok:
        raise unauthorized("Incorrect email or password")
    if not user.is_active:
        raise unauthorized("This account is deactivated")
    return Token(access_token=create_access_token(str(user.id), settings))
