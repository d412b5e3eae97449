"""Valid answers at the edges of the rules render, and reach the code as meant.

The rendered suites of these cases run in nox: `bare_single_role` (no fields, one role) and
`edge_whitespace_widest` (whitespace everywhere, the longest database name, the widest name).
"""

import subprocess
from pathlib import Path

import pytest
from pytest_cookies.plugin import Cookies

from hooks.answers import MAX_DATABASE_NAME, MAX_PROJECT_NAME
from tests.helpers import VARIANTS


def bake(cookies: Cookies, **answers: str) -> Path:
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


def package(project: Path) -> Path:
    (path,) = (project / "src").iterdir()
    return path


def test_no_fields_and_one_role(cookies: Cookies) -> None:
    project = bake(cookies, user_fields="   ", roles="SOLO", default_role="SOLO", admin_role="SOLO")
    models = (package(project) / "users" / "models.py").read_text()
    user_model = models.split("class User(AccountColumns, ResourceColumns, Base):", 1)[1]
    assert user_model == '\n    __tablename__ = "users"\n', "the account's columns alone"
    roles = (package(project) / "users" / "roles.py").read_text()
    assert 'SOLO = "SOLO"' in roles
    assert roles.count(' = "') == 1
    assert "DEFAULT_ROLE = Role.SOLO" in roles
    assert "ADMIN_ROLE = Role.SOLO" in roles


def test_sign_ups_made_admins_are_warned_about(
    cookies: Cookies, capfd: pytest.CaptureFixture[str]
) -> None:
    solo = bake(cookies, roles="SOLO", default_role="SOLO", admin_role="SOLO")
    assert "Warning: default_role SOLO is also admin_role" in capfd.readouterr().err
    assert "| `SIGNUP_OPEN` | `false` |" in (solo / "README.md").read_text()
    members = bake(cookies, roles="MEMBER, ADMIN", default_role="MEMBER", admin_role="ADMIN")
    assert "Warning" not in capfd.readouterr().err
    assert "| `SIGNUP_OPEN` | `true` |" in (members / "README.md").read_text()


def test_whitespace_everywhere_is_forgiven(cookies: Cookies) -> None:
    project = bake(
        cookies,
        user_fields="  a : int ? , b:str( 20 ):unique  ",
        roles=" X ,Y ",
        default_role=" X ",
        admin_role="Y ",
        author_email="  me@example.com  ",
    )
    models = (package(project) / "users" / "models.py").read_text()
    assert "    a: Mapped[int | None] = mapped_column(sa.Integer())\n" in models
    assert "    b: Mapped[str] = mapped_column(sa.String(20), unique=True)\n" in models
    roles = (package(project) / "users" / "roles.py").read_text()
    assert 'X = "X"' in roles
    assert 'Y = "Y"' in roles
    assert "DEFAULT_ROLE = Role.X\n" in roles
    assert "ADMIN_ROLE = Role.Y\n" in roles
    assert 'email = "me@example.com"' in (project / "pyproject.toml").read_text()


def test_longest_database_name(cookies: Cookies) -> None:
    name = "edge_" + "d" * (MAX_DATABASE_NAME - len("edge_"))
    project = bake(cookies, database_name=name)
    embedded = (package(project) / "database" / "embedded.py").read_text()
    assert f'DATABASE_NAME = "{name}"\n' in embedded


def test_widest_project_name_with_look_alike_letters(cookies: Cookies) -> None:
    """Cyrillic and CJK letters: the rendered ruff accepts them where the code quotes the name."""
    name = "Сервис – 用户服务用户服务用户服务用户服务用户服务用户服务 Dienst"
    assert VARIANTS["edge_whitespace_widest"]["project_name"] == name
    assert len(name) + name.count("用户服务") * 4 == MAX_PROJECT_NAME  # CJK takes two columns
    project = bake(cookies, project_name=name, project_slug="wide", package_name="wide")
    assert (package(project) / "__init__.py").read_text() == f'"""{name}."""\n'
    pyproject = (project / "pyproject.toml").read_text()
    assert (
        'allowed-confusables = ["С", "е", "р", "в", "и", "с", "–", "用", "户", "服", "务"]'
        in pyproject
    )


def test_a_character_beyond_the_bmp_in_the_authors_name(cookies: Cookies) -> None:
    """An emoji reaches the first commit as typed (random option sets found it breaking git)."""
    name = "🐍 Ada $HOME"
    project = bake(cookies, author_name=name, database_name="meta_emoji_author")
    author = subprocess.run(
        ["git", "log", "-1", "--format=%an"], cwd=project, capture_output=True, text=True
    )
    assert author.stdout.strip() == name
