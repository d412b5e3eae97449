from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from sqlalchemy import select

from {{ cookiecutter.package_name }}.audit import audit
from {{ cookiecutter.package_name }}.client_address import client_address
from {{ cookiecutter.package_name }}.dependencies import AppSettings, DbSession, unauthorized
from {{ cookiecutter.package_name }}.errors import error_responses
from {{ cookiecutter.package_name }}.models import User
from {{ cookiecutter.package_name }}.schemas import LoginForm, Token
from {{ cookiecutter.package_name }}.security import create_access_token, verify_password
from {{ cookiecutter.package_name }}.throttling import (
    forget_login_failures,
    lock_account,
    login_retry_after,
    record_login_failure,
    too_many,
)

router = APIRouter(tags=["auth"])


@router.post("/token", responses=error_responses(401, 429, 503))
async def issue_token(
    form: Annotated[LoginForm, Form()],
    session: DbSession,
    settings: AppSettings,
    request: Request,
    response: Response,
) -> Token:
    """OAuth2 password flow: the username is the email.

    Too many failures for the account or the client's address: 429 with Retry-After, even for
    the right password, and alike whether or not the account exists.
    """
    # No cache may keep a token (RFC 6749 5.1), nor an answer about credentials.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    account = form.username.strip().lower()
    address = client_address(request, settings.trusted_proxies)
    await lock_account(session, account)
    retry_after = await login_retry_after(session, account, address, settings)
    if retry_after is not None:
        await session.rollback()
        audit("login", outcome="throttled", address=address)
        raise too_many("failed logins", retry_after)
    user = await session.scalar(select(User).where(User.email == account))
    # The same answer for an unknown email and a wrong password.
    password_ok = await verify_password(form.password, user.hashed_password if user else None)
    if user is None or not password_ok:
        await record_login_failure(session, account, address, settings)
        await session.commit()
        audit("login", outcome="failure", user_id=user.id if user else None, address=address)
        raise unauthorized("Incorrect email or password")
    if not user.is_active:
        user_id = user.id
        await session.rollback()
        audit("login", outcome="deactivated", user_id=user_id, address=address)
        raise unauthorized("This account is deactivated")
    await forget_login_failures(session, account)
    await session.commit()
    audit("login", outcome="success", user_id=user.id, address=address)
    return Token(access_token=create_access_token(str(user.id), settings))
