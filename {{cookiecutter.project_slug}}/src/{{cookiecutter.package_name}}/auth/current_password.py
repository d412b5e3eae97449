"""The current password, asked for before one's own password or email changes (OWASP ASVS 5.0
6.2.3). Wrong guesses count as failed logins of the account, so a stolen access token cannot
be used to guess the password either: past the limit, 429."""

from fastapi import HTTPException, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.hashing import verify_password
from {{ cookiecutter.package_name }}.auth.throttling import (
    check_login_limits,
    forgive_login_failure,
    record_login_failure,
    too_many,
)
from {{ cookiecutter.package_name }}.core.audit import audit
from {{ cookiecutter.package_name }}.core.settings import Settings
from {{ cookiecutter.package_name }}.users.models import User

CHECK = "current password check"


async def require_current_password(
    session: AsyncSession,
    user: User,
    password: str | None,
    address: str,
    settings: Settings,
    refusal: str,
) -> None:
    """Return when `password` is `user`'s; else 403 with `refusal` (429 past the limit).

    Checked as a login is: under the account's and the address's locks, so that guesses sent
    at once are counted one by one, each counted as a failure until the password proves right.
    It commits, so call it before changing anything. On return, `user` is read again and
    locked until the transaction ends: a concurrent change of the password waits for yours.
    """
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("require_current_password commits: call it before making changes")
    retry_after = await check_login_limits(session, user.email, address, settings)
    if retry_after is not None:
        audit(CHECK, outcome="throttled", user_id=user.id, address=address)
        raise too_many("failed logins", retry_after)
    failure_id = await record_login_failure(session, user.email, address, settings)
    await session.commit()  # the locks and the connection go back before the slow hash
    if password is not None and await verify_password(password, user.hashed_password):
        await forgive_login_failure(session, failure_id)
        await session.commit()  # no failure, even if the change is then refused
        if await locked_if_password_unchanged(session, user, for_update=True) is not None:
            audit(CHECK, outcome="success", user_id=user.id, address=address)
            return
    audit(CHECK, outcome="failure" if password else "missing", user_id=user.id, address=address)
    raise HTTPException(status.HTTP_403_FORBIDDEN, detail=refusal)


async def locked_if_password_unchanged(
    session: AsyncSession, user: User, *, for_update: bool = False
) -> User | None:
    """`user` read again and locked until the transaction ends (FOR SHARE; FOR UPDATE for a
    caller that will change it) if its password hash is still the one just checked, else None.

    The hash was checked outside any transaction, so that no connection waited on Argon2: a
    password change, deactivation or deletion made meanwhile must win.
    """
    return await session.scalar(
        select(User)
        .where(User.id == user.id, User.hashed_password == user.hashed_password)
        .with_for_update(read=not for_update)
        .execution_options(populate_existing=True)
    )
