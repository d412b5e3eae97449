"""The users endpoints: sign-up, one's own account, and the admins' management of others."""

import datetime as dt
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from sqlalchemy import func, select

from {{ cookiecutter.package_name }}.auth.current_password import require_current_password
from {{ cookiecutter.package_name }}.auth.dependencies import (
    AdminUser,
    CurrentSessionId,
    CurrentUser,
    OptionalUser,
    require_admin,
)
from {{ cookiecutter.package_name }}.auth.email_verification import (
    ask_to_change_email,
    cancel_email_change,
    request_limits,
    send_verification_link,
    void_verification_links,
)
from {{ cookiecutter.package_name }}.auth.hashing import hash_password
from {{ cookiecutter.package_name }}.auth.password_reset import void_reset_links
from {{ cookiecutter.package_name }}.auth.passwords import password_refusal
from {{ cookiecutter.package_name }}.auth.sessions import revoke_user_sessions
from {{ cookiecutter.package_name }}.auth.throttling import (
    count_mail_request,
    count_sign_up,
    forget_login_failures,
    forget_old_sign_ups,
    too_many,
)
from {{ cookiecutter.package_name }}.core.audit import account_digest, audit
from {{ cookiecutter.package_name }}.core.settings import AppSettings, Settings
from {{ cookiecutter.package_name }}.database.session import DbSession
from {{ cookiecutter.package_name }}.mail.messages import render
from {{ cookiecutter.package_name }}.mail.outbox import queue_mail
from {{ cookiecutter.package_name }}.users.account_schemas import Unlocked
from {{ cookiecutter.package_name }}.users.admins import keep_an_active_admin, removes_an_admin
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.roles import ADMIN_ROLE, DEFAULT_ROLE, Role
from {{ cookiecutter.package_name }}.users.schemas import (
    UserCreate,
    UserPage,
    UserRead,
    UserUpdate,
)
from {{ cookiecutter.package_name }}.web.client_address import client_address
from {{ cookiecutter.package_name }}.web.errors import commit_or_conflict, error_responses

# Any route answers 401 for a bad token and 503 without a database.
router = APIRouter(prefix="/users", tags=["users"], responses=error_responses(401, 503))
TAKEN_EMAIL = "A user with this email already exists"  # as commit_or_conflict says it
LAST_ADMIN = "Conflicts with an existing user, or would leave no active admin"

MAX_PAGE_SIZE = 100
MAX_OFFSET = 2**31 - 1


async def _get_user_or_404(session: DbSession, user_id: UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"No user with id {user_id}")
    return user


def _password_refused(problem: str) -> HTTPException:
    # The shape of every other 422, naming the rule and never the password.
    error = {"type": "password_rule", "loc": ["body", "password"], "msg": f"The password {problem}"}
    return HTTPException(422, detail=[error])


def _check_self_or_admin(caller: User, user_id: UUID) -> None:
    if caller.id != user_id:
        require_admin(caller, "access other users")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(403, 409, 429, resource="user"),
)
async def sign_up(
    body: UserCreate,
    session: DbSession,
    caller: OptionalUser,
    settings: AppSettings,
    request: Request,
) -> UserRead:
    """A new user. With SIGNUP_OPEN (the default unless sign-ups would get the admin role),
    anyone may sign up with the default role; without it, only an admin may add users (403
    for anyone else). Only an admin may choose another role.

    Sign-ups by anyone but an admin are limited per client address
    (SIGNUP_MAX_PER_ADDRESS_PER_HOUR): 429. Each attempt counts, whatever becomes of it (a
    taken email too), before the password is hashed.
    """
    role = body.role or DEFAULT_ROLE
    address = client_address(request, settings.trusted_proxies)
    # Who signs up whom, and as what; the email only as a hash until the account exists.
    by, tried = (str(caller.id) if caller else None), account_digest(body.email)

    def logged(outcome: str, user_id: UUID | None = None) -> None:
        details = {"by": by, "role": str(role), "account": tried}
        audit("sign-up", outcome=outcome, user_id=user_id, address=address, **details)

    try:
        if not settings.signup_open:
            require_admin(caller, "add users: sign-up is closed (SIGNUP_OPEN)")
        if role != DEFAULT_ROLE:
            require_admin(caller, f"create users with role {role}")
    except HTTPException:
        logged("forbidden")
        raise
    if caller is None or caller.role != ADMIN_ROLE:
        retry_after = await count_sign_up(session, address, settings)
        if retry_after is not None:
            logged("throttled")
            raise too_many("sign-ups from this address", retry_after)
    problem = await password_refusal(body.password, body.email)
    if problem is not None:
        raise _password_refused(problem)
    # Before the next statement: an anonymous sign-up has no transaction open here (no caller
    # to load, and count_sign_up committed), so sign-ups sent at once cannot take the pool
    # while Argon2 runs.
    hashed_password = await hash_password(body.password)
    await forget_old_sign_ups(session)
    user = User(
        **body.model_dump(exclude={"password", "role"}),
        # Its id now: the verification link, queued in this transaction, names it.
        id=uuid4(),
        role=role,
        hashed_password=hashed_password,
    )
    session.add(user)
    send_verification_link(session, user, settings)
    try:
        await commit_or_conflict(session)
    except HTTPException:
        logged("conflict")
        raise
    logged("created", user.id)
    return UserRead.model_validate(user)


