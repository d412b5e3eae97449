"""`new resource`: the names it gives, and what it refuses: one line naming the problem, exit
status 1, and nothing written. (The template's own meta-tests run it for real: a project with two
new resources passes every check.)"""

import ast
import re
import subprocess
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.scaffold import files as scaffold_files
from {{ cookiecutter.package_name }}.scaffold.field_spec import RESERVED_NAMES
from {{ cookiecutter.package_name }}.scaffold.field_types import CODE_NAMES
from {{ cookiecutter.package_name }}.scaffold.files import render, write
from {{ cookiecutter.package_name }}.scaffold.names import STAND_IN, check_fixtures, names_in_body
from {{ cookiecutter.package_name }}.scaffold.resource import (
    LIST_ROUTE_NAMES,
    Project,
    Resource,
    ResourceError,
    parse_resource,
    plural,
)

PROJECT = Path(__file__).resolve().parents[2]
PACKAGE = scaffold_files.__name__.split(".")[0]


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


def _files() -> dict[Path, float | None]:
    """Every file of the project's code, tests and migrations, with its modification time, and
    every folder. Not Python's bytecode caches: the command imports modules, which may write
    them (a folder's time changes then, so folders are compared by name only)."""
    folders = ("src", "tests", "migrations")
    return {
        path: path.stat().st_mtime if path.is_file() else None
        for folder in folders
        for path in (PROJECT / folder).rglob("*")
        if "__pycache__" not in path.parts
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
    (["LogEntry", "validate:int"], "a name SQLAlchemy, Pydantic or the API reserves (see also"),
    (["LogEntry", "validate:int"], "choose another name, e.g. log_entry_validate"),
    (["Voyage", "limit:int:index"], "'limit' is indexed, so it is a filter of the list"),
    (["Voyage", "voyages:str:unique"], "'voyages' is indexed, so it is a filter of the list"),
    (["Voyage", "owner:str", "--owned"], "'owner' is the model's relationship to the row's owner"),
    (["DbSession", "title:str"], "gives the test fixture 'db_session', a name the project's"),
    (["Metric", "title:str"], "NAME 'Metric' is taken: the app serves /metrics already"),
    (["PasswordReset", "title:str"], "main.py imports another module as password_reset_routes"),
    (["Voyage", "owner_id:uuid"], "'owner_id' is the column --owned adds (a foreign key to users"),
    (["Bearer", "title:str"], "gives the test fixture 'bearer', a name the project's tests"),
    (["Insert", "title:str"], "gives the test fixture 'insert', a name the project's tests"),
    (["Helper", "title:str"], "NAME 'Helper' is taken: tests/helpers.py exists"),
    (["WarehouseShipmentLineAdjustment", ""], "its table 'warehouse_shipment_line_adjustments'"),
    (
        ["WarehouseShipmentLineItem", "carrier_tracking_reference_code:str(40):unique"],
        "constraint 'uq_warehouse_shipment_line_items_carrier_tracking_reference_code', longer",
    ),
    # Classes that would hide what the generated modules import: fastapi's Query, the models'
    # Base, the schemas' PartialUpdate (as BookUpdate is named after Book).
    (["Query", "title:str"], "NAME 'Query' gives the class 'Query', a name the generated code"),
    (["Base", "title:str"], "NAME 'Base' gives the class 'Base', a name the generated code"),
    (["Partial", "title:str"], "gives the class 'PartialUpdate', a name the generated code"),
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


def test_a_filter_may_not_take_a_name_the_list_route_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    """LIST_ROUTE_NAMES holds every name of the list route a field could take: a new local
    there needs its name in it (or a filter of that name would clash)."""
    monkeypatch.chdir(PROJECT)
    project = Project.here(PACKAGE)
    # A name no project has (a project may have a Voyage already: this one's tests run there).
    resource = parse_resource(STAND_IN, "title:str:index", owned=True)
    code = render(resource, project)[project.source / resource.module / "routes.py"]
    (listing,) = [
        node
        for node in ast.parse(code).body
        if isinstance(node, ast.AsyncFunctionDef) and node.name == f"list_{resource.module}"
    ]
    # Its parameters and body: the decorators, annotations and defaults are the module's names.
    named = names_in_body(listing) | {argument.arg for argument in listing.args.args}
    could_clash = {
        name
        for name in named - {"title", "owner_id", resource.module}
        if re.fullmatch("[a-z][a-z0-9_]*", name)  # a field's name could be
    }
    assert could_clash <= LIST_ROUTE_NAMES | CODE_NAMES | RESERVED_NAMES


@pytest.mark.parametrize("name", ["Item", "Row", "Header", "AccessToken"])
def test_a_fixture_may_share_a_name_with_what_its_tests_do_not_take(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    # The tests use `item` (in comprehensions), `row` and `access_token`: not beside a fixture.
    monkeypatch.chdir(PROJECT)
    check_fixtures(parse_resource(name, "title:str:index", owned=True), Project.here(PACKAGE))


def test_a_failed_write_puts_everything_back(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    kept, new = tmp_path / "main.py", tmp_path / "voyages" / "deep" / "routes.py"
    kept.write_text("before\n")

    def refused(paths: list[str], new_paths: list[str], project: Project) -> None:
        assert new_paths == [str(new)]
        assert new.read_text() == "after\n"
        raise subprocess.CalledProcessError(1, "ruff", output="invalid-syntax: line 1\nmore")

    monkeypatch.setattr(scaffold_files, "_tidy", refused)
    with pytest.raises(ResourceError) as failed:
        write({kept: "changed", new: "after"}, Project(tmp_path, PACKAGE))
    assert str(failed.value).startswith("ruff refused the code it wrote (invalid-syntax: line 1)")
    assert str(failed.value).endswith("; nothing was changed")
    assert kept.read_text() == "before\n"
    assert sorted(tmp_path.iterdir()) == [kept]


def test_what_is_left_of_a_template_s_import_is_joined_in_new_files_only(tmp_path: Path) -> None:
    exploded = "from decimal import (\n    Context,\n    Decimal,\n    localcontext,\n)\n"
    kept, new = tmp_path / "main.py", tmp_path / "voyages" / "routes.py"
    kept.write_text(exploded)
    uses = "\n\nVALUE = Decimal(1)\nCONTEXT = Context()\n"
    write({kept: exploded + uses, new: exploded + uses}, Project(tmp_path, PACKAGE))
    assert new.read_text().startswith("from decimal import Context, Decimal\n"), "as ruff writes it"
    assert kept.read_text().startswith("from decimal import (\n    Context,\n    Decimal,\n)\n")


@pytest.mark.parametrize(
    "routers",
    [
        "ROUTERS = (health.router, docs.router)\n",
        # A later top-level `)` must not be taken for the tuple's end.
        "ROUTERS = (health.router, docs.router)\n\napp = create_app(\n    ROUTERS,\n)\n",
    ],
)
def test_routers_written_otherwise_are_refused(tmp_path: Path, routers: str) -> None:
    source = tmp_path / "src" / PACKAGE
    source.mkdir(parents=True)
    (source / "main.py").write_text(routers)
    (source / "models.py").write_text("")
    resource = parse_resource("Voyage", "", owned=False)
    with pytest.raises(ResourceError, match="has no `ROUTERS = \\(` with one router a line"):
        scaffold_files._wired(resource, Project(tmp_path, PACKAGE))
