"""The checks CI runs, by name: `uvx nox` runs them all, `uvx nox -s lint typecheck` some.

Each session runs its tool through `uv run`, in the project's own environment (`uv sync`),
so nox, CI and the README all run the same commands.
"""

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "typecheck", "tests"]
# A worker per core, 8 at most: the workers' pools and the servers some tests start share the
# database server's connections (100 by default; 8 workers used 57 at most).
PARALLEL = ["-n", "auto", "--maxprocesses", "8"]


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff: lint rules, then formatting (`uv run ruff format .` fixes it)."""
    session.run("uv", "run", "ruff", "check", ".", external=True)
    session.run("uv", "run", "ruff", "format", "--check", ".", external=True)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy, strict, on the app, its tests and its migrations."""
    session.run("uv", "run", "mypy", external=True)


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite against PostgreSQL, a worker per core; arguments after `--` go to pytest
    instead (`uvx nox -s tests -- -x tests/users` runs those, serially)."""
    session.run("uv", "run", "pytest", *(session.posargs or PARALLEL), external=True)
