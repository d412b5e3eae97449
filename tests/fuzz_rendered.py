"""Fuzz one rendered project: serve it under uvicorn on 127.0.0.1 against its own database and let
schemathesis attack its OpenAPI schema as an admin. Fails on any 5xx, and on any response whose
status, content type or body the schema does not document.

    python -m tests.fuzz_rendered PROJECT_DIR PROJECT_PYTHON     (run by `nox -s fuzz`)

PROJECT_PYTHON is the Python of the environment the project is synced into; DATABASE_URL names
its database (created and emptied here); `schemathesis` must be on PATH.
"""

import collections
import json
import os
import re
import secrets
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

from tests.served_render import HOST, served_render

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
        ["--phases", FUZZ_PHASES, "--exclude-method-regex", "PATCH|DELETE", "--max-time", "6"],
    ),
    "updates of one's own account": (
        "user",
        ["--phases", FUZZ_PHASES, "--include-method", "PATCH", "--max-time", "3"],
    ),
    "sequences of calls": ("user", ["--phases", "stateful", "--max-time", "5"]),
    # The token endpoint's grants, revocation, password changes, resets and verification:
    # refresh and revocation forms are hostile too, and the password change needs a caller to
    # refuse.
    "sessions and passwords": (
        "user",
        [
            *("--phases", FUZZ_PHASES, "--max-time", "3"),
            "--include-path-regex",
            "^/(token|users/me/password|password-reset|email-verification)",
        ],
    ),
    "deletions": ("admin", ["--phases", FUZZ_PHASES, "--include-method", "DELETE"]),
}
# Examples per operation, where no time budget (--max-time) keeps the phase going.
MAX_EXAMPLES = 40
# Runs in the rendered project (its test helpers make the database and the users).
PREPARE = Path(__file__).resolve().parent / "scripts" / "prepare_fuzz_database.py"


def slug(name: str) -> str:
    return re.sub(r"\W+", "-", name).strip("-")


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
        [str(python), str(PREPARE), package, password, kinds],
        cwd=project, env=env, check=False, capture_output=True, text=True,
    )  # fmt: skip
    if prepared.returncode != 0:
        sys.exit(f"could not prepare the database:\n{prepared.stderr}")
    users = re.findall(r"^user (\S+)$", prepared.stdout, flags=re.MULTILINE)

    log = project / "fuzz-server.log"
    app = f"{package}.main:app"
    uvicorn = [str(python), "-m", "uvicorn", app, "--host", HOST, "--workers", "1"]
    reports = project / "fuzz-reports"
    failed_runs = []
    with served_render(project, uvicorn, env, log=log) as server:
        # Every login first: the runs' own failed logins soon throttle this address (429).
        tokens = [log_in(server.url, email, password) for email in users]
        for (name, (_, options)), token in zip(RUNS.items(), tokens, strict=True):
            print(f"--- schemathesis: {name}", flush=True)
            command = [
                *("schemathesis", "run", f"{server.url}/openapi.json"),
                *("--checks", ",".join(CHECKS), "--header", f"Authorization: Bearer {token}"),
                *("--max-examples", str(MAX_EXAMPLES), "--workers", "1", "--no-color"),
                *("--generation-database", "none", "--request-timeout", "30", *options),
                # A record of every request and response, to study a failure afterwards.
                *("--report", "har", "--report-har-path", str(reports / f"{slug(name)}.har")),
            ]
            # In the project: schemathesis keeps a cache (.schemathesis/) where it runs.
            if subprocess.run(command, cwd=project, check=False).returncode != 0:
                failed_runs.append(name)

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
