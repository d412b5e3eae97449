"""Every render records where it came from in `.cruft.json`, as cruft itself writes it.

That `cruft create` writes the same bytes, and that cruft then updates the projects, is proven by
nox's `update` session (tests/update/scenarios.py), which runs cruft itself.
"""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.helpers import ROOT, run_cookiecutter


def _head(repository: Path) -> str:
    done = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repository, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _record(project: Path) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    return record


def test_a_local_template_is_recorded_by_its_path_and_commit(tmp_path: Path) -> None:
    done = run_cookiecutter(tmp_path, template=".", cwd=ROOT, project_name="Local Origin")
    assert done.returncode == 0, done.stderr
    project = tmp_path / "local-origin"
    record = _record(project)
    assert list(record) == ["template", "commit", "checkout", "context", "directory"]
    assert record["template"] == str(ROOT), "an absolute path, though rendered from `.`"
    assert record["commit"] == _head(ROOT)
    assert (record["checkout"], record["directory"]) == (None, None)
    context = record["context"]["cookiecutter"]
    assert context["project_name"] == "Local Origin"
    assert (context["_template"], context["_commit"]) == (record["template"], record["commit"])
    # Facts about this one run of cookiecutter, which cruft does not keep either.
    assert not {"_output_dir", "_repo_dir", "_checkout"} & context.keys()
    assert "Recorded the template and its commit" in done.stdout
    tracked = subprocess.run(
        ["git", "ls-files", ".cruft.json"], cwd=project, capture_output=True, text=True, check=True
    )
    assert tracked.stdout.strip() == ".cruft.json", "the first commit holds the record"


def test_a_cloned_template_is_recorded_by_its_url(tmp_path: Path) -> None:
    """`cookiecutter <git URL>` clones the template; the record names the URL git can clone."""
    config = tmp_path / "config.yaml"
    clones = tmp_path / "cookiecutters"
    config.write_text(f"cookiecutters_dir: {json.dumps(str(clones))}\n")
    url = ROOT.as_uri()  # file:///...: a URL git clones, like https://
    command = [
        *(sys.executable, "-m", "cookiecutter", "--no-input", "--config-file", str(config)),
        *("--output-dir", str(tmp_path / "out"), f"git+{url}"),  # cookiecutter's "use git"
    ]
    # Elsewhere than the template's folder, whose `hooks` `python -m` would import instead.
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    record = _record(tmp_path / "out" / "user-service")
    assert record["template"] == url
    assert record["commit"] == _head(ROOT), "the clone's commit: the committed HEAD"
    assert record["context"]["cookiecutter"]["_template"] == url
