"""The field-type registry: each entry whole, the README's table from it, its code valid Python."""

import ast
import dataclasses
import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hooks import field_code
from hooks.field_spec import MAX_NAME_LENGTH, SpecError, parse_user_fields
from hooks.field_types import (
    ALLOWED_TYPES,
    CODE_NAMES,
    MAX_DECIMAL_PRECISION,
    MAX_INDEXED_BYTES,
    MAX_STR_LENGTH,
    TYPES,
    UserField,
    readme_rows,
)
from tests.helpers import ROOT

TEMPLATE = ROOT / "{{cookiecutter.project_slug}}"
STORABLE = TEMPLATE / "src" / "{{cookiecutter.package_name}}" / "database" / "storable.py"


# The sizes that write the longest code (a bare type takes its default size).
WIDEST = {
    "str": f"str({MAX_STR_LENGTH})",
    "decimal": f"decimal({MAX_DECIMAL_PRECISION},{MAX_DECIMAL_PRECISION})",
}


def _every_form() -> list[UserField]:
    """A field of every type, optional or not, with each flag the type takes and with all, bare
    and at its widest size."""
    fields = []
    for kind, entry in TYPES.items():
        flag_sets = [[], *([flag] for flag in entry.flags)]
        flag_sets += [list(entry.flags)] if len(entry.flags) > 1 else []
        sizes = [kind, *([WIDEST[kind]] if kind in WIDEST else [])]
        forms = ((flags, mark, size) for flags in flag_sets for mark in ("", "?") for size in sizes)
        for flags, mark, size in forms:
            spec = ":".join(["a", f"{size}{mark}", *flags])
            try:
                fields += parse_user_fields(spec)
            except SpecError as error:  # a bool cannot be unique: too few values
                if "distinct values" not in str(error):
                    raise
    return fields


EVERY_FORM = _every_form()


def test_readme_table_is_the_registry() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    header = "  | type | column | API type |\n  |---|---|---|\n"
    assert header in readme
    after = readme.split(header, 1)[1].splitlines()
    table = list(itertools.takewhile(lambda line: line.startswith("  | "), after))
    assert [row.strip() for row in table] == readme_rows()


def test_every_type_is_in_the_messages_and_the_grammar_names_each_once() -> None:
    for kind, entry in TYPES.items():
        assert entry.name == kind
        assert all(form in ALLOWED_TYPES for form in entry.forms)
        assert entry.forms[-1] == kind or "(" in entry.forms[-1]


def test_code_names_hold_every_lower_case_name_the_types_use() -> None:
    # A field of such a name would shadow it in the generated class bodies.
    assert {"sa", "dt", "str", "int", "float", "bool", "mapped_column"} <= CODE_NAMES
    for name in CODE_NAMES:
        with pytest.raises(Exception, match=f"'{name}'"):
            parse_user_fields(f"{name}:int")


def test_rendered_limit_of_indexed_text_is_the_registry_s() -> None:
    found = re.search(r"^MAX_INDEXED_BYTES = (\d+)$", STORABLE.read_text(), re.MULTILINE)
    assert found is not None
    assert int(found[1]) == MAX_INDEXED_BYTES


def _parses(code: str) -> None:
    ast.parse(code.strip())


@pytest.mark.parametrize("field", EVERY_FORM, ids=lambda field: f"{field.kind}-{field}")
def test_the_code_of_every_form_is_python(field: UserField) -> None:
    for write in (
        field_code.model_declaration,
        field_code.create_declaration,
        field_code.update_declaration,
        field_code.read_declaration,
    ):
        _parses(f"class C:\n{write(field)}")
    _parses(f"sa.Column(\n{field_code.migration_column(field)}\n)")
    _parses(field_code.fake_value(field))
    _parses(f"X = {field_code.hostile_values([field])}")
    _parses(f"X = {field_code.restated_values([field])}")
    if field.index or field.unique:  # a filter of the list
        _parses(f"def f({field.name}: {field_code.filter_annotation(field)} = None): ...")
        _parses(field_code.refused_filter(field))
    for statement in (
        field_code.migration_constraint(field, "users"),
        field_code.migration_index(field, "users"),
    ):
        if statement:
            _parses(f"f(\n{statement}\n)" if "Constraint" in statement else statement)


def test_the_declarations_are_laid_out_as_ruff_formats_them(tmp_path: Path) -> None:
    """On one line where they fit, as a hand-written column is; names short to the longest
    allowed, so that every layout is met."""
    writers = [
        field_code.model_declaration,
        field_code.create_declaration,
        field_code.update_declaration,
        field_code.read_declaration,
    ]
    lines = ["class C:"]
    for length in (1, 12, 24, 32, MAX_NAME_LENGTH):
        for field in EVERY_FORM:
            named = dataclasses.replace(field, name="n" * length)
            lines += [write(named) for write in writers]
    module = tmp_path / "declarations.py"
    module.write_text("\n".join(lines) + "\n")
    ruff = [sys.executable, "-m", "ruff", "format", "--isolated", "--line-length", "100"]
    result = subprocess.run([*ruff, "--diff", str(module)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[:3000]
    assert any("(\n" in declaration for declaration in lines), "one is too long for a line"
    for declaration in lines[1:]:
        flat = re.sub(r",?\s*\n\s*\)", ")", re.sub(r"\(\s*\n\s*", "(", declaration))
        flat = re.sub(r",\s*\n\s*", ", ", flat)
        assert ("\n" in declaration) is (len(flat) > 100), f"one line where it fits: {flat}"


@pytest.mark.parametrize("kind", list(TYPES))
def test_each_type_s_definitions_and_imports_are_python(kind: str) -> None:
    entry = TYPES[kind]
    _parses(entry.schema_definitions)
    for module in ("model", "migration", "schema"):
        for line in getattr(entry.imports, module):
            assert isinstance(ast.parse(line).body[0], ast.Import | ast.ImportFrom), line


def test_a_type_is_a_filter_exactly_when_it_takes_flags() -> None:
    # Flags make a field indexed, and every indexed field is a filter of its resource's list.
    for entry in TYPES.values():
        assert (entry.refused_filter is not None) is bool(entry.flags), entry.name


def test_required_fields_refuse_null_and_every_field_refuses_more() -> None:
    for field in EVERY_FORM:
        tree = ast.parse(field_code.hostile_values([field]), mode="eval")
        assert isinstance(tree.body, ast.Dict)
        (cases,) = tree.body.values
        assert isinstance(cases, ast.List)
        labels = [
            ast.literal_eval(case.elts[0]) for case in cases.elts if isinstance(case, ast.Tuple)
        ]
        assert len(labels) == len(cases.elts) > 1
        assert ("null" in labels) is (not field.optional)


def test_type_imports_are_merged_and_sorted_as_ruff_sorts_them(tmp_path: Path) -> None:
    block = "import datetime as dt\nfrom uuid import UUID, uuid4\n\nimport sqlalchemy as sa\n"
    fields = [field for field in EVERY_FORM if not field.optional]
    merged = field_code.with_type_imports(block, fields, "model")
    assert merged.startswith("import datetime as dt\n")
    for kind, entry in TYPES.items():
        for line in entry.imports.model:
            name = line.split()[-1]
            assert name in merged, kind
    module = tmp_path / "module.py"
    module.write_text(f"{merged}\n")
    ruff = [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "I", str(module)]
    result = subprocess.run(ruff, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def test_no_type_imports_leave_the_block_as_it_is() -> None:
    block = (
        "from collections.abc import Sequence\n\nimport sqlalchemy as sa\nfrom alembic import op"
    )
    assert field_code.with_type_imports(block, [], "migration") == block