@router.get("/me")
async def read_me(caller: CurrentUser) -> UserRead:
    return UserRead.model_validate(caller)


@router.get("", responses=error_responses(403))
async def list_users(
    session: DbSession,
    _admin: AdminUser,
    role: Role | None = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> UserPage:
    """A page of users, oldest first, with the total; `role` keeps only that role's."""
    filters = [User.role == role] if role is not None else []
    users = await session.scalars(
        select(User).where(*filters).order_by(User.created_at, User.id).offset(offset).limit(limit)
    )
    total = await session.scalar(select(func.count()).select_from(User).where(*filters))
    return UserPage(
        items=[UserRead.model_validate(user) for user in users],
        total=total or 0,
        offset=offset,
        limit=limit,
    )


@router.get("/{user_id}", responses=error_responses(403, 404, resource="user"))
async def read_user(user_id: UUID, session: DbSession, caller: CurrentUser) -> UserRead:
    _check_self_or_admin(caller, user_id)
    return UserRead.model_validate(await _get_user_or_404(session, user_id))


@router.patch(
    "/{user_id}",
    responses=error_responses(403, 404, 409, 429, resource="user", on_409=LAST_ADMIN),
)
async def update_user(
    user_id: UUID,
    body: UserUpdate,
    session: DbSession,
    caller: CurrentUser,
    current_session: CurrentSessionId,
    settings: AppSettings,
    request: Request,
) -> UserRead:
    """Only the fields sent change. One's own email or password changes only with the
    `current_password`; a new password, or deactivation, ends the user's other sessions.

    One's own new email is not set at once: it becomes `pending_email`, and a link goes to it
    (`POST /email-verification/confirm` makes the change); sending one's current email instead
    cancels a pending change. An admin's change of another's email is made at once; either way
    the old address is told.
    """
    _check_self_or_admin(caller, user_id)
    user = await _get_user_or_404(session, user_id)
    changes = body.model_dump(exclude_unset=True)
    current_password = changes.pop("current_password", None)
    verified = changes.pop("email_verified", None)
    if verified is not None:
        require_admin(caller, "mark an email verified or not")
    if (
        changes.get("role", user.role) != user.role
        or changes.get("is_active", user.is_active) != user.is_active
    ):
        require_admin(caller, "change a role or deactivate a user")
    own = caller.id == user.id
    # OWASP ASVS 5.0 6.2.3: a stolen token alone cannot take the account over.
    if own and {"email", "password"} & changes.keys():
        await require_current_password(
            session,
            user,
            current_password,
            client_address(request, settings.trusted_proxies),
            settings,
            "Changing your own email or password needs your current password "
            "(current_password), which was missing or wrong",
        )
    if own and changes.get("password") is not None and changes["password"] == current_password:
        raise _password_refused("must differ from the current password")
    cancels_change = own and changes.get("email") == user.email and user.pending_email is not None
    new_email = changes.pop("email", user.email)
    if new_email == user.email:
        new_email = None
    elif own:
        await _check_email_free(session, new_email)
        await _count_email_change(session, user, request, settings)
    # A new email (an admin's) or password, or deactivation: the sessions begun before end.
    ends_sessions = (
        (new_email is not None and not own)
        or "password" in changes
        or changes.get("is_active") is False
    )
    audits = _audited_changes(user, changes, new_email, own)
    if "password" in changes:
        # The body's own email was checked already; else the stored one (ASVS 5.0 6.2.11).
        problem = await password_refusal(changes["password"], new_email or user.email)
        if problem is not None:
            raise _password_refused(problem)
        user.hashed_password = await hash_password(changes.pop("password"))
        await void_reset_links(session, user)
    if removes_an_admin(user, changes):
        await keep_an_active_admin(session, user.id, "demote or deactivate")
    for name, value in changes.items():
        setattr(user, name, value)
    if cancels_change:
        await cancel_email_change(session, user)
        audits.append(("email change cancelled", {}))
    if new_email is not None and own:
        await ask_to_change_email(session, user, new_email, settings)
    elif new_email is not None:
        # An admin's change: the new address is not verified yet, the old one is told.
        queue_mail(session, render("email_changed", user.email, new_email=new_email))
        user.email, user.pending_email, user.email_verified_at = new_email, None, None
        await void_verification_links(session, user)
        await void_reset_links(session, user)
        send_verification_link(session, user, settings)
    if verified is not None and verified != (user.email_verified_at is not None):
        user.email_verified_at = dt.datetime.now(dt.UTC) if verified else None
        audits.append(("email verification", {"verified": verified}))
    if ends_sessions:
        await revoke_user_sessions(session, user.id, keep=current_session if own else None)
    await commit_or_conflict(session)
    address = client_address(request, settings.trusted_proxies)
    for event, details in audits:
        by = str(caller.id)
        audit(event, outcome="success", user_id=user.id, address=address, by=by, **details)
    if ends_sessions:
        audit("sessions revoked", outcome="success", user_id=user.id, address=address)
    return UserRead.model_validate(user)


async def _count_email_change(
    session: DbSession, user: User, request: Request, settings: Settings
) -> None:
    """429 past the limits of email verification mails (each change sends one, to an address
    that may be anyone's); else the request is counted."""
    address = client_address(request, settings.trusted_proxies)
    limits = request_limits(settings)
    retry_after = await count_mail_request(
        session, "email change", user.email, address, limits, settings
    )
    if retry_after is not None:
        raise too_many("email change requests", retry_after)


async def _check_email_free(session: DbSession, email: str) -> None:
    """409 when another account has `email`; the database's constraint checks again when the
    change is made."""
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=TAKEN_EMAIL)


