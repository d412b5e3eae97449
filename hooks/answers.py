"""Validation of every prompt answer, shared by the prompt-time check, the pre-generation hook
and the templates.

`problems(answers)` returns one line per problem, each naming the prompt, the bad value and
the allowed form with an example; an empty list means the answers can be rendered.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
import tomllib
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hooks.field_spec import (
    AMBIGUOUS_NAMES,
    MAX_IDENTIFIER_BYTES,
    SOFT_KEYWORDS,
    SpecError,
    parse_user_fields,
)

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
# The prompts, their defaults and their choices: cookiecutter.json is the one list of them.
COOKIECUTTER_JSON: dict[str, Any] = json.loads(
    (TEMPLATE_ROOT / "cookiecutter.json").read_text(encoding="utf-8")
)
# The answers checked here, in the order cookiecutter asks for them: every prompt but the
# yes/no one (init_git), which cookiecutter itself reads as a boolean.
PROMPTS = tuple(
    key
    for key, default in COOKIECUTTER_JSON.items()
    if not key.startswith("_") and not isinstance(default, bool)
)
ISOLATION_MODES: tuple[str, ...] = tuple(COOKIECUTTER_JSON["db_isolation"])
LICENSES: tuple[str, ...] = tuple(COOKIECUTTER_JSON["license"])
# The longest suffix the rendered test harness appends: `_test`, an xdist worker's `_gw999`, and
# `_migrations` for the scratch database of the migrations test.
TEST_DATABASE_SUFFIX = "_test_gw999_migrations"
MAX_DATABASE_NAME = MAX_IDENTIFIER_BYTES - len(TEST_DATABASE_SUFFIX)
# Longer names would push generated lines past the rendered project's 100 columns.
MAX_PROJECT_NAME = 64  # in columns: East Asian wide characters take two
MAX_PACKAGE_NAME = 32
MAX_ROLE_NAME = 40
MAX_SLUG = 100  # a folder name; file systems allow 255 bytes
# PostgreSQL's reserved key words (`pg_get_keywords()` categories R and T): not valid unquoted
# as a database name.
PG_RESERVED_WORDS = frozenset(
    """
    all analyse analyze and any array as asc asymmetric authorization binary both case cast check
    collate collation column concurrently constraint create cross current_catalog current_date
    current_role current_schema current_time current_timestamp current_user default deferrable
    desc distinct do else end except false fetch for foreign freeze from full grant group having
    ilike in initially inner intersect into is isnull join lateral leading left like limit
    localtime localtimestamp natural not notnull null offset on only or order outer overlaps
    placing primary references returning right select session_user similar some symmetric table
    tablesample then to trailing true union unique user using variadic verbose when where window
    with
    """.split()  # noqa: SIM905 (word lists, as the sources print them)
)
# The server's own databases: the app must not create its tables in them.
PG_SYSTEM_DATABASES = frozenset({"postgres", "template0", "template1"})
# Import names of distributions whose own name (normalized) is not the one they import as.
IMPORT_NAMES = {
    "mypy": ("mypy", "mypyc"),
    "pyjwt": ("jwt",),
    "pytest_xdist": ("xdist",),
    "python_multipart": ("multipart", "python_multipart"),
    "types_psutil": (),  # typing stubs: nothing to shadow
}
# What the dependencies bring in turn and the installers, and the project's
# own top-level folders (the direct dependencies come from its pyproject.toml).
OTHER_TAKEN_NAMES = frozenset(
    """
    annotated_doc annotated_types anyio argon2 certifi cffi click dns dotenv execnet greenlet h11
    httpcore idna iniconfig mypy_extensions packaging pathspec pip pluggy py pycparser
    pydantic_core pygments setuptools sniffio starlette typing_extensions typing_inspection tzdata
    conftest migrations tests
    """.split()  # noqa: SIM905 (a block of words)
)


def _toml_array(text: str, key: str) -> list[str]:
    """The array `key = [...]` of a TOML text whose other lines may be Jinja: its own lines,
    from the key to the first line that closes it, parsed alone."""
    lines = text[text.index(f"\n{key} = [") + 1 :].splitlines(keepends=True)
    for end in range(1, len(lines) + 1):
        try:
            items: list[str] = tomllib.loads("".join(lines[:end]))[key]
        except tomllib.TOMLDecodeError:
            continue
        return items
    raise ValueError(f"no array {key!r} in the TOML text")


def dependency_import_names() -> frozenset[str]:
    """Import names of the rendered project's dependencies, dev tools and build backend, from
    its pyproject.toml (a template: only its lists of requirements are read)."""
    pyproject = TEMPLATE_ROOT / "{{cookiecutter.project_slug}}" / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    names: set[str] = set()
    keys = ("dependencies", "dev", "requires")  # [project], [dependency-groups], [build-system]
    for requirement in (item for key in keys for item in _toml_array(text, key)):
        match = re.match(r"[A-Za-z0-9._-]+", requirement)
        if match is None:
            raise ValueError(f"{pyproject}: {requirement!r} does not start with a name")
        distribution = re.sub(r"[-_.]+", "_", match.group()).lower()
        names.update(IMPORT_NAMES.get(distribution, (distribution,)))
    return frozenset(names)


# Import names of what the rendered project installs (its dependencies, theirs, its tools) and
# of its own top-level folders: a package of the same name would shadow them.
TAKEN_PACKAGE_NAMES = dependency_import_names() | OTHER_TAKEN_NAMES
# Standard-library modules that `sys.stdlib_module_names` of some supported Python lacks
# (removed in 3.12 and 3.13, added in 3.14), so the rule does not depend on the interpreter;
# `test` (CPython's own tests), `sitecustomize` and `usercustomize`, which `site` imports.
OTHER_STDLIB_MODULES = frozenset(
    """
    aifc annotationlib asynchat asyncore audioop cgi cgitb chunk compression crypt distutils imghdr
    imp lib2to3 mailcap msilib nis nntplib ossaudiodev pipes smtpd sndhdr spwd sunau telnetlib uu
    xdrlib test sitecustomize usercustomize
    """.split()  # noqa: SIM905 (word lists, as the sources print them)
)
STDLIB_MODULES = frozenset(sys.stdlib_module_names) | OTHER_STDLIB_MODULES

_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?")
_PACKAGE = re.compile(r"[a-z][a-z0-9_]*")
_DATABASE = re.compile(r"[a-z_][a-z0-9_]*")
_ROLE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
_EMAIL_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOMAIN_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(
    rf"{_EMAIL_ATOM}(?:\.{_EMAIL_ATOM})*@(?:{_DOMAIN_LABEL}\.)+[A-Za-z]{{2,}}", re.ASCII
)


_YEAR = re.compile(r"[0-9]{4}", re.ASCII)


def parse_roles(answer: str) -> list[str]:
    """The role enum members, in the order given."""
    return [role.strip() for role in answer.split(",") if role.strip()]


def suggested_default_role(roles: str) -> str:
    """The default offered for `default_role`: AUTHENTICATED if among `roles`, else the first."""
    names = parse_roles(roles)
    return "AUTHENTICATED" if "AUTHENTICATED" in names else next(iter(names), "")


def suggested_admin_role(roles: str) -> str:
    """The default offered for `admin_role`: ADMIN if among `roles`, else the last."""
    names = parse_roles(roles)
    return "ADMIN" if "ADMIN" in names else next(reversed(names), "")


def problems(answers: Mapping[str, object]) -> list[str]:
    """Every problem with `answers`, one line each, in the order of the prompts."""
    text = {key: str(answers.get(key, "")) for key in PROMPTS}
    found: list[str] = []
    found += _project_name_problems(text["project_name"])
    found += _slug_problems(text["project_slug"])
    found += _package_problems(text["package_name"])
    found += _one_line_problems("description", text["description"], "An async user service")
    found += _author_problems(text["author_name"])
    found += _email_problems(text["author_email"])
    found += _database_problems(text["database_name"])
    try:
        parse_user_fields(text["user_fields"])
    except SpecError as error:
        found += error.problems
    found += _role_problems(text["roles"], text["default_role"], text["admin_role"])
    if text["db_isolation"] not in ISOLATION_MODES:
        found.append(
            f"db_isolation: {text['db_isolation']!r} is not a mode; "
            f"choose one of {', '.join(ISOLATION_MODES)}, e.g. rollback"
        )
    if text["license"] not in LICENSES:
        found.append(
            f"license: {text['license']!r} is not offered; choose one of {', '.join(LICENSES)}"
        )
    if not _YEAR.fullmatch(text["copyright_year"]):
        found.append(
            f"copyright_year: {text['copyright_year']!r} is not a year; give its four digits, "
            "e.g. 2026"
        )
    return found


def report(found: list[str]) -> str:
    """The message a refused render prints: every problem, one line each."""
    lines = ["", "The template cannot be rendered with these answers:"]
    lines += [f"  - {problem}" for problem in found]
    lines += ["Nothing was written. Run cookiecutter again with corrected answers.", ""]
    return "\n".join(lines)


def _columns(text: str) -> int:
    """Display width as ruff measures line length: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _project_name_problems(name: str) -> list[str]:
    example = "e.g. User Service"
    if not name.strip():
        return [f"project_name: {name!r} is empty; give the project a human name, {example}"]
    found = []
    if name != name.strip():
        found.append(f"project_name: {name!r} starts or ends with whitespace; remove it, {example}")
    if not name.isprintable():
        found.append(
            f"project_name: {name!r} has non-printable characters (tabs, newlines, ...); "
            f"use printable characters on one line, {example}"
        )
    # The name is pasted into a Python docstring and a string literal.
    if '"' in name or "\\" in name:
        found.append(
            f"project_name: {name!r} has a double quote or a backslash; leave them out or use "
            f"single quotes, e.g. Bob's Service"
        )
    if _columns(name) > MAX_PROJECT_NAME:
        found.append(
            f"project_name: {name!r} is {_columns(name)} columns wide; use at most "
            f"{MAX_PROJECT_NAME} (East Asian wide characters count twice), {example}"
        )
    return found


