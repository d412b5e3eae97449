"""`<project> unlock EMAIL`: an operator's way to let an account log in again at once, however
many failed logins (anyone's) counted against it. An admin's `POST /users/{id}/unlock` does the
same. Both are audited."""

from sqlalchemy import select

from {{ cookiecutter.package_name }}.auth.throttling import forget_login_failures
from {{ cookiecutter.package_name }}.core.audit import audit
from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.database.engine import command_session
from {{ cookiecutter.package_name }}.users.account_schemas import account_name
from {{ cookiecutter.package_name }}.users.models import User


async def unlock(url: str, email: str) -> str:
    """Clear the failed logins of `email`; what was done, in a sentence."""
    account = account_name(email)
    async with command_session(url, get_settings().database_pooler) as session:
        cleared = await forget_login_failures(session, account)
        await session.commit()
        # Whose, when the address is an account's (failed logins count for any address).
        user_id = await session.scalar(select(User.id).where(User.email == account))
    outcome = "cleared" if cleared else "none"
    audit("unlock", outcome=outcome, user_id=user_id, address="cli", cleared=cleared)
    if not cleared:
        return f"{account} had no failed logins counted: nothing to clear"
    return f"{account}: {cleared} failed login(s) cleared; it may log in again"
