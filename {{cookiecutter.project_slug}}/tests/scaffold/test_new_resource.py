"""`new resource`: the names it gives, and what it refuses: one line naming the problem, exit
status 1, and nothing written. (The template's own meta-tests run it for real: a project with two
new resources passes every check.)"""

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.scaffold.resource import Resource, plural

PROJECT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("word", "plural_form"),
    [
        *(("voyage", "voyages"), ("entry", "entries"), ("day", "days"), ("box", "boxes")),
        *(("shelf", "shelves"), ("person", "people"), ("analysis", "analyses")),
    ],
)
def test_plurals(word: str, plural_form: str) -> None:
    assert plural(word) == plural_form


def test_a_resource_s_names() -> None:
    resource = Resource("LogEntry", [], owned=False)
    assert (resource.snake, resource.module, resource.path) == (
        "log_entry",
        "log_entries",
        "log-entries",
    )
    assert (resource.word, resource.words_plural) == ("log entry", "log entries")


def _files() -> dict[Path, float]:
    """Every file of the project's code, tests and migrations, with its modification time."""
    folders = ("src", "tests", "migrations")
    return {
        path: path.stat().st_mtime for folder in folders for path in (PROJECT / folder).rglob("*")
    }


REFUSALS = [
    (["voyage", "title:str"], "is not a CamelCase singular noun"),
    (["LOG", "title:str"], "is not a CamelCase singular noun"),
    (["Voyage-Log", "title:str"], "is not a CamelCase singular noun"),
    (["User", "title:str"], "is taken: the project has that model"),
    (["Sheep", "title:str"], "NAME 'Sheep' is its own plural"),
    (["SignUp", "title:str"], "is taken: its table 'sign_ups' exists"),
    (["Class", "title:str"], "a keyword or built-in"),
    (["Session", "title:str"], "which the project or the generated code already uses"),
    (["Web", "title:str"], "which the project or the generated code already uses"),
    (["Voyage", "title:strr"], "FIELDS: 'title:strr' has unknown type 'strr'"),
    (["Voyage", "id:uuid"], "redefines the built-in column 'id'"),
    (["Voyage", "owner_id:uuid", "--owned"], "redefines the built-in column 'owner_id'"),
    (["Voyage", "class:int"], "uses the Python keyword 'class'"),
]


@pytest.mark.parametrize(("arguments", "message"), REFUSALS)
def test_refusals_write_nothing(
    monkeypatch: pytest.MonkeyPatch, arguments: list[str], message: str
) -> None:
    monkeypatch.chdir(PROJECT)
    before = _files()
    with pytest.raises(SystemExit) as refused:
        main(["new", "resource", *arguments])
    said = str(refused.value.code)
    assert said.startswith("new resource: "), said
    assert message in said
    assert "\n" not in said
    assert _files() == before


def test_outside_the_project_it_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as refused:
        main(["new", "resource", "Voyage", "title:str"])
    assert "is not this project's folder" in str(refused.value.code)
    assert not any(tmp_path.iterdir())
