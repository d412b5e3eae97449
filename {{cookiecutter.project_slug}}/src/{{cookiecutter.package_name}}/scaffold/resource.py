"""`<project> new resource NAME "FIELDS" [--owned]`: a resource the way `users/` is written.

It writes, for `LogEntry` say: the package `log_entries/` (model, schemas, routes), a migration
chained to the current head, the wiring (`main.py`'s ROUTERS, `models.py`), and `tests/
log_entries/` (factories, fixtures and tests), then formats them with ruff. Everything is
checked before anything is written: a refusal is one line, exit status 1, and no file changed.

FIELDS has the grammar and the types of the template's `user_fields` prompt, from the same
registry (field_spec.py, field_types.py, field_code.py beside this file).
"""

from __future__ import annotations

import ast
import builtins
import importlib
import keyword
import re
import shutil
import subprocess
import sys
import textwrap
import uuid
from dataclasses import dataclass
from pathlib import Path

from .field_code import (
    fake_value,
    filter_annotation,
    hostile_values,
    migration_column,
    migration_constraint,
    migration_index,
    refused_filter,
    restated_values,
)
from .field_spec import SOFT_KEYWORDS, SpecError, UserField, parse_user_fields
from .resource_code import EMPTY, ResourceModules, block, fill, model_module, schemas_module

TEMPLATES = Path(__file__).parent / "templates"
LINE_LENGTH = 100  # the project's
INDENT = "    "
RESOURCE_COLUMNS = ("id", "created_at", "updated_at")
OWNER = "owner_id"
OWNER_RELATIONSHIP = "owner"
STAND_IN = "Qx"  # a resource name no generated code uses: see check_fixtures
# Names the list route binds or calls besides its filters (and the table's name, its rows): an
# indexed field is a filter, a parameter of that route, so it must not take one of them.
LIST_ROUTE_NAMES = frozenset(
    {"func", "limit", "object", "offset", "only", "select", "session", "total", "wanted"}
)
# Names the generated code gives its variables and fixtures, and the project's own packages.
TAKEN_NAMES = frozenset(
    {
        "admin",
        "admin_token",
        "body",
        "caller",
        "cli",
        "core",
        "database",
        "main",
        "models",
        "name",
        "only",
        "page",
        "request",
        "response",
        "router",
        "scaffold",
        "session",
        "status",
        "tests",
        "token",
        "total",
        "user",
        "users",
        "value",
        "wanted",
        "web",
        "auth",
    }
)
_CAMEL_CASE = re.compile(r"[A-Z][a-z0-9]*(?:[A-Z][a-z0-9]*)*")


class ResourceError(Exception):
    """Why the resource cannot be added: one line, naming the problem and what is allowed."""


def plural(word: str) -> str:
    """English plural of a lower-case word, by pluralizer: entry -> entries, shelf -> shelves."""
    from pluralizer import Pluralizer  # a dev dependency, which only this command needs

    return Pluralizer().plural(word)  # type: ignore[no-untyped-call]  # its __init__ has no hints


@dataclass(frozen=True)
class Resource:
    name: str  # CamelCase singular: LogEntry
    fields: list[UserField]
    owned: bool

    @property
    def words(self) -> list[str]:
        return [part.lower() for part in re.findall(r"[A-Z][a-z0-9]*", self.name)]

    @property
    def snake(self) -> str:  # log_entry: a variable, a fixture
        return "_".join(self.words)

    @property
    def module(self) -> str:  # log_entries: the package, the table, the list's name
        return "_".join([*self.words[:-1], plural(self.words[-1])])

    @property
    def path(self) -> str:  # log-entries: the routes' prefix
        return self.module.replace("_", "-")

    @property
    def word(self) -> str:  # "log entry", in messages
        return " ".join(self.words)

    @property
    def words_plural(self) -> str:  # "log entries"
        return self.module.replace("_", " ")


@dataclass(frozen=True)
class Project:
    root: Path
    package: str

    @property
    def source(self) -> Path:
        return self.root / "src" / self.package

    @classmethod
    def here(cls, package: str) -> Project:
        root = Path.cwd()
        if (
            not (root / "alembic.ini").is_file()
            or not (root / "src" / package / "main.py").is_file()
        ):
            raise ResourceError(
                f"{root} is not this project's folder (no alembic.ini and src/{package}/main.py "
                "there): run the command from the folder that holds pyproject.toml"
            )
        return cls(root, package)


