"""Every option set renders: no template syntax left, every Python file compiles."""

import ast
import json
import re
from pathlib import Path

from pytest_cookies.plugin import Cookies

from hooks.post_gen import REGISTRY
from tests.helpers import ROOT, run_cookiecutter

# Jinja delimiters (not GitHub Actions' own `${{ ... }}`, as in ci.yml), or a `cookiecutter.<key>`
# reference (the file `cookiecutter.json` aside; a sentence that ends with the word, as in the
# registry's modules the render holds, too).
LEFTOVER = re.compile(r"(?<!\$)\{\{|\{%|%\}|\{#|cookiecutter\.(?!json\b)\w")
EXPECTED_FILES = [
    ".cruft.json",
    ".env",
    ".env.example",
    ".gitignore",
    "README.md",
    "pyproject.toml",
    "tests/conftest.py",
    "tests/database_setup.py",
]
PACKAGE_MODULES = [
    "main.py",
    "models.py",
    "core/settings.py",
    "database/base.py",
    "database/embedded.py",
    "database/engine.py",
    "database/session.py",
    "database/storable.py",
    "auth/dependencies.py",
    "auth/hashing.py",
    "auth/models.py",
    "auth/routes.py",
    "auth/schemas.py",
    "auth/tokens.py",
    "users/models.py",
    "users/roles.py",
    "users/routes.py",
    "users/schemas.py",
    "web/errors.py",
    "web/health.py",
]


def files(project: Path) -> list[Path]:
    """The rendered files; not the git repository the post-generation hook makes."""
    return [
        path
        for path in project.rglob("*")
        if path.is_file() and path.relative_to(project).parts[0] != ".git"
    ]


def registry_copy(project: Path, path: Path) -> Path | None:
    """The module of hooks/ that `path` is a copy of: the field registry, which the
    post-generation hook copies into the package's scaffold/ as it is (no Jinja, so its format
    strings keep their doubled braces); None for a rendered file."""
    relative = path.relative_to(project)
    if relative.parts[0] == "src" and relative.parts[2:] == ("scaffold", relative.name):
        return ROOT / "hooks" / relative.name if relative.name in REGISTRY else None
    return None


def without_answers(text: str, answers: dict[str, object]) -> str:
    """`text` less the answers' own words: an answer may hold braces, as data (`Team {#1}`)."""
    spellings = set()
    for answer in answers.values():
        if isinstance(answer, str) and answer.strip():
            # As typed, and quoted (the strings of pyproject.toml and .cruft.json).
            for typed in (answer, answer.strip()):
                quoted = (json.dumps(typed, ensure_ascii=only)[1:-1] for only in (True, False))
                spellings |= {typed, *quoted}
    # Longest first: one answer may hold another (a name inside the description).
    for spelling in sorted(spellings, key=len, reverse=True):
        text = text.replace(spelling, "")
    return text


def test_variant_renders_cleanly(cookies: Cookies, variant: dict[str, str]) -> None:
    result = cookies.bake(extra_context=variant)
    assert result.exit_code == 0, result.exception
    project = result.project_path
    package = project / "src" / result.context["package_name"]
    for name in EXPECTED_FILES:
        assert (project / name).is_file(), name
    for name in PACKAGE_MODULES:
        assert (package / name).is_file(), name
    for path in files(project):
        relative = path.relative_to(project)
        assert not LEFTOVER.search(str(relative)), relative
        source = registry_copy(project, path)
        if source is not None:
            assert path.read_bytes() == source.read_bytes(), f"{relative} is not {source}"
            continue
        text = path.read_text(encoding="utf-8")
        leftover = LEFTOVER.search(without_answers(text, result.context))
        assert not leftover, f"template syntax left in {relative}: {leftover}"
        if path.suffix == ".py":
            ast.parse(text, filename=str(relative))


def test_each_render_gets_its_own_secret_key(cookies: Cookies) -> None:
    keys = []
    for _ in range(2):
        result = cookies.bake()
        assert result.exit_code == 0
        env = (result.project_path / ".env").read_text()
        (key,) = re.findall(r"^SECRET_KEY=(\S+)$", env, flags=re.MULTILINE)
        assert len(key) >= 32
        # Only its owner may read the secret (git ignores it; other users of the machine too).
        assert (result.project_path / ".env").stat().st_mode & 0o777 == 0o600
        keys.append(key)
    assert keys[0] != keys[1]
    example = (result.project_path / ".env.example").read_text()
    assert re.search(r"^SECRET_KEY=$", example, flags=re.MULTILINE)


def test_fields_and_roles_reach_the_code(cookies: Cookies) -> None:
    result = cookies.bake(
        extra_context={
            "user_fields": "shoe_size:decimal(4,1)?:index, handle:str(20):unique",
            "roles": "GUEST, STAFF, BOSS",
            "default_role": "GUEST",
            "admin_role": "BOSS",
        }
    )
    assert result.exit_code == 0, result.exception
    package = result.project_path / "src" / result.context["package_name"]
    models = (package / "users" / "models.py").read_text()
    assert "shoe_size: Mapped[Decimal | None] = mapped_column(" in models
    assert "sa.Numeric(4, 1)," in models
    assert "handle: Mapped[str] = mapped_column(" in models
    roles = (package / "users" / "roles.py").read_text()
    assert 'STAFF = "STAFF"' in roles
    assert "DEFAULT_ROLE = Role.GUEST" in roles
    assert "ADMIN_ROLE = Role.BOSS" in roles
    restated = result.project_path / "tests" / "users" / "test_restated_values.py"
    assert '"shoe_size": "-0",' in restated.read_text()


def test_a_render_without_restated_values_has_no_test_for_them(cookies: Cookies) -> None:
    result = cookies.bake(extra_context={"user_fields": "handle:str(20), born:date?"})
    assert result.exit_code == 0, result.exception
    assert not (result.project_path / "tests" / "users" / "test_restated_values.py").exists()


def test_template_root_holds_what_it_should() -> None:
    for name in ["cookiecutter.json", "hooks", "tests", "README.md", "noxfile.py", ".ci/run"]:
        assert (ROOT / name).exists(), name


def test_template_given_as_a_relative_path_renders(tmp_path: Path) -> None:
    """`cookiecutter .` from the template's folder, as a person trying it out would type it."""
    result = run_cookiecutter(tmp_path, template=".", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "user-service" / "pyproject.toml").is_file()
    # The next steps it prints: the commands, their comments in one column.
    commented = [line for line in result.stdout.splitlines() if line.startswith("    uv run ")]
    assert [line.split("#")[0].split() for line in commented] == [
        ["uv", "run", "pytest"],
        ["uv", "run", "user-service", "dev"],
    ]
    assert len({line.index("#") for line in commented}) == 1, result.stdout
    refused = run_cookiecutter(tmp_path, template=".", cwd=ROOT, user_fields="a:nope")
    assert refused.returncode != 0
    assert "'a:nope' has unknown type 'nope'" in refused.stderr
