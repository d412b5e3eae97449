"""Fuzz one rendered project: serve it under uvicorn on 127.0.0.1 against its own database and let
schemathesis attack its OpenAPI schema as an admin. Fails on any 5xx, and on any response whose
status, content type or body the schema does not document.

    python tests/fuzz_rendered.py PROJECT_DIR PROJECT_PYTHON     (run by `nox -s fuzz`)

PROJECT_PYTHON is the Python of the environment the project is synced into; DATABASE_URL names
its database (created and emptied here); `schemathesis` must be on PATH.
"""

import collections
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
]
FUZZ_PHASES = "examples,coverage,fuzzing"
# name: (who runs it, options). Each run acts as a user of its own: schemathesis finds the
# caller's own id and soon PATCHes or DELETEs it, and an admin that demotes, deactivates or
# deletes itself sees only 401s and 403s from then on. So updates and sequences of calls run
# as a plain user, who may change only itself and keeps its access whatever it sends; deletions
# need an admin, and get no time budget to spend after it is gone.
RUNS = {
    "reads, sign-ups and logins": (
        "admin",
        ["--phases", FUZZ_PHASES, "--exclude-method-regex", "PATCH|DELETE", "--max-time", "15"],
    ),
    "updates of one's own account": (
        "user",
        ["--phases", FUZZ_PHASES, "--include-method", "PATCH", "--max-time", "8"],
    ),
    "sequences of calls": ("user", ["--phases", "stateful", "--max-time", "12"]),
    # The token endpoint's grants, revocation and password changes, on their own: refresh and
    # revocation forms are hostile too, and the password change needs a caller to refuse.
    "sessions and passwords": (
        "user",
        [
            *("--phases", FUZZ_PHASES, "--max-time", "8"),
            *("--include-path-regex", "^/(token|users/me/password)"),
        ],
    ),
    "deletions": ("admin", ["--phases", FUZZ_PHASES, "--include-method", "DELETE"]),
}
# Examples per operation, where no time budget (--max-time) keeps the phase going.
MAX_EXAMPLES = 40
# Runs in the rendered project (its test helpers make the database and the users): a fresh
# schema, and one user per run with the role it needs, each printed as `user <email>`.
PREPARE = """
import asyncio, importlib, sys
from sqlalchemy import make_url
from tests.database import create_database_if_missing, recreate_schema
from tests.factories import new_user_values

package, password, kinds = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
settings, database, models, roles, security = (
    importlib.import_module(f"{package}.{name}")
    for name in ("settings", "database", "models", "roles", "security")
)
role = {"admin": roles.ADMIN_ROLE, "user": roles.DEFAULT_ROLE}

async def main():
    url = make_url(settings.get_settings().database_url)
    await create_database_if_missing(url)
    db = database.initialize_async_db(url.render_as_string(hide_password=False))
    await recreate_schema(db.engine)
    hashed = await security.hash_password(password)
    async with db.sessionmaker() as session:
        users = [models.User(**new_user_values(role[kind], hashed)) for kind in kinds]
        session.add_all(users)
        await session.commit()
    await db.dispose()
    for user in users:
        print("user", user.email)

asyncio.run(main())
"""


def slug(name: str) -> str:
    return re.sub(r"\W+", "-", name).strip("-")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_serving(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"uvicorn stopped before serving:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"uvicorn did not answer /health within 60 s:\n{log.read_text()}")


def log_in(base: str, email: str, password: str) -> str:
    form = urllib.parse.urlencode({"username": email, "password": password}).encode()
    with urllib.request.urlopen(f"{base}/token", data=form, timeout=10) as response:
        token: str = json.load(response)["access_token"]
        return token


def main(project: Path, python: Path) -> int:
    answers = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    package = answers["package_name"]
    password = secrets.token_urlsafe(16)
    env = {
        **os.environ,
        "SECRET_KEY": secrets.token_urlsafe(48),
        # Cheaper Argon2id, as in the rendered tests: the fuzzer signs up and logs in a lot.
        "ARGON2_MEMORY_KIB": "8192",
        "ARGON2_TIME_COST": "1",
    }
    kinds = ",".join(kind for kind, _ in RUNS.values())
    prepared = subprocess.run(
        [str(python), "-c", PREPARE, package, password, kinds],
        cwd=project, env=env, check=False, capture_output=True, text=True,
    )  # fmt: skip
    if prepared.returncode != 0:
        sys.exit(f"could not prepare the database:\n{prepared.stderr}")
    users = re.findall(r"^user (\S+)$", prepared.stdout, flags=re.MULTILINE)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = project / "fuzz-server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(python), "-m", "uvicorn", f"{package}.main:app"]
            + ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            cwd=project, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    reports = project / "fuzz-reports"
    failed_runs = []
    try:
        wait_until_serving(base, server, log)
        # Every login first: the runs' own failed logins soon throttle this address (429).
        tokens = [log_in(base, email, password) for email in users]
        for (name, (_, options)), token in zip(RUNS.items(), tokens, strict=True):
            print(f"--- schemathesis: {name}", flush=True)
            command = [
                *("schemathesis", "run", f"{base}/openapi.json", "--checks", ",".join(CHECKS)),
                *("--header", f"Authorization: Bearer {token}"),
                *("--max-examples", str(MAX_EXAMPLES), "--workers", "1", "--no-color"),
                *("--generation-database", "none", "--request-timeout", "30", *options),
                # A record of every request and response, to study a failure afterwards.
                *("--report", "har", "--report-har-path", str(reports / f"{slug(name)}.har")),
            ]
            # In the project: schemathesis keeps a cache (.schemathesis/) where it runs.
            if subprocess.run(command, cwd=project, check=False).returncode != 0:
                failed_runs.append(name)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    server_log = log.read_text(errors="replace")
    statuses = collections.Counter(re.findall(r'HTTP/1\.1" (\d{3}) ', server_log))
    server_errors = sum(count for status, count in statuses.items() if status.startswith("5"))
    figures = ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
    print(f"--- {project.name}: {statuses.total()} requests ({figures}); {server_errors} were 5xx")
    problems = [f"schemathesis failed: {name}" for name in failed_runs]
    if server_errors:
        problems.append(f"{server_errors} responses were 5xx (see {log})")
    if "Traceback" in server_log:
        problems.append(f"the server logged a traceback (see {log})")
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
