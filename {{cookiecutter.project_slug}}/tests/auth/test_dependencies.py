"""The caller dependencies: declared in any order, beside any dependency of a route's own that
loads the same row, the route sees one object per row and may change and commit it."""

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException

from {{ cookiecutter.package_name }}.auth.dependencies import CurrentUser, require_role
from {{ cookiecutter.package_name }}.database.session import DbSession
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.roles import Role

from tests.helpers import bearer
from tests.isolation import CleanDatabase


async def _own_row(session: DbSession, caller: CurrentUser) -> User:
    """A dependency of a route's own that loads the caller's row again."""
    row = await session.get(User, caller.id)
    assert row is not None
    return row


OwnRow = Annotated[User, Depends(_own_row)]


def _with_routes() -> FastAPI:
    app = create_app()
    router = APIRouter()

    @router.patch("/probe/row-first")
    async def row_first(row: OwnRow, caller: CurrentUser, session: DbSession) -> dict[str, bool]:
        row.is_active = True
        await session.commit()
        return {"same": row is caller}

    @router.patch("/probe/caller-first")
    async def caller_first(caller: CurrentUser, row: OwnRow, session: DbSession) -> dict[str, bool]:
        caller.is_active = True
        await session.commit()
        return {"same": row is caller}

    app.include_router(router)
    return app


@pytest.mark.parametrize("path", ["/probe/row-first", "/probe/caller-first"])
async def test_dependencies_in_any_order(
    setup_database: CleanDatabase, token: str, path: str
) -> None:
    async with setup_database.client(_with_routes()) as client:
        response = await client.patch(path, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json() == {"same": True}


@pytest.mark.parametrize("role", list(Role))
def test_a_role_means_what_require_role_says(role: Role) -> None:
    caller = User(role=role)
    require_role(caller, {role}, "read the reports")
    for refused_caller, allowed in ((caller, set(Role) - {role}), (None, {role})):
        with pytest.raises(HTTPException) as refused:
            require_role(refused_caller, allowed, "read the reports")
        assert refused.value.status_code == 403
        assert refused.value.detail.endswith(" users may read the reports")
