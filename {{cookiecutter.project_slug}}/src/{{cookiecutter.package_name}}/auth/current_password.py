"""The current password, asked for before one's own password or email changes (OWASP ASVS 5.0
6.2.3). Wrong guesses count as failed logins of the account, so a stolen access token cannot
be used to guess the password either: past the limit, 429."""

from fastapi import HTTPException, status
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.hashing import verify_password
from {{ cookiecutter.package_name }}.auth.throttling import (
    check_login_limits,
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
    What the session holds is committed: call this before making any change.
    """
    retry_after = await check_login_limits(session, user.email, address, settings)
    if retry_after is not None:
        audit(CHECK, outcome="throttled", user_id=user.id, address=address)
        raise too_many("failed logins", retry_after)
    attempt = await record_login_failure(session, user.email, address, settings)
    await session.commit()  # the locks and the connection go back before the slow hash
    if password is not None and await verify_password(password, user.hashed_password):
        await session.delete(attempt)  # no failure, even if the change is then refused
        await session.commit()
        audit(CHECK, outcome="success", user_id=user.id, address=address)
        return
    audit(CHECK, outcome="failure" if password else "missing", user_id=user.id, address=address)
    raise HTTPException(status.HTTP_403_FORBIDDEN, detail=refusal)
