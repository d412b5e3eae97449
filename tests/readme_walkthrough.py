"""Follow a rendered project's README as a new user would.

    python -m tests.readme_walkthrough PROJECT_DIR      (from the template's root)

nox's `rendered` session runs this in the project's environment, after the project's own nox
sessions. Without DATABASE_URL it takes the README's own path, on the embedded PostgreSQL that
`dev` keeps in `.pgdata/` (for one option set inside a network namespace where no server can be
reached at all); with DATABASE_URL (a server's, naming the variant's database) it takes the
"your own server" path, on a scratch database `<database>_readme` made with `createdb` and
dropped at the end. The project's files are as rendered again afterwards.

Each README command is run as written there; tests/test_tooling.py checks that the README
shows no command that is not run here, by nox or by a meta-test.
"""

import json
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psutil

from tests.served_render import ServeError, served_render

# A column the walkthrough adds to the model, to make a migration as the README says.
PROBE = "    walkthrough_phone: Mapped[str | None] = mapped_column(sa.String(32), index=True)\n"
SERVER_START_SECONDS = 60
PASSWORD = "walkthrough password 1"
NEW_SIGN_UP = Path(__file__).resolve().parent / "scripts" / "new_sign_up.py"


def run(command: str, cwd: Path, env: dict[str, str], typed: str = "", ok: bool = True) -> str:
    """One command line, as typed in a shell (`typed` on its standard input); its output, or
    exit with what it printed. With `ok=False` the command must fail: what it said, then."""
    start = time.monotonic()
    done = subprocess.run(
        shlex.split(command), cwd=cwd, env=env, input=typed, capture_output=True, text=True
    )
    print(f"$ {command}  ({time.monotonic() - start:.1f} s)", flush=True)
    if (done.returncode == 0) != ok:
        sys.exit(f"`{command}` ended with {done.returncode}:\n{done.stdout}\n{done.stderr}")
    if "--- Logging error ---" in done.stderr:  # a handler left on a closed stream, say
        sys.exit(f"`{command}` printed a logging error:\n{done.stderr[-3000:]}")
    return done.stdout if ok else done.stderr


def request(method: str, url: str, body: dict[str, object] | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if body is not None else {}
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, data=data, headers=headers, method=method), timeout=10
        ) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@contextmanager
def serving(command: str, cwd: Path, env: dict[str, str]) -> Iterator[str]:
    """Start the README's server command, wait for a healthy `/health`, yield its URL, Ctrl-C."""
    try:
        # Ctrl-C reaches its process group as a whole, as in a terminal.
        with served_render(
            cwd, shlex.split(command), env, log=cwd.parent / "server.log", ready_path="/health",
            stop_signal=signal.SIGINT, start_seconds=SERVER_START_SECONDS,
        ) as server:  # fmt: skip
            print(f"$ {command} --port {server.port}", flush=True)
            yield server.url
    except ServeError as error:
        sys.exit(f"`{command}`: {error}")


