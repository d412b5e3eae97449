"""The `user_fields` grammar: one parser, used by the hooks and the templates alike.

    spec  := item ("," item)*          (an empty spec means no extra fields)
    item  := name ":" type ["?"] (":" flag)*
    type  := a name of field_types.TYPES, with "(" sizes ")" where the type takes them
    flag  := unique | index            (where the type takes them)

This module parses and validates; field_types.py describes each type, field_code.py writes the
code the templates paste into the rendered project.
"""

from __future__ import annotations

import keyword
import re

from .field_types import (
    ALLOWED_TYPES,
    CODE_NAMES,
    FLAGS,
    SIZED_FORMS,
    TYPES,
    SizeError,
    UserField,
)

__all__ = ["SpecError", "UserField", "distinct_values", "parse_user_fields"]

BUILT_IN_COLUMNS = (
    "id",
    "email",
    "hashed_password",
    "role",
    "is_active",
    "email_verified_at",
    "pending_email",
    "created_at",
    "updated_at",
)
# Names the API schemas use besides the columns, and attributes SQLAlchemy or Pydantic reserve.
RESERVED_NAMES = frozenset(
    {
        "password",
        "current_password",
        "email_verified",
        "metadata",
        "registry",
        "query",
        "query_class",
        "model_config",
        "model_fields",
        "model_computed_fields",
        "model_extra",
        "model_fields_set",
        "schema",
        "json",
        "parse_obj",
        "parse_raw",
        "parse_file",
        "from_orm",
        "schema_json",
        "update_forward_refs",
        "dict",
        "copy",
        "construct",
        "validate",
        "fields",
        "type_annotation_map",
        # SQLAlchemy's default constructor takes `self`: `User(self=...)` would be a TypeError.
        "self",
    }
)
# Soft keywords of every supported Python, whatever the version running cookiecutter.
SOFT_KEYWORDS = frozenset({"_", "case", "match", "type"})
# Names ruff (E741) refuses as ambiguous, as they look like digits: `l` for a field, `I` and `O`
# for a role (an enum member).
AMBIGUOUS_NAMES = frozenset({"l", "I", "O"})
MAX_NAME_LENGTH = 40  # keeps every generated line within the rendered project's 100 columns
MAX_IDENTIFIER_BYTES = 63  # PostgreSQL truncates longer identifiers
# A unique column that cannot hold this many users is almost surely a mistake; the rendered suite
# also signs up 100 users at once.
MIN_UNIQUE_VALUES = 100

EXAMPLE = "age:int?, nickname:str(50)?:unique, price:decimal(10,2):index"
OPTIONAL_HINT = "'?' goes once, right after the type, e.g. age:int?:index"

_NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_TYPE = re.compile(
    r"(?P<kind>[A-Za-z_][A-Za-z0-9_]*)\s*(?:\(\s*(?P<args>[^()]*?)\s*\))?\s*(?P<optional>\?)?"
)


