"""The files a new resource is written as (`render`), and writing them: all, or none
(`write`)."""

from __future__ import annotations

import ast
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
from .resource import OWNER, Project, Resource, ResourceError
from .resource_code import EMPTY, ResourceModules, block, fill, model_module, schemas_module

TEMPLATES = Path(__file__).parent / "templates"
LINE_LENGTH = 100  # the project's
INDENT = "    "


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
    files[source / "models.py"] = model_module(
        TEMPLATES, modules, f"The {r.name} model, as `new resource` wrote it."
    )
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
    # The tuple as ruff formats it: `ROUTERS = (`, one indented router a line, `)` alone.
    routers = re.search(r"^ROUTERS = \(\n(?P<items>(?:[ \t].*\n|\n)*?)\)$", text, re.MULTILINE)
    if routers is None:
        raise ResourceError(
            f"src/{package}/main.py has no `ROUTERS = (` with one router a line and `)` on a "
            "line of its own, as ruff formats it: write it so, then run this again"
        )
    alias = f"{r.snake}_routes"
    if alias in imported_names(text):
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


def imported_names(module: str) -> set[str]:
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
        new = [str(path) for path, old in before.items() if old is None]
        _tidy([str(path) for path in files], new, project)
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


def _tidy(paths: list[str], new: list[str], project: Project) -> None:
    ruff = [sys.executable, "-m", "ruff"]
    # Unused imports go (the templates import what any field may need), then the rest is sorted
    # and formatted as the project's own ruff settings say.
    commands = [[*ruff, "check", "--fix", "--select", "F401,I", "--quiet", *paths]]
    # In the new files, what is left of a template's long import goes on one line when it fits,
    # as ruff writes it for a hand-written one (the trailing comma would keep it one per line).
    joined = ["--config", "lint.isort.split-on-trailing-comma=false"]
    if new:
        commands.append([*ruff, "check", "--fix", "--select", "I", *joined, "--quiet", *new])
    commands.append([*ruff, "format", "--quiet", *paths])
    for command in commands:
        subprocess.run(command, cwd=project.root, check=True, capture_output=True, text=True)
