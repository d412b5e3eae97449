"""Password reset: ask for a link by email (`POST /password-reset`), then spend it on a new
password (`POST /password-reset/confirm`). See password_reset.py."""

from fastapi import APIRouter, HTTPException, Request, Response, status
from sqlalchemy import select

from {{ cookiecutter.package_name }}.auth.password_reset import (
    InvalidResetTokenError,
    PasswordRefusedError,
    reset_password,
    send_reset_link,
)
from {{ cookiecutter.package_name }}.auth.schemas import (
    Accepted,
    PasswordResetConfirm,
    PasswordResetRequest,
)
from {{ cookiecutter.package_name }}.auth.throttling import count_mail_request, too_many
from {{ cookiecutter.package_name }}.core.audit import account_digest, audit
from {{ cookiecutter.package_name }}.core.settings import AppSettings
from {{ cookiecutter.package_name }}.database.session import DbSession
from {{ cookiecutter.package_name }}.users.account_schemas import account_name
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.web.client_address import client_address
from {{ cookiecutter.package_name }}.web.errors import error_responses

router = APIRouter(prefix="/password-reset", tags=["auth"])

# The same words whether or not the account exists: the answer tells nothing about it.
ACCEPTED = Accepted(
    detail="If an active account has this email, a link to reset its password is on its way"
)
REQUEST = "password reset request"
RESET = "password reset"


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(429, 503),
)
async def request_password_reset(
    body: PasswordResetRequest, session: DbSession, settings: AppSettings, request: Request
) -> Accepted:
    """Mail a link to reset the password to the account with this email, if there is an
    active one: 202 with the same body either way.

    Limited per account and per client address (PASSWORD_RESET_MAX_PER_ACCOUNT_PER_HOUR,
    PASSWORD_RESET_MAX_PER_ADDRESS_PER_HOUR), alike whether or not the account exists: 429.
    """
    address = client_address(request, settings.trusted_proxies)
    account = account_name(body.email)
    tried = account_digest(account)
    limits = (
        settings.password_reset_max_per_account_per_hour,
        settings.password_reset_max_per_address_per_hour,
    )
    retry_after = await count_mail_request(
        session, "password reset", account, address, limits, settings
    )
    if retry_after is not None:
        await session.rollback()
        audit(REQUEST, outcome="throttled", address=address, account=tried)
        raise too_many("password reset requests", retry_after)
    user = await session.scalar(select(User).where(User.email == account))
    if user is not None and user.is_active:
        # The mail is queued in this transaction, sent after it (mail/sender.py).
        await send_reset_link(session, user, settings)
    await session.commit()
    outcome = "unknown" if user is None else "mailed" if user.is_active else "deactivated"
    user_id = user.id if user else None
    audit(REQUEST, outcome=outcome, user_id=user_id, address=address, account=tried)
    return ACCEPTED


@router.post(
    "/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(
        400, 503, on_400="The link is invalid, used or expired (one message for each)"
    ),
)
async def confirm_password_reset(
    body: PasswordResetConfirm, session: DbSession, settings: AppSettings, request: Request
) -> Response:
    """Set a new password with a reset link's token (the rules of sign-up): every session of
    the account ends, and its failed logins are forgotten, so that it may log in at once.

    An unknown, used or expired token: 400, with one message for all three.
    """
    address = client_address(request, settings.trusted_proxies)
    try:
        user = await reset_password(session, body.token, body.new_password)
    except InvalidResetTokenError as error:
        await session.rollback()
        audit(RESET, outcome="invalid", address=address)
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(error)) from None
    except PasswordRefusedError as error:
        await session.rollback()
        problem = f"The password {error}"
        detail = [{"type": "password_rule", "loc": ["body", "new_password"], "msg": problem}]
        raise HTTPException(422, detail=detail) from None
    user_id = user.id
    await session.commit()
    audit(RESET, outcome="success", user_id=user_id, address=address)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
