"""The `user_fields` grammar: one parser, used by the hooks and the templates alike.

    spec  := item ("," item)*          (an empty spec means no extra fields)
    item  := name ":" type ["?"] (":" flag)*
    type  := str["(" N ")"] | text | int | float | decimal["(" P "," S ")"]
             | bool | date | datetime | uuid
    flag  := unique | index

Each type is described once, in TYPES: how it is stored, typed, validated and faked.
The strings there are Python code that the templates paste into the rendered project.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

BUILT_IN_COLUMNS = (
    "id",
    "email",
    "hashed_password",
    "role",
    "is_active",
    "created_at",
    "updated_at",
)
# Names the API schemas use besides the columns, and attributes SQLAlchemy or Pydantic reserve.
RESERVED_NAMES = frozenset(
    {
        "password",
        "current_password",
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
# Names the generated class bodies use for types: a field of that name would shadow them.
CODE_NAMES = frozenset({"sa", "dt", "str", "int", "float", "bool", "mapped_column"})
# Soft keywords of every supported Python, whatever the version running cookiecutter.
SOFT_KEYWORDS = frozenset({"_", "case", "match", "type"})
# Names ruff (E741) refuses as ambiguous: they look like digits.
AMBIGUOUS_NAMES = frozenset({"l"})
FLAGS = ("unique", "index")
DEFAULT_STR_LENGTH = 255
MAX_STR_LENGTH = 10_485_760  # PostgreSQL's limit for varchar(N)
DEFAULT_DECIMAL = (12, 2)
MAX_DECIMAL_PRECISION = 1000  # PostgreSQL's limit for numeric(P, S)
MAX_NAME_LENGTH = 40  # keeps every generated line within the rendered project's 100 columns
# A unique column that cannot hold this many users is almost surely a mistake; the rendered suite
# also signs up 100 users at once.
MIN_UNIQUE_VALUES = 100

ALLOWED_TYPES = "str(N), str, text, int, float, decimal(P,S), decimal, bool, date, datetime, uuid"
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


@dataclass(frozen=True)
class FieldType:
    """How one grammar type appears in the rendered project (each string is Python code)."""

    python: str  # the attribute's type in `Mapped[...]`
    column: str  # the SQLAlchemy column type
    schema: str  # the Pydantic type of the API field (aliases defined in the rendered schemas.py)
    constraints: tuple[str, ...]  # Pydantic `Field(...)` arguments
    fake: str  # the test factory call; `{unique}` is the sequence number, or None


TYPES: dict[str, FieldType] = {
    "str": FieldType(
        "str",
        "sa.String({length})",
        "PgText",
        ("max_length={length}",),
        "fake_string({length}, {unique})",
    ),
    # LongText: at most TEXT_MAX_LENGTH characters, a setting of the rendered project.
    "text": FieldType("str", "sa.Text()", "LongText", (), "fake_text({unique})"),
    "int": FieldType("int", "sa.Integer()", "Int32", (), "fake_int({unique})"),
    "float": FieldType("float", "sa.Double()", "FiniteFloat", (), "fake_float({unique})"),
    "decimal": FieldType(
        "Decimal",
        "sa.Numeric({precision}, {scale})",
        "FiniteDecimal",
        ("max_digits={precision}", "decimal_places={scale}"),
        "fake_decimal({precision}, {scale}, {unique})",
    ),
    "bool": FieldType("bool", "sa.Boolean()", "bool", (), "fake_bool()"),
    "date": FieldType("dt.date", "sa.Date()", "dt.date", (), "fake_date({unique})"),
    "datetime": FieldType(
        "dt.datetime", "sa.DateTime(timezone=True)", "PgDatetime", (), "fake_datetime({unique})"
    ),
    "uuid": FieldType("UUID", "sa.Uuid()", "UUID", (), "fake_uuid()"),
}

INDENT = "    "


def _declaration(target: str, call: str, args: list[str]) -> str:
    """`target = call(args)`, one argument a line with a trailing comma, as ruff formats it."""
    lines = [f"{INDENT}{target} = {call}("]
    lines += [f"{INDENT * 2}{arg}," for arg in args]
    lines.append(f"{INDENT})")
    return "\n".join(lines)


@dataclass(frozen=True)
class UserField:
    """One parsed field, with the declarations the templates paste into each rendered module."""

    name: str
    kind: str
    optional: bool = False
    unique: bool = False
    index: bool = False
    length: int | None = None
    precision: int | None = None
    scale: int | None = None

    @property
    def _type(self) -> FieldType:
        return TYPES[self.kind]

    def _fill(self, code: str) -> str:
        return code.format(
            length=self.length,
            precision=self.precision,
            scale=self.scale,
            unique="seq" if self.unique else "None",
        )

    def _maybe_none(self, code: str) -> str:
        return f"{code} | None" if self.optional else code

    @property
    def column_args(self) -> list[str]:
        args = [self._fill(self._type.column)]
        if self.unique:
            args.append("unique=True")
        if self.index:
            args.append("index=True")
        if self.kind == "bool" and not self.optional:
            args += ["default=False", "server_default=sa.false()"]
        return args

    @property
    def model_declaration(self) -> str:
        """The `Mapped[...]` attribute of the User model."""
        target = f"{self.name}: Mapped[{self._maybe_none(self._type.python)}]"
        return _declaration(target, "mapped_column", self.column_args)

    @property
    def _schema(self) -> str:
        """The API field's type; text in an indexed column must also fit a B-tree entry."""
        if self.kind in ("str", "text") and (self.unique or self.index):
            return "IndexedText"
        return self._type.schema

    @property
    def _constraints(self) -> list[str]:
        return [self._fill(constraint) for constraint in self._type.constraints]

    def _schema_declaration(self, annotation: str, default: str | None) -> str:
        args = ([f"default={default}"] if default else []) + self._constraints
        if not self._constraints:
            suffix = f" = {default}" if default else ""
            return f"{INDENT}{self.name}: {annotation}{suffix}"
        return _declaration(f"{self.name}: {annotation}", "Field", args)

    @property
    def create_declaration(self) -> str:
        """The sign-up field: required unless optional; a required bool defaults to false."""
        default = "None" if self.optional else "False" if self.kind == "bool" else None
        return self._schema_declaration(self._maybe_none(self._schema), default)

    @property
    def update_declaration(self) -> str:
        """The PATCH field: always optional."""
        return self._schema_declaration(f"{self._schema} | None", "None")

    @property
    def read_declaration(self) -> str:
        return f"{INDENT}{self.name}: {self._maybe_none(self._schema)}"

    @property
    def fake_value(self) -> str:
        return self._fill(self._type.fake)

    # The initial migration states names outright (`op.f`), as autogenerate does: the names follow
    # the models' naming convention (`uq_<table>_<column>`, `ix_<table>_<column>`).

    @property
    def migration_column(self) -> str:
        """The `sa.Column(...)` argument of the initial migration's `op.create_table`."""
        args = [f'"{self.name}"', self._fill(self._type.column)]
        if self.kind == "bool" and not self.optional:
            args.append("server_default=sa.false()")
        args.append(f"nullable={self.optional}")
        return _call("sa.Column", args, depth=2)

    def migration_constraint(self, table: str) -> str | None:
        """A unique constraint in `op.create_table`; an indexed field gets a unique index instead.

        This is what SQLAlchemy makes of `unique=True` with and without `index=True`.
        """
        if not self.unique or self.index:
            return None
        args = [f'"{self.name}"', f'name=op.f("uq_{table}_{self.name}")']
        return _call("sa.UniqueConstraint", args, depth=2)

    def migration_index(self, table: str) -> str | None:
        """The `op.create_index(...)` statement that follows `op.create_table`, if indexed."""
        if not self.index:
            return None
        args = [f'op.f("ix_{table}_{self.name}")', f'"{table}"', f'["{self.name}"]']
        return _call("op.create_index", [*args, f"unique={self.unique}"], depth=1)


