"""Email verification: a new link for the caller (`POST /email-verification`), and following
one (`POST /email-verification/confirm`). See email_verification.py."""

from fastapi import APIRouter, HTTPException, Request, Response, status

from {{ cookiecutter.package_name }}.auth.dependencies import CurrentUser
from {{ cookiecutter.package_name }}.auth.email_verification import (
    KIND,
    InvalidVerificationTokenError,
    request_limits,
    send_verification_link,
    verify_email,
    void_verification_links,
)
from {{ cookiecutter.package_name }}.auth.schemas import Accepted, EmailVerificationConfirm
from {{ cookiecutter.package_name }}.auth.throttling import count_mail_request, too_many
from {{ cookiecutter.package_name }}.core.audit import audit
from {{ cookiecutter.package_name }}.core.settings import AppSettings
from {{ cookiecutter.package_name }}.database.session import DbSession
from {{ cookiecutter.package_name }}.web.client_address import client_address
from {{ cookiecutter.package_name }}.web.errors import commit_or_conflict, error_responses

router = APIRouter(prefix="/email-verification", tags=["auth"])

REQUEST = "email verification request"
VERIFIED_ALREADY = "This account's email is verified already"


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(401, 409, 429, 503, on_409=VERIFIED_ALREADY),
)
async def request_email_verification(
    caller: CurrentUser, session: DbSession, settings: AppSettings, request: Request
) -> Accepted:
    """Mail the caller a new link to verify their email; the earlier links stop working.

    Limited per account and per client address (EMAIL_VERIFICATION_MAX_PER_ACCOUNT_PER_HOUR,
    EMAIL_VERIFICATION_MAX_PER_ADDRESS_PER_HOUR): 429.
    """
    address = client_address(request, settings.trusted_proxies)
    caller_id = caller.id  # a rollback below expires the caller's attributes
    if caller.email_verified_at is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=VERIFIED_ALREADY)
    limits = request_limits(settings)
    retry_after = await count_mail_request(session, KIND, caller.email, address, limits, settings)
    if retry_after is not None:
        await session.rollback()
        audit(REQUEST, outcome="throttled", user_id=caller_id, address=address)
        raise too_many("verification requests", retry_after)
    await void_verification_links(session, caller, to=caller.email)
    send_verification_link(session, caller, settings)
    await session.commit()
    audit(REQUEST, outcome="mailed", user_id=caller_id, address=address)
    return Accepted(detail="A link to verify your email is on its way to it")


@router.post(
    "/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(
        400,
        409,
        503,
        on_400="The link is invalid, used or expired (one message for each)",
        on_409="The new email was taken by another account since the change was asked for",
    ),
)
async def confirm_email_verification(
    body: EmailVerificationConfirm, session: DbSession, settings: AppSettings, request: Request
) -> Response:
    """Verify an account's email with the token of a link sent to it; for a link sent to a
    pending email, that email becomes the account's, every session of the account ends, and
    the old address is told.

    An unknown, used or expired token: 400, with one message for all three.
    """
    address = client_address(request, settings.trusted_proxies)
    try:
        verified = await verify_email(session, body.token)
    except InvalidVerificationTokenError as error:
        await session.rollback()
        audit("email verification", outcome="invalid", address=address)
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(error)) from None
    user_id = verified.user.id
    await commit_or_conflict(session)
    audit("email verification", outcome="success", user_id=user_id, address=address)
    if verified.replaced is not None:
        audit("email change", outcome="success", user_id=user_id, address=address)
        audit("sessions revoked", outcome="success", user_id=user_id, address=address)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
