"""A later template commit, as maintainers make them: one of each kind of change a project takes.

A changed source file and a schema change (a column and its Alembic revision), a new test that
needs a new filter of the hooks' code, a dependency bump, a README edit, a change to a file the
scenario's owner deletes (`.pre-commit-config.yaml`), and a docstring that scenario (b)'s owner
also rewrites.
"""

from pathlib import Path

from tests.update.workspace import commit_all, replace

PROJECT = "{{cookiecutter.project_slug}}"
PACKAGE = f"{PROJECT}/src/{{{{cookiecutter.package_name}}}}"
COLUMN = "signed_in_at"
# The change adds the revision after the template's own last one (REVISION's, numbered here).
_OWN = (Path(__file__).parents[2] / PROJECT / "migrations" / "versions").glob("[0-9]*_*.py")
LAST = max(path.name[:4] for path in _OWN)
NEXT = f"{int(LAST) + 1:04d}"
MIGRATION = f"{PROJECT}/migrations/versions/{NEXT}_users_{COLUMN}.py"
# In the rendered tests of the users, as the layout has it.
NEW_TEST = f"tests/users/test_{COLUMN}.py"
# The docstring both the template (here) and scenario (b)'s owner rewrite.
HEALTH_DOCSTRING = (
    '"""200 when the database answers within READINESS_TIMEOUT_SECONDS; 503 when it does not."""'
)
TEMPLATE_DOCSTRING = '"""200 when a query on the database succeeds, else 503 (see errors.py)."""'
README_LINE = "a missing or outdated lock fails the run, saying to run `uv lock`."
README_NEW_LINE = "a missing or outdated lock fails the run, saying to run `uv lock` and commit it."
DEPENDENCY, BUMPED = '"httpx>=0.28",', '"httpx>=0.28.1",'
PRE_COMMIT_NOTE = "# Template change: the hooks' versions follow their latest releases.\n"

# The migration of the column (as `alembic revision` writes one), copied into the template.
REVISION = Path(__file__).parent / "files" / "template_revision.py"
# The new test's first line, through a filter this same commit adds to the hooks' code.
TEST_TITLE = '"""USER SERVICE: a column the template added."""'
TEST = f'''"""{{{{ cookiecutter.project_name | shout }}}}: a column the template added."""

from {{{{ cookiecutter.package_name }}}}.users.models import User


def test_users_have_an_optional_{COLUMN}() -> None:
    assert User.__table__.c["{COLUMN}"].nullable
'''
COLUMN_DECLARATION = (
    f"    {COLUMN}: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))\n"
)


def make_template_change(clone: Path) -> str:
    """Commit the change in the template's clone; the new commit's id."""
    # The User's account columns: users/models.py is written by the hook, from the fields.
    account = clone / PACKAGE / "users" / "account.py"
    last = "    pending_email: Mapped[str | None] = mapped_column(sa.String(320))\n"
    replace(account, last, f"{last}{COLUMN_DECLARATION}")
    numbered = REVISION.read_text(encoding="utf-8").replace("NEXT", NEXT).replace("LAST", LAST)
    (clone / MIGRATION).write_text(numbered, encoding="utf-8")
    (clone / PROJECT / NEW_TEST).write_text(TEST, encoding="utf-8")
    replace(clone / PROJECT / "pyproject.toml", DEPENDENCY, BUMPED)
    replace(clone / PROJECT / "README.md", README_LINE, README_NEW_LINE)
    replace(clone / PACKAGE / "web" / "health.py", HEALTH_DOCSTRING, TEMPLATE_DOCSTRING)
    globals_line = '        environment.globals["template_root"] = TEMPLATE_ROOT\n'
    shout = '        environment.filters["shout"] = str.upper\n'
    replace(clone / "hooks" / "jinja_extension.py", globals_line, globals_line + shout)
    pre_commit = clone / PROJECT / ".pre-commit-config.yaml"
    pre_commit.write_text(PRE_COMMIT_NOTE + pre_commit.read_text(encoding="utf-8"))
    return commit_all(clone, "Template change: a column and its migration, a test, a bump")
