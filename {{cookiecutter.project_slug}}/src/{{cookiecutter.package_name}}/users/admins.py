"""At least one active admin, always: the changes that would leave none are refused (409).

Concurrent-safe: the active admins' rows are locked (`FOR UPDATE`) before they are counted, so
two admins demoting each other at once are serialized, and the second sees the first's change.
"""

from uuid import UUID

from fastapi import HTTPException, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.roles import ADMIN_ROLE


def _last_admin(action: str) -> HTTPException:
    return HTTPException(
        status.HTTP_409_CONFLICT,
        detail=(
            f"Cannot {action} the last active {ADMIN_ROLE} user: make another user an active "
            f"{ADMIN_ROLE} first"
        ),
    )


async def keep_an_active_admin(session: AsyncSession, user_id: UUID, action: str) -> None:
    """Refuse (409) to `action` the user `user_id` when it is the last active admin.

    Call it in the transaction that makes the change, before the change is flushed: the lock
    it takes lasts until that transaction ends.
    """
    # In one order (by id), so two such transactions cannot deadlock.
    locked = (
        select(User.id)
        .where(User.role == ADMIN_ROLE, User.is_active)
        .order_by(User.id)
        .with_for_update()
    )
    admins = set(await session.scalars(locked))
    if user_id in admins and not admins - {user_id}:
        await session.rollback()
        raise _last_admin(action)


def removes_an_admin(user: User, changes: dict[str, object]) -> bool:
    """Whether `changes` would take `user`, an active admin, out of the active admins."""
    is_active_admin = user.role == ADMIN_ROLE and user.is_active
    demoted = changes.get("role", user.role) != ADMIN_ROLE
    return is_active_admin and (demoted or changes.get("is_active") is False)