def _call(call: str, args: list[str], depth: int) -> str:
    """`call(args)` indented `depth` levels, one argument a line with a trailing comma."""
    indent = INDENT * depth
    lines = [f"{indent}{call}(", *(f"{indent}{INDENT}{arg}," for arg in args), f"{indent})"]
    return "\n".join(lines)


def parse_user_fields(spec: str) -> list[UserField]:
    """Parse a `user_fields` answer; raise SpecError listing every problem found."""
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
            field = _parse_item(item)
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


def _parse_item(item: str) -> UserField:
    name, sep, rest = (part.strip() for part in item.partition(":"))
    if not sep or not rest:
        raise _problem(
            item, "is missing its ':type'", f"write name:type[?][:flag...], e.g. {EXAMPLE}"
        )
    problems = _name_problems(item, name)
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
    if "unique" in flag_parts:
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
    return problems


def distinct_values(kind: str, precision: int | None = None) -> int | None:
    """How many distinct values a column of this type holds; None if far more than any test needs."""
    if kind == "bool":
        return 2
    if kind == "decimal" and precision is not None:
        # From -(10**P - 1) to 10**P - 1 units of the last place (spelt so: int ** int is untyped).
        largest = int("9" * precision)
        return 2 * largest + 1
    return None


def _capacity_problems(item: str, kind: str, sizes: dict[str, int]) -> list[str]:
    capacity = distinct_values(kind, sizes.get("precision"))
    if capacity is None or capacity >= MIN_UNIQUE_VALUES:
        return []
    if kind == "bool":
        what, fix = "a bool", "drop ':unique' or use another type, e.g. verified:bool:index"
    else:
        what = f"a decimal({sizes['precision']},{sizes['scale']})"
        fix = "drop ':unique' or allow more digits, e.g. code:decimal(3,0):unique"
    return [
        f"user_fields: {item!r} makes {what} unique, which holds only {capacity} distinct values "
        f"(a unique field must hold at least {MIN_UNIQUE_VALUES} users); {fix}"
    ]


