"""At least one active admin remains, whatever admins do, also at once; and the first admin
comes from `<project> create-admin EMAIL`."""

import asyncio
import io
import json
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import delete, func, select

from {{ cookiecutter.package_name }}.auth.create_admin import (
    CreateAdminError,
    create_admin,
    new_account,
)
from {{ cookiecutter.package_name }}.auth.hashing import hash_password
from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.roles import ADMIN_ROLE, DEFAULT_ROLE
from {{ cookiecutter.package_name }}.users.schemas import UserCreate

from tests.factories import new_sign_up, new_user_values
from tests.helpers import PASSWORD, SHARED_ROLE, access_token, bearer
from tests.processes import PROJECT_COMMAND, Finished, run


def _removals() -> list[tuple[str, str, dict[str, object] | None]]:
    removals: list[tuple[str, str, dict[str, object] | None]] = [
        ("deactivate", "PATCH", {"is_active": False}),
        ("delete", "DELETE", None),
    ]
    if SHARED_ROLE != ADMIN_ROLE:
        removals.append(("demote", "PATCH", {"role": SHARED_ROLE}))
    return removals


REMOVALS = _removals()


@pytest.mark.parametrize(("how", "method", "body"), REMOVALS, ids=[r[0] for r in REMOVALS])
async def test_the_last_active_admin_cannot_remove_themselves(
    async_client: AsyncClient,
    admin: User,
    admin_token: str,
    how: str,
    method: str,
    body: dict[str, object] | None,
) -> None:
    response = await async_client.request(
        method, f"/users/{admin.id}", json=body, headers=bearer(admin_token)
    )
    assert response.status_code == 409, response.text
    assert "last active" in response.json()["detail"]
    still = await async_client.get("/users/me", headers=bearer(admin_token))
    assert still.json()["role"] == ADMIN_ROLE
    assert still.json()["is_active"] is True


async def _another_admin(client: AsyncClient, admin_token: str) -> dict[str, Any]:
    """A second active admin, made by the first through the API."""
    response = await client.post(
        "/users",
        json={**new_sign_up(PASSWORD), "role": ADMIN_ROLE},
        headers=bearer(admin_token),
    )
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


@pytest.mark.parametrize(("how", "method", "body"), REMOVALS, ids=[r[0] for r in REMOVALS])
async def test_an_admin_may_go_while_another_remains(
    async_client: AsyncClient,
    admin: User,
    admin_token: str,
    how: str,
    method: str,
    body: dict[str, object] | None,
) -> None:
    other = await _another_admin(async_client, admin_token)
    gone = await async_client.request(
        method, f"/users/{other['id']}", json=body, headers=bearer(admin_token)
    )
    assert gone.status_code in (200, 204), gone.text
    last = await async_client.request(
        method, f"/users/{admin.id}", json=body, headers=bearer(admin_token)
    )
    assert last.status_code == 409, last.text


async def test_an_inactive_admin_does_not_count(
    async_client: AsyncClient, admin: User, admin_token: str
) -> None:
    other = await _another_admin(async_client, admin_token)
    deactivated = await async_client.patch(
        f"/users/{other['id']}", json={"is_active": False}, headers=bearer(admin_token)
    )
    assert deactivated.status_code == 200
    response = await async_client.patch(
        f"/users/{admin.id}", json={"is_active": False}, headers=bearer(admin_token)
    )
    assert response.status_code == 409


async def _committed_admins(database: AsyncDatabase, count: int) -> list[User]:
    hashed = await hash_password(PASSWORD)
    async with database.sessionmaker() as session:
        admins = [User(**new_user_values(ADMIN_ROLE, hashed)) for _ in range(count)]
        session.add_all(admins)
        await session.commit()
    return admins


async def _active_admins(database: AsyncDatabase) -> int:
    async with database.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).where(User.role == ADMIN_ROLE, User.is_active)
        )
    return count or 0


