"""Follow a rendered project's README as a new user would, on a scratch database.

    python tests/readme_walkthrough.py PROJECT_DIR

nox's `rendered` session runs this in the project's environment, after the project's own nox
sessions, with DATABASE_URL naming the variant's database on the server to use. The scratch
database (`<database>_readme`) is made with the README's `createdb` and dropped at the end; the
project's files are as rendered again afterwards.

Each README command is run as written there; tests/test_tooling.py checks that the README
shows no command that is not run here, by nox or by a meta-test.
"""

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

# A column the walkthrough adds to the model, to make a migration as the README says.
PROBE = "    walkthrough_phone: Mapped[str | None] = mapped_column(sa.String(32), index=True)\n"
SERVER_START_SECONDS = 60


def run(command: str, cwd: Path, env: dict[str, str]) -> str:
    """One command line, as typed in a shell; its output, or exit with what it printed."""
    start = time.monotonic()
    done = subprocess.run(shlex.split(command), cwd=cwd, env=env, capture_output=True, text=True)
    print(f"$ {command}  ({time.monotonic() - start:.1f} s)", flush=True)
    if done.returncode != 0:
        sys.exit(f"`{command}` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def check_server(command: str, cwd: Path, env: dict[str, str], port: int) -> None:
    """Start the README's server command, wait for a healthy `/health`, stop it."""
    print(f"$ {command} --port {port}", flush=True)
    log = cwd.parent / "uvicorn.log"
    with log.open("w") as output:
        # Its own process group: --reload runs the server in a child process.
        server = subprocess.Popen(
            [*shlex.split(command), "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
                    health = json.load(answer)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"the server did not answer /health:\n{log.read_text()}")
                time.sleep(0.5)
        if health.get("status") != "ok":
            sys.exit(f"/health answered {health}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def main(project: Path) -> None:
    answers = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    package, database = answers["package_name"], f"{answers['database_name']}_readme"
    server = urlsplit(os.environ["DATABASE_URL"])
    host, user = server.hostname or "127.0.0.1", server.username or "postgres"
    env = {**os.environ, "PGPORT": str(server.port or 5432)}
    if server.password:
        env["PGPASSWORD"] = server.password
    plain = f"postgresql://{server.netloc}/{database}"
    migrate_env = {**env, "DATABASE_URL": plain}
    psql = f"psql -h {host} -U {user} -d {database} -tA -c"

    run(f"dropdb -h {host} -U {user} --if-exists {database}", project, env)
    models = project / "src" / package / "models.py"
    original = models.read_text()
    versions = project / "migrations" / "versions"
    shipped = set(versions.glob("*.py"))
    try:
        # Quick start
        run("uv sync", project, env)
        run(f"createdb -h {host} -U {user} {database}", project, env)
        run("uv run alembic upgrade head", project, migrate_env)
        uvicorn = f"uv run uvicorn {package}.main:app --reload"
        check_server(uvicorn, project, migrate_env, free_port())
        # Tests, in parallel
        run("uv run pytest -n 2", project, env)
        # Migrations: change the model, write the migration, check it, apply it, undo it
        run("uv run alembic check", project, migrate_env)
        models.write_text(original + PROBE)
        run('uv run alembic revision --autogenerate -m "add users.phone"', project, migrate_env)
        (written,) = set(versions.glob("*.py")) - shipped
        if "walkthrough_phone" not in written.read_text():
            sys.exit(f"{written.name} does not add the new column:\n{written.read_text()}")
        # The new migration is as clean as the rest: `uv run ruff check .`, `... format --check .`
        # and `uv run mypy`, through the project's nox sessions
        run("uvx nox -s lint typecheck", project, env)
        run("uv run alembic upgrade head", project, migrate_env)
        run("uv run alembic check", project, migrate_env)
        run("uv run alembic downgrade -1", project, migrate_env)
        query = "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'"
        columns = run(f'{psql} "{query}"', project, env)
        if "walkthrough_phone" in columns or "email" not in columns:
            sys.exit(f"downgrade -1 did not undo just the last migration: {columns.split()}")
        # Down to nothing: no table but Alembic's own record, no enum type
        run("uv run alembic downgrade base", project, migrate_env)
        query = (
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "UNION ALL SELECT typname::text FROM pg_type WHERE typtype = 'e'"
        )
        left = run(f'{psql} "{query}"', project, env)
        if left.split() != ["alembic_version"]:
            sys.exit(f"downgrade base left {left.split()}")
    finally:
        models.write_text(original)
        for path in set(versions.glob("*.py")) - shipped:
            path.unlink()
        run(f"dropdb -h {host} -U {user} --if-exists {database}", project, env)
    print(f"README walkthrough of {project.name}: every command passed", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
