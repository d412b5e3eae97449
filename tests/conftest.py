"""Meta-test fixtures: one render of each option set, and each option set's answers."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# The template's modules are imported the way cookiecutter imports the hooks: from the root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.helpers import VARIANTS

if TYPE_CHECKING:  # only the meta-tests have it; the update session loads this file too
    from pytest_cookies.plugin import Cookies


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
