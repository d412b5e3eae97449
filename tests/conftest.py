"""Meta-test helpers: the template's own folder, its option sets, and a real cookiecutter run."""

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # only the meta-tests have it; the update session loads this file too
    from pytest_cookies.plugin import Cookies

ROOT = Path(__file__).resolve().parent.parent
VARIANTS: dict[str, dict[str, str]] = json.loads((ROOT / "tests" / "variants.json").read_text())

# The hooks' parser is imported the way cookiecutter imports it: `hooks.<module>` from the root.
sys.path.insert(0, str(ROOT))


def run_cookiecutter(
    output_dir: Path,
    *,
    template: str = str(ROOT),
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    context: Mapping[str, str] | None = None,
    **answers: str,
) -> subprocess.CompletedProcess[str]:
    """`cookiecutter --no-input` as a person runs it, with `context` and `answers` as key=value
    arguments (`context`: answers whose names could be this function's own arguments)."""
    command = [
        sys.executable,
        "-m",
        "cookiecutter",
        "--no-input",
        "--output-dir",
        str(output_dir),
        template,
        *(f"{key}={value}" for key, value in {**(context or {}), **answers}.items()),
    ]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, cwd=cwd, env=env, check=False
    )


@pytest.fixture(scope="module", params=list(VARIANTS), ids=list(VARIANTS))
def baked(request: pytest.FixtureRequest, cookies_session: "Cookies") -> Path:
    """One render of each option set, shared by a module's read-only checks."""
    result = cookies_session.bake(extra_context=VARIANTS[request.param])
    assert result.exit_code == 0, result.exception
    path: Path = result.project_path
    return path


@pytest.fixture(params=list(VARIANTS), ids=list(VARIANTS))
def variant(request: pytest.FixtureRequest) -> dict[str, str]:
    answers: dict[str, str] = VARIANTS[request.param]
    return answers
