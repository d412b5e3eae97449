"""What tests share besides fixtures: the fixture users' password and role, a bearer header,
a login (its answer, or the tokens of one that must succeed), settings changed for a block."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from httpx import AsyncClient, Response

from {{ cookiecutter.package_name }}.users.roles import ADMIN_ROLE, Role

# Every fixture user has this password.
PASSWORD = "correct horse battery staple"
# The role of the 50 users: another role than the admin's, where there is one.
SHARED_ROLE = next((role for role in Role if role != ADMIN_ROLE), ADMIN_ROLE)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def log_in(
    client: AsyncClient, email: str, password: str = PASSWORD, **headers: str
) -> Response:
    """`POST /token` with the password grant: the answer, whatever it is."""
    return await client.post(
        "/token", data={"username": email, "password": password}, headers=headers
    )


async def tokens_for(client: AsyncClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    """The tokens of a login that must succeed (`access_token`, `refresh_token`, ...)."""
    response = await log_in(client, email, password)
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


async def access_token(client: AsyncClient, email: str, password: str = PASSWORD) -> str:
    """The access token of a login that must succeed."""
    return (await tokens_for(client, email, password))["access_token"]


@contextmanager
def settings_changed(**changes: Any) -> Iterator[None]:
    """The app's settings with `changes`, for the requests sent in the block."""
    # Imported here: conftest.py imports this module in pytest -n's controller too.
    from {{ cookiecutter.package_name }}.core.settings import app_settings, get_settings
    from {{ cookiecutter.package_name }}.main import app

    changed = get_settings().model_copy(update=changes)
    app.dependency_overrides[app_settings] = lambda: changed
    try:
        yield
    finally:
        app.dependency_overrides.pop(app_settings, None)
