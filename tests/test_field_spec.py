"""The `user_fields` grammar, tested on the parser the hooks and templates share."""

import pytest

from hooks.field_spec import SpecError, UserField, parse_user_fields


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


@pytest.mark.parametrize("spec", ["", "   "])
def test_empty_specification_means_no_fields(spec: str) -> None:
    assert parse_user_fields(spec) == []


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("age:integer", "unknown type 'integer'"),
        ("x:str(0)", "invalid length '0'"),
        ("x:str(x)", "invalid length 'x'"),
        ("x:decimal(2,5)", "out-of-range precision and scale '2,5'"),
        ("a:int,,b:int", "empty item"),
        ("a:int,", "empty item"),
        ("FirstName:str", "invalid field name 'FirstName'"),
        ("1st:int", "invalid field name '1st'"),
        ("_x:int", "invalid field name '_x'"),
        ("class:int", "Python keyword 'class'"),
        ("a:int, a:text", "'a' is used twice"),
        ("email:str", "built-in column 'email'"),
        ("metadata:str", "reserves"),
        ("model_config:str", "reserves"),
        ("a:int:unique:unique", "repeats flag 'unique'"),
        ("a:int:primary", "unknown flag 'primary'"),
        ("flag:bool:unique", "at most two users"),
        ("name", "missing its ':type'"),
        ("a:text(5)", "gives arguments to 'text'"),
    ],
)
def test_bad_specifications_are_named(spec: str, message: str) -> None:
    with pytest.raises(SpecError) as error:
        parse_user_fields(spec)
    assert message in str(error.value)
    assert all(line.startswith("user_fields: ") for line in error.value.problems)
