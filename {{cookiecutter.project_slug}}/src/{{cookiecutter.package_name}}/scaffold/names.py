"""The names a new resource would take, checked before anything is written: NAME must not
give a class, table, package, path or test fixture that the project has already, nor a name
Python or the generated code uses."""

from __future__ import annotations

import ast
import builtins
import importlib
import keyword
import re

from .field_spec import SOFT_KEYWORDS
from .files import TEMPLATES, imported_names, render
from .resource import Project, Resource, ResourceError

STAND_IN = "Qx"  # a resource name no generated code uses: see check_fixtures
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
    # A package or a module of that name, in the app or in its tests (tests/helpers.py, ...).
    tests = project.root / "tests"
    for folder, shown in ((project.source, f"src/{project.package}"), (tests, "tests")):
        for taken in (folder / resource.module, folder / f"{resource.module}.py"):
            if taken.exists():
                raise ResourceError(f"NAME {resource.name!r} is taken: {shown}/{taken.name} exists")
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


def check_classes(resource: Resource, project: Project) -> None:
    """ResourceError if a class named after the resource (`Book`, `BookCreate`, ...) is a name
    that the files it writes or changes import or define (`Query`, `Base`, `Any`, ...)."""
    stand_in = Resource(STAND_IN, resource.fields, resource.owned)
    taken: set[str] = set()
    for text in render(stand_in, project).values():
        taken |= imported_names(text) | _defined_names(text)
    taken = {name for name in taken if STAND_IN.lower() not in name.lower()}
    suffixes = {
        suffix
        for template in TEMPLATES.glob("*.tmpl")
        for suffix in re.findall(r"\$\{Name\}([A-Za-z]*)", template.read_text(encoding="utf-8"))
    }
    for suffix in sorted(suffixes):
        if resource.name + suffix in taken:
            raise ResourceError(
                f"NAME {resource.name!r} gives the class {resource.name + suffix!r}, a name the "
                f"generated code or the project already uses: choose another, e.g. "
                f"{resource.name}Item"
            )


def _defined_names(module: str) -> set[str]:
    """The names a module's top level defines: its classes, functions and variables."""
    defined: set[str] = set()
    for node in ast.parse(module).body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            defined.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return defined


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
    imported = imported_names(files[tests / "conftest.py"])
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
