"""The `user_fields` grammar, tested on the parser the hooks and templates share."""

import pytest

from hooks.field_spec import (
    BUILT_IN_COLUMNS,
    MIN_UNIQUE_VALUES,
    RESERVED_NAMES,
    SpecError,
    UserField,
    distinct_values,
    parse_user_fields,
)


def test_default_specification() -> None:
    fields = parse_user_fields(
        "first_name:str(100), last_name:str(100), nickname:str(50)?:unique, bio:text?"
    )
    assert fields == [
        UserField("first_name", "str", length=100),
        UserField("last_name", "str", length=100),
        UserField("nickname", "str", optional=True, unique=True, length=50),
        UserField("bio", "text", optional=True),
    ]


def test_whitespace_is_forgiven_and_bare_types_get_defaults() -> None:
    (price, title) = parse_user_fields("  price : decimal ( 8 , 3 ) ? : index ,title:str  ")
    assert price == UserField("price", "decimal", optional=True, index=True, precision=8, scale=3)
    assert title.length == 255
    (amount,) = parse_user_fields("amount:decimal")
    assert (amount.precision, amount.scale) == (12, 2)
    assert parse_user_fields("  a : int ? , b:str( 20 ):unique  ") == [
        UserField("a", "int", optional=True),
        UserField("b", "str", unique=True, length=20),
    ]


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ("a:str(1)", UserField("a", "str", length=1)),
        ("a:str(10485760)", UserField("a", "str", length=10_485_760)),
        ("a:decimal(1,0)", UserField("a", "decimal", precision=1, scale=0)),
        ("a:decimal(1000,1000)", UserField("a", "decimal", precision=1000, scale=1000)),
        ("a:int:index:unique", UserField("a", "int", unique=True, index=True)),
        ("n" * 40 + ":uuid?", UserField("n" * 40, "uuid", optional=True)),
        ("x1_2y:date", UserField("x1_2y", "date")),
        ("data:json", UserField("data", "json")),
        (" data : json ? ", UserField("data", "json", optional=True)),
        # the smallest unique fields: 21,054 one-letter tags in the factories, 199 decimals
        ("a:str(1):unique", UserField("a", "str", unique=True, length=1)),
        ("a:decimal(2,2):unique", UserField("a", "decimal", unique=True, precision=2, scale=2)),
    ],
)
def test_limits_are_inclusive(spec: str, field: UserField) -> None:
    assert parse_user_fields(spec) == [field]


