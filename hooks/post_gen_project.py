"""Finish the new project: its own secret key, its licence, its record for cruft, its git
repository, then next steps. In cruft's throwaway renders, only the licence (see hooks/origin.py).
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, {{template_root | tojson}})

from hooks.origin import renders_to_compare, write_cruft_record  # noqa: E402

PROJECT = Path.cwd()
# In cookiecutter's own key order, which is the order cruft writes to `.cruft.json`.
CONTEXT = json.loads({{cookiecutter | as_json | tojson}})
CRUFT_CALL = json.loads({{cruft_call | as_json | tojson}})
# Answers from CONTEXT, not `tojson` of each: that writes a character beyond the BMP (an
# emoji in the author's name) as two escapes that Python reads as two lone surrogates.
LICENSE: str = CONTEXT["license"]
INIT_GIT = {{"True" if cookiecutter.init_git else "False"}}
AUTHOR_NAME: str = CONTEXT["author_name"]
# git refuses to commit without an email; the project's own answer, else a placeholder.
AUTHOR_EMAIL = CONTEXT["author_email"].strip() or "author@example.invalid"


def write_env_file() -> None:
    """`.env` from `.env.example`, with a fresh SECRET_KEY that no other render shares,
    readable by its owner only (mode 600) from its first byte on."""
    example = (PROJECT / ".env.example").read_text(encoding="utf-8")
    key = secrets.token_urlsafe(48)
    descriptor = os.open(PROJECT / ".env", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # whatever the umask, or an older file's mode
    with os.fdopen(descriptor, "w", encoding="utf-8") as env_file:
        env_file.write(example.replace("SECRET_KEY=\n", f"SECRET_KEY={key}\n"))


def choose_license() -> None:
    """The chosen licence text becomes LICENSE; the other texts go."""
    for path in PROJECT.glob("LICENSE-*"):
        if path.name == f"LICENSE-{LICENSE}":
            path.rename(PROJECT / "LICENSE")
        else:
            path.unlink()
    if not (PROJECT / "LICENSE").is_file():
        sys.exit(f"license: no text for {LICENSE!r}; choose one the template offers")


def make_git_repository() -> str:
    """`git init` and a first commit of every file (`.env` is git-ignored); says what was done."""
    by_hand = "git init && git add --all && git commit -m 'Initial commit'"
    if not INIT_GIT:
        return f"No git repository was made (init_git=no). To make one: {by_hand}"
    git = shutil.which("git")
    if git is None:
        return f"git was not found, so no repository was made. Install git, then: {by_hand}"
    outer = subprocess.run(
        [git, "rev-parse", "--show-toplevel"], cwd=PROJECT.parent, capture_output=True, text=True
    )
    if outer.returncode == 0:  # a nested repository is rarely wanted: leave it to the user
        return f"No git repository was made: {PROJECT.name} is inside {outer.stdout.strip()}."
    identity = ["-c", f"user.name={AUTHOR_NAME}", "-c", f"user.email={AUTHOR_EMAIL}"]
    message = "Initial commit, from the FastAPI + PostgreSQL cookiecutter template"
    for command in (
        [git, "init", "--quiet"],
        [git, "add", "--all"],
        [git, *identity, "commit", "--quiet", "--no-verify", "-m", message],
    ):
        done = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True)
        if done.returncode != 0:
            return (
                f"`{' '.join(command[1:])}` failed ({done.stderr.strip()}); "
                f"finish by hand in {PROJECT.name}: {by_hand}"
            )
    return "Made a git repository with a first commit of every file (.env is git-ignored)."


def print_next_steps(git_said: str) -> None:
    print(
        f"""
Created {PROJECT.name}. {git_said}
Next steps (Python 3.11+ and uv; no database server needed):

    cd {PROJECT.name}
    uv run pytest                                  # the tests, on an embedded PostgreSQL
    uv run {{ cookiecutter.project_slug }} dev     # http://127.0.0.1:8000/docs, data in .pgdata/

To use your own PostgreSQL server, set DATABASE_URL in .env. README.md has the rest:
configuration, migrations, containers, CI, pre-commit and nox; commit the uv.lock uv writes.
"""
    )


if renders_to_compare(CRUFT_CALL):
    # Only what the template's files depend on: cruft compares this render with another one.
    choose_license()
else:
    write_env_file()
    choose_license()
    # Before the first commit, so that it holds the record.
    print(write_cruft_record(PROJECT, CONTEXT, CRUFT_CALL, {{template_root | tojson}}))
    print_next_steps(make_git_repository())