def parse_resource(name: str, spec: str, owned: bool) -> Resource:
    """The resource, or ResourceError naming what is wrong with the name or the fields."""
    if not _CAMEL_CASE.fullmatch(name) or (name.isupper() and len(name) > 1):
        raise ResourceError(
            f"NAME {name!r} is not a CamelCase singular noun: use letters and digits, each word "
            "starting upper-case, e.g. Voyage or LogEntry"
        )
    named = Resource(name, [], owned)
    if named.module == named.snake:  # sheep, series: one name for a row and for the table
        raise ResourceError(
            f"NAME {name!r} is its own plural: the table and the list need a name of their "
            f"own, e.g. {name}Record"
        )
    built_in = (*RESOURCE_COLUMNS, OWNER) if owned else RESOURCE_COLUMNS
    try:
        fields = parse_user_fields(spec, built_in=built_in, row=name)
    except SpecError as error:
        first = str(error.problems[0]).replace("user_fields: ", "FIELDS: ", 1)
        more = len(error.problems) - 1
        raise ResourceError(first + (f" (and {more} more)" if more else "")) from None
    for field in fields:
        clash = _name_clash(field, named)
        if clash is not None:
            raise ResourceError(
                f"FIELDS: {field.name!r} {clash}; choose another name, e.g. "
                f"{named.snake}_{field.name}"
            )
    return Resource(name, fields, owned)


def _name_clash(field: UserField, resource: Resource) -> str | None:
    """What the generated code already calls the field's name, if anything."""
    if field.name == OWNER:  # not owned: an owned resource's fields cannot redefine it
        return "is the column --owned adds (a foreign key to users, set to the caller): use --owned"
    if resource.owned and field.name == OWNER_RELATIONSHIP:
        return "is the model's relationship to the row's owner (owner_id)"
    if (field.index or field.unique) and field.name in {*LIST_ROUTE_NAMES, resource.module}:
        return "is indexed, so it is a filter of the list, whose route already uses that name"
    return None


def check_free(resource: Resource, project: Project) -> None:
    """ResourceError if the project already has the resource's class, table or package, or if
    its names are Python's or the generated code's own."""
    models = importlib.import_module(f"{project.package}.models")
    classes = {mapper.class_.__name__ for mapper in models.Base.registry.mappers}
    if resource.name in classes:
        raise ResourceError(f"NAME {resource.name!r} is taken: the project has that model")
    if resource.module in models.Base.metadata.tables:
        raise ResourceError(
            f"NAME {resource.name!r} is taken: its table {resource.module!r} exists"
        )
    for taken in (project.source / resource.module, project.source / f"{resource.module}.py"):
        if taken.exists():
            raise ResourceError(
                f"NAME {resource.name!r} is taken: src/{project.package}/{taken.name} exists"
            )
    if (project.root / "tests" / resource.module).exists():
        raise ResourceError(f"NAME {resource.name!r} is taken: tests/{resource.module} exists")
    routers = importlib.import_module(f"{project.package}.main").ROUTERS
    # The first part of each path the app serves: /health/live, /metrics, /docs, ...
    served = {
        str(getattr(route, "path", "")).lstrip("/").split("/")[0]
        for router in routers
        for route in router.routes
    }
    if resource.path in served:
        raise ResourceError(
            f"NAME {resource.name!r} is taken: the app serves /{resource.path} already"
        )
    for word in {resource.snake, resource.module}:
        if keyword.iskeyword(word) or word in SOFT_KEYWORDS or hasattr(builtins, word):
            raise ResourceError(
                f"NAME {resource.name!r} gives the Python name {word!r}, a keyword or built-in: "
                f"choose another, e.g. {resource.name}Item"
            )
        if word in TAKEN_NAMES:
            raise ResourceError(
                f"NAME {resource.name!r} gives the name {word!r}, which the project or the "
                f"generated code already uses: choose another, e.g. {resource.name}Item"
            )


def _fill(template: str, **values: str) -> str:
    return fill(TEMPLATES / template, **values)


def _docstring_lines(text: str) -> str:
    """`text` wrapped for a function's docstring, after its first line and a blank one."""
    lines = textwrap.wrap(text, width=LINE_LENGTH - len(INDENT) - 3)
    return "\n\n" + "\n".join(f"{INDENT}{line}" for line in lines) + f"\n{INDENT}"


@dataclass(frozen=True)
class Filter:
    """A query parameter of the list: the owner or an indexed field."""

    name: str
    annotation: str
    refused: str  # a Python expression for a value it refuses, for the tests