def _audited_changes(
    user: User, changes: dict[str, object], new_email: str | None, own: bool
) -> list[tuple[str, dict[str, str | bool]]]:
    """The changes the audit log records: role, active, email, password (never its value)."""
    found: list[tuple[str, dict[str, str | bool]]] = []
    if "role" in changes and changes["role"] != user.role:
        found.append(("role change", {"role": str(changes["role"])}))
    if "is_active" in changes and changes["is_active"] != user.is_active:
        found.append(("active change", {"active": bool(changes["is_active"])}))
    if new_email is not None:
        # One's own change is made when its link is followed (email_verification_routes.py).
        found.append(("email change requested" if own else "email change", {}))
    if "password" in changes:
        found.append(("password change", {}))
    return found


@router.post("/{user_id}/unlock", responses=error_responses(403, 404, resource="user"))
async def unlock_user(
    user_id: UUID, session: DbSession, admin: AdminUser, settings: AppSettings, request: Request
) -> Unlocked:
    """Clear the user's failed logins, so that they may log in again at once (as
    `<project> unlock EMAIL` does): how many there were."""
    user = await _get_user_or_404(session, user_id)
    cleared = await forget_login_failures(session, user.email)
    await session.commit()
    address = client_address(request, settings.trusted_proxies)
    outcome = "cleared" if cleared else "none"
    audit("unlock", outcome=outcome, user_id=user.id, address=address, by=str(admin.id))
    return Unlocked(failed_logins_cleared=cleared)


@router.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(403, 404, 409, resource="user", on_409=LAST_ADMIN),
)
async def delete_user(
    user_id: UUID, session: DbSession, admin: AdminUser, settings: AppSettings, request: Request
) -> Response:
    user = await _get_user_or_404(session, user_id)
    if removes_an_admin(user, {"is_active": False}):
        await keep_an_active_admin(session, user.id, "delete")
    await session.delete(user)
    await commit_or_conflict(session)
    address = client_address(request, settings.trusted_proxies)
    audit("user deleted", outcome="success", user_id=user_id, address=address, by=str(admin.id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
