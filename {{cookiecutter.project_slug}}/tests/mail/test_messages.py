"""The mails' words come from the project's templates: every placeholder filled, values
escaped in the HTML part only, the subject on one line, the project's name in each."""

import pytest

from {{ cookiecutter.package_name }}.mail.messages import PROJECT_NAME, TEMPLATES, render

HOSTILE_LINK = 'https://example.com/r?token=a&b="<script>alert(1)</script>'


def test_values_are_escaped_in_the_html_part_only() -> None:
    message = render("password_reset", "ada@example.com", link=HOSTILE_LINK, minutes="30")
    assert HOSTILE_LINK in message.text
    assert "<script>" not in message.html
    assert "&lt;script&gt;" in message.html
    assert "&amp;b=&quot;" in message.html


def test_the_subject_is_one_line_with_the_projects_name() -> None:
    message = render("password_reset", "ada@example.com", link="https://x.test", minutes="5")
    assert "\n" not in message.subject
    assert " ".join(PROJECT_NAME.split()) in message.subject
    assert PROJECT_NAME in message.text


def test_a_missing_value_is_an_error_not_a_blank() -> None:
    with pytest.raises(KeyError, match="minutes"):
        render("password_reset", "ada@example.com", link="https://x.test")


def test_every_mail_has_its_three_parts() -> None:
    names = {path.name.partition(".")[0] for path in TEMPLATES.iterdir()}
    for name in names:
        for suffix in ("subject", "txt", "html"):
            assert (TEMPLATES / f"{name}.{suffix}").is_file(), f"{name}.{suffix}"