def _filters(resource: Resource) -> list[Filter]:
    found = [Filter(OWNER, "UUID | None", '"not-a-uuid"')] if resource.owned else []
    found += [
        Filter(field.name, filter_annotation(field), refused_filter(field))
        for field in resource.fields
        if field.index or field.unique
    ]
    return found


def _head_revision(project: Project) -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(Config(str(project.root / "alembic.ini")))
    heads = script.get_heads()
    if len(heads) > 1:
        raise ResourceError(
            f"the migrations have {len(heads)} heads ({', '.join(heads)}): merge them first "
            "(`alembic merge heads`), then run this again"
        )
    return heads[0] if heads else None


def _new_revision() -> str:
    """A random revision id, as Alembic makes them: a numbered one could meet the template's own
    next migration (0004, ...) when the project takes the template's changes."""
    return uuid.uuid4().hex[:12]


def render(resource: Resource, project: Project) -> dict[Path, str]:
    """Every file to write, by path, with the new contents of the two files it changes."""
    r, package, fields = resource, project.package, resource.fields
    names = {
        "Name": r.name,
        "snake": r.snake,
        "module": r.module,
        "path": r.path,
        "word": r.word,
        "words": r.words_plural,
        "package": package,
        "slug": project.root.name,
        "table": r.module,
    }
    filters = _filters(r)
    rules = (
        "any user may create one (and owns it) and read them all; only its owner or an admin "
        "may change or delete it."
        if r.owned
        else "any user may read them; only an admin may create, change or delete one."
    )
    head = _head_revision(project)
    revision = _new_revision()
    files: dict[Path, str] = {}
    source = project.source / r.module
    files[source / "__init__.py"] = f'"""The {r.word} resource: its model, schemas and routes."""\n'
    modules = ResourceModules(r.name, r.module, package, fields, owned=r.owned)
    wrote = f"`uv run {names['slug']} new resource {r.name} ...` wrote it"
    files[source / "models.py"] = model_module(TEMPLATES, modules, f"The {r.name} model ({wrote}).")
    files[source / "schemas.py"] = schemas_module(
        TEMPLATES, modules, f"Request and response bodies of the {r.words_plural} endpoints."
    )
    files[source / "routes.py"] = _fill(
        "routes.py.tmpl",
        **names,
        module_doc=textwrap.fill(
            f'"""The {r.words_plural} endpoints: {rules}"""', width=LINE_LENGTH
        ),
        may_change=(
            f"{INDENT}if {r.snake}.owner_id != caller.id:\n"
            f"{INDENT * 2}require_admin(caller, "
            f'"change or delete another user\'s {r.words_plural}")'
            if r.owned
            else f'{INDENT}require_admin(caller, "change or delete {r.words_plural}")'
        ),
        create_rule=(
            f"Any user may create a {r.word}; it is theirs (owner_id)."
            if r.owned
            else f"Only an admin may create a {r.word}."
        ),
        create_check=""
        if r.owned
        else f'{INDENT}require_admin(caller, "create {r.words_plural}")\n',
        owner_argument=", owner_id=caller.id" if r.owned else "",
        filter_parameters="".join(
            f"{INDENT}{each.name}: {each.annotation} = None,\n" for each in filters
        ),
        filters_doc=_docstring_lines(
            f"Given {', '.join(each.name for each in filters)}, only the matching ones."
            if filters
            else "No filters: no field is indexed."
        ),
        filter_items="".join(f'{INDENT * 2}"{each.name}": {each.name},\n' for each in filters),
        change_rule=(f"Only the {r.word}'s owner or an admin." if r.owned else "Only an admin."),
    )
    files[project.root / "migrations" / "versions" / f"{revision}_{r.module}.py"] = _fill(
        "migration.py.tmpl",
        **names,
        revision=revision,
        down_revision=head or "",
        down_revision_literal=f'"{head}"' if head else "None",
        owner_column=f'{INDENT * 2}sa.Column("owner_id", sa.Uuid(), nullable=False),\n'
        if r.owned
        else "",
        columns=block([f"{migration_column(field)}," for field in fields]),
        owner_constraint=(
            f'{INDENT * 2}sa.ForeignKeyConstraint(["owner_id"], ["users.id"], '
            f'name=op.f("fk_{r.module}_owner_id_users"), ondelete="CASCADE"),\n'
            if r.owned
            else ""
        ),
        constraints=block(
            [
                f"{constraint},"
                for field in fields
                if (constraint := migration_constraint(field, r.module))
            ]
        ),
        indexes=block(
            (
                [
                    f'{INDENT}op.create_index(op.f("ix_{r.module}_owner_id"), "{r.module}", '
                    '["owner_id"], unique=False)'
                ]
                if r.owned
                else []
            )
            + [index for field in fields if (index := migration_index(field, r.module))]
        ),
    )
    tests = project.root / "tests" / r.module
    values = [f'{INDENT * 2}"{field.name}": {fake_value(field)},' for field in fields]
    owner_parameter = "owner_id: UUID" if r.owned else ""
    files[tests / "__init__.py"] = _fill("tests_init.py.tmpl", **names)
    files[tests / "factories.py"] = _fill(
        "tests_factories.py.tmpl",
        **names,
        owner_parameter=owner_parameter,
        owner_value=f'{INDENT * 2}"owner_id": owner_id,\n' if r.owned else "",
        values=block(values),
        numbered=(
            f"{INDENT}seq = unique_number()\n"
            if any(re.search(r"\bseq\b", fake_value(field)) for field in fields)
            else ""
        ),
    )
    files[tests / "conftest.py"] = _fill(
        "tests_conftest.py.tmpl",
        **names,
        owner_fixture_parameter=", user: User" if r.owned else "",
        owner_fixture_argument="owner_id=user.id" if r.owned else "",
        owner_doc=" of `user`" if r.owned else "",
    )
    permissions = "permissions_owned.py.tmpl" if r.owned else "permissions_admin.py.tmpl"
    writer_token = "token" if r.owned else "admin_token"
    unique = [field.name for field in fields if field.unique]
    files[tests / f"test_{r.module}.py"] = _fill(
        "test_resource.py.tmpl",
        **names,
        hostile_values=hostile_values(fields),
        restated_values=restated_values(fields),
        unique_fields=repr(unique),
        filters="{" + ", ".join(f'"{each.name}": {each.refused}' for each in filters) + "}",
        owner_body_argument="owner_id=uuid4()" if r.owned else "",
        writer_token=writer_token,
        permission_tests=_fill(permissions, **names),
        # Only the tests that have something to test: no empty parameter sets, no skips.
        filter_tests=_fill("test_filters.py.tmpl", **names) if filters else EMPTY,
        duplicate_tests=(
            _fill("test_duplicates.py.tmpl", **names, writer_token=writer_token)
            if unique
            else EMPTY
        ),
        restated_tests=(
            _fill("test_restated_values.py.tmpl", **names, writer_token=writer_token)
            if any(field.type.restated for field in fields)
            else EMPTY
        ),
        hostile_tests=(
            _fill("test_hostile_values.py.tmpl", **names, writer_token=writer_token)
            if fields
            else EMPTY
        ),
    )
    files.update(_wired(resource, project))
    return files


