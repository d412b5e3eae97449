"""The code the templates paste into the rendered project for the parsed `user_fields`.

Every type-specific string comes from the registry (field_types.py); this module only fills in a
field's name, sizes and flags, and lays the code out as ruff formats it. The Jinja extension
exposes each public function as a filter of the same name.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable

from .field_types import TYPES, HostileCase, UserField

INDENT = "    "
LINE_LENGTH = 100  # the rendered project's


def _call(call: str, args: list[str], depth: int) -> str:
    """`call(args)` indented `depth` levels, one argument a line with a trailing comma."""
    indent = INDENT * depth
    lines = [f"{indent}{call}(", *(f"{indent}{INDENT}{arg}," for arg in args), f"{indent})"]
    return "\n".join(lines)


def _declaration(target: str, call: str, args: list[str]) -> str:
    """`target = call(args)` in a class body, as ruff lays it out: on one line where it fits,
    else its arguments on a line of their own, else one argument a line."""
    joined = ", ".join(args)
    one_line = f"{INDENT}{target} = {call}({joined})"
    if len(one_line) <= LINE_LENGTH:
        return one_line
    if len(INDENT * 2 + joined) <= LINE_LENGTH:
        return f"{INDENT}{target} = {call}(\n{INDENT * 2}{joined}\n{INDENT})"
    return _call(f"{target} = {call}", args, depth=1)


def _fill(field: UserField, code: str) -> str:
    return code.format(
        length=field.length,
        precision=field.precision,
        scale=field.scale,
        unique="seq" if field.unique else "None",
    )


def _maybe_none(field: UserField, code: str) -> str:
    return f"{code} | None" if field.optional else code


def _required_default(field: UserField) -> tuple[str, str] | None:
    """A required field's default, in Python and in the database, if its type has one."""
    return None if field.optional else field.type.required_default


def column_args(field: UserField) -> list[str]:
    """The arguments of the model's `mapped_column(...)`."""
    args = [_fill(field, field.type.column)]
    if field.type.nullable_python:  # Mapped[...] cannot tell: say it
        args.append(f"nullable={field.optional}")
    if field.unique:
        args.append("unique=True")
    if field.index:
        args.append("index=True")
    default = _required_default(field)
    if default:
        args += [f"default={default[0]}", f"server_default={default[1]}"]
    return args


def model_declaration(field: UserField) -> str:
    """The `Mapped[...]` attribute of the User model."""
    target = f"{field.name}: Mapped[{_maybe_none(field, field.type.python)}]"
    return _declaration(target, "mapped_column", column_args(field))


def _schema(field: UserField) -> str:
    """The API field's type; some types need another when unique or indexed."""
    indexed = field.type.indexed_schema
    return _fill(field, indexed if indexed and (field.unique or field.index) else field.type.schema)


def _schema_declaration(field: UserField, annotation: str, default: str | None) -> str:
    constraints = [_fill(field, constraint) for constraint in field.type.constraints]
    if not constraints:
        suffix = f" = {default}" if default else ""
        return f"{INDENT}{field.name}: {annotation}{suffix}"
    args = ([f"default={default}"] if default else []) + constraints
    return _declaration(f"{field.name}: {annotation}", "Field", args)


def create_declaration(field: UserField) -> str:
    """The sign-up field: required unless optional or its type has a default."""
    required_default = _required_default(field)
    default = "None" if field.optional else required_default[0] if required_default else None
    return _schema_declaration(field, _maybe_none(field, _schema(field)), default)


def update_declaration(field: UserField) -> str:
    """The PATCH field: always optional."""
    return _schema_declaration(field, f"{_schema(field)} | None", "None")


def read_declaration(field: UserField) -> str:
    """The response field: a value read back needs none of the input checks (`read_schema`)."""
    annotation = field.type.read_schema or _schema(field)
    return f"{INDENT}{field.name}: {_maybe_none(field, annotation)}"


def filter_annotation(field: UserField) -> str:
    """The list's query parameter for the field: its API type and checks, and None (no filter).

    The same checks as in a body, so that a value no row could hold is a 422 at the parameter,
    not an error from the database; but a query's values are text, which some types take only
    in a query (`filter_schema`: "3" for an int).
    """
    query_type = field.type.filter_schema
    annotation = f"{_fill(field, query_type) if query_type else _schema(field)} | None"
    constraints = [_fill(field, constraint) for constraint in field.type.constraints]
    if not constraints:
        return annotation
    return f"Annotated[{annotation}, Query({', '.join(constraints)})]"


def refused_filter(field: UserField) -> str:
    """A Python expression for a query value the field's filter refuses (a 422)."""
    if field.type.refused_filter is None:
        raise ValueError(f"{field.name}: a {field.kind} field is never a filter")
    return field.type.refused_filter(field)


def create_admin_fields(fields: list[UserField]) -> str:
    """The quick start's `--fields` for `create-admin`: each required field with an example
    value; nothing when no field is required."""
    required = [f for f in fields if not f.optional and f.type.required_default is None]
    if not required:
        return ""
    values = ", ".join(f'"{field.name}": {field.type.example(field)}' for field in required)
    return f" --fields '{{{values}}}'"


def fake_value(field: UserField) -> str:
    """The test factories' expression for a value (`seq` numbers unique ones)."""
    return _fill(field, field.type.fake)


# The initial migration states names outright (`op.f`), as autogenerate does: the names follow the
# models' naming convention (`uq_<table>_<column>`, `ix_<table>_<column>`).


def migration_column(field: UserField) -> str:
    """The `sa.Column(...)` argument of the initial migration's `op.create_table`."""
    args = [f'"{field.name}"', _fill(field, field.type.column)]
    default = _required_default(field)
    if default:
        args.append(f"server_default={default[1]}")
    args.append(f"nullable={field.optional}")
    return _call("sa.Column", args, depth=2)


