"""Finish a new project: its User model and schemas, its own secret key, its licence, its
record for cruft, its git repository, then next steps. In cruft's throwaway renders, only the
files (the User's, the licence; see hooks/origin.py).

`main()` is called by the post-generation hook (hooks/post_gen_project.py) in the new project's
folder, with the answers and cruft's command as cookiecutter rendered them there.
"""

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from hooks.field_spec import parse_user_fields
from hooks.origin import renders_to_compare, write_cruft_record
from hooks.resource_code import ACCOUNT, ResourceModules, model_module, schemas_module


def write_env_file(project: Path) -> None:
    """`.env` from `.env.example`, with a fresh SECRET_KEY that no other render shares,
    readable by its owner only (mode 600) from its first byte on."""
    example = (project / ".env.example").read_text(encoding="utf-8")
    key = secrets.token_urlsafe(48)
    descriptor = os.open(project / ".env", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # whatever the umask, or an older file's mode
    with os.fdopen(descriptor, "w", encoding="utf-8") as env_file:
        env_file.write(example.replace("SECRET_KEY=\n", f"SECRET_KEY={key}\n"))


def choose_license(project: Path, chosen: str) -> None:
    """The chosen licence text becomes LICENSE; the other texts go."""
    for path in project.glob("LICENSE-*"):
        if path.name == f"LICENSE-{chosen}":
            path.rename(project / "LICENSE")
        else:
            path.unlink()
    if not (project / "LICENSE").is_file():
        sys.exit(f"license: no text for {chosen!r}; choose one the template offers")


def make_git_repository(project: Path, context: dict[str, Any]) -> str:
    """`git init` and a first commit of every file (`.env` is git-ignored); says what was done."""
    by_hand = "git init && git add --all && git commit -m 'Initial commit'"
    if not context["init_git"]:
        return f"No git repository was made (init_git=no). To make one: {by_hand}"
    git = shutil.which("git")
    if git is None:
        return f"git was not found, so no repository was made. Install git, then: {by_hand}"
    outer = subprocess.run(
        [git, "rev-parse", "--show-toplevel"], cwd=project.parent, capture_output=True, text=True
    )
    if outer.returncode == 0:  # a nested repository is rarely wanted: leave it to the user
        return f"No git repository was made: {project.name} is inside {outer.stdout.strip()}."
    # git refuses to commit without an email; the project's own answer, else a placeholder.
    email = context["author_email"].strip() or "author@example.invalid"
    identity = ["-c", f"user.name={context['author_name']}", "-c", f"user.email={email}"]
    message = "Initial commit, from the FastAPI + PostgreSQL cookiecutter template"
    for command in (
        [git, "init", "--quiet"],
        [git, "add", "--all"],
        [git, *identity, "commit", "--quiet", "--no-verify", "-m", message],
    ):
        done = subprocess.run(command, cwd=project, capture_output=True, text=True)
        if done.returncode != 0:
            return (
                f"`{' '.join(command[1:])}` failed ({done.stderr.strip()}); "
                f"finish by hand in {project.name}: {by_hand}"
            )
    return "Made a git repository with a first commit of every file (.env is git-ignored)."


def print_next_steps(project: Path, slug: str, git_said: str) -> None:
    steps = {
        f"cd {project.name}": "",
        "uv run pytest": "the tests, on an embedded PostgreSQL",
        f"uv run {slug} dev": "http://127.0.0.1:8000/docs, data in .pgdata/",
    }
    width = max(map(len, steps)) + 2  # the comments in one column, however long the slug
    commands = "\n".join(
        f"    {command.ljust(width)}# {why}" if why else f"    {command}"
        for command, why in steps.items()
    )
    print(
        f"""
Created {project.name}. {git_said}
Next steps (Python 3.11+ and uv; no database server needed):

{commands}

To use your own PostgreSQL server, set DATABASE_URL in .env. README.md has the rest:
configuration, migrations, containers, CI, pre-commit and nox; commit the uv.lock uv writes.
"""
    )


# The field types' registry: the prompts read it here, the project's `new resource` its copy.
REGISTRY = ("field_spec.py", "field_types.py", "field_code.py", "resource_code.py")


def copy_field_registry(project: Path, package: str, template_root: str) -> None:
    """The registry's modules into the project's scaffold package, as they are (no Jinja)."""
    scaffold = project / "src" / package / "scaffold"
    for name in REGISTRY:
        shutil.copyfile(Path(template_root) / "hooks" / name, scaffold / name)


def write_user_resource(project: Path, package: str, user_fields: str) -> None:
    """users/models.py and users/schemas.py, as `new resource` writes a resource's: the same
    templates (the package's scaffold/templates), on top of the account's columns and schemas."""
    templates = project / "src" / package / "scaffold" / "templates"
    user = ResourceModules(
        "User", "users", package, parse_user_fields(user_fields), extends=ACCOUNT
    )
    users = project / "src" / package / "users"
    model = model_module(
        templates, user, "The User model: an account (account.py) with the project's fields."
    )
    schemas = schemas_module(
        templates, user, "Request and response bodies of the users endpoints, on the account's."
    )
    # The templates end with a newline, as every file should.
    (users / "models.py").write_text(model, encoding="utf-8")
    (users / "schemas.py").write_text(schemas, encoding="utf-8")


def drop_needless_tests(project: Path, user_fields: str) -> None:
    """Tests with nothing to test for the chosen fields."""
    if not any(field.type.restated for field in parse_user_fields(user_fields)):
        (project / "tests" / "users" / "test_restated_values.py").unlink()


def main(context: dict[str, Any], call: dict[str, Any], template_root: str) -> None:
    """Finish the project in the current folder from its answers (`context`, in cookiecutter's
    key order, which is the order cruft writes to `.cruft.json`) and cruft's command, if any."""
    project = Path.cwd()
    # In every render, cruft's too: the copies are files of the project like the others.
    copy_field_registry(project, context["package_name"], template_root)
    write_user_resource(project, context["package_name"], context["user_fields"])
    drop_needless_tests(project, context["user_fields"])
    if renders_to_compare(call):
        # Only what the template's files depend on: cruft compares this render with another one.
        choose_license(project, context["license"])
        return
    write_env_file(project)
    choose_license(project, context["license"])
    # Before the first commit, so that it holds the record.
    print(write_cruft_record(project, context, call, template_root))
    print_next_steps(project, context["project_slug"], make_git_repository(project, context))
    warn_if_sign_ups_are_admins(context["default_role"], context["admin_role"])


def warn_if_sign_ups_are_admins(default_role: str, admin_role: str) -> None:
    """A valid answer (a one-role service), but an open door: said once, where it is chosen."""
    if default_role.strip() == admin_role.strip():
        print(
            f"Warning: default_role {default_role.strip()} is also admin_role: a sign-up would "
            "manage every user, so sign-up is closed (SIGNUP_OPEN=false by default) and admins "
            "add users. SIGNUP_OPEN=true opens it to anyone; or render again with a role for "
            "sign-ups, e.g. roles 'MEMBER, ADMIN', default_role MEMBER.",
            file=sys.stderr,
        )