class SpecError(ValueError):
    """All problems found in one answer; `problems` holds one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def parse_user_fields(
    spec: str, built_in: tuple[str, ...] = BUILT_IN_COLUMNS, row: str = "user"
) -> list[UserField]:
    """Parse a `user_fields` answer (or the fields of `new resource`, whose rows, `row` in
    snake_case, have the columns `built_in`); raise SpecError listing every problem found."""
    problems: list[str] = []
    fields: list[UserField] = []
    items = [item.strip() for item in spec.split(",")] if spec.strip() else []
    # Commas also separate decimal(P,S)'s arguments: glue them back together.
    items = _rejoin_parenthesised(items)
    if "" in items:
        problems.append(
            f"user_fields: {spec!r} has an empty item (two commas in a row, or a leading or "
            f"trailing comma); separate items with single commas, e.g. {EXAMPLE}"
        )
    seen: set[str] = set()
    for item in filter(None, items):
        try:
            field = _parse_item(item, built_in, row)
        except SpecError as error:
            problems += error.problems
            continue
        if field.name in seen:
            problems.append(
                f"user_fields: {item!r} uses the field name {field.name!r} again; "
                f"give each field its own name, e.g. {field.name}_2"
            )
        seen.add(field.name)
        fields.append(field)
    if problems:
        raise SpecError(problems)
    return fields


def _rejoin_parenthesised(items: list[str]) -> list[str]:
    joined: list[str] = []
    for item in items:
        if joined and joined[-1].count("(") > joined[-1].count(")"):
            joined[-1] = f"{joined[-1]},{item}"
        else:
            joined.append(item)
    return joined


def _problem(item: str, what: str, allowed: str) -> SpecError:
    return SpecError([f"user_fields: {item!r} {what}; {allowed}"])


def _parse_item(item: str, built_in: tuple[str, ...], row: str) -> UserField:
    name, sep, rest = (part.strip() for part in item.partition(":"))
    if not sep or not rest:
        raise _problem(
            item, "is missing its ':type'", f"write name:type[?][:flag...], e.g. {EXAMPLE}"
        )
    problems = _name_problems(item, name, built_in, row)
    type_part, *flag_parts = (part.strip() for part in rest.split(":"))
    match = _TYPE.fullmatch(type_part)
    kind = match["kind"] if match else type_part
    if not match or kind not in TYPES:
        what = f"has unknown type {kind!r}" if type_part else "has an empty type ('::'?)"
        hint = f"; {OPTIONAL_HINT}" if not match and "?" in type_part else ""
        problems.append(
            f"user_fields: {item!r} {what}; use one of {ALLOWED_TYPES}, e.g. age:int{hint}"
        )
        raise SpecError(problems)
    sizes: dict[str, int] = {}
    try:
        sizes = _sizes(item, kind, match["args"])
    except SpecError as error:
        problems += error.problems
    problems += _flag_problems(item, kind, flag_parts)
    if "unique" in flag_parts and (sizes or TYPES[kind].sizes is None):
        problems += _capacity_problems(item, kind, sizes)
    if problems:
        raise SpecError(problems)
    return UserField(
        name=name,
        kind=kind,
        optional=bool(match["optional"]),
        unique="unique" in flag_parts,
        index="index" in flag_parts,
        **sizes,
    )


def _flag_problems(item: str, kind: str, flags: list[str]) -> list[str]:
    allowed = f"flags are {', '.join(FLAGS)}, e.g. nickname:str(50):unique:index"
    problems = []
    for position, flag in enumerate(flags):
        if not flag:
            problems.append(
                f"user_fields: {item!r} has an empty flag (a ':' with nothing after it); {allowed}"
            )
        elif flag not in FLAGS:
            hint = f"; {OPTIONAL_HINT}" if "?" in flag else ""
            problems.append(f"user_fields: {item!r} has unknown flag {flag!r}; {allowed}{hint}")
        elif flag in flags[:position]:
            problems.append(
                f"user_fields: {item!r} repeats the flag {flag!r}; give each flag once, "
                f"e.g. nickname:str(50):{flag}"
            )
        elif flag not in TYPES[kind].flags:
            problems.append(f"user_fields: {item!r} {_refused_flag(kind, flag)}")
    return problems


def _refused_flag(kind: str, flag: str) -> str:
    """Why a type does not take a known flag, and what it takes instead."""
    entry = TYPES[kind]
    takes = (
        f"{kind} takes only {', '.join(entry.flags)}" if entry.flags else f"{kind} takes no flags"
    )
    return f"gives a {kind} the flag {flag!r}; {takes} ({entry.no_flags}), e.g. data:{kind}?"


def distinct_values(kind: str, precision: int | None = None) -> int | None:
    """How many distinct values a column of this type holds; None: more than any test needs."""
    entry = TYPES[kind]
    if entry.capacity is None or (entry.sizes is not None and precision is None):
        return None
    return entry.distinct_values({"precision": precision or 0})


def _capacity_problems(item: str, kind: str, sizes: dict[str, int]) -> list[str]:
    capacity = TYPES[kind].capacity
    if capacity is None:
        return []
    count = capacity.count(sizes)
    if count >= MIN_UNIQUE_VALUES:
        return []
    return [
        f"user_fields: {item!r} makes {capacity.describe(sizes)} unique, which holds only "
        f"{count} distinct values (a unique field must hold at least {MIN_UNIQUE_VALUES} users); "
        f"{capacity.fix}"
    ]


def _name_problems(item: str, name: str, built_in: tuple[str, ...], row: str) -> list[str]:
    snake = "snake_case: a lower-case ASCII letter, then lower-case letters, digits and single "
    snake += "underscores"
    other = f"choose another name, e.g. {row}_{name}"
    if not name:
        return [f"user_fields: {item!r} has no field name; use {snake}, e.g. {EXAMPLE}"]
    if name.endswith("?") and _NAME.fullmatch(name[:-1].strip()):
        return [f"user_fields: {item!r} puts '?' after the name; {OPTIONAL_HINT}"]
    if not _NAME.fullmatch(name):
        return [
            f"user_fields: {item!r} has invalid field name {name!r}; use {snake}, e.g. nick_name"
        ]
    # Soft keywords (match, case, type) are fine as attribute names.
    if keyword.iskeyword(name):
        return [f"user_fields: {item!r} uses the Python keyword {name!r} as a name; {other}"]
    if name in built_in:
        return [
            f"user_fields: {item!r} redefines the built-in column {name!r} (every {row} already "
            f"has {', '.join(built_in)}); {other}"
        ]
    if name in RESERVED_NAMES or name.startswith("model_"):
        return [
            f"user_fields: {item!r} uses {name!r}, a name SQLAlchemy, Pydantic or the API "
            f"reserves (see also model_*); {other}"
        ]
    if name in CODE_NAMES:
        return [
            f"user_fields: {item!r} uses {name!r}, a name the generated code needs for a type; "
            f"choose a more specific name, e.g. {name}_value"
        ]
    if name in AMBIGUOUS_NAMES:
        return [
            f"user_fields: {item!r} uses {name!r}, which reads like the digit 1 and which ruff "
            "refuses (E741); choose a longer name, e.g. level"
        ]
    if len(name) > MAX_NAME_LENGTH:
        return [
            f"user_fields: {item!r} has a name of {len(name)} characters; "
            f"use at most {MAX_NAME_LENGTH}, e.g. {name[:20].rstrip('_')}"
        ]
    return []


def _sizes(item: str, kind: str, args: str | None) -> dict[str, int]:
    parse = TYPES[kind].sizes
    if parse is None:
        if args is not None:
            raise _problem(
                item,
                f"gives arguments to {kind!r}",
                f"only {SIZED_FORMS} take arguments, e.g. age:{kind}",
            )
        return {}
    try:
        return parse(args)
    except SizeError as error:
        raise _problem(item, error.what, error.allowed) from None
