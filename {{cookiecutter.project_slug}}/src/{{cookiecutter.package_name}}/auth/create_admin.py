"""`<project> create-admin EMAIL`: make the first admin; `--promote-existing`: make an existing
user an admin.

The password is read from standard input (prompted for without echo on a terminal), follows
the same rules as at sign-up, and is never printed. A new account's other fields, where the
project has required ones, come as JSON (`--fields '{"name": "value"}'`) and are checked as
at sign-up.

An account that exists already is never promoted unless `--promote-existing` says so: anyone
could have signed it up, with a password of their own, before the operator ran this. Then
the operator confirms on a terminal (there is no verified email to vouch for the account),
the account keeps its owner's password, and its sessions end.
"""

import datetime as dt
import getpass
import json
import sys
from typing import Any, TextIO

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import exc as sa_exc
from sqlalchemy import select

from {{ cookiecutter.package_name }}.auth.hashing import hash_password
from {{ cookiecutter.package_name }}.auth.passwords import password_problem_for
from {{ cookiecutter.package_name }}.auth.sessions import revoke_user_sessions
from {{ cookiecutter.package_name }}.core.audit import audit
from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.database.engine import command_session
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.roles import ADMIN_ROLE
from {{ cookiecutter.package_name }}.users.schemas import UserCreate
from {{ cookiecutter.package_name }}.web.errors import conflict_message


class CreateAdminError(Exception):
    """What went wrong, said in a line for the person at the terminal."""


def read_password(email: str, stdin: TextIO) -> str:
    """The new admin's password: prompted twice without echo on a terminal, else one line."""
    if stdin.isatty():
        password = getpass.getpass(f"Password for {email}: ")
        if getpass.getpass("The same again: ") != password:
            raise CreateAdminError("the two passwords differ")
        return password
    return stdin.readline().rstrip("\r\n")


def _problems(error: ValidationError) -> str:
    # Never the input: it may be the password.
    problems = error.errors()
    said = "; ".join(f"{_where(item)}: {item['msg']}" for item in problems)
    missing = [_where(item) for item in problems if item["type"] == "missing"]
    if missing:  # the project's own required fields
        example = ", ".join(f'"{name}": ...' for name in missing)
        said += " (give them as --fields '{" + example + "}')"
    return said


def _where(item: ErrorDetails) -> str:
    return ".".join(str(part) for part in item["loc"]) or "fields"


def new_account(email: str, password: str, fields: dict[str, Any]) -> UserCreate:
    """The account as sign-up would check it: email, password rules, the project's fields."""
    try:
        account = UserCreate.model_validate({**fields, "email": email, "password": password})
    except ValidationError as error:
        raise CreateAdminError(_problems(error)) from None
    problem = password_problem_for(account.password, account.email)
    if problem is not None:
        raise CreateAdminError(f"password: The password {problem}")
    return account


# SQLSTATE of a table that does not exist: the migrations were not applied.
UNDEFINED_TABLE = "42P01"


def parse_fields(text: str) -> dict[str, Any]:
    try:
        fields = json.loads(text)
    except json.JSONDecodeError as error:
        raise CreateAdminError(f"--fields is not valid JSON: {error.msg}") from None
    if not isinstance(fields, dict) or {"email", "password", "role"} & set(fields):
        raise CreateAdminError(
            "--fields must be a JSON object of the account's other fields (not email, "
            "password or role)"
        )
    return fields


def confirm_promotion(email: str, stdin: TextIO) -> None:
    """The operator's yes, typed on a terminal, to promoting an account they did not make."""
    if not stdin.isatty():
        raise CreateAdminError(
            f"{email} exists already, made by whoever signed it up: promote it from a "
            "terminal, where you confirm it (nothing was changed)"
        )
    print(
        f"{email} exists already, with a password its owner chose: promote it to "
        f"{ADMIN_ROLE} and end its sessions? Type yes: ",
        end="",
        file=sys.stderr,
        flush=True,
    )
    if stdin.readline().strip().lower() != "yes":
        raise CreateAdminError("not confirmed: nothing was changed")


async def create_admin(
    url: str,
    email: str,
    fields: dict[str, Any],
    stdin: TextIO = sys.stdin,
    *,
    promote_existing: bool = False,
) -> str:
    """Make `email` an active admin; return what was done, in a sentence."""
    email = email.strip().lower()
    try:
        async with command_session(url, get_settings().database_pooler) as session:
            user = await session.scalar(select(User).where(User.email == email))
            if user is not None:
                if not promote_existing:
                    raise CreateAdminError(
                        f"{email} exists already and was not made here (nothing was changed, "
                        "no password read): to make it an admin, run again with "
                        "--promote-existing; it keeps its owner's password"
                    )
                confirm_promotion(email, stdin)
                # It keeps its password and fields; whoever was signed in must sign in again.
                user.role, user.is_active = ADMIN_ROLE, True
                # An operator vouches for the account, its email included.
                user.email_verified_at = user.email_verified_at or dt.datetime.now(dt.UTC)
                await revoke_user_sessions(session, user.id)
                await session.commit()
                audit("admin creation", outcome="promoted", user_id=user.id, address="cli")
                return f"{email} (id {user.id}) is now an active {ADMIN_ROLE} user"
            account = new_account(email, read_password(email, stdin), fields)
            user = User(
                **account.model_dump(exclude={"password", "role"}),
                role=ADMIN_ROLE,
                hashed_password=await hash_password(account.password),
                email_verified_at=dt.datetime.now(dt.UTC),
            )
            session.add(user)
            await session.commit()
            audit("admin creation", outcome="created", user_id=user.id, address="cli")
            return f"Created {account.email} (id {user.id}), an active {ADMIN_ROLE} user"
    except sa_exc.IntegrityError as error:
        raise CreateAdminError(conflict_message(error)) from None
    except sa_exc.ProgrammingError as error:
        if getattr(error.orig and error.orig.__cause__, "sqlstate", None) != UNDEFINED_TABLE:
            raise
        raise CreateAdminError(
            "the database has no users table yet: apply the migrations first "
            "(`alembic upgrade head`)"
        ) from None