def _slug_problems(slug: str) -> list[str]:
    allowed = (
        "use lower-case ASCII letters, digits, '-', '_' or '.', starting and ending with a letter "
        f"or digit, at most {MAX_SLUG} characters, e.g. user-service"
    )
    if not _SLUG.fullmatch(slug) or len(slug) > MAX_SLUG:
        return [f"project_slug: {slug!r} is not a folder and distribution name; {allowed}"]
    return []


def _package_problems(package: str) -> list[str]:
    allowed = (
        "use lower-case ASCII letters, digits and underscores, starting with a letter, "
        f"at most {MAX_PACKAGE_NAME} characters, e.g. user_service"
    )
    if not _PACKAGE.fullmatch(package) or len(package) > MAX_PACKAGE_NAME:
        return [f"package_name: {package!r} is not an importable package name; {allowed}"]
    if keyword.iskeyword(package) or package in SOFT_KEYWORDS:
        return [
            f"package_name: {package!r} is a Python keyword; choose another, e.g. {package}_service"
        ]
    if package in STDLIB_MODULES or package in TAKEN_PACKAGE_NAMES:
        return [
            f"package_name: {package!r} would shadow the module {package!r} that Python ships or "
            f"the project installs; choose another, e.g. {package}_service"
        ]
    return []


