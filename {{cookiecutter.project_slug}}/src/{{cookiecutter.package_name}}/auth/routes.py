"""The token endpoint (RFC 6749): log in with a password, or refresh a session's tokens."""

from typing import Annotated, NoReturn

from fastapi import APIRouter, Form, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import select

from {{ cookiecutter.package_name }}.auth.current_password import locked_if_password_unchanged
from {{ cookiecutter.package_name }}.auth.dependencies import unauthorized
from {{ cookiecutter.package_name }}.auth.devices import set_device_cookie, trusted_device
from {{ cookiecutter.package_name }}.auth.email_verification import (
    KIND,
    request_limits,
    send_verification_link,
    void_verification_links,
)
from {{ cookiecutter.package_name }}.auth.hashing import verify_password
from {{ cookiecutter.package_name }}.auth.schemas import OAuthError, Token, TokenForm
from {{ cookiecutter.package_name }}.auth.sessions import (
    InvalidGrantError,
    rotate,
    session_user,
    start_session,
)
from {{ cookiecutter.package_name }}.auth.throttling import (
    check_login_limits,
    count_mail_request,
    forget_device_failures,
    forgive_login_failure,
    record_login_failure,
    too_many,
)
from {{ cookiecutter.package_name }}.core.audit import account_digest, audit
from {{ cookiecutter.package_name }}.core.settings import AppSettings, Settings
from {{ cookiecutter.package_name }}.database.session import DbSession
from {{ cookiecutter.package_name }}.users.account_schemas import account_name
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.web.client_address import client_address
from {{ cookiecutter.package_name }}.web.errors import error_responses

router = APIRouter(tags=["auth"])

# No cache may keep a token (RFC 6749 5.1), nor an answer about credentials.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
INVALID_GRANT = {"model": OAuthError, "description": "The refresh token cannot be used"}
UNVERIFIED = "This account's email is not verified yet (REQUIRE_VERIFIED_EMAIL)"


def _required(form: TokenForm, *names: str) -> list[str]:
    for name in names:
        if getattr(form, name) is None:
            error = {"type": "missing", "loc": ("body", name), "msg": "Field required"}
            raise RequestValidationError([error])
    return [getattr(form, name) for name in names]


def _token(tokens: object) -> Token:
    return Token.model_validate(tokens, from_attributes=True)


@router.post(
    "/token",
    response_model=Token,
    responses={
        **error_responses(401, 403, 429, 503, on_403=UNVERIFIED),
        400: INVALID_GRANT,
    },
)
async def issue_token(
    form: Annotated[TokenForm, Form()],
    session: DbSession,
    settings: AppSettings,
    request: Request,
    response: Response,
) -> Token | JSONResponse:
    """OAuth2 password flow (the username is the email), or a refresh (RFC 6749 6).

    Too many failed logins for the account or the client's address: 429 with Retry-After,
    even for the right password, and alike whether or not the account exists. A client that
    logged in to the account before (its device cookie, auth/devices.py) has failures of its
    own: strangers' do not lock it out. A refresh
    token works once; presented again, it ends its session (400, `invalid_grant`). With
    REQUIRE_VERIFIED_EMAIL, an account whose email is not verified gets 403, and a new link.
    """
    response.headers.update(NO_STORE)
    address = client_address(request, settings.trusted_proxies)
    if form.grant_type == "refresh_token":
        (refresh_token,) = _required(form, "refresh_token")
        return await _refresh(session, refresh_token, address, settings)
    username, password = _required(form, "username", "password")
    account = account_name(username)
    device = trusted_device(request, account, settings)
    tokens = await _log_in(session, account, password, address, device, settings)
    set_device_cookie(request, response, account, settings)
    return tokens


async def _log_in(
    session: DbSession,
    account: str,
    password: str,
    address: str,
    device: str | None,
    settings: Settings,
) -> Token:
    # Who tried, even when no account has that name: a hash of the name typed.
    tried = account_digest(account)
    retry_after = await check_login_limits(session, account, address, settings, device)
    if retry_after is not None:
        await session.rollback()
        audit("login", outcome="throttled", address=address, account=tried)
        raise too_many("failed logins", retry_after)
    failure_id = await record_login_failure(session, account, address, settings, device)
    user = await session.scalar(select(User).where(User.email == account))
    await session.commit()  # the locks and the connection go back before the slow hash
    # The same answer for an unknown email and a wrong password.
    password_ok = await verify_password(password, user.hashed_password if user else None)
    checked = await locked_if_password_unchanged(session, user) if user and password_ok else None
    if user is None or checked is None:
        user_id = user.id if user else None
        audit("login", outcome="failure", user_id=user_id, address=address, account=tried)
        raise unauthorized("Incorrect email or password")
    user = checked
    await forgive_login_failure(session, failure_id)
    user_id = user.id
    if not user.is_active:
        await session.commit()
        audit("login", outcome="deactivated", user_id=user_id, address=address, account=tried)
        raise unauthorized("This account is deactivated")
    if settings.require_verified_email and user.email_verified_at is None:
        await _refuse_unverified(session, user, address, settings, tried)
    await forget_device_failures(session, account, device)
    tokens = await start_session(session, user_id, settings)
    await session.commit()
    audit("login", outcome="success", user_id=user_id, address=address, account=tried)
    return _token(tokens)


async def _refuse_unverified(
    session: DbSession, user: User, address: str, settings: Settings, tried: str
) -> NoReturn:
    """REQUIRE_VERIFIED_EMAIL: 403 for an account not yet verified, the right password given;
    a fresh link goes to its email, unless it asked for too many within the hour."""
    limits = request_limits(settings)
    waiting = await count_mail_request(session, KIND, user.email, address, limits, settings)
    if waiting is None:
        await void_verification_links(session, user, to=user.email)
        send_verification_link(session, user, settings)
    await session.commit()
    user_id = user.id
    audit("login", outcome="unverified", user_id=user_id, address=address, account=tried)
    sent = "a new link was sent to it" if waiting is None else "see the link sent to it"
    raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"{UNVERIFIED}: {sent}")


async def _refresh(
    session: DbSession, refresh_token: str, address: str, settings: Settings
) -> Token | JSONResponse:
    try:
        tokens = await rotate(session, refresh_token, settings)
    except InvalidGrantError as error:
        await session.commit()  # a reuse ends the session: that must stick
        outcome = "reused" if error.reused else "refused"
        session_id = error.session_id
        user_id = await session_user(session, session_id) if session_id else None
        sid = str(session_id) if session_id else None
        audit("refresh", outcome=outcome, user_id=user_id, address=address, session_id=sid)
        body = OAuthError(error="invalid_grant", error_description=str(error))
        return JSONResponse(
            body.model_dump(), status_code=status.HTTP_400_BAD_REQUEST, headers=NO_STORE
        )
    await session.commit()
    audit("refresh", outcome="success", user_id=tokens.user_id, address=address)
    return _token(tokens)
