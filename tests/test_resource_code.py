"""A resource's models.py and schemas.py (hooks/resource_code.py): the User's and a new
resource's, for fields of every type, come out as ruff would leave them, imports included."""

import subprocess
import sys
from pathlib import Path

import pytest

from hooks.field_spec import parse_user_fields
from hooks.resource_code import ACCOUNT, ResourceModules, model_module, schemas_module
from tests.helpers import ROOT

TEMPLATES = (
    ROOT / "{{cookiecutter.project_slug}}" / "src" / "{{cookiecutter.package_name}}" / "scaffold"
) / "templates"
EVERY_TYPE = (
    "code:str(8):unique:index, notes:text?, age:int?:index, score:float, price:decimal(10,2), "
    "verified:bool, born:date?, seen:datetime?, ref:uuid:unique, settings:json, extra:json?"
)
# Field names that are also names the templates' own code may import (`import math`, ...).
SHADOWING = "math:int, relationship:str?, settings:json"
RUFF = [sys.executable, "-m", "ruff"]
SETTINGS = [
    "--isolated",
    "--line-length",
    "100",
    "--config",
    "lint.isort.known-first-party=['shop']",
]


@pytest.mark.parametrize("spec", ["", EVERY_TYPE, SHADOWING])
@pytest.mark.parametrize("kind", ["user", "resource", "owned resource"])
def test_the_modules_are_as_ruff_leaves_them(tmp_path: Path, spec: str, kind: str) -> None:
    fields = parse_user_fields(spec, row="Shelf")
    if kind == "user":
        modules = ResourceModules("User", "users", "shop", fields, extends=ACCOUNT)
    else:
        modules = ResourceModules("Shelf", "shelves", "shop", fields, owned=kind != "resource")
    written = {
        "models.py": model_module(TEMPLATES, modules, "The model."),
        "schemas.py": schemas_module(TEMPLATES, modules, "The bodies."),
    }
    for name, code in written.items():
        (tmp_path / name).write_text(code, encoding="utf-8")
    paths = [str(tmp_path / name) for name in written]
    # Every rule of the rendered project's that could fail on what is generated: unused or
    # missing imports (F), their order (I), the layout (format).
    check = [*RUFF, "check", *SETTINGS, "--select", "F,I,E,W", *paths]
    checked = subprocess.run(check, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout
    format_ = [*RUFF, "format", *SETTINGS, "--diff", *paths]
    formatted = subprocess.run(format_, capture_output=True, text=True, check=False)
    assert formatted.returncode == 0, formatted.stdout