def _wired(resource: Resource, project: Project) -> dict[Path, str]:
    """main.py with the router in ROUTERS, models.py with the model: their new contents."""
    package, r = project.package, resource
    main = project.source / "main.py"
    text = main.read_text(encoding="utf-8")
    routers = re.search(r"^ROUTERS = \((?P<items>.*?)^\)", text, re.MULTILINE | re.DOTALL)
    if routers is None:
        raise ResourceError(f"{main} has no `ROUTERS = (...)`: add the router there by hand")
    alias = f"{r.snake}_routes"
    if alias in _imported_names(text):
        raise ResourceError(
            f"NAME {r.name!r} is taken: main.py imports another module as {alias}; choose "
            f"another, e.g. {r.name}Item"
        )
    text = (
        text[: routers.end("items")] + f"{INDENT}{alias}.router,\n" + text[routers.end("items") :]
    )
    text = _with_import(text, f"from {package}.{r.module} import routes as {alias}", package)
    registry = project.source / "models.py"
    models = _with_import(
        registry.read_text(encoding="utf-8"),
        f"from {package}.{r.module}.models import {r.name}",
        package,
    )
    listed = re.search(r"^__all__ = \[(?P<names>[^\]]*)\]", models, re.MULTILINE)
    if listed is not None:  # kept sorted, as ruff wants it
        names = sorted({*re.findall(r'"(\w+)"', listed["names"]), r.name})
        spelt = ", ".join(f'"{name}"' for name in names)
        models = models[: listed.start()] + f"__all__ = [{spelt}]" + models[listed.end() :]
    return {main: text, registry: models}


def _imported_names(module: str) -> set[str]:
    return {
        alias.asname or alias.name
        for node in ast.parse(module).body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }


def _with_import(text: str, line: str, package: str) -> str:
    """`line` among the module's imports of the project's own (ruff sorts them afterwards)."""
    lines = text.split("\n")
    first = next(
        index for index, current in enumerate(lines) if current.startswith(f"from {package}.")
    )
    return "\n".join([*lines[:first], line, *lines[first:]])