def postgres_on(data_dir: Path) -> list[int]:
    """The postgres processes that serve `data_dir`."""
    pids = []
    for process in psutil.process_iter(["name", "cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if process.info["name"] == "postgres" and str(data_dir) in command:
            pids.append(process.pid)
    return pids


def sign_up(base: str, body: dict[str, object]) -> int:
    status, answer = request("POST", f"{base}/users", body)
    if status not in (201, 409):
        sys.exit(f"sign-up answered {status}: {answer}")
    return status


def new_sign_ups(project: Path, count: int) -> list[dict[str, object]]:
    """Valid sign-ups for this option set's fields (unique values apart), from the project's own
    test factories."""
    output = subprocess.run(
        [sys.executable, str(NEW_SIGN_UP), PASSWORD, str(count)],
        cwd=project, capture_output=True, text=True, check=True,
    )  # fmt: skip
    bodies: list[dict[str, object]] = json.loads(output.stdout)
    return bodies


def make_admin(
    project: Path, answers: dict[str, str], body: dict[str, object], env: dict[str, str]
) -> None:
    """The quick start's `create-admin`: on the user signed up before, refused (whoever signed
    it up chose its password); on a new email, with a password piped in, a new admin."""
    command = f"uv run {answers['project_slug']} create-admin"
    said = run(f"{command} {body['email']}", project, env, typed=f"{PASSWORD}\n", ok=False)
    if "--promote-existing" not in said:
        sys.exit(f"create-admin on {body['email']}, which exists: {said}")
    # The quick start's own line, its example fields included, for a new email.
    quick_start = next(
        line.partition("    #")[0].strip()
        for line in (project / "README.md").read_text().splitlines()
        if f"{command} you@example.com" in line
    )
    email = f"admin.{secrets.token_hex(4)}@example.com"
    said = run(quick_start.replace("you@example.com", email), project, env, f"{PASSWORD}\n")
    if "Created" not in said:
        sys.exit(f"create-admin did not make {email}: {said}")


def walk_migrations(project: Path, package: str, alembic: str, env: dict[str, str]) -> None:
    """Change the model, write the migration, check it, apply it, undo it."""
    models = project / "src" / package / "users" / "models.py"
    original = models.read_text()
    versions = project / "migrations" / "versions"
    shipped = set(versions.glob("*.py"))
    try:
        run(f"{alembic} upgrade head", project, env)
        run(f"{alembic} check", project, env)
        models.write_text(original + PROBE)
        run(f'{alembic} revision --autogenerate -m "add users.phone"', project, env)
        (written,) = set(versions.glob("*.py")) - shipped
        if "walkthrough_phone" not in written.read_text():
            sys.exit(f"{written.name} does not add the new column:\n{written.read_text()}")
        # The new migration is as clean as the rest: `uv run ruff check .`, `... format --check .`
        # and `uv run mypy`, through the project's nox sessions
        run("uvx nox -s lint typecheck", project, env)
        run(f"{alembic} upgrade head", project, env)
        run(f"{alembic} check", project, env)
        run(f"{alembic} downgrade -1", project, env)
        # Back to the project as rendered: it matches the database only if the column went.
        models.write_text(original)
        written.unlink()
        run(f"{alembic} check", project, env)
    finally:
        models.write_text(original)
        for path in set(versions.glob("*.py")) - shipped:
            path.unlink()


def embedded_path(project: Path, answers: dict[str, str]) -> None:
    """The README's quick start: no server, `dev` on the embedded PostgreSQL in `.pgdata/`."""
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    data_dir = project / ".pgdata"
    shutil.rmtree(data_dir, ignore_errors=True)
    dev = f"uv run {answers['project_slug']} dev"
    try:
        run("uv run pytest", project, env)  # the quick start's command: serial
        with serving(dev, project, env) as base:
            (body,) = new_sign_ups(project, 1)
            if sign_up(base, body) != 201:
                sys.exit("the first sign-up on a new .pgdata/ was refused")
        if left := postgres_on(data_dir):
            sys.exit(f"Ctrl-C left the embedded PostgreSQL running: pids {left}")
        with serving(dev, project, env) as base:  # the data survived the restart
            if sign_up(base, body) != 409:
                sys.exit("the sign-up made before the restart is gone")
        make_admin(project, answers, body, env)
        alembic = f"uv run {answers['project_slug']} alembic"
        walk_migrations(project, answers["package_name"], alembic, env)
        if left := postgres_on(data_dir):
            sys.exit(f"the embedded PostgreSQL outlived its commands: pids {left}")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def server_path(project: Path, answers: dict[str, str]) -> None:
    """With DATABASE_URL set: `dev`, Alembic and the tests use that server, nothing embedded."""
    database = f"{answers['database_name']}_readme"
    server = urlsplit(os.environ["DATABASE_URL"])
    host, user = server.hostname or "127.0.0.1", server.username or "postgres"
    env = {**os.environ, "PGPORT": str(server.port or 5432)}
    if server.password:
        env["PGPASSWORD"] = server.password
    scratch = {**env, "DATABASE_URL": f"postgresql://{server.netloc}/{database}"}
    run(f"dropdb -h {host} -U {user} --if-exists {database}", project, env)
    run(f"createdb -h {host} -U {user} {database}", project, env)
    try:
        run("uv run pytest -n 2", project, env)
        (body,) = new_sign_ups(project, 1)
        with serving(f"uv run {answers['project_slug']} dev", project, scratch) as base:
            if sign_up(base, body) != 201:
                sys.exit("the first sign-up on a new database was refused")
        make_admin(project, answers, body, scratch)
        if (project / ".pgdata").exists():
            sys.exit("`dev` started an embedded PostgreSQL although DATABASE_URL was set")
        walk_migrations(project, answers["package_name"], "uv run alembic", scratch)
    finally:
        run(f"dropdb -h {host} -U {user} --if-exists {database}", project, env)


def main(project: Path) -> None:
    answers = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    # As on a newcomer's machine, Python writes the project's bytecode as it first imports it
    # (where CI's environment may say not to): a test that the command writes nothing once
    # failed only then, on the .pyc of a module the command imports.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    if os.environ.get("DATABASE_URL"):
        server_path(project, answers)
    else:
        embedded_path(project, answers)
    print(f"README walkthrough of {project.name}: every command passed", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
