"""Finish the new project: give it its own secret key, then say what to do next."""

import secrets
from pathlib import Path

PROJECT = Path.cwd()


def write_env_file() -> None:
    """`.env` from `.env.example`, with a fresh SECRET_KEY that no other render shares."""
    example = (PROJECT / ".env.example").read_text(encoding="utf-8")
    key = secrets.token_urlsafe(48)
    (PROJECT / ".env").write_text(
        example.replace("SECRET_KEY=\n", f"SECRET_KEY={key}\n"), encoding="utf-8"
    )


def print_next_steps() -> None:
    print(
        f"""
Created {PROJECT.name}. Next steps (PostgreSQL on 127.0.0.1:5432; edit .env otherwise):

    cd {PROJECT.name}
    uv sync                      # install the app and its development tools
    uv run pytest                # run the tests against {{ cookiecutter.database_name }}_test
    createdb -h 127.0.0.1 -U postgres {{ cookiecutter.database_name }}
    uv run uvicorn {{ cookiecutter.package_name }}.main:app --reload
"""
    )


write_env_file()
print_next_steps()
