"""`cruft update` on real renders of this template; nox's `update` session runs this file.

(a) A project made with `cruft create` and one made with `cookiecutter`, each changed and
    committed by its owner, take a template commit: both sides' changes arrive, nothing
    conflicts, and after the README's steps (migration heads merged) the project passes its own
    lint, type and test sessions.
(b) A line both sides changed: git's conflict markers, resolved the way the README says.
(c) Real history: a project made at the first commit of this repository with update support
    (the commit that added CHANGELOG.md) takes the newest one and equals a fresh render of it.
And the bad input of the issue: a dirty working tree is refused; a template that moved is found
again by editing `.cruft.json`, as the README says.

The session sets DATABASE_URL where a server is given (the database scenario (a)'s project
migrates; else its embedded PostgreSQL), and the shared environment and mypy cache of every
render (UV_PROJECT_ENVIRONMENT, MYPY_CACHE_DIR).
"""

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from tests.update.owner_change import (
    DELETED,
    NOTE,
    PHONE,
    ROUTES,
    make_owner_changes,
    package_name,
)
from tests.update.template_change import (
    BUMPED,
    COLUMN_DECLARATION,
    HEALTH_DOCSTRING,
    MIGRATION,
    NEW_TEST,
    README_NEW_LINE,
    TEMPLATE_DOCSTRING,
    TEST_TITLE,
    make_template_change,
)
from tests.update.workspace import (
    ROOT,
    clone_template,
    commit_all,
    conflict_markers,
    git,
    replace,
    run,
    server_options,
    tree,
)

UPDATE = "uvx cruft update -y"
OWNER_DOCSTRING = '"""Liveness and database check, for the load balancer."""'
# The files `cruft diff` may show after scenario (a): the template's files the owner changed.
OWNER_CHANGED = {
    "README.md",
    "src/{package}/main.py",
    "src/{package}/models.py",
    "src/{package}/users/models.py",
}
# The README's command for an owned resource (its migration chains to the owner's head).
NEW_RESOURCE = 'uv run {slug} new resource LogEntry "message:text, level:int:index" --owned'
# The file of the package whose docstring both the template and scenario (b)'s owner rewrite.
HEALTH = Path("web") / "health.py"


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """The owner's git identity, which the README's `git commit` needs (CI has none)."""
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Project Owner")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "owner@example.invalid")


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """A clone of this template: commit A is the working tree as it is now."""
    return clone_template(tmp_path / "template")


@pytest.fixture
def database() -> Iterator[None]:
    """DATABASE_URL's database, made empty for the project's migrations, dropped afterwards
    (without DATABASE_URL, the project's embedded PostgreSQL in its own `.pgdata/`)."""
    if not os.environ.get("DATABASE_URL"):
        yield
        return
    options, name = server_options()
    run(["dropdb", *options, "--if-exists", name], ROOT)
    run(["createdb", *options, name], ROOT)
    yield
    run(["dropdb", *options, "--if-exists", name], ROOT)


def readme(project: Path, command: str) -> CompletedProcess[str]:
    """A command the project's README shows, run as written there."""
    text = (project / "README.md").read_text(encoding="utf-8")
    assert command in text, f"the README no longer shows `{command}`"
    return run(command, project)


def only_project(out: Path) -> Path:
    (project,) = out.iterdir()
    return project


def cruft_create(template: Path, out: Path, *options: str) -> Path:
    out.mkdir()
    run(
        ["uvx", "cruft", "create", "--no-input", "--output-dir", str(out), *options, str(template)],
        out,
    )
    return only_project(out)


def cookiecutter(template: Path, out: Path) -> Path:
    out.mkdir()
    run(["uvx", "cookiecutter", "--no-input", "--output-dir", str(out), str(template)], out)
    return only_project(out)


def project_slug(project: Path) -> str:
    context = record(project)["context"]
    assert isinstance(context, dict)
    slug: str = context["cookiecutter"]["project_slug"]
    return slug