@pytest.mark.parametrize("how", ["deactivate", "delete", "demote"])
async def test_two_admins_removing_each_other_at_once_leave_one(
    concurrent_client: AsyncClient, initialize_database: AsyncDatabase, how: str
) -> None:
    if how == "demote" and SHARED_ROLE == ADMIN_ROLE:
        pytest.skip("the project has no role but the admin's")
    method, body = {
        "deactivate": ("PATCH", {"is_active": False}),
        "delete": ("DELETE", None),
        "demote": ("PATCH", {"role": SHARED_ROLE}),
    }[how]
    for _ in range(3):  # a few rounds: each one a fresh pair racing
        first, second = await _committed_admins(initialize_database, 2)
        tokens = {
            admin.id: await access_token(concurrent_client, admin.email)
            for admin in (first, second)
        }
        responses = await asyncio.gather(
            *(
                concurrent_client.request(
                    method, f"/users/{target.id}", json=body, headers=bearer(tokens[caller.id])
                )
                for caller, target in ((first, second), (second, first))
            )
        )
        statuses = sorted(response.status_code for response in responses)
        # The loser is refused either by the check (409) or, once demoted or gone, at the door.
        assert statuses[0] in (200, 204), [r.text for r in responses]
        assert statuses[1] in (401, 403, 409), [r.text for r in responses]
        assert await _active_admins(initialize_database) == 1
        async with initialize_database.sessionmaker() as session:
            await session.execute(delete(User))
            await session.commit()


async def _create_admin(
    database: AsyncDatabase, *arguments: str, password: str = PASSWORD
) -> Finished:
    """`<project> create-admin ...`, its password on standard input, on the test database."""
    url = database.engine.url.render_as_string(hide_password=False)
    return await run(
        *(PROJECT_COMMAND, "create-admin", *arguments),
        environment={"DATABASE_URL": url},
        stdin=password + "\n",
    )


async def _create_admin_here(
    database: AsyncDatabase, email: str, fields: dict[str, Any], password: str = PASSWORD
) -> str:
    """What `create-admin` does, called in this process: the command's own exit status and
    output are proven once, by `_create_admin`, in the tests that need a process."""
    url = database.engine.url.render_as_string(hide_password=False)
    return await create_admin(url, email, fields, io.StringIO(password + "\n"))


def _fields() -> str:
    body = new_sign_up(PASSWORD)
    return json.dumps({k: v for k, v in body.items() if k not in ("email", "password")})


# The project's own required fields (none in some projects: then there is nothing to leave out).
REQUIRED_FIELDS = [
    name
    for name, field in UserCreate.model_fields.items()
    if field.is_required() and name not in ("email", "password")
]


@pytest.mark.parametrize("name", REQUIRED_FIELDS)
def test_a_required_field_left_out_says_how_to_give_it(name: str) -> None:
    fields = {key: value for key, value in json.loads(_fields()).items() if key != name}
    with pytest.raises(CreateAdminError) as refused:
        new_account("first.admin@example.com", PASSWORD, fields)
    said = str(refused.value)
    assert said.startswith(f"{name}: Field required"), said
    assert said.endswith(" (give them as --fields '{" + f'"{name}": ...' + "}')"), said


async def test_create_admin_makes_an_admin_who_can_log_in(
    concurrent_client: AsyncClient, initialize_database: AsyncDatabase
) -> None:
    email = "first.admin@example.com"
    done = await _create_admin(initialize_database, email, "--fields", _fields())
    assert done.returncode == 0, done.stderr
    assert email in done.stdout
    assert PASSWORD not in done.stdout + done.stderr
    assert '"event": "admin creation", "outcome": "created"' in done.stderr, "the audit line"
    signed_in = bearer(await access_token(concurrent_client, email))
    me = await concurrent_client.get("/users/me", headers=signed_in)
    assert (me.json()["role"], me.json()["is_active"]) == (ADMIN_ROLE, True)
    assert me.json()["email_verified_at"] is not None, "an operator's admin is verified"