@pytest.mark.parametrize("spec", ["", "   ", "\t"])
def test_empty_specification_means_no_fields(spec: str) -> None:
    assert parse_user_fields(spec) == []


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        # types
        ("age:integer", "'age:integer' has unknown type 'integer'; use one of str(N), str, text"),
        ("age:Int", "has unknown type 'Int'"),
        ("age:int b:int", "has unknown type 'int b'"),
        ("a:str(10", "has unknown type 'str(10'"),
        ("a:(10)", "has unknown type '(10)'"),
        ("a::int", "'a::int' has an empty type"),
        ("name", "'name' is missing its ':type'"),
        ("name:", "'name:' is missing its ':type'"),
        ("str()", "'str()' is missing its ':type'"),
        # lengths and precisions
        ("x:str(0)", "'x:str(0)' has invalid length '0'; write str(N) with N from 1 to"),
        ("x:str(x)", "has invalid length 'x'"),
        ("x:str()", "has invalid length ''"),
        ("x:str(-1)", "has invalid length '-1'"),
        ("x:str(+5)", "has invalid length '+5'"),
        ("x:str(1e3)", "has invalid length '1e3'"),
        ("x:str(10,2)", "has invalid length '10,2'"),
        ("x:str(10485761)", "has invalid length '10485761'"),
        ("x:decimal(2,5)", "out-of-range precision and scale '2,5'; write decimal(P,S) with"),
        ("x:decimal(0,0)", "out-of-range precision and scale '0,0'"),
        ("x:decimal(1001,2)", "out-of-range precision and scale '1001,2'"),
        ("x:decimal(10)", "invalid precision and scale '10'"),
        ("x:decimal(10,)", "invalid precision and scale '10,'"),
        ("x:decimal(,2)", "invalid precision and scale ',2'"),
        ("x:decimal(5,2,1)", "invalid precision and scale '5,2,1'"),
        ("x:decimal(a,b)", "invalid precision and scale 'a,b'"),
        ("a:text(5)", "'a:text(5)' gives arguments to 'text'; only str(N) and decimal(P,S)"),
        ("a:int()", "gives arguments to 'int'"),
        ("a:json(5)", "'a:json(5)' gives arguments to 'json'; only str(N) and decimal(P,S)"),
        # json takes no flags
        ("a:json:index", "'a:json:index' gives a json the flag 'index'; json takes no flags"),
        ("a:json?:unique", "gives a json the flag 'unique'; json takes no flags (a B-tree"),
        ("a:json:unique:index", "gives a json the flag 'index'; json takes no flags"),
        ("a:JSON", "has unknown type 'JSON'; use one of str(N), str, text, int, float"),
        # names
        ("FirstName:str", "invalid field name 'FirstName'; use snake_case"),
        ("first-name:str", "invalid field name 'first-name'"),
        ("first name:str", "invalid field name 'first name'"),
        ("prénom:str", "invalid field name 'prénom'"),
        ("naïve:str", "invalid field name 'naïve'"),
        ("1st:int", "invalid field name '1st'"),
        ("_x:int", "invalid field name '_x'"),
        ("x_:int", "invalid field name 'x_'"),
        ("a__b:int", "invalid field name 'a__b'"),
        (":int", "':int' has no field name"),
        ("class:int", "uses the Python keyword 'class'"),
        ("a:int, a:text", "'a:text' uses the field name 'a' again"),
        ("metadata:str", "uses 'metadata', a name SQLAlchemy, Pydantic or the API reserves"),
        ("model_config:str", "uses 'model_config'"),
        ("model_anything:str", "uses 'model_anything'"),
        ("password:str", "uses 'password'"),
        ("self:int", "uses 'self'"),
        ("str:text", "uses 'str', a name the generated code needs"),
        ("dt:date", "uses 'dt', a name the generated code needs"),
        ("l:int", "uses 'l', which reads like the digit 1"),
        ("n" * 41 + ":int", "has a name of 41 characters; use at most 40"),
        # the optional mark
        ("a?:int", "'a?:int' puts '?' after the name; '?' goes once, right after the type"),
        ("a:?int", "'?' goes once, right after the type"),
        ("a:int??", "'?' goes once, right after the type"),
        ("a:int:?", "has unknown flag '?'"),
        ("a:int:unique?", "has unknown flag 'unique?'"),
        # flags
        ("a:int:unique:unique", "'a:int:unique:unique' repeats the flag 'unique'"),
        ("a:int:index:unique:index", "repeats the flag 'index'"),
        ("a:int:primary", "has unknown flag 'primary'; flags are unique, index"),
        ("a:int:UNIQUE", "has unknown flag 'UNIQUE'"),
        ("a:int:", "'a:int:' has an empty flag"),
        ("a:int::index", "'a:int::index' has an empty flag"),
        # unique fields must hold at least MIN_UNIQUE_VALUES users
        ("flag:bool:unique", "'flag:bool:unique' makes a bool unique, which holds only 2 distinct"),
        ("a:decimal(1,0)?:unique", "makes a decimal(1,0) unique, which holds only 19 distinct"),
        ("a:decimal(1,1):unique:index", "holds only 19 distinct values (a unique field must"),
        ("Bad:bool:unique", "'Bad:bool:unique' makes a bool unique"),
        # items
        ("a:int,,b:int", "'a:int,,b:int' has an empty item"),
        ("a:int,", "'a:int,' has an empty item"),
        (",a:int", "',a:int' has an empty item"),
        (" , ", "' , ' has an empty item"),
        ("a:int;b:int", "has unknown type 'int;b'"),
    ],
)
def test_bad_specifications_are_named(spec: str, message: str) -> None:
    with pytest.raises(SpecError) as error:
        parse_user_fields(spec)
    assert message in str(error.value)
    assert all(line.startswith("user_fields: '") for line in error.value.problems)


@pytest.mark.parametrize("name", [*BUILT_IN_COLUMNS, *sorted(RESERVED_NAMES)])
def test_built_in_and_reserved_names_are_refused(name: str) -> None:
    with pytest.raises(SpecError, match=f"'{name}'"):
        parse_user_fields(f"{name}:int")


def test_every_problem_is_reported_each_on_its_own_line() -> None:
    with pytest.raises(SpecError) as error:
        parse_user_fields("Bad:int:unique:unique, ok:int, ok:text, x:str(0), y:nope,")
    problems = error.value.problems
    assert len(problems) == 6
    assert all("\n" not in problem for problem in problems)
    for part in ["has an empty item", "'Bad'", "repeats the flag", "'ok' again", "'0'", "'nope'"]:
        assert sum(part in problem for problem in problems) == 1, part


@pytest.mark.parametrize("spec", ["a\nb:int(4)", "x:str(\n)", "é\n:int:\n", "a:int:u\nq"])
def test_a_problem_never_spans_lines(spec: str) -> None:
    with pytest.raises(SpecError) as error:
        parse_user_fields(spec)
    assert all("\n" not in problem for problem in error.value.problems)


def test_soft_keywords_are_valid_field_names() -> None:
    names = [field.name for field in parse_user_fields("type:str(20), match:int?, case:text?")]
    assert names == ["type", "match", "case"]


@pytest.mark.parametrize(
    ("kind", "precision", "values"),
    [("bool", None, 2), ("decimal", 1, 19), ("decimal", 2, 199), ("decimal", 3, 1999)],
)
def test_distinct_values_of_small_types(kind: str, precision: int | None, values: int) -> None:
    assert distinct_values(kind, precision) == values


def test_the_unique_rule_follows_the_count_of_distinct_values() -> None:
    for precision in range(1, 4):
        spec = f"a:decimal({precision},0):unique"
        capacity = distinct_values("decimal", precision)
        assert capacity is not None
        if capacity >= MIN_UNIQUE_VALUES:
            assert parse_user_fields(spec)[0].unique
        else:
            with pytest.raises(SpecError, match=f"holds only {capacity} distinct values"):
                parse_user_fields(spec)
