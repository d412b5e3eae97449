"""The field types of `user_fields`: one entry per type holds all that the type is.

An entry says how the type is written (its name and sizes), which flags it takes, and how it
appears in the rendered project: its column, its Python and API types, the imports and any
definitions they need, the test data the factories make, and the values the API must refuse.
The parser (field_spec.py), the code writer (field_code.py), the templates (through the Jinja
extension), the random answers and the meta-tests all read this registry; adding a type means
adding an entry here, its tests and its row in the README.

The strings are Python code pasted into the rendered project: `{length}`, `{precision}` and
`{scale}` stand for the field's sizes, `{unique}` for the factories' sequence number (`seq`, or
`None` when the field is not unique).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

FLAGS = ("unique", "index")
DEFAULT_STR_LENGTH = 255
MAX_STR_LENGTH = 10_485_760  # PostgreSQL's limit for varchar(N)
DEFAULT_DECIMAL = (12, 2)
MAX_DECIMAL_PRECISION = 1000  # PostgreSQL's limit for numeric(P, S)
# The rendered storable.py's limit for text in an indexed column (a B-tree entry holds 2704 bytes).
MAX_INDEXED_BYTES = 2600

Sizes = Mapping[str, int]


class SizeError(ValueError):
    """Sizes a type does not take: what was wrong, and what is allowed (with an example)."""

    def __init__(self, what: str, allowed: str) -> None:
        super().__init__(f"{what}; {allowed}")
        self.what = what
        self.allowed = allowed


@dataclass(frozen=True)
class UserField:
    """One parsed field: its name, type, `?`, flags and sizes."""

    name: str
    kind: str
    optional: bool = False
    unique: bool = False
    index: bool = False
    length: int | None = None
    precision: int | None = None
    scale: int | None = None

    @property
    def type(self) -> FieldType:
        return TYPES[self.kind]


def _whole_number(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text.strip()) else None


def _length(args: str | None) -> dict[str, int]:
    if args is None:
        return {"length": DEFAULT_STR_LENGTH}
    length = _whole_number(args)
    if length is None or not 1 <= length <= MAX_STR_LENGTH:
        raise SizeError(
            f"has invalid length {args!r}",
            f"write str(N) with N from 1 to {MAX_STR_LENGTH}, e.g. str(100)",
        )
    return {"length": length}


def _precision_and_scale(args: str | None) -> dict[str, int]:
    if args is None:
        precision, scale = DEFAULT_DECIMAL
        return {"precision": precision, "scale": scale}
    numbers = [_whole_number(part) for part in args.split(",")]
    allowed = (
        f"write decimal(P,S) with 1 <= P <= {MAX_DECIMAL_PRECISION} and 0 <= S <= P, "
        "e.g. decimal(10,2)"
    )
    # Unpacked after the checks, so that the type checker knows both are numbers.
    if len(numbers) != 2 or numbers[0] is None or numbers[1] is None:
        raise SizeError(f"has invalid precision and scale {args!r}", allowed)
    precision, scale = numbers[0], numbers[1]
    if not (1 <= precision <= MAX_DECIMAL_PRECISION and 0 <= scale <= precision):
        raise SizeError(f"has out-of-range precision and scale {args!r}", allowed)
    return {"precision": precision, "scale": scale}


@dataclass(frozen=True)
class Capacity:
    """How many distinct values a type holds, where that may be too few for a unique field."""

    count: Callable[[Sizes], int]
    describe: Callable[[Sizes], str]  # the type as the error names it, e.g. "a decimal(1,0)"
    fix: str  # how to fix a unique field of this type that holds too few values


def _decimal_values(sizes: Sizes) -> int:
    # From -(10**P - 1) to 10**P - 1 units of the last place (spelt so: int ** int is untyped).
    largest = int("9" * sizes["precision"])
    return 2 * largest + 1


@dataclass(frozen=True)
class Imports:
    """Import lines a type's code needs in each rendered module (beyond the module's own)."""

    model: tuple[str, ...] = ()
    migration: tuple[str, ...] = ()
    schema: tuple[str, ...] = ()


# A hostile case: what it is, and a Python expression (in the rendered tests/hostile_values.py,
# which defines json_string, beyond_text_limit and too_big_to_index) for its raw JSON.
HostileCase = tuple[str, str]


def raw(json_text: str) -> str:
    """A Python literal for `json_text`, quoted as ruff format quotes it."""
    literal = repr(json_text)
    if literal.startswith("'") and '"' not in json_text:
        literal = '"' + literal[1:-1].replace("\\'", "'") + '"'
    return literal


def _json_string(text: str) -> str:
    return f"json_string({text})"


NOT_A_SCALAR: HostileCase = ("object", raw('{"a": 1}'))


def _text_cases(field: UserField) -> list[HostileCase]:
    cases = [NOT_A_SCALAR, ("NUL", raw('"a\\u0000b"'))]
    cases += [("lone surrogate", raw('"\\ud800"')), ("number", raw("123"))]
    indexed = field.index or field.unique
    if field.length is not None:
        cases.append(("too long", _json_string(f'"x" * {field.length + 1}')))
    elif not indexed:  # `text`: bounded by a setting, not by the column
        cases.append(("longer than TEXT_MAX_LENGTH", "beyond_text_limit()"))
    # 4-byte characters: within the length, beyond what a B-tree index entry holds.
    if indexed and (field.length is None or field.length * 4 > MAX_INDEXED_BYTES):
        cases.append(("too big to index", "too_big_to_index()"))
    return cases


def _int_cases(field: UserField) -> list[HostileCase]:
    return [
        NOT_A_SCALAR,
        ("2**31", raw(str(2**31))),
        ("-2**31-1", raw(str(-(2**31) - 1))),
        ("1.5", raw("1.5")),
        ("1.0", raw("1.0")),
        ("text", raw('"abc"')),
        ("number as text", raw('"3"')),
        ("true", raw("true")),
    ]


def _float_cases(field: UserField) -> list[HostileCase]:
    return [
        NOT_A_SCALAR,
        ("NaN", raw("NaN")),
        ("Infinity", raw("Infinity")),
        ("-Infinity", raw("-Infinity")),
        ("1e400", raw("1e400")),
        ("text", raw('"abc"')),
        ("number as text", raw('"1.5"')),
        ("true", raw("true")),
    ]


def _decimal_cases(field: UserField) -> list[HostileCase]:
    precision, scale = field.precision or 0, field.scale or 0
    return [
        NOT_A_SCALAR,
        ("too many whole digits", _json_string(f'"1" + "0" * {precision - scale}')),
        ("too many decimals", _json_string(f'"0." + "0" * {scale} + "1"')),
        ("NaN string", raw('"NaN"')),
        ("sNaN", raw('"sNaN"')),
        ("Infinity string", raw('"Infinity"')),
        ("NaN", raw("NaN")),
    ]


def _bool_cases(field: UserField) -> list[HostileCase]:
    return [
        NOT_A_SCALAR,
        ("2", raw("2")),
        ("1", raw("1")),
        ("text", raw('"maybe"')),
        ("true as text", raw('"true"')),
    ]


def _date_cases(field: UserField) -> list[HostileCase]:
    return [
        NOT_A_SCALAR,
        ("February 30", raw('"2020-02-30"')),
        ("year 0", raw('"0000-01-01"')),
        ("year 10000", raw('"10000-01-01"')),
        ("midnight as a datetime", raw('"2020-01-01T00:00:00"')),
        ("number", raw("0")),
    ]


def _datetime_cases(field: UserField) -> list[HostileCase]:
    return [
        NOT_A_SCALAR,
        ("naive", raw('"2020-01-01T00:00:00"')),
        ("before year 1 in UTC", raw('"0001-01-01T00:00:00+14:00"')),
        ("after year 9999 in UTC", raw('"9999-12-31T23:59:59-14:00"')),
        ("hour 25", raw('"2020-01-01T25:00:00Z"')),
        ("number", raw("0")),
    ]


def _uuid_cases(field: UserField) -> list[HostileCase]:
    cases = [NOT_A_SCALAR, ("malformed", raw('"not-a-uuid"')), ("too short", raw('"0000"'))]
    return [*cases, ("number", raw("12"))]


def _too_long_filter(field: UserField) -> str:
    # One character over the length, or over what an index entry holds (a long URL otherwise).
    return f'"x" * {min((field.length or 0) + 1, MAX_INDEXED_BYTES + 1)}'


# jsonb: any JSON document within MAX_JSON_DEPTH levels, whose strings PostgreSQL can hold.
MAX_JSON_DEPTH = 64


def _json_cases(field: UserField) -> list[HostileCase]:
    deeper = MAX_JSON_DEPTH + 1
    return [
        ("NUL in a string", raw('{"a": "x\\u0000y"}')),
        ("NUL in a key", raw('{"a\\u0000": 1}')),
        ("lone surrogate", raw('["\\ud800"]')),
        ("lone surrogate in a key", raw('{"\\udfff": 1}')),
        ("NaN", raw("[NaN]")),
        ("Infinity", raw('{"a": -Infinity}')),
        ("1e400", raw("1e400")),
        (f"nested {deeper} deep", f'"[" * {deeper} + "]" * {deeper}'),
        # Deeper than Python's json parser goes (under 1,000) is a 422 for the whole body.
        ("nested 300 deep", '"[" * 300 + "]" * 300'),
    ]


def _text_example(field: UserField) -> str:
    # The field's name as words, within its length: "first_name" -> "First name".
    words = field.name.replace("_", " ").strip().capitalize() or "x"
    return json.dumps(words[: field.length] if field.length else words)


@dataclass(frozen=True)
class FieldType:
    """One grammar type, and how it appears in the rendered project (strings are Python code)."""

    name: str  # as the grammar writes it
    forms: tuple[str, ...]  # how it may be written, for messages and the README
    readme: tuple[str, str]  # the README's columns "column" and "API type"
    python: str  # the attribute's type in `Mapped[...]`
    column: str  # the SQLAlchemy column type
    schema: str  # the API field's Pydantic type
    hostile: Callable[[UserField], list[HostileCase]]  # values the API must refuse (not null)
    fake: str  # the test factories' expression for a value
    # A value, as JSON, for the quick start's `create-admin --fields`: within the field's sizes,
    # and none of the first unique values the test factories make (the README walkthrough signs
    # users up before it runs that line).
    example: Callable[[UserField], str]
    # A query value a list's filter on the field refuses (the filter has the field's API type),
    # as a Python expression; None for a type that takes no flags, so is never a filter.
    refused_filter: Callable[[UserField], str] | None
    sizes: Callable[[str | None], dict[str, int]] | None = None  # parses "(...)"; None: no sizes
    constraints: tuple[str, ...] = ()  # Pydantic `Field(...)` arguments
    indexed_schema: str | None = None  # the API type when unique or indexed, if another
    # A list filter's type, if another: a query's values are text ("3"), which a body refuses.
    filter_schema: str | None = None
    # The API type of a value read back, if another: what the database returns was checked on
    # its way in, and each check in Python costs every row of every page again.
    read_schema: str | None = None
    # A value the API takes in a form its column does not keep (as a Python expression for its
    # JSON): the tests check that a write answers it in the column's form, as a read will.
    restated: str | None = None
    flags: tuple[str, ...] = FLAGS  # the flags it takes
    no_flags: str = ""  # why it takes none of FLAGS: part of the error
    capacity: Capacity | None = None  # set when a unique field could hold too few values
    # A required field's default: (in Python, in the database), e.g. ("False", "sa.false()").
    required_default: tuple[str, str] | None = None
    # The Python type holds None itself (JSON's null): the model states the column's nullability.
    nullable_python: bool = False
    imports: Imports = field(default_factory=Imports)
    # Definitions the rendered users/schemas.py needs for `schema` (validators, aliases).
    schema_definitions: str = ""

    def distinct_values(self, sizes: Sizes) -> int | None:
        """How many distinct values a column holds; None if far more than any test needs."""
        return self.capacity.count(sizes) if self.capacity else None


TYPES: dict[str, FieldType] = {
    entry.name: entry
    for entry in (
        FieldType(
            "str",
            ("str(N)", "str"),
            (
                f"`VARCHAR(N)`, N from 1 to {MAX_STR_LENGTH} (bare: {DEFAULT_STR_LENGTH})",
                "string, at most N characters",
            ),
            python="str",
            column="sa.String({length})",
            schema="PgText",
            constraints=("max_length={length}",),
            indexed_schema="IndexedText",
            read_schema="str",
            sizes=_length,
            fake="fake_string({length}, {unique})",
            example=_text_example,
            refused_filter=_too_long_filter,
            hostile=_text_cases,
        ),
        FieldType(
            "text",
            ("text",),
            ("`TEXT`", "string"),
            python="str",
            column="sa.Text()",
            # LongText: at most TEXT_MAX_LENGTH characters, a setting of the rendered project.
            schema="LongText",
            indexed_schema="IndexedText",
            read_schema="str",
            fake="fake_text({unique})",
            example=_text_example,
            refused_filter=lambda field: raw("a\x00b"),
            hostile=_text_cases,
        ),
        FieldType(
            "int",
            ("int",),
            ("`INTEGER`", 'integer within 32 bits (a JSON number: not `true`, `"3"` or `3.0`)'),
            python="int",
            column="sa.Integer()",
            schema="StrictInt32",
            filter_schema="Int32",
            fake="fake_int({unique})",
            example=lambda field: "42",
            refused_filter=lambda field: raw(str(2**31)),
            hostile=_int_cases,
        ),
        FieldType(
            "float",
            ("float",),
            ("`DOUBLE PRECISION`", 'finite number (a JSON number, not `"1.5"`)'),
            python="float",
            column="sa.Double()",
            schema="StrictFiniteFloat",
            filter_schema="FiniteFloat",
            fake="fake_float({unique})",
            example=lambda field: "2.25",
            refused_filter=lambda field: raw("NaN"),
            hostile=_float_cases,
        ),
        FieldType(
            "decimal",
            ("decimal(P,S)", "decimal"),
            (
                f"`NUMERIC(P,S)`, 1 <= P <= {MAX_DECIMAL_PRECISION}, 0 <= S <= P "
                f"(bare: {DEFAULT_DECIMAL[0]},{DEFAULT_DECIMAL[1]})",
                "decimal (a JSON string or number); answered at the scale S: 12.5 as 12.50, "
                "and never in exponent form: 0.00000001, not 1E-8",
            ),
            python="Decimal",
            column="sa.Numeric({precision}, {scale})",
            # At the column's scale: a write answers 12.5 as 12.50, as a read will.
            schema="Annotated[Decimal, numeric({precision}, {scale})]",
            read_schema="PlainDecimal",
            sizes=_precision_and_scale,
            capacity=Capacity(
                _decimal_values,
                lambda sizes: f"a decimal({sizes['precision']},{sizes['scale']})",
                "drop ':unique' or allow more digits, e.g. code:decimal(3,0):unique",
            ),
            restated='"-0"',  # 0 at the column's scale: 0.00 for a decimal(10,2)
            fake="fake_decimal({precision}, {scale}, {unique})",
            # Nine units before the point, or 0.9 where there is no digit before it.
            example=lambda field: '"9"' if (field.precision or 0) > (field.scale or 0) else '"0.9"',
            refused_filter=lambda field: f'"9" * {(field.precision or 0) + 1}',
            hostile=_decimal_cases,
            imports=Imports(
                model=("from decimal import Decimal",), schema=("from decimal import Decimal",)
            ),
        ),
        FieldType(
            "bool",
            ("bool",),
            (
                "`BOOLEAN`",
                '`true` or `false` (not `1` or `"yes"`); a required bool defaults to `false`',
            ),
            python="bool",
            column="sa.Boolean()",
            schema="StrictBool",
            filter_schema="bool",
            capacity=Capacity(
                lambda sizes: 2,
                lambda sizes: "a bool",
                "drop ':unique' or use another type, e.g. verified:bool:index",
            ),
            required_default=("False", "sa.false()"),
            fake="fake_bool()",
            example=lambda field: "false",
            refused_filter=lambda field: raw("maybe"),
            hostile=_bool_cases,
            imports=Imports(schema=("from pydantic import StrictBool",)),
        ),
        FieldType(
            "date",
            ("date",),
            ("`DATE`", "`YYYY-MM-DD`"),
            python="dt.date",
            column="sa.Date()",
            schema="IsoDate",
            read_schema="dt.date",
            fake="fake_date({unique})",
            example=lambda field: '"2000-01-01"',
            refused_filter=lambda field: raw("2020-02-30"),
            hostile=_date_cases,
            imports=Imports(model=("import datetime as dt",), schema=("import datetime as dt",)),
        ),
        FieldType(
            "datetime",
            ("datetime",),
            ("`TIMESTAMP WITH TIME ZONE`", "ISO 8601 with a timezone; answered in UTC"),
            python="dt.datetime",
            column="sa.DateTime(timezone=True)",
            schema="PgDatetime",
            read_schema="AwareDatetime",
            restated='"2020-06-01T12:00:00.5+02:00"',  # kept in UTC
            fake="fake_datetime({unique})",
            example=lambda field: '"2000-01-01T00:00:00Z"',
            refused_filter=lambda field: raw("2020-01-01T00:00:00"),  # naive
            hostile=_datetime_cases,
            imports=Imports(model=("import datetime as dt",)),
        ),
        FieldType(
            "uuid",
            ("uuid",),
            ("`UUID`", "UUID string"),
            python="UUID",
            column="sa.Uuid()",
            schema="UUID",
            fake="fake_uuid()",
            example=lambda field: '"00000000-0000-0000-0000-000000000001"',
            refused_filter=lambda field: raw("not-a-uuid"),
            hostile=_uuid_cases,
            imports=Imports(model=("from uuid import UUID",), schema=("from uuid import UUID",)),
        ),
        FieldType(
            "json",
            ("json",),
            (
                "`JSONB` (no flags)",
                f"any JSON value (nested at most {MAX_JSON_DEPTH} deep); required: not `null`",
            ),
            python="JsonValue",
            column="JSONB(none_as_null=True)",
            schema="JsonDocument",
            read_schema="JsonValue",
            flags=(),
            no_flags=(
                "a B-tree index or a unique constraint compares whole documents; "
                "add a GIN index in a migration of your own"
            ),
            nullable_python=True,
            # Braces doubled: the strings are format strings.
            fake='[fake.pyint(), {{"words": fake.words(2)}}, None]',
            example=lambda field: "{}",
            refused_filter=None,
            hostile=_json_cases,
            imports=Imports(
                model=(
                    "from pydantic import JsonValue",
                    "from sqlalchemy.dialects.postgresql import JSONB",
                ),
                migration=("from sqlalchemy.dialects.postgresql import JSONB",),
                schema=("import math", "from pydantic import BeforeValidator, JsonValue"),
            ),
            schema_definitions=f"""