async def test_create_admin_refuses_an_account_it_did_not_make(
    concurrent_client: AsyncClient, initialize_database: AsyncDatabase
) -> None:
    # Someone signs the address up first; the operator then pipes in the password they chose.
    signed_up = await concurrent_client.post("/users", json=new_sign_up(PASSWORD))
    email = signed_up.json()["email"]
    admins = await _active_admins(initialize_database)  # one-role projects: every user is
    operators = "the operator's own passphrase"
    with pytest.raises(CreateAdminError, match="--promote-existing"):
        await _create_admin_here(initialize_database, email.upper(), {}, password=operators)
    assert await _active_admins(initialize_database) == admins
    login = await concurrent_client.post("/token", data={"username": email, "password": operators})
    assert login.status_code == 401, "the piped password was not taken either"


async def test_promoting_an_existing_account_needs_a_terminal(
    concurrent_client: AsyncClient, initialize_database: AsyncDatabase
) -> None:
    signed_up = await concurrent_client.post("/users", json=new_sign_up(PASSWORD))
    admins = await _active_admins(initialize_database)
    done = await _create_admin(initialize_database, signed_up.json()["email"], "--promote-existing")
    assert done.returncode == 1
    assert "terminal" in done.stderr
    assert await _active_admins(initialize_database) == admins


class Terminal(io.StringIO):
    """Standard input as a person at a terminal types it."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("typed", "promoted"), [("yes\n", True), ("\n", False)])
async def test_promoting_an_existing_account_confirmed_on_a_terminal_ends_its_sessions(
    concurrent_client: AsyncClient,
    initialize_database: AsyncDatabase,
    typed: str,
    promoted: bool,
) -> None:
    body = new_sign_up(PASSWORD)
    await concurrent_client.post("/users", json=body)
    signed_in = bearer(await access_token(concurrent_client, body["email"]))
    url = initialize_database.engine.url.render_as_string(hide_password=False)
    promote = create_admin(url, body["email"], {}, Terminal(typed), promote_existing=True)
    if promoted:
        assert "is now an active" in await promote
    else:
        with pytest.raises(CreateAdminError, match="not confirmed"):
            await promote
    async with initialize_database.sessionmaker() as session:
        found = await session.execute(
            select(User.role, User.email_verified_at).where(User.email == body["email"])
        )
        role, verified_at = found.one()
    assert role == (ADMIN_ROLE if promoted else DEFAULT_ROLE)
    assert (verified_at is not None) == promoted, "a promoted admin is verified"
    me = await concurrent_client.get("/users/me", headers=signed_in)
    assert me.status_code == (401 if promoted else 200), "its sessions end when it is promoted"


# The project's own unique fields besides email (none in some projects).
UNIQUE_FIELDS = [
    column.name for column in User.__table__.columns if column.unique and column.name != "email"
]


@pytest.mark.parametrize("name", UNIQUE_FIELDS)
async def test_a_unique_value_taken_already_is_named(
    concurrent_client: AsyncClient, initialize_database: AsyncDatabase, name: str
) -> None:
    body = new_sign_up(PASSWORD)
    assert (await concurrent_client.post("/users", json=body)).status_code == 201
    fields = json.loads(_fields())
    fields[name] = body[name]
    email = "another.admin@example.com"
    with pytest.raises(CreateAdminError) as refused:
        await _create_admin_here(initialize_database, email, fields)
    assert str(refused.value) == f"A user with this {name} already exists"
    async with initialize_database.sessionmaker() as session:
        # Counted by email: where sign-ups get the admin role, the first user is an admin.
        made = await session.scalar(select(func.count()).where(User.email == email))
    assert made == 0


@pytest.mark.parametrize(
    ("email", "password", "said"),
    [
        ("not-an-email", PASSWORD, "email"),
        ("weak@example.com", "qwerty123456", "most common passwords"),
        ("short@example.com", "Tr0ub4dor", "at least"),
        ("same.as.email@example.com", "same.as.email", "email address"),
    ],
    ids=["invalid email", "common password", "short password", "password is the email"],
)
async def test_create_admin_refuses_with_a_reason(
    concurrent_client: AsyncClient,
    initialize_database: AsyncDatabase,
    email: str,
    password: str,
    said: str,
) -> None:
    with pytest.raises(CreateAdminError, match=said) as refused:
        await _create_admin_here(initialize_database, email, json.loads(_fields()), password)
    assert password not in str(refused.value)
    assert await _active_admins(initialize_database) == 0
