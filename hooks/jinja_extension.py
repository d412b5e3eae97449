"""The template's Jinja extension: answers kept as data, and filters that let the templates loop
over parsed answers instead of parsing them in Jinja."""

from __future__ import annotations

import inspect
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from cookiecutter.exceptions import FailedHookException
from jinja2 import Environment
from jinja2.ext import Extension

from hooks import field_code
from hooks.answers import (
    PROMPTS,
    parse_roles,
    problems,
    report,
    suggested_admin_role,
    suggested_default_role,
)
from hooks.field_spec import parse_user_fields
from hooks.origin import cruft_call

# Absolute, resolved when cookiecutter imports this module: `cookiecutter .` gives a relative
# `_repo_dir`, which means nothing to a hook script that runs in the new project's folder.
TEMPLATE_ROOT = str(Path(__file__).resolve().parent.parent)


def _own_templates() -> frozenset[str]:
    """The strings of cookiecutter.json: the template's own Jinja (derived defaults) among them."""
    spec = json.loads((Path(TEMPLATE_ROOT) / "cookiecutter.json").read_text(encoding="utf-8"))
    strings = set()
    for value in spec.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                strings.add(item)
    return frozenset(strings)


OWN_TEMPLATES = _own_templates()


def _rendering_a_prompt_value() -> bool:
    """Whether cookiecutter is rendering a prompt's value: a default, or an answer given to it.

    That is `cookiecutter.prompt.render_variable` (cookiecutter 2; the meta-tests on answers
    that look like Jinja fail if that changes). Everything else it renders (file names, files,
    hook scripts) is the template's own.
    """
    frame = inspect.currentframe()
    while frame is not None:
        code = frame.f_code
        if (
            code.co_name == "render_variable"
            and frame.f_globals["__name__"] == "cookiecutter.prompt"
        ):
            return True
        frame = frame.f_back
    return False


def literal(text: str) -> str:
    """Jinja source that renders to exactly `text`: one string literal, every character escaped."""
    return '{{ "' + "".join(f"\\U{ord(char):08x}" for char in text) + '" }}'


class AnswersRefused(FailedHookException):
    """Bad answers, found before cookiecutter writes anything (not even the replay file).

    A FailedHookException, so that cookiecutter's command line reports it without a traceback and
    exits 1, as it does when the pre-generation hook refuses (which still guards `--replay`).
    """

    def __init__(self, found: list[str]) -> None:
        super().__init__("Stopped before writing anything: fix the answers listed above.")
        self.problems = found


def refuse_bad_answers(context: dict[str, Any]) -> str:
    """Render nothing if every answer is valid; else print every problem and refuse.

    `cookiecutter.json` renders this in a private variable after the last prompt, i.e. before
    cookiecutter creates the project folder (which a bad `project_slug` such as `a/b` would put
    in the wrong place).
    """
    if not set(PROMPTS) <= context.keys():  # a replay of an older render: the hook checks it
        return ""
    found = problems(context)
    if found:
        print(report(found), file=sys.stderr, flush=True)
        raise AnswersRefused(found)
    return ""


def quoted(text: str) -> str:
    """A double-quoted literal that is valid Python and valid TOML."""
    return json.dumps(text, ensure_ascii=False)


def as_json(value: Any) -> str:
    """JSON in the value's own key order (`jsonify` sorts keys), ASCII only.

    ASCII, so that `tojson` can quote it as a Python string literal: it would write a character
    beyond the BMP as two surrogate escapes, which Python reads as two lone surrogates.
    """
    return json.dumps(value)


def non_ascii(text: str) -> list[str]:
    """The distinct non-ASCII characters of `text`, in order of first appearance."""
    return list(dict.fromkeys(char for char in text if not char.isascii()))


FIELD_CODE_FILTERS = (
    "model_declaration",
    "create_declaration",
    "update_declaration",
    "read_declaration",
    "fake_value",
    "create_admin_fields",
    "migration_column",
    "migration_constraint",
    "migration_index",
    "schema_definitions",
    "hostile_values",
    "restated_values",
    "with_type_imports",
)


class AnswersExtension(Extension):
    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["user_fields"] = parse_user_fields
        # The code of the parsed fields: `{{ field | model_declaration }}`, ...
        for name in FIELD_CODE_FILTERS:
            environment.filters[name] = getattr(field_code, name)
        environment.filters["roles"] = parse_roles
        environment.filters["suggested_default_role"] = suggested_default_role
        environment.filters["suggested_admin_role"] = suggested_admin_role
        environment.filters["quoted"] = quoted
        environment.filters["refuse_bad_answers"] = refuse_bad_answers
        environment.filters["non_ascii"] = non_ascii
        environment.globals["template_root"] = TEMPLATE_ROOT
        call = cruft_call()
        environment.globals["cruft_call"] = call
        environment.filters["as_json"] = as_json
        if call:
            forget_hooks_modules()

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        """Answers are data: their text is rendered as it is, never as a template.

        cookiecutter renders every value given on its command line (or in a user config's
        `default_context`) as Jinja before any check can see it: `Team {#1}` would stop it with a
        traceback, `Users {{ 7*7 }}` become `Users 49`. Typed answers it already takes as they are.
        """
        own = name is not None or "{" not in source or source in OWN_TEMPLATES
        if not own and _rendering_a_prompt_value():
            return literal(source)
        return source


def forget_hooks_modules() -> None:
    """Make the next import of `hooks.*` read the files on disk as they are then.

    cruft renders two commits of this template in one process (`cruft update`), from one clone
    it checks out in between: without this the second render would run the first one's code.
    Bytecode goes too: a changed file of the same size, written in the same second as its
    bytecode, would pass Python's check. The clone is cruft's own, in a temporary folder.
    """
    for name in [name for name in sys.modules if name.split(".")[0] == "hooks"]:
        del sys.modules[name]
    sys.dont_write_bytecode = True
    shutil.rmtree(Path(TEMPLATE_ROOT) / "hooks" / "__pycache__", ignore_errors=True)