# JSON that jsonb holds: no NUL or lone surrogate in its strings, no NaN or infinities; nested at
# most MAX_JSON_DEPTH levels (deep nesting costs stack here and in PostgreSQL). Not null: an
# optional field's null is SQL NULL.
MAX_JSON_DEPTH = {MAX_JSON_DEPTH}


def _storable_json(document: object) -> object:
    if document is None:
        raise ValueError("must not be null")
    pending: list[tuple[object, int]] = [(document, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            storable_text(value)
        elif isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must not hold NaN or Infinity")
        elif isinstance(value, dict | list):
            if depth == MAX_JSON_DEPTH:
                raise ValueError(f"must be nested at most {{MAX_JSON_DEPTH}} levels deep")
            items = [*value, *value.values()] if isinstance(value, dict) else value
            pending += [(item, depth + 1) for item in items]
    return document


JsonDocument = Annotated[JsonValue, BeforeValidator(_storable_json)]
""",
        ),
    )
}

# How the types may be written, for messages: "str(N), str, text, ...".
ALLOWED_TYPES = ", ".join(form for entry in TYPES.values() for form in entry.forms)
# The types that take sizes, for messages: "str(N) and decimal(P,S)".
SIZED_FORMS = " and ".join(
    form for entry in TYPES.values() if entry.sizes for form in entry.forms if "(" in form
)
# Lower-case names the generated code uses for types (`sa.String`, `dt.date`, `int`, ...): a
# field of that name would shadow them in the class bodies.
_LEADING_NAME = re.compile(r"(?<![\w.])([a-z_][a-z0-9_]*)(?=[.\[\]()|, ]|$)")
CODE_NAMES = frozenset(
    {"mapped_column"}
    | {
        name
        for entry in TYPES.values()
        for code in (
            entry.python,
            entry.column,
            entry.schema,
            entry.indexed_schema or "",
            entry.read_schema or "",
        )
        for name in _LEADING_NAME.findall(code)
    }
)


def readme_rows() -> list[str]:
    """The README's table of types, one Markdown row a type."""
    rows = []
    for entry in TYPES.values():
        written = " / ".join(f"`{form}`" for form in entry.forms)
        rows.append(f"| {written} | {entry.readme[0]} | {entry.readme[1]} |")
    return rows
