"""Validation of every prompt answer, shared by the pre-generation hook and the templates.

`problems(answers)` returns one line per problem, each naming the prompt, the bad value and
the allowed form; an empty list means the answers can be rendered.
"""

from __future__ import annotations

import keyword
import re
import sys
from collections.abc import Mapping

from hooks.field_spec import SpecError, parse_user_fields

ISOLATION_MODES = ("rollback", "truncate", "recreate")
# The longest suffix the rendered test harness appends: `_test` and an xdist worker's `_gw999`.
TEST_DATABASE_SUFFIX = "_test_gw999"
MAX_IDENTIFIER_BYTES = 63  # PostgreSQL truncates longer identifiers
# Longer names would push generated lines past the rendered project's 100 columns.
MAX_PROJECT_NAME = 64
MAX_PACKAGE_NAME = 32
MAX_ROLE_NAME = 40
# Import names of the rendered project's own dependencies and folders.
TAKEN_PACKAGE_NAMES = frozenset(
    {
        "alembic",
        "anyio",
        "argon2",
        "asyncpg",
        "email_validator",
        "faker",
        "fastapi",
        "httpx",
        "jwt",
        "multipart",
        "mypy",
        "nox",
        "pwdlib",
        "pydantic",
        "pydantic_core",
        "pydantic_settings",
        "pytest",
        "pytest_asyncio",
        "python_multipart",
        "ruff",
        "sqlalchemy",
        "starlette",
        "tests",
        "typing_extensions",
        "uvicorn",
        "xdist",
        "migrations",
    }
)

_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?")
_PACKAGE = re.compile(r"[a-z][a-z0-9_]*")
_DATABASE = re.compile(r"[a-z_][a-z0-9_]*")
_ROLE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def parse_roles(answer: str) -> list[str]:
    """The role enum members, in the order given."""
    return [role.strip() for role in answer.split(",") if role.strip()]


def problems(answers: Mapping[str, str]) -> list[str]:
    found: list[str] = []
    found += _name_problems(answers)
    found += _database_problems(answers["database_name"])
    try:
        parse_user_fields(answers["user_fields"])
    except SpecError as error:
        found += error.problems
    found += _role_problems(answers)
    email = answers.get("author_email", "").strip()
    if email and not _EMAIL.fullmatch(email):
        found.append(
            f"author_email: {email!r} is not an email address; write it as name@example.com "
            "or leave it empty"
        )
    isolation = answers.get("db_isolation", ISOLATION_MODES[0])
    if isolation not in ISOLATION_MODES:
        found.append(
            f"db_isolation: {isolation!r} is not a mode; choose one of {', '.join(ISOLATION_MODES)}"
        )
    return found


def _name_problems(answers: Mapping[str, str]) -> list[str]:
    found = []
    name = answers["project_name"]
    if not name.strip():
        found.append("project_name: the name is empty; give a human name, e.g. User Service")
    elif len(name) > MAX_PROJECT_NAME or not name.isprintable():
        found.append(
            f"project_name: {name!r} is too long or has control characters; "
            f"use at most {MAX_PROJECT_NAME} printable characters, e.g. User Service"
        )
    slug = answers["project_slug"]
    if not _SLUG.fullmatch(slug):
        found.append(
            f"project_slug: {slug!r} is not a distribution name; use lower-case letters, digits, "
            "'-', '_' or '.', starting and ending with a letter or digit, e.g. user-service"
        )
    package = answers["package_name"]
    allowed = (
        "use lower-case letters, digits and underscores, starting with a letter, "
        f"at most {MAX_PACKAGE_NAME} characters, e.g. user_service"
    )
    if not _PACKAGE.fullmatch(package) or len(package) > MAX_PACKAGE_NAME:
        found.append(f"package_name: {package!r} is not an importable package name; {allowed}")
    elif keyword.iskeyword(package) or keyword.issoftkeyword(package):
        found.append(f"package_name: {package!r} is a Python keyword; {allowed}")
    elif package in sys.stdlib_module_names or package in TAKEN_PACKAGE_NAMES:
        found.append(
            f"package_name: {package!r} would shadow the module {package!r} that the project "
            f"imports or Python ships; choose another, e.g. {package}_service"
        )
    return found


def _database_problems(database: str) -> list[str]:
    longest = MAX_IDENTIFIER_BYTES - len(TEST_DATABASE_SUFFIX)
    if not _DATABASE.fullmatch(database):
        return [
            f"database_name: {database!r} is not a plain PostgreSQL identifier; use lower-case "
            "letters, digits and underscores, not starting with a digit, e.g. user_service"
        ]
    if len(database) > longest:
        return [
            f"database_name: {database!r} is {len(database)} characters; at most {longest} fit, "
            f"so that the test databases ({database}{TEST_DATABASE_SUFFIX}) stay within "
            f"PostgreSQL's {MAX_IDENTIFIER_BYTES}-byte limit"
        ]
    return []


def _role_problems(answers: Mapping[str, str]) -> list[str]:
    roles = parse_roles(answers["roles"])
    if not roles:
        return ["roles: no role given; list at least one, e.g. MEMBER, ADMIN"]
    found = []
    seen: set[str] = set()
    for role in roles:
        if not _ROLE.fullmatch(role) or len(role) > MAX_ROLE_NAME:
            found.append(
                f"roles: {role!r} is not an UPPER_SNAKE name; use upper-case letters, digits and "
                f"single underscores, starting with a letter, at most {MAX_ROLE_NAME} "
                "characters, e.g. ACCOUNT_MANAGER"
            )
        elif role.casefold() in seen:
            found.append(f"roles: {role!r} is listed twice; list each role once")
        seen.add(role.casefold())
    for key in ("default_role", "admin_role"):
        role = answers[key].strip()
        if role not in roles:
            found.append(f"{key}: {role!r} is not one of the roles; choose one of {', '.join(roles)}")
    return found