def _one_line_problems(prompt: str, text: str, example: str) -> list[str]:
    if text.isprintable():
        return []
    return [
        f"{prompt}: {text!r} has non-printable characters (tabs, newlines, ...); "
        f"write it on one line, e.g. {example}"
    ]


def _author_problems(name: str) -> list[str]:
    found = _one_line_problems("author_name", name, "Ada Lovelace")
    # pyproject.toml refuses an author with neither name nor email, git a name of punctuation.
    if not any(char.isalnum() for char in name):
        found.append(
            f"author_name: {name!r} has no letter or digit; give the author's name (it goes into "
            "pyproject.toml, the licence and the first commit), e.g. Ada Lovelace"
        )
    return found


def _email_problems(email: str) -> list[str]:
    email = email.strip()
    if not email or _EMAIL.fullmatch(email):
        return []
    return [
        f"author_email: {email!r} is not an email address; write it as name@example.com "
        "or leave it empty"
    ]


def _database_problems(database: str) -> list[str]:
    allowed = (
        "use lower-case ASCII letters, digits and underscores, not starting with a digit, "
        "e.g. user_service"
    )
    if not _DATABASE.fullmatch(database):
        return [f"database_name: {database!r} is not an unquoted PostgreSQL identifier; {allowed}"]
    if len(database) > MAX_DATABASE_NAME:
        return [
            f"database_name: {database!r} is {len(database)} characters; use at most "
            f"{MAX_DATABASE_NAME}, so that the test databases ({database}{TEST_DATABASE_SUFFIX}) "
            f"fit PostgreSQL's {MAX_IDENTIFIER_BYTES}-byte limit, e.g. {database[:20]}"
        ]
    if database in PG_RESERVED_WORDS:
        return [
            f"database_name: {database!r} is a PostgreSQL reserved word; choose another, "
            f"e.g. {database}_db"
        ]
    if database in PG_SYSTEM_DATABASES:
        return [
            f"database_name: {database!r} is one of PostgreSQL's own databases; choose another, "
            "e.g. user_service"
        ]
    return []


