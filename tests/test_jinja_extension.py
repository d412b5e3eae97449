"""Answers kept as data: the Jinja source that stands for an answer renders to the answer itself."""

import pytest
from jinja2 import Environment

from hooks.jinja_extension import literal


@pytest.mark.parametrize(
    "text",
    [
        "Team {#1}",
        "Users {{ 7*7 }}",
        "{% raw %}{% endraw %}{{ '}}' }}",
        "quotes \" ' and a backslash \\",
        "🐍 用户 {",
        "lines\nand\r\nreturns\n",
        "\udc80 (a byte that was no UTF-8 on the command line)",
        "",
    ],
)
def test_literal_renders_to_the_text_itself(text: str) -> None:
    environment = Environment(keep_trailing_newline=True)
    assert environment.from_string(literal(text)).render() == text