def _name_problems(item: str, name: str) -> list[str]:
    snake = "snake_case: a lower-case ASCII letter, then lower-case letters, digits and single "
    snake += "underscores"
    other = f"choose another name, e.g. user_{name}"
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
    if name in BUILT_IN_COLUMNS:
        return [
            f"user_fields: {item!r} redefines the built-in column {name!r} (every user already "
            f"has {', '.join(BUILT_IN_COLUMNS)}); {other}"
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
    if kind == "str":
        if args is None:
            return {"length": DEFAULT_STR_LENGTH}
        length = _whole_number(args)
        if length is None or not 1 <= length <= MAX_STR_LENGTH:
            raise _problem(
                item,
                f"has invalid length {args!r}",
                f"write str(N) with N from 1 to {MAX_STR_LENGTH}, e.g. str(100)",
            )
        return {"length": length}
    if kind == "decimal":
        if args is None:
            precision, scale = DEFAULT_DECIMAL
            return {"precision": precision, "scale": scale}
        parts = [part.strip() for part in args.split(",")]
        numbers = [_whole_number(part) for part in parts]
        allowed = (
            f"write decimal(P,S) with 1 <= P <= {MAX_DECIMAL_PRECISION} and 0 <= S <= P, "
            "e.g. decimal(10,2)"
        )
        if len(numbers) != 2 or numbers[0] is None or numbers[1] is None:
            raise _problem(item, f"has invalid precision and scale {args!r}", allowed)
        precision, scale = numbers
        if not (1 <= precision <= MAX_DECIMAL_PRECISION and 0 <= scale <= precision):
            raise _problem(item, f"has out-of-range precision and scale {args!r}", allowed)
        return {"precision": precision, "scale": scale}
    if args is not None:
        raise _problem(
            item,
            f"gives arguments to {kind!r}",
            f"only str(N) and decimal(P,S) take arguments, e.g. age:{kind}",
        )
    return {}


def _whole_number(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text.strip()) else None
