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
    }
)
# Names the generated class bodies use for types: a field of that name would shadow them.
CODE_NAMES = frozenset({"sa", "dt", "str", "int", "float", "bool", "mapped_column"})
FLAGS = ("unique", "index")
DEFAULT_STR_LENGTH = 255
MAX_STR_LENGTH = 10_485_760  # PostgreSQL's limit for varchar(N)
DEFAULT_DECIMAL = (12, 2)
MAX_DECIMAL_PRECISION = 1000  # PostgreSQL's limit for numeric(P, S)
MAX_NAME_LENGTH = 40  # keeps every generated line within the rendered project's 100 columns

ALLOWED_TYPES = "str(N), str, text, int, float, decimal(P,S), decimal, bool, date, datetime, uuid"
EXAMPLE = "age:int?, nickname:str(50)?:unique, price:decimal(10,2):index"

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
        "str", "sa.String({length})", "PgText", ("max_length={length}",), "fake_string({length}, {unique})"
    ),
    "text": FieldType("str", "sa.Text()", "PgText", (), "fake_text({unique})"),
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
        "dt.datetime", "sa.DateTime(timezone=True)", "AwareDatetime", (), "fake_datetime({unique})"
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
        return self._schema_declaration(self._maybe_none(self._type.schema), default)

    @property
    def update_declaration(self) -> str:
        """The PATCH field: always optional."""
        return self._schema_declaration(f"{self._type.schema} | None", "None")

    @property
    def read_declaration(self) -> str:
        return f"{INDENT}{self.name}: {self._maybe_none(self._type.schema)}"

    @property
    def fake_value(self) -> str:
        return self._fill(self._type.fake)


def parse_user_fields(spec: str) -> list[UserField]:
    """Parse a `user_fields` answer; raise SpecError listing every problem found."""
    problems: list[str] = []
    fields: list[UserField] = []
    items = [item.strip() for item in spec.split(",")] if spec.strip() else []
    # Commas also separate decimal(P,S)'s arguments: glue them back together.
    items = _rejoin_parenthesised(items)
    seen: set[str] = set()
    for item in items:
        try:
            field = _parse_item(item)
        except SpecError as error:
            problems += error.problems
            continue
        if field.name in seen:
            problems.append(
                f"user_fields: field name {field.name!r} is used twice; each name may appear once"
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
    form = f"write name:type[?][:flag...], e.g. {EXAMPLE}"
    if not item:
        raise SpecError(
            [f"user_fields: empty item (two commas in a row or a trailing comma); {form}"]
        )
    name, sep, rest = (part.strip() for part in item.partition(":"))
    if not sep or not rest:
        raise _problem(item, "is missing its ':type'", form)
    problems = _name_problems(item, name)
    type_part, *flag_parts = (part.strip() for part in rest.split(":"))
    match = _TYPE.fullmatch(type_part)
    kind = match["kind"] if match else type_part
    if not match or kind not in TYPES:
        problems.append(
            f"user_fields: {item!r} has unknown type {kind!r}; use one of {ALLOWED_TYPES}"
        )
        raise SpecError(problems)
    sizes: dict[str, int] = {}
    try:
        sizes = _sizes(item, kind, match["args"])
    except SpecError as error:
        problems += error.problems
    flags: list[str] = []
    for flag in flag_parts:
        if flag not in FLAGS:
            if flag in flags:
                continue
            problems.append(
                f"user_fields: {item!r} has unknown flag {flag!r}; flags are {', '.join(FLAGS)}"
            )
        elif flag in flags:
            problems.append(f"user_fields: {item!r} repeats flag {flag!r}; give each flag once")
        flags.append(flag)
    if kind == "bool" and "unique" in flags:
        problems.append(
            f"user_fields: {item!r} makes a bool unique, which allows at most two users; "
            "drop ':unique' or use another type"
        )
    if problems:
        raise SpecError(problems)
    return UserField(
        name=name,
        kind=kind,
        optional=bool(match["optional"]),
        unique="unique" in flags,
        index="index" in flags,
        **sizes,
    )


def _name_problems(item: str, name: str) -> list[str]:
    allowed = "use snake_case: a lower-case letter, then lower-case letters, digits and single underscores"
    if not name:
        return [f"user_fields: {item!r} has no field name; {allowed}, e.g. {EXAMPLE}"]
    if not _NAME.fullmatch(name):
        return [f"user_fields: {item!r} has invalid field name {name!r}; {allowed}, e.g. nick_name"]
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return [f"user_fields: {item!r} uses the Python keyword {name!r} as a name; choose another"]
    if name in BUILT_IN_COLUMNS:
        return [
            f"user_fields: {item!r} redefines the built-in column {name!r}; "
            f"every user already has {', '.join(BUILT_IN_COLUMNS)}"
        ]
    if name in RESERVED_NAMES or name.startswith("model_"):
        return [
            f"user_fields: {item!r} uses {name!r}, a name SQLAlchemy, Pydantic or the API reserves; "
            "choose another"
        ]
    if name in CODE_NAMES:
        return [
            f"user_fields: {item!r} uses {name!r}, a name the generated code needs for a type; "
            "choose a more specific name, e.g. " + f"{name}_value"
        ]
    if len(name) > MAX_NAME_LENGTH:
        return [
            f"user_fields: {item!r} has a name of {len(name)} characters; "
            f"use at most {MAX_NAME_LENGTH}"
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
            item, f"gives arguments to {kind!r}", f"only str(N) and decimal(P,S) take arguments"
        )
    return {}


def _whole_number(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text.strip()) else None
