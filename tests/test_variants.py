"""The fixed option sets of variants.json make every choice a prompt offers.

nox renders and checks each fixed set in full: a choice that none of them makes (an isolation
mode, a licence, git on or off, a field type, a flag) would never be checked.
"""

from hooks.answers import COOKIECUTTER_JSON
from hooks.field_spec import parse_user_fields
from hooks.field_types import FLAGS, TYPES
from tests.helpers import VARIANTS

PROMPTS = {key: value for key, value in COOKIECUTTER_JSON.items() if not key.startswith("_")}
CHOICE_PROMPTS = [key for key, value in PROMPTS.items() if isinstance(value, list)]


def effective(variant: dict[str, str]) -> dict[str, object]:
    """A variant's answers, with cookiecutter.json's default for each prompt it leaves out."""
    defaults = {
        key: value[0] if isinstance(value, list) else value for key, value in PROMPTS.items()
    }
    return {**defaults, **variant}


def _yes(answer: object) -> bool:
    # As cookiecutter reads a yes/no answer given on the command line.
    return str(answer).strip().lower() in ("1", "true", "t", "yes", "y", "on")


def choices_made(answers: dict[str, object]) -> set[str]:
    made = {f"{prompt} {answers[prompt]}" for prompt in CHOICE_PROMPTS}
    made.add(f"init_git {'yes' if _yes(answers['init_git']) else 'no'}")
    for field in parse_user_fields(str(answers["user_fields"])):
        made.add(f"type {field.kind}")
        made |= {f"flag {flag}" for flag in FLAGS if getattr(field, flag)}
        made.add("flag ?" if field.optional else "required field")
    return made


def every_choice() -> set[str]:
    offered = {f"{prompt} {choice}" for prompt in CHOICE_PROMPTS for choice in PROMPTS[prompt]}
    offered |= {"init_git yes", "init_git no", "flag ?", "required field"}
    return offered | {f"type {kind}" for kind in TYPES} | {f"flag {flag}" for flag in FLAGS}


def missing_choices(variants: dict[str, dict[str, str]]) -> set[str]:
    made = set().union(*(choices_made(effective(variant)) for variant in variants.values()))
    return every_choice() - made


def test_every_choice_is_made_by_a_fixed_option_set() -> None:
    assert missing_choices(VARIANTS) == set(), "add them to an option set of tests/variants.json"


def test_a_choice_no_option_set_makes_is_named() -> None:
    without = {name: answers for name, answers in VARIANTS.items() if name != "every_type"}
    without = {
        name: {**answers, "db_isolation": "rollback"} if name == "other_roles_truncate" else answers
        for name, answers in without.items()
    }
    assert {"type float", "db_isolation truncate"} <= missing_choices(without)
