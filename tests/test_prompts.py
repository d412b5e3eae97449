"""Bad answers are refused up front with a clear message, and nothing is left on disk."""

from pathlib import Path

import pytest

from tests.conftest import run_cookiecutter


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"user_fields": "age:integer"}, "'age:integer' has unknown type 'integer'"),
        ({"user_fields": "id:int"}, "redefines the built-in column 'id'"),
        ({"roles": "MEMBER, member"}, "'member' is not an UPPER_SNAKE name"),
        ({"default_role": "NOBODY"}, "default_role: 'NOBODY' is not one of the roles"),
        ({"package_name": "fastapi"}, "package_name: 'fastapi' would shadow"),
        ({"database_name": "9lives"}, "database_name: '9lives' is not a plain PostgreSQL identifier"),
    ],
)
def test_bad_answer_is_refused(tmp_path: Path, answers: dict[str, str], message: str) -> None:
    result = run_cookiecutter(tmp_path, **answers)
    assert result.returncode != 0
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_all_problems_are_listed_at_once(tmp_path: Path) -> None:
    result = run_cookiecutter(tmp_path, user_fields="a:nope, b:str(0)", admin_role="ROOT")
    assert result.returncode != 0
    for message in ["'a:nope' has unknown type", "'b:str(0)' has invalid length", "admin_role"]:
        assert message in result.stderr


def test_good_answers_render(tmp_path: Path) -> None:
    result = run_cookiecutter(tmp_path, project_name="Quick Check")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "quick-check" / "pyproject.toml").is_file()