def migration_constraint(field: UserField, table: str) -> str | None:
    """A unique constraint in `op.create_table`; an indexed field gets a unique index instead.

    This is what SQLAlchemy makes of `unique=True` with and without `index=True`.
    """
    if not field.unique or field.index:
        return None
    args = [f'"{field.name}"', f'name=op.f("uq_{table}_{field.name}")']
    return _call("sa.UniqueConstraint", args, depth=2)


def migration_index(field: UserField, table: str) -> str | None:
    """The `op.create_index(...)` statement that follows `op.create_table`, if indexed."""
    if not field.index:
        return None
    args = [f'op.f("ix_{table}_{field.name}")', f'"{table}"', f'["{field.name}"]']
    return _call("op.create_index", [*args, f"unique={field.unique}"], depth=1)


def _kinds(fields: Iterable[UserField]) -> list[str]:
    """The types in use, each once, in the registry's order (so renders are deterministic)."""
    used = {field.kind for field in fields}
    return [kind for kind in TYPES if kind in used]


def schema_definitions(fields: list[UserField]) -> str:
    """The definitions the fields' types add to the rendered schemas.py, after its own types.

    Empty, or two blank lines then the definitions, as ruff formats them after a statement.
    """
    blocks = [TYPES[kind].schema_definitions.strip() for kind in _kinds(fields)]
    blocks = [block for block in blocks if block]
    return "".join(f"\n\n\n{block}" for block in blocks)


def hostile_values(fields: list[UserField]) -> str:
    """A dict literal: each field's values the API must refuse, as (case, raw JSON expression).

    Null joins every required field's cases; the rest is the type's own.
    """
    if not fields:
        return "{}"
    lines = ["{"]
    for field in fields:
        cases: list[HostileCase] = [] if field.optional else [("null", '"null"')]
        cases += field.type.hostile(field)
        lines.append(f'{INDENT}"{field.name}": [')
        lines += [f'{INDENT * 2}("{case}", {raw}),' for case, raw in cases]
        lines.append(f"{INDENT}],")
    lines.append("}")
    return "\n".join(lines)


def restated_values(fields: list[UserField]) -> str:
    """A dict literal: for each field whose type has one, a value the API takes in a form its
    column does not keep (the type's `restated`)."""
    restated = [field for field in fields if field.type.restated]
    if not restated:
        return "{}"
    lines = [f'{INDENT}"{field.name}": {field.type.restated},' for field in restated]
    return "\n".join(["{", *lines, "}"])


# Imports: a template's own import lines (the standard library's and other distributions', the
# project's own stay outside), with those its fields' types need, sorted as ruff's isort sorts.

_STDLIB = frozenset(sys.stdlib_module_names)


def _section(module: str) -> int:
    return 0 if module.split(".")[0] in _STDLIB else 1


def _member_key(alias: ast.alias) -> tuple[int, str, str]:
    """ruff's order-by-type: CONSTANTS, then Classes, then the rest."""
    name = alias.name
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[0].isupper() else 2
    return kind, name, alias.asname or ""


def _spelt(alias: ast.alias) -> str:
    return f"{alias.name} as {alias.asname}" if alias.asname else alias.name


def import_line(module: str, aliases: list[ast.alias]) -> str:
    names = [_spelt(alias) for alias in sorted(aliases, key=_member_key)]
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= LINE_LENGTH:
        return line
    return "\n".join([f"from {module} import (", *(f"{INDENT}{name}," for name in names), ")"])


def with_type_imports(block: str, fields: list[UserField], module: str) -> str:
    """`block`'s imports and those the fields' types need in `module` (model, migration or
    schema), merged and sorted in sections (standard library, then the others), as ruff sorts.
    """
    needed = [line for kind in _kinds(fields) for line in getattr(TYPES[kind].imports, module)]
    straight: list[set[tuple[str, str]]] = [set(), set()]
    from_: list[dict[str, dict[tuple[str, str | None], ast.alias]]] = [{}, {}]
    for node in ast.parse("\n".join([block, *needed])).body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                straight[_section(alias.name)].add((alias.name, alias.asname or ""))
        elif isinstance(node, ast.ImportFrom) and node.module:
            members = from_[_section(node.module)].setdefault(node.module, {})
            for alias in node.names:
                members[(alias.name, alias.asname)] = alias
        else:
            raise ValueError(f"not an import: {ast.unparse(node)!r}")
    sections = []
    for index in (0, 1):
        lines = [
            f"import {name} as {asname}" if asname else f"import {name}"
            for name, asname in sorted(straight[index], key=lambda pair: pair[0].lower())
        ]
        lines += [
            import_line(name, list(members.values()))
            for name, members in sorted(from_[index].items(), key=lambda item: item[0].lower())
        ]
        if lines:
            sections.append("\n".join(lines))
    return "\n\n".join(sections)


# The types of the rendered database/storable.py that the fields' schema code may name.
STORABLE_NAMES = (
    "FiniteFloat",
    "IndexedText",
    "Int32",
    "IsoDate",
    "LongText",
    "PgDatetime",
    "PgText",
    "PlainDecimal",
    "StrictFiniteFloat",
    "StrictInt32",
    "numeric",
    "storable_text",
)


def storable_names(fields: list[UserField]) -> list[str]:
    """The storable types (the rendered database/storable.py's) the fields' schemas name."""
    code = " ".join(
        [_schema(field) for field in fields]
        + [field.type.read_schema or "" for field in fields]
        + [field.type.schema_definitions for field in fields]
    )
    return [name for name in STORABLE_NAMES if re.search(rf"\b{name}\b", code)]
