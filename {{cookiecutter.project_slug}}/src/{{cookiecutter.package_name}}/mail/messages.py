"""A mail's subject, plain-text and HTML parts, from the templates in `templates/`.

Each mail NAME has three files: `NAME.subject`, `NAME.txt` and `NAME.html`, with `$placeholders`
(`string.Template`): the values given, and `$project`, the project's name. Values are escaped
in the HTML part; a missing value is an error, not a blank in a sent mail.
"""

import html
from dataclasses import dataclass
from pathlib import Path
from string import Template

PROJECT_NAME = {{ cookiecutter.project_name | quoted }}
TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class Message:
    """A mail as written to the outbox: who gets it and what it says."""

    to: str
    subject: str
    text: str
    html: str


# Read with the module, at start-up: a file read while a request waits would block the loop.
_TEMPLATES = {
    path.name: Template(path.read_text(encoding="utf-8"))
    for path in TEMPLATES.iterdir()
    if path.suffix in {".subject", ".txt", ".html"}
}


def _template(file_name: str) -> Template:
    return _TEMPLATES[file_name]


def render(name: str, to: str, **values: str) -> Message:
    """The mail `name` for `to`, its placeholders filled with `values`."""
    values = {"project": PROJECT_NAME, **values}
    escaped = {key: html.escape(value) for key, value in values.items()}
    subject = _template(f"{name}.subject").substitute(values).strip()
    return Message(
        to=to,
        # One line: a line break in a header would start another header.
        subject=" ".join(subject.split()),
        text=_template(f"{name}.txt").substitute(values),
        html=_template(f"{name}.html").substitute(escaped),
    )