def write(files: dict[Path, str], project: Project) -> None:
    """Write the files, then let ruff tidy them; if that fails, put everything back as it was."""
    before = {path: path.read_text(encoding="utf-8") if path.exists() else None for path in files}
    made = sorted({folder for path in files for folder in path.parents if not folder.exists()})
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        _tidy([str(path) for path in files], project)
    except (OSError, subprocess.CalledProcessError) as error:
        for path, old in before.items():
            if old is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(old, encoding="utf-8")
        for folder in made:  # each holds only what this wrote
            shutil.rmtree(folder, ignore_errors=True)
        if isinstance(error, subprocess.CalledProcessError):
            output = f"{error.stdout or ''}{error.stderr or ''}".strip().splitlines()
            problem = (
                f"ruff refused the code it wrote ({output[0] if output else 'no output'}), a bug "
                "of this command: please report it with the NAME and FIELDS"
            )
        else:
            problem = f"writing failed ({error})"
        raise ResourceError(f"{problem}; nothing was changed") from None


def _tidy(paths: list[str], project: Project) -> None:
    ruff = [sys.executable, "-m", "ruff"]
    # Unused imports go (the templates import what any field may need), then the rest is sorted
    # and formatted as the project's own ruff settings say.
    for command in (
        [*ruff, "check", "--fix", "--select", "F401,I", "--quiet", *paths],
        [*ruff, "format", "--quiet", *paths],
    ):
        subprocess.run(command, cwd=project.root, check=True, capture_output=True, text=True)


def check_fixtures(resource: Resource, project: Project) -> None:
    """ResourceError if a test fixture of the resource (`log_entry`, `log_entries_50`) would hide
    one of tests/conftest.py's, or a name that the generated tests taking it use beside it."""
    harness = _harness_fixtures(project)
    # What the tests take and use, as written for a stand-in with the same fields: under the
    # resource's own name, its fixtures could not be told from what they clash with.
    stand_in = Resource(STAND_IN, resource.fields, resource.owned)
    beside = _names_beside_fixtures(stand_in, project)
    for own, its in zip(_fixtures(resource), _fixtures(stand_in), strict=True):
        if own in harness or own in beside[its]:
            raise ResourceError(
                f"NAME {resource.name!r} gives the test fixture {own!r}, a name the project's "
                f"tests already use: choose another, e.g. {resource.name}Item"
            )


def _fixtures(resource: Resource) -> tuple[str, str]:
    """The fixtures the generated tests/<module>/conftest.py defines: one row, and 50."""
    return resource.snake, f"{resource.module}_50"


def _harness_fixtures(project: Project) -> set[str]:
    conftest = project.root / "tests" / "conftest.py"
    if not conftest.is_file():
        return set()
    tree = ast.parse(conftest.read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and any("fixture" in ast.unparse(decorator) for decorator in node.decorator_list)
    }


def _names_beside_fixtures(resource: Resource, project: Project) -> dict[str, set[str]]:
    """Each fixture's name, and the names beside it: those its conftest.py imports (where it is
    defined), and the parameters and variables of the tests taking it."""
    files = render(resource, project)
    tests = project.root / "tests" / resource.module
    imported = _imported_names(files[tests / "conftest.py"])
    beside = {fixture: set(imported) for fixture in _fixtures(resource)}
    for node in ast.parse(files[tests / f"test_{resource.module}.py"]).body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        parameters = {argument.arg for argument in node.args.args}
        for fixture in parameters & beside.keys():
            beside[fixture] |= (parameters | names_in_body(node)) - {fixture}
    return beside


def names_in_body(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """The names a function's body uses or binds, but for its comprehensions' own variables,
    which live in them alone (a parameter of the same name is not hidden outside them)."""
    body = ast.Module(body=function.body, type_ignores=[])
    in_comprehensions = {
        name.id
        for loop in ast.walk(body)
        if isinstance(loop, ast.comprehension)
        for name in ast.walk(loop.target)
        if isinstance(name, ast.Name)
    }
    return {name.id for name in ast.walk(body) if isinstance(name, ast.Name)} - in_comprehensions


def new_resource(package: str, name: str, spec: str, owned: bool) -> list[Path]:
    """Add the resource to the project in the current folder; return the files written."""
    project = Project.here(package)
    resource = parse_resource(name, spec, owned)
    check_free(resource, project)
    check_fixtures(resource, project)
    files = render(resource, project)
    write(files, project)
    return list(files)
