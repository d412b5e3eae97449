"""Filters that let the templates loop over parsed answers instead of parsing them in Jinja."""

from __future__ import annotations

import json
from typing import Any

from jinja2 import Environment
from jinja2.ext import Extension

from hooks.answers import parse_roles
from hooks.field_spec import parse_user_fields


def answers(context: dict[str, Any]) -> dict[str, Any]:
    """The prompt answers alone, without cookiecutter's private `_` keys."""
    return {key: value for key, value in context.items() if not key.startswith("_")}


def quoted(text: str) -> str:
    """A double-quoted literal that is valid Python and valid TOML."""
    return json.dumps(text, ensure_ascii=False)


class AnswersExtension(Extension):
    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["user_fields"] = parse_user_fields
        environment.filters["roles"] = parse_roles
        environment.filters["quoted"] = quoted
        environment.filters["answers"] = answers
