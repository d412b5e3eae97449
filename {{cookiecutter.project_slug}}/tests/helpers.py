"""What tests share besides fixtures: the fixture users' password and role, a bearer header,
a login."""

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
