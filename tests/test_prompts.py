"""Bad answers are refused up front with a clear message, and nothing is left on disk.

Each case runs cookiecutter's command line, as a person does, with its own config file (so the
replay file lands in the test's folder too) and an empty output folder: in this process for the
many bad answers (click's CliRunner: fast), in a real process for the rest.
"""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cookiecutter.cli import main

from hooks.answers import MAX_DATABASE_NAME, PROMPTS, TEST_DATABASE_SUFFIX
from hooks.field_spec import MAX_IDENTIFIER_BYTES
from tests.helpers import ROOT

# The test harness's longest database name, `<name>` + TEST_DATABASE_SUFFIX, then takes 63 bytes.
LONGEST_DATABASE_NAME = "meta_" + "x" * (MAX_DATABASE_NAME - len("meta_"))
assert len(LONGEST_DATABASE_NAME + TEST_DATABASE_SUFFIX) == MAX_IDENTIFIER_BYTES


def arguments(tmp_path: Path, **answers: str) -> list[str]:
    """`--no-input` into `tmp_path/out`, with replays kept in `tmp_path/replay`."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "config.yaml"
    config.write_text(
        f"replay_dir: {json.dumps(str(tmp_path / 'replay'))}\n"
        f"cookiecutters_dir: {json.dumps(str(tmp_path / 'cookiecutters'))}\n"
    )
    return [
        *("--no-input", "--config-file", str(config), "--output-dir", str(tmp_path / "out")),
        *(str(ROOT), *(f"{key}={value}" for key, value in answers.items())),
    ]


def cookiecutter(tmp_path: Path, **answers: str) -> subprocess.CompletedProcess[str]:
    """The `cookiecutter` command in a process of its own."""
    command = [sys.executable, "-m", "cookiecutter", *arguments(tmp_path, **answers)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def cookiecutter_here(tmp_path: Path, **answers: str) -> Result:
    """The `cookiecutter` command run in this process."""
    return CliRunner().invoke(main, arguments(tmp_path, **answers))


def written(tmp_path: Path) -> list[Path]:
    """Everything a run left in the output folder and the replay folder."""
    return [path for name in ("out", "replay") for path in (tmp_path / name).glob("**/*")]


def bad(answers: dict[str, str], message: str, case: str) -> object:
    return pytest.param(answers, message, id=case)


WIDE_2026 = "\uff12\uff10\uff12\uff16"  # fullwidth digits, which str.isdigit() accepts
BAD_ANSWERS = [
    # project_name
    bad({"project_name": ""}, "project_name: '' is empty", "name-empty"),
    bad({"project_name": "  "}, "project_name: '  ' is empty", "name-blank"),
    bad(
        {"project_name": " Lead Space"}, "' Lead Space' starts or ends with whitespace", "name-pad"
    ),
    bad(
        {"project_name": 'Say "Hi"'}, "project_name: 'Say \"Hi\"' has a double quote", "name-quote"
    ),
    bad({"project_name": "Back\\slash"}, "has a double quote or a backslash", "name-backslash"),
    bad({"project_name": "Two\nLines"}, "'Two\\nLines' has non-printable", "name-newline"),
    bad({"project_name": "N" * 65}, "is 65 columns wide; use at most 64", "name-long"),
    # Jinja in an answer is text: refused for what it is, never evaluated first
    bad(
        {"project_name": 'Say "{{ 7*7 }}"'},
        "project_name: 'Say \"{{ 7*7 }}\"' has a double quote",
        "name-jinja-quote",
    ),
    bad({"project_name": "Team {#1}\t"}, "'Team {#1}\\t' starts or ends with", "name-jinja-tab"),
    bad({"project_name": "漢字" * 17, "project_slug": "wide"}, "is 68 columns wide", "name-wide"),
    # project_slug
    bad({"project_slug": "My-Service"}, "project_slug: 'My-Service' is not a folder", "slug-upper"),
    bad({"project_slug": "a/b"}, "project_slug: 'a/b' is not a folder", "slug-path"),
    bad({"project_slug": "../escape"}, "project_slug: '../escape' is not a folder", "slug-up"),
    bad({"project_slug": "-svc"}, "project_slug: '-svc' is not", "slug-dash"),
    bad({"project_slug": "my service"}, "project_slug: 'my service' is not", "slug-space"),
    bad({"project_slug": "sérvice"}, "project_slug: 'sérvice' is not", "slug-unicode"),
    bad({"project_slug": "s" * 101}, "at most 100 characters, e.g. user-service", "slug-long"),
    bad(
        {"project_slug": "{{ cookiecutter.project_name }}"},
        "project_slug: '{{ cookiecutter.project_name }}' is not a folder",
        "slug-jinja",
    ),
    # package_name
    bad({"package_name": "fastapi"}, "package_name: 'fastapi' would shadow", "pkg-fastapi"),
    bad({"package_name": "sqlalchemy"}, "package_name: 'sqlalchemy' would shadow", "pkg-sqla"),
    bad({"package_name": "test"}, "package_name: 'test' would shadow", "pkg-test"),
    bad({"package_name": "tests"}, "package_name: 'tests' would shadow", "pkg-tests"),
    # A dependency of the render's tests, read from its pyproject.toml: not in any hand list.
    bad({"package_name": "psutil"}, "package_name: 'psutil' would shadow", "pkg-psutil"),
    bad({"package_name": "json"}, "package_name: 'json' would shadow", "pkg-stdlib"),
    bad({"package_name": "class"}, "package_name: 'class' is a Python keyword", "pkg-keyword"),
    bad({"package_name": "match"}, "package_name: 'match' is a Python keyword", "pkg-soft-kw"),
    bad({"package_name": "my-pkg"}, "package_name: 'my-pkg' is not an importable", "pkg-hyphen"),
    bad({"package_name": "1pkg"}, "package_name: '1pkg' is not an importable", "pkg-digit"),
    bad({"package_name": "MyPkg"}, "package_name: 'MyPkg' is not an importable", "pkg-upper"),
    bad({"package_name": "pâte"}, "package_name: 'pâte' is not an importable", "pkg-unicode"),
    bad({"package_name": "p" * 33}, "at most 32 characters", "pkg-long"),
    # description, author_name, author_email
    bad({"description": "one\ttab"}, "description: 'one\\ttab' has non-print", "tab"),
    bad({"author_name": "Ada\nLovelace"}, "author_name: 'Ada\\nLovelace' has non-print", "author"),
    bad({"author_name": ""}, "author_name: '' has no letter or digit", "author-empty"),
    bad({"author_name": " . "}, "author_name: ' . ' has no letter or digit", "author-dot"),
    bad({"author_email": "not-an-email"}, "author_email: 'not-an-email' is not an", "email-no-at"),
    bad({"author_email": "me@localhost"}, "author_email: 'me@localhost' is not", "email-no-tld"),
    bad({"author_email": "me@x..com"}, "author_email: 'me@x..com' is not", "email-dots"),
    bad({"author_email": "m e@x.com"}, "author_email: 'm e@x.com' is not", "email-space"),
    # database_name
    bad({"database_name": "9lives"}, "database_name: '9lives' is not an unquoted", "db-digit"),
    bad({"database_name": "Users"}, "database_name: 'Users' is not an unquoted", "db-upper"),
    bad({"database_name": "my-db"}, "database_name: 'my-db' is not an unquoted", "db-hyphen"),
    bad({"database_name": "bäse"}, "database_name: 'bäse' is not an unquoted", "db-unicode"),
    bad({"database_name": "user"}, "database_name: 'user' is a PostgreSQL reserved", "db-keyword"),
    bad({"database_name": "template1"}, "'template1' is one of PostgreSQL's own", "db-system"),
    bad(
        {"database_name": LONGEST_DATABASE_NAME + "x"},
        f"database_name: '{LONGEST_DATABASE_NAME}x' is {MAX_DATABASE_NAME + 1} characters; "
        f"use at most {MAX_DATABASE_NAME}",
        "db-long",
    ),
    # user_fields: every rule of the grammar
    bad({"user_fields": "age:integer"}, "'age:integer' has unknown type 'integer'", "f-type"),
    bad({"user_fields": "age:Int"}, "'age:Int' has unknown type 'Int'", "f-type-case"),
    bad({"user_fields": "age"}, "'age' is missing its ':type'", "f-no-type"),
    bad({"user_fields": "a::int"}, "'a::int' has an empty type", "f-two-colons"),
    bad({"user_fields": "FirstName:str"}, "invalid field name 'FirstName'", "f-camel"),
    bad({"user_fields": "first-name:str"}, "invalid field name 'first-name'", "f-hyphen"),
    bad({"user_fields": "first name:str"}, "invalid field name 'first name'", "f-space"),
    bad({"user_fields": "prénom:str"}, "invalid field name 'prénom'", "f-unicode"),
    bad({"user_fields": "1st:int"}, "invalid field name '1st'", "f-digit"),
    bad({"user_fields": "_x:int"}, "invalid field name '_x'", "f-underscore"),
    bad({"user_fields": "a?:int"}, "'a?:int' puts '?' after the name", "f-optional-name"),
    bad({"user_fields": "a:int??"}, "'?' goes once, right after the type", "f-optional-twice"),
    bad({"user_fields": "class:int"}, "uses the Python keyword 'class'", "f-keyword"),
    bad({"user_fields": "a:int, a:text"}, "'a:text' uses the field name 'a' again", "f-dup"),
    bad({"user_fields": "email:str"}, "redefines the built-in column 'email'", "f-builtin"),
    bad({"user_fields": "created_at:date"}, "the built-in column 'created_at'", "f-builtin2"),
    bad({"user_fields": "metadata:str"}, "uses 'metadata', a name SQLAlchemy", "f-metadata"),
    bad({"user_fields": "registry:str"}, "uses 'registry', a name SQLAlchemy", "f-registry"),
    bad({"user_fields": "model_config:str"}, "uses 'model_config', a name", "f-model-config"),
    bad({"user_fields": "self:str"}, "uses 'self', a name SQLAlchemy", "f-self"),
    bad({"user_fields": "sa:str"}, "uses 'sa', a name the generated code needs", "f-code-name"),
    bad({"user_fields": "l:int"}, "uses 'l', which reads like the digit 1", "f-ambiguous"),
    bad({"user_fields": "n" * 41 + ":int"}, "has a name of 41 characters", "f-long-name"),
    bad({"user_fields": "a:str(0)"}, "'a:str(0)' has invalid length '0'", "f-str-0"),
    bad({"user_fields": "a:str(x)"}, "'a:str(x)' has invalid length 'x'", "f-str-x"),
    bad({"user_fields": "a:str()"}, "'a:str()' has invalid length ''", "f-str-empty"),
    bad({"user_fields": "a:str(-1)"}, "'a:str(-1)' has invalid length '-1'", "f-str-neg"),
    bad({"user_fields": "a:str(10485761)"}, "has invalid length '10485761'", "f-str-big"),
    bad({"user_fields": "a:decimal(2,5)"}, "out-of-range precision and scale '2,5'", "f-dec"),
    bad({"user_fields": "a:decimal(0,0)"}, "out-of-range precision and scale '0,0'", "f-dec-0"),
    bad({"user_fields": "a:decimal(1001,2)"}, "out-of-range precision and scale", "f-dec-big"),
    bad({"user_fields": "a:decimal(10)"}, "invalid precision and scale '10'", "f-dec-one"),
    bad({"user_fields": "a:int(4)"}, "'a:int(4)' gives arguments to 'int'", "f-int-args"),
    bad({"user_fields": "a:int:primary"}, "has unknown flag 'primary'", "f-flag"),
    bad({"user_fields": "a:int:unique:unique"}, "repeats the flag 'unique'", "f-flag-twice"),
    bad({"user_fields": "a:int:"}, "'a:int:' has an empty flag", "f-flag-empty"),
    bad({"user_fields": "ok:bool:unique"}, "makes a bool unique", "f-bool-unique"),
    bad(
        {"user_fields": "code:decimal(1,0)?:unique"},
        "user_fields: 'code:decimal(1,0)?:unique' makes a decimal(1,0) unique, which holds only 19",
        "f-small-unique",
    ),
    bad({"user_fields": "a:int,"}, "'a:int,' has an empty item", "f-trailing-comma"),
    bad({"user_fields": "a:int,,b:int"}, "'a:int,,b:int' has an empty item", "f-double-comma"),
    bad({"user_fields": "{{ 7*7 }}:int"}, "invalid field name '{{ 7*7 }}'", "f-jinja"),
    bad({"user_fields": "a:int:{%"}, "'a:int:{%' has unknown flag '{%'", "f-jinja-flag"),
    # roles, default_role, admin_role
    bad({"roles": " "}, "roles: ' ' names no role", "roles-none"),
    bad({"roles": "MEMBER, admin"}, "roles: 'admin' is not an UPPER_SNAKE name", "roles-lower"),
    bad({"roles": "ROLE ONE, ADMIN"}, "roles: 'ROLE ONE' is not an UPPER_SNAKE", "roles-space"),
    bad({"roles": "_HIDDEN, ADMIN"}, "roles: '_HIDDEN' is not an UPPER_SNAKE", "roles-under"),
    bad({"roles": "ÄDMIN, ADMIN"}, "roles: 'ÄDMIN' is not an UPPER_SNAKE", "roles-unicode"),
    bad({"roles": "O, ADMIN"}, "roles: 'O' reads like a digit, and ruff refuses it", "roles-o"),
    bad({"roles": "R" * 41}, "at most 40 characters", "roles-long"),
    bad({"roles": "ADMIN, Admin"}, "roles: 'Admin' repeats 'ADMIN'", "roles-dup-case"),
    bad({"roles": "ADMIN, AUTHENTICATED, ADMIN"}, "roles: 'ADMIN' repeats 'ADMIN'", "roles-dup"),
    bad({"roles": "AUTHENTICATED, ADMIN,"}, "has an empty item", "roles-trailing-comma"),
    bad({"default_role": "NOBODY"}, "default_role: 'NOBODY' is not one of the roles", "default"),
    bad({"admin_role": "{# ADMIN #}"}, "admin_role: '{# ADMIN #}' is not one of", "admin-jinja"),
    bad({"admin_role": "admin"}, "admin_role: 'admin' is not one of the roles", "admin-case"),
    # copyright_year
    bad({"copyright_year": "26"}, "copyright_year: '26' is not a year; give its four", "year-2"),
    bad({"copyright_year": WIDE_2026}, f"copyright_year: '{WIDE_2026}' is not a", "year-wide"),
    bad({"copyright_year": "2026 "}, "copyright_year: '2026 ' is not a year", "year-space"),
]


@pytest.mark.parametrize(("answers", "message"), BAD_ANSWERS)
def test_bad_answer_is_refused(tmp_path: Path, answers: dict[str, str], message: str) -> None:
    result = cookiecutter_here(tmp_path, **answers)
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)  # not an exception from our code
    assert message in result.stderr
    assert written(tmp_path) == []


def test_refusal_in_a_process_of_its_own(tmp_path: Path) -> None:
    result = cookiecutter(tmp_path, user_fields="age:integer")
    assert result.returncode == 1
    assert "user_fields: 'age:integer' has unknown type 'integer'; use one of" in result.stderr
    assert "Traceback" not in result.stderr
    assert written(tmp_path) == []


def test_all_problems_are_listed_at_once_one_line_each(tmp_path: Path) -> None:
    result = cookiecutter(
        tmp_path, user_fields="a:nope, b:str(0)", admin_role="ROOT", database_name="9"
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert [line.split(":")[0] for line in lines] == [
        "  - database_name",
        "  - user_fields",
        "  - user_fields",
        "  - admin_role",
    ]
    assert "'a:nope' has unknown type 'nope'; use one of str(N), str, text, int" in lines[1]
    assert written(tmp_path) == []


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({}, 'user-service" directory already exists'),
        ({"user_fields": "id:int"}, "redefines the built-in column 'id'"),
    ],
    ids=["good-answers", "bad-answers"],
)
def test_existing_folder_is_never_touched(
    tmp_path: Path, answers: dict[str, str], message: str
) -> None:
    existing = tmp_path / "out" / "user-service"
    existing.mkdir(parents=True)
    (existing / "notes.txt").write_text("mine")
    result = cookiecutter(tmp_path, **answers)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    assert sorted(path.name for path in (tmp_path / "out").rglob("*")) == [
        "notes.txt",
        "user-service",
    ]
    assert (existing / "notes.txt").read_text() == "mine"


def test_key_value_answers_reach_the_project(tmp_path: Path) -> None:
    answers = {
        "project_name": "Key Value",
        "user_fields": "shoe_size:int?",
        "roles": "GUEST, BOSS",
        "default_role": "GUEST",
        "admin_role": "BOSS",
        "database_name": "meta_key_value",
        "db_isolation": "truncate",
    }
    result = cookiecutter(tmp_path, **answers)
    assert result.returncode == 0, result.stderr
    record = json.loads((tmp_path / "out" / "key-value" / ".cruft.json").read_text())
    recorded = record["context"]["cookiecutter"]
    assert recorded == recorded | answers


def test_replay_renders_the_same_answers(tmp_path: Path) -> None:
    first = cookiecutter(
        tmp_path / "first", project_name="Replayed", user_fields="born_on:date?", roles="ONLY",
        default_role="ONLY", admin_role="ONLY", database_name="meta_replayed",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    (replay,) = (tmp_path / "first" / "replay").iterdir()
    second_dir = tmp_path / "second"
    second_dir.mkdir()
    config = second_dir / "config.yaml"
    config.write_text(f"replay_dir: {json.dumps(str(replay.parent))}\n")
    command = [
        *(sys.executable, "-m", "cookiecutter", "--replay", "--config-file", str(config)),
        *("--output-dir", str(second_dir / "out"), str(ROOT)),
    ]
    second = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert second.returncode == 0, second.stderr
    projects = [tmp_path / "first" / "out" / "replayed", second_dir / "out" / "replayed"]
    records = [json.loads((project / ".cruft.json").read_text()) for project in projects]
    answers = [record["context"]["cookiecutter"] for record in records]
    assert answers[0] == answers[1]
    assert answers[1]["user_fields"] == "born_on:date?"
    models = [(project / "src/replayed/users/models.py").read_text() for project in projects]
    assert models[0] == models[1]
    assert "born_on: Mapped[dt.date | None]" in models[1]


def test_replayed_bad_answers_are_refused_by_the_hook(tmp_path: Path) -> None:
    """`--replay` skips the prompts, so the pre-generation hook checks the answers again."""
    first = cookiecutter(tmp_path / "first", project_name="Replayed Badly")
    assert first.returncode == 0, first.stderr
    (replay,) = (tmp_path / "first" / "replay").iterdir()
    context = json.loads(replay.read_text())
    context["cookiecutter"]["user_fields"] = "age:integer"
    replay.write_text(json.dumps(context))
    config = tmp_path / "config.yaml"
    config.write_text(f"replay_dir: {json.dumps(str(replay.parent))}\n")
    out = tmp_path / "out"
    command = [
        *(sys.executable, "-m", "cookiecutter", "--replay", "--config-file", str(config)),
        *("--output-dir", str(out), str(ROOT)),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode != 0
    assert "user_fields: 'age:integer' has unknown type 'integer'" in result.stderr
    # cookiecutter logs its own FailedHookException; no traceback comes from our hooks.
    assert str(ROOT / "hooks") not in result.stderr
    assert list(out.glob("**/*")) == []


# Answers that look like Jinja: cookiecutter would render them as templates, crashing on the first
# and making 49 of the second. They are data, and reach the project as typed.
JINJA_LOOKALIKES = {
    "project_name": "Team {#1} {{ 7*7 }}",
    "description": "Users {{ 7*7 }}, {% raw %}, {% endraw %} and {# not a comment",
    "author_name": "{{ cookiecutter.author_name }}",
    "author_email": "team{1}@example.com",
    "database_name": "meta_jinja_lookalikes",
}


def test_answers_that_look_like_jinja_are_taken_as_they_are(tmp_path: Path) -> None:
    result = cookiecutter(tmp_path, **JINJA_LOOKALIKES)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    project = tmp_path / "out" / "team-1-7-7"
    recorded = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    assert recorded == recorded | JINJA_LOOKALIKES
    readme = (project / "README.md").read_text()
    assert readme.startswith(f"# {JINJA_LOOKALIKES['project_name']}\n\n")
    assert JINJA_LOOKALIKES["description"] in readme
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["description"] == JINJA_LOOKALIKES["description"]
    author = {"name": JINJA_LOOKALIKES["author_name"], "email": JINJA_LOOKALIKES["author_email"]}
    assert metadata["authors"] == [author]
    package = project / "src" / "team_1_7_7"
    assert (package / "__init__.py").read_text() == '"""Team {#1} {{ 7*7 }}."""\n'


def test_a_lone_jinja_delimiter_is_no_traceback(tmp_path: Path) -> None:
    result = cookiecutter(tmp_path, project_name="Team {#1}", project_slug="{%")
    assert result.returncode == 1
    assert "project_slug: '{%' is not a folder and distribution name;" in result.stderr
    assert "Traceback" not in result.stderr
    assert written(tmp_path) == []


@pytest.mark.parametrize(
    ("roles", "default_role", "admin_role"),
    [
        ("VET, OWNER, ADMIN", "VET", "ADMIN"),
        ("GUEST, AUTHENTICATED, BOSS", "AUTHENTICATED", "BOSS"),
        (" SOLO ", "SOLO", "SOLO"),
    ],
)
def test_role_defaults_are_drawn_from_the_roles(
    tmp_path: Path, roles: str, default_role: str, admin_role: str
) -> None:
    """AUTHENTICATED and ADMIN where they are among the roles, else the first and the last."""
    result = cookiecutter_here(tmp_path, roles=roles, database_name="meta_role_defaults")
    assert result.exit_code == 0, result.output
    (recorded,) = (tmp_path / "out").glob("*/.cruft.json")
    answers = json.loads(recorded.read_text())["context"]["cookiecutter"]
    assert (answers["default_role"], answers["admin_role"]) == (default_role, admin_role)


def test_prompts_offer_role_defaults_from_the_roles_just_given(tmp_path: Path) -> None:
    """Typed answers, as a person gives them: Enter everywhere but at `roles`."""
    typed = {"roles": "VET, OWNER, ADMIN"}
    lines = [typed.get(prompt, "") for prompt in PROMPTS] + [""]  # init_git last
    command = [sys.executable, "-m", "cookiecutter", *arguments(tmp_path)]
    command.remove("--no-input")
    result = subprocess.run(
        command,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Role a new sign-up gets (VET)" in result.stdout
    assert "Role allowed to manage other users (ADMIN)" in result.stdout
    package = tmp_path / "out" / "user-service" / "src" / "user_service"
    roles = (package / "users" / "roles.py").read_text()
    assert "DEFAULT_ROLE = Role.VET\n" in roles
    assert "ADMIN_ROLE = Role.ADMIN\n" in roles
