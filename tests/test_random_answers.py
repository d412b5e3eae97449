"""The random option sets: all valid, together covering the grammar, each rendering cleanly.

The full check of a few random sets (suite, ruff, mypy, migrations) is the nox session `random`.
"""

import ast
import os
import secrets
from collections.abc import Iterator
from random import Random

import pytest
from pytest_cookies.plugin import Cookies

from hooks.answers import (
    ISOLATION_MODES,
    LICENSES,
    parse_roles,
    problems,
    suggested_admin_role,
    suggested_default_role,
)
from hooks.field_spec import UserField, parse_user_fields
from hooks.field_types import (
    FLAGS,
    MAX_DECIMAL_PRECISION,
    MAX_STR_LENGTH,
    TYPES,
)
from tests.random_answers import AWKWARD_FIELD_NAMES, SMALLEST_UNIQUE_PRECISION, random_answers
from tests.test_render import LEFTOVER, files, registry_copy, without_answers

SEEDS = range(500)


def effective(answers: dict[str, str]) -> dict[str, str]:
    """The answers as rendered: a role prompt left out takes its default from the roles."""
    return {
        "default_role": suggested_default_role(answers["roles"]),
        "admin_role": suggested_admin_role(answers["roles"]),
        **answers,
    }


def drawn() -> Iterator[dict[str, str]]:
    for seed in SEEDS:
        yield random_answers(Random(seed))


def test_every_random_set_is_accepted() -> None:
    refused = {seed: problems(effective(random_answers(Random(seed)))) for seed in SEEDS}
    assert {seed: found for seed, found in refused.items() if found} == {}


def test_the_same_seed_draws_the_same_set() -> None:
    assert random_answers(Random(7)) == random_answers(Random(7))
    assert random_answers(Random(7)) != random_answers(Random(8))


def _field_traits(field: UserField) -> set[str]:
    traits = {field.kind, *(flag for flag in FLAGS if getattr(field, flag))}
    traits.add("optional" if field.optional else "required")
    if field.kind == "str":
        traits.add({1: "str(1)", MAX_STR_LENGTH: "longest str"}.get(field.length or 0, "str(N)"))
    if field.kind == "decimal":
        traits.add(f"decimal(P,{'P' if field.scale == field.precision else 'S'})")
        if field.precision == MAX_DECIMAL_PRECISION:
            traits.add("widest decimal")
        if field.unique and field.precision == SMALLEST_UNIQUE_PRECISION:
            traits.add("smallest unique decimal")
    return traits


def test_random_sets_cover_every_type_flag_and_choice() -> None:
    seen: set[str] = set()
    for answers in drawn():
        fields = parse_user_fields(answers["user_fields"])
        seen |= {trait for field in fields for trait in _field_traits(field)}
        seen |= {f"name {field.name}" for field in fields}
        seen |= {answers["db_isolation"], answers["license"], f"git {answers['init_git']}"}
        seen.add({0: "no fields", 1: "one field"}.get(len(fields), "several fields"))
        if len(parse_roles(answers["roles"])) == 1:
            seen.add("one role")
        seen |= {
            f"{prompt} drawn" for prompt in ("default_role", "admin_role") if prompt in answers
        }
        seen |= {
            f"{prompt} left out"
            for prompt in ("default_role", "admin_role")
            if prompt not in answers
        }
        if any(not answer.isascii() for answer in answers.values()):
            seen.add("non-ASCII")
        if any(mark in answers["project_name"] for mark in ("{{", "{%", "{#")):
            seen.add("Jinja look-alike")
    wanted = {
        *TYPES,
        *FLAGS,
        *("optional", "required", "str(1)", "str(N)", "longest str"),
        *("decimal(P,S)", "decimal(P,P)", "widest decimal", "smallest unique decimal"),
        *(f"name {name}" for name in AWKWARD_FIELD_NAMES),
        *ISOLATION_MODES,
        *LICENSES,
        *("git yes", "git no", "no fields", "one field", "several fields", "one role"),
        *("default_role drawn", "admin_role drawn", "default_role left out", "admin_role left out"),
        *("non-ASCII", "Jinja look-alike"),
    }
    assert wanted - seen == set()


def test_random_sets_leave_out_the_role_prompts_sometimes() -> None:
    left_out = [answers for answers in drawn() if "default_role" not in answers]
    assert left_out
    assert any("AUTHENTICATED" not in parse_roles(answers["roles"]) for answers in left_out)


# A fresh seed each run, as in the nox session; SEED=<n> replays one.
RENDER_SEED = int(os.environ.get("SEED") or secrets.randbelow(2**32))
RENDERS = 3


@pytest.mark.parametrize("number", range(RENDERS))
def test_random_sets_render_without_template_syntax_left(cookies: Cookies, number: int) -> None:
    rng = Random(RENDER_SEED)
    for _ in range(number + 1):
        answers = random_answers(rng)
    replay = f"SEED={RENDER_SEED}, set {number + 1}: {answers}"
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, f"{replay}: {result.exception}"
    for path in files(result.project_path):
        relative = path.relative_to(result.project_path)
        if registry_copy(result.project_path, path) is not None:
            continue  # copied as it is, not rendered (test_render.py compares it)
        text = path.read_text(encoding="utf-8")
        leftover = LEFTOVER.search(without_answers(text, result.context))
        assert not leftover, f"{replay}: template syntax left in {relative}: {leftover}"
        if path.suffix == ".py":
            ast.parse(text, filename=str(relative))