def _role_problems(answer: str, default_role: str, admin_role: str) -> list[str]:
    example = "e.g. MEMBER, ADMIN"
    if not answer.strip():
        return [f"roles: {answer!r} names no role; list at least one, {example}"]
    found = []
    items = [item.strip() for item in answer.split(",")]
    if "" in items:
        found.append(
            f"roles: {answer!r} has an empty item (two commas in a row, or a leading or "
            f"trailing comma); separate role names with single commas, {example}"
        )
    seen: dict[str, str] = {}
    for role in filter(None, items):
        if not _ROLE.fullmatch(role) or len(role) > MAX_ROLE_NAME:
            found.append(
                f"roles: {role!r} is not an UPPER_SNAKE name; use upper-case ASCII letters, digits "
                f"and single underscores, starting with a letter, at most {MAX_ROLE_NAME} "
                "characters, e.g. ACCOUNT_MANAGER"
            )
        if role in AMBIGUOUS_NAMES:
            found.append(
                f"roles: {role!r} reads like a digit, and ruff refuses it as a name (E741); "
                f"choose a longer name, e.g. {role}_ROLE"
            )
        first = seen.get(role.casefold())
        if first is None:
            seen[role.casefold()] = role
        else:
            found.append(
                f"roles: {role!r} repeats {first!r} (role names are compared ignoring case); "
                f"list each role once, {example}"
            )
    roles = list(seen.values())
    valid = [role for role in roles if _ROLE.fullmatch(role)]
    for prompt, role in (("default_role", default_role), ("admin_role", admin_role)):
        # Surrounding whitespace is forgiven, as in `roles`; with no valid role there is nothing
        # to choose from yet, and the problems with `roles` say why.
        if valid and role.strip() not in roles:
            found.append(
                f"{prompt}: {role.strip()!r} is not one of the roles; "
                f"choose one of {', '.join(valid)}, e.g. {valid[-1]}"
            )
    return found
