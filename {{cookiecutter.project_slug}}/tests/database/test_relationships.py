"""Relationships load only where a query asks for them: read unloaded, one raises at once.

SQLAlchemy's default (`lazy="select"`) loads a relationship with a query of its own when it is
first read: a query per row in a loop, and in async code a `MissingGreenlet` error far from
where the relationship was read.
"""

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from sqlalchemy import select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from {{ cookiecutter.package_name }}.auth.models import UserSession
from {{ cookiecutter.package_name }}.models import Base
from {{ cookiecutter.package_name }}.users.models import User

# The loading strategies that send a query of their own when a relationship is first read.
LAZY = {"select", True, "dynamic"}


def test_no_relationship_loads_itself() -> None:
    lazy = [
        f"{mapper.class_.__name__}.{relationship.key}"
        for mapper in Base.registry.mappers
        for relationship in mapper.relationships
        if relationship.lazy in LAZY
    ]
    assert not lazy, (
        f"{', '.join(lazy)} would load with a query of its own when read: declare it with "
        'relationship(lazy="raise_on_sql"), and load it where it is needed, in the query '
        "(.options(selectinload(Model.relationship)))"
    )


async def test_an_unloaded_relationship_raises_and_a_loaded_one_costs_one_query(
    db_session: AsyncSession,
    users_with_same_role_50_users: list[User],
    assert_max_queries: Callable[[int], AbstractContextManager[list[str]]],
) -> None:
    expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    users = users_with_same_role_50_users
    db_session.add_all(UserSession(user_id=user.id, expires_at=expires_at) for user in users)
    await db_session.commit()
    db_session.expunge_all()  # as a new request finds them: nothing loaded yet

    first = await db_session.scalar(select(UserSession).limit(1))
    assert first is not None
    with pytest.raises(InvalidRequestError, match=r"'UserSession\.user' is not available"):
        _ = first.user
    db_session.expunge_all()

    with assert_max_queries(2):  # the sessions, then their users in one more
        query = select(UserSession).options(selectinload(UserSession.user))
        sessions = (await db_session.scalars(query)).all()
        emails = {user_session.user.email for user_session in sessions}
    assert emails == {user.email for user in users}
