"""The factories' unique values: distinct, within their column, counted from 1 in every test."""

from decimal import Decimal

import pytest

from {{ cookiecutter.package_name }}.users.roles import DEFAULT_ROLE

from tests.factories import _TAG_LETTERS, _tag, fake_decimal, fake_string, new_user_values


def test_tags_are_distinct_and_never_hold_the_separator() -> None:
    tags = [_tag(number) for number in range(1, 30_000)]
    assert len(set(tags)) == len(tags)
    assert not any("-" in tag for tag in tags)
    letters = len(_TAG_LETTERS)
    assert [len(_tag(number)) for number in (1, letters, letters + 1)] == [1, 1, 2]


def test_a_one_character_field_holds_thousands_of_users() -> None:
    values = [fake_string(1, number) for number in range(1, 20_001)]
    assert len(set(values)) == len(values)
    assert {len(value) for value in values} == {1}


def test_a_two_digit_decimal_holds_199_users_then_says_so() -> None:
    values = [fake_decimal(2, 1, number) for number in range(1, 200)]
    assert len(set(values)) == len(values)
    assert (min(values), max(values)) == (Decimal("-9.9"), Decimal("9.9"))
    with pytest.raises(pytest.skip.Exception, match=r"decimal\(2,1\) holds only 199 distinct"):
        fake_decimal(2, 1, 200)


@pytest.mark.parametrize(("precision", "scale"), [(30, 15), (1000, 500), (2, 2)])
def test_a_decimal_has_every_digit_its_column_holds(precision: int, scale: int) -> None:
    # Past 28 digits, Decimal arithmetic rounds: the database would hold more than was sent.
    for unique in (None, 10**precision):
        value = fake_decimal(precision, scale, unique)
        assert value.as_tuple().exponent == -scale
        assert len(value.as_tuple().digits) <= precision


@pytest.mark.parametrize("run", [1, 2])
def test_unique_values_count_from_1_in_every_test(run: int) -> None:
    # Each test starts from an empty database, so from the first number again.
    assert new_user_values(DEFAULT_ROLE, "x")["email"].endswith(".1@example.com")