def record(project: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    return loaded


def diffed_files(diff: str) -> set[str]:
    """The files a `cruft diff` shows, by their path in the project."""
    return set(re.findall(r"^diff --git upstream-template-old/(\S+) ", diff, flags=re.MULTILINE))


def copy_last_commit(source: Path, target: Path) -> None:
    """The changes of `source`'s last commit, made byte for byte in `target`, and committed."""
    changes = git(source, "diff", "--name-status", "--no-renames", "HEAD~1", "HEAD")
    for line in changes.splitlines():
        status, name = line.split("\t")
        if status == "D":
            (target / name).unlink()
        else:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes((source / name).read_bytes())
    commit_all(target, git(source, "log", "-1", "--format=%s").strip())


def test_a_owner_and_template_changes_both_arrive(
    template: Path, tmp_path: Path, database: None
) -> None:
    made = cruft_create(template, tmp_path / "cruft")
    plain = cookiecutter(template, tmp_path / "cookiecutter")
    cruft_wrote = (made / ".cruft.json").read_bytes()
    assert (plain / ".cruft.json").read_bytes() == cruft_wrote, "one record, whichever renders"
    for project in (made, plain):
        assert git(project, "status", "--porcelain") == "", "the first commit holds every file"
        assert readme(project, "uvx cruft diff").stdout == "", "a fresh render differs in nothing"
    package = package_name(made)
    secret = (made / ".env").read_bytes()

    # The owner's changes, and their migration, written as the README says.
    make_owner_changes(made)
    readme(made, "uv sync")
    # A resource of the owner's, as the README's "Add a resource" adds one.
    readme(made, NEW_RESOURCE.format(slug=project_slug(made)))
    # The project's Alembic: on DATABASE_URL's database, else on its embedded PostgreSQL.
    alembic = f"uv run {project_slug(made)} alembic"
    readme(made, f"{alembic} upgrade head")
    readme(made, f'{alembic} revision --autogenerate -m "add users.phone"')
    refused = run(UPDATE, made, check=False)
    assert refused.returncode != 0, "an update over uncommitted changes is refused"
    assert "unclean" in refused.stdout + refused.stderr
    commit_all(made, "The owner's changes")
    copy_last_commit(made, plain)
    assert run("uvx cruft check", made).returncode == 0

    commit_b = make_template_change(template)
    assert run("uvx cruft check", made, check=False).returncode == 1, "the template is newer"
    for project in (made, plain):
        readme(project, UPDATE)
    assert tree(made) == tree(plain), "the same update, whichever tool rendered"

    assert conflict_markers(made) == []
    assert git(made, "diff", "--name-only", "--diff-filter=U") == ""
    source = made / "src" / package
    assert PHONE in (source / "users" / "models.py").read_text(), "the owner's column"
    account = (source / "users" / "account.py").read_text()
    assert COLUMN_DECLARATION in account, "the template's column"
    readme_text = (made / "README.md").read_text()
    assert NOTE in readme_text
    assert README_NEW_LINE in readme_text
    assert "stats" in (source / "main.py").read_text()
    assert (source / ROUTES).is_file()
    assert (made / "tests/test_stats.py").is_file()
    assert "log_entry_routes.router" in (source / "main.py").read_text(), "the owner's resource"
    assert (made / "tests" / "log_entries" / "test_log_entries.py").is_file()
    assert TEMPLATE_DOCSTRING in (source / HEALTH).read_text()
    assert BUMPED in (made / "pyproject.toml").read_text()
    assert (made / "migrations" / "versions" / Path(MIGRATION).name).is_file()
    new_test = (made / NEW_TEST).read_text()
    assert new_test.startswith(TEST_TITLE), "rendered with the new commit's hooks code"
    assert not (made / DELETED).exists(), "a file deleted on purpose stays deleted"
    assert (made / ".env").read_bytes() == secret, ".env and its secret are untouched"
    assert record(made)["commit"] == commit_b

    # After the update, the README's steps: two migration heads, merged.
    readme(made, "git status")
    readme(made, "uv sync")
    heads = readme(made, f"{alembic} heads").stdout
    assert len(heads.splitlines()) == 2, heads
    refused = run(f"{alembic} upgrade head", made, check=False)
    assert "Multiple head revisions" in refused.stderr, "as the README says: merge them first"
    readme(made, f'{alembic} merge heads -m "merge the template\'s migrations"')
    readme(made, f"{alembic} upgrade head")
    readme(made, f"{alembic} check")
    readme(made, "uvx nox")
    # The template's database-down test found the owner's route in ROUTERS by itself.
    down = "tests/database/test_database_down.py"
    collected = run(f"uv run pytest --collect-only -q {down}", made).stdout
    assert "GET-/stats]" in collected, collected
    readme(made, "git add --all")
    readme(made, 'git commit -m "Update from the template"')
    assert git(made, "status", "--porcelain") == ""
    assert run("uvx cruft check", made).returncode == 0
    # What still differs from the template is the owner's own work, nothing made per render.
    shown = diffed_files(readme(made, "uvx cruft diff").stdout)
    assert shown == {name.format(package=package) for name in OWNER_CHANGED}


def test_b_overlapping_changes_are_conflicts_the_readme_resolves(
    template: Path, tmp_path: Path
) -> None:
    project = cruft_create(template, tmp_path / "out")
    health = project / "src" / package_name(project) / HEALTH
    replace(health, HEALTH_DOCSTRING, OWNER_DOCSTRING)
    commit_all(project, "The owner's docstring")
    make_template_change(template)

    updated = readme(project, UPDATE)
    # cruft passes on git's word for each file it could not merge (and still says "Good work!").
    assert f"{HEALTH.as_posix()}' with conflicts" in updated.stderr, updated.stderr
    status = readme(project, "git status").stdout
    assert re.search(rf"both modified:\s+src/\S+/{HEALTH.as_posix()}", status), status
    assert conflict_markers(project) == [str(health.relative_to(project))]
    conflicted = health.read_text()
    assert OWNER_DOCSTRING in conflicted
    assert TEMPLATE_DOCSTRING in conflicted
    assert BUMPED in (project / "pyproject.toml").read_text(), "the rest was applied"

    # The README: keep the lines wanted (here the owner's), remove the markers, `git add`.
    lines = conflicted.splitlines(keepends=True)
    start, middle, end = (
        next(i for i, line in enumerate(lines) if line.startswith(marker))
        for marker in ("<<<<<<<", "=======", ">>>>>>>")
    )
    health.write_text("".join(lines[:start] + lines[start + 1 : middle] + lines[end + 1 :]))
    git(project, "add", str(health.relative_to(project)))
    assert conflict_markers(project) == []
    readme(project, "uv sync")
    readme(project, "uvx nox -s lint typecheck")
    readme(project, "git add --all")
    readme(project, 'git commit -m "Update from the template"')
    assert OWNER_DOCSTRING in health.read_text()
    assert run("uvx cruft check", project).returncode == 0


def test_b_without_git_an_overlapping_change_is_a_rej_file(template: Path, tmp_path: Path) -> None:
    options = ("--extra-context", json.dumps({"init_git": False}))
    project = cruft_create(template, tmp_path / "out", *options)
    assert not (project / ".git").exists()
    health = project / "src" / package_name(project) / HEALTH
    replace(health, HEALTH_DOCSTRING, OWNER_DOCSTRING)
    make_template_change(template)

    updated = readme(project, UPDATE)
    assert "Rejected hunk" in updated.stderr, updated.stderr
    rejected = health.with_name("health.py.rej")
    assert TEMPLATE_DOCSTRING in rejected.read_text()
    assert OWNER_DOCSTRING in health.read_text(), "the owner's line is kept"
    assert BUMPED in (project / "pyproject.toml").read_text(), "the rest was applied"
    # The README: make the change by hand (here: keep the owner's line), delete the .rej file.
    rejected.unlink()
    assert not list(project.rglob("*.rej"))


def test_a_template_that_moved_is_found_through_the_record(template: Path, tmp_path: Path) -> None:
    project = cruft_create(template, tmp_path / "out")
    moved = template.rename(tmp_path / "moved-template")
    lost = run("uvx cruft check", project, check=False)
    assert lost.returncode != 0, lost.stderr
    assert str(template) in lost.stderr, lost.stderr

    # The README: set "template" in .cruft.json to where it is now, commit, run again.
    replace(project / ".cruft.json", f'"template": "{template}"', f'"template": "{moved}"')
    commit_all(project, "The template moved")
    make_template_change(moved)
    readme(project, UPDATE)
    assert BUMPED in (project / "pyproject.toml").read_text()
    assert record(project)["template"] == str(moved)


def test_c_a_project_from_the_first_commit_with_update_support_takes_this_one(
    template: Path, tmp_path: Path
) -> None:
    added = git(template, "log", "--diff-filter=A", "--format=%H", "--", "CHANGELOG.md").split()
    assert added, "no commit added CHANGELOG.md"
    first, head = added[-1], git(template, "rev-parse", "HEAD").strip()
    old = cruft_create(template, tmp_path / "old", "--checkout", first)
    assert git(old, "status", "--porcelain") == "", "the first commit holds cruft's own record"

    readme(old, UPDATE)
    assert conflict_markers(old) == []
    fresh = cruft_create(template, tmp_path / "new")
    assert record(old)["commit"] == record(fresh)["commit"] == head
    assert record(old)["context"] == record(fresh)["context"]
    updated, rendered = tree(old), tree(fresh)
    # `checkout` says how the old project was made, until an update writes null there.
    del updated[".cruft.json"], rendered[".cruft.json"]
    assert updated == rendered, "the update gives what a render of the newest commit gives"
    assert run("uvx cruft diff --exit-code", old).stdout == ""
