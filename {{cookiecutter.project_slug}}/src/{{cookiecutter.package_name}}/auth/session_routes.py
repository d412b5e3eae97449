"""Ending sessions: revocation (RFC 7009), and a password change that ends the others."""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, Response, status

from {{ cookiecutter.package_name }}.auth.current_password import require_current_password
from {{ cookiecutter.package_name }}.auth.dependencies import CurrentSessionId, CurrentUser
from {{ cookiecutter.package_name }}.auth.hashing import hash_password
from {{ cookiecutter.package_name }}.auth.password_reset import void_reset_links
from {{ cookiecutter.package_name }}.auth.passwords import password_refusal
from {{ cookiecutter.package_name }}.auth.schemas import PasswordChange, RevocationForm
from {{ cookiecutter.package_name }}.auth.sessions import (
    revoke_session,
    revoke_user_sessions,
    session_of_refresh_token,
    session_user,
)
from {{ cookiecutter.package_name }}.auth.tokens import access_token_session
from {{ cookiecutter.package_name }}.core.audit import audit
from {{ cookiecutter.package_name }}.core.settings import AppSettings
from {{ cookiecutter.package_name }}.database.session import DbSession
from {{ cookiecutter.package_name }}.web.client_address import client_address
from {{ cookiecutter.package_name }}.web.errors import error_responses

router = APIRouter(tags=["auth"])


@router.post(
    "/token/revoke",
    # An empty answer: documented as no content at all, not as JSON.
    response_class=Response,
    responses={200: {"description": "Revoked, or nothing to revoke"}, **error_responses(503)},
)
async def revoke_token(
    form: Annotated[RevocationForm, Form()],
    session: DbSession,
    settings: AppSettings,
    request: Request,
) -> Response:
    """End the session of an access or refresh token (RFC 7009: logout).

    200 whether or not the token was valid (RFC 7009 2.2): the answer tells nothing about it.
    """
    # An expired access token still names its session, whose refresh token may still be good.
    session_id = access_token_session(form.token, settings)
    if session_id is None:
        session_id = await session_of_refresh_token(session, form.token)
    if session_id is not None:
        await revoke_session(session, session_id)
        await session.commit()
        address = client_address(request, settings.trusted_proxies)
        user_id = await session_user(session, session_id)
        sid = str(session_id)
        audit(
            "session revoked", outcome="success", user_id=user_id, address=address, session_id=sid
        )
    return Response(status_code=status.HTTP_200_OK, headers={"Cache-Control": "no-store"})


@router.post(
    "/users/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 403, 429, 503),
)
async def change_password(
    body: PasswordChange,
    caller: CurrentUser,
    current_session: CurrentSessionId,
    session: DbSession,
    settings: AppSettings,
    request: Request,
) -> Response:
    """Change one's own password, given the current one (OWASP ASVS 5.0 6.2.3); every other
    session of the caller ends, this one goes on."""
    address = client_address(request, settings.trusted_proxies)
    await require_current_password(
        session, caller, body.current_password, address, settings, "The current password is wrong"
    )
    problem = await password_refusal(body.new_password, caller.email)
    if body.new_password == body.current_password:
        problem = "must differ from the current password"
    if problem is not None:
        error = {"type": "password_rule", "loc": ["body", "new_password"], "msg": problem}
        raise HTTPException(422, detail=[{**error, "msg": f"The password {problem}"}])
    caller.hashed_password = await hash_password(body.new_password)
    await void_reset_links(session, caller)
    await revoke_user_sessions(session, caller.id, keep=current_session)
    await session.commit()
    audit("password change", outcome="success", user_id=caller.id, address=address)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
