"""Password rules: long enough (a setting), at most 128, not the email, not a common one.

Each refusal is a 422 that names the rule and never echoes the password.
"""

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.auth.passwords import common_passwords
from {{ cookiecutter.package_name }}.core.settings import Settings, get_settings
from {{ cookiecutter.package_name }}.users.models import User

from tests.factories import new_sign_up
from tests.helpers import PASSWORD, bearer
from tests.leaks import assert_no_secrets


def _refused(response_json: dict[str, list[dict[str, object]]]) -> str:
    (error,) = response_json["detail"]
    assert error["loc"] == ["body", "password"], error
    assert "input" not in error
    message = error["msg"]
    assert isinstance(message, str)
    return message


def test_the_minimum_length_defaults_to_12() -> None:
    assert Settings(_env_file=None).password_min_length == 12


def test_ten_thousand_common_passwords_are_known() -> None:
    common = common_passwords()
    assert len(common) >= 9_900  # a few differ only in case
    assert {"password", "123456", "qwerty", "letmein", "qwerty123456", "leavemealone"} <= common


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("elevenchars", "at least 12 characters"),
        ("x" * 129, "at most 128"),
        (" " * 12, "one character repeated"),
        ("aaaaaaaaaaaaaaaa", "one character repeated"),
        ("qwerty123456", "most common passwords"),
        ("LeaveMeAlone", "most common passwords"),
        ("1qaz2wsx3edc", "most common passwords"),
        ("password1234", "too easy to guess"),
        ("Password1234!", "too easy to guess"),
        ("passwordpassword", "too easy to guess"),
        ("letmeinletmein", "too easy to guess"),
        ("qwertyuiop123", "too easy to guess"),
    ],
    ids=[
        "too short",
        "too long",
        "spaces",
        "repeated",
        "common",
        "common, other case",
        "keyboard",
        "word and digits",
        "word, digits and a symbol",
        "word repeated",
        "phrase repeated",
        "keyboard walk",
    ],
)
async def test_a_weak_password_is_refused_at_sign_up(
    async_client: AsyncClient, password: str, rule: str
) -> None:
    response = await async_client.post("/users", json=new_sign_up(password))
    assert response.status_code == 422, response.text
    message = _refused(response.json())
    assert rule in message
    assert password.strip() not in message or not password.strip()
    assert_no_secrets(response, password)


@pytest.mark.parametrize("which", ["email", "local part", "email in capitals"])
async def test_the_email_is_no_password(async_client: AsyncClient, which: str) -> None:
    body = new_sign_up(PASSWORD)
    email = "ferdinand.longname@example.com"
    password = {
        "email": email,
        "local part": "ferdinand.longname",
        "email in capitals": email.upper(),
    }[which]
    body = {**body, "email": email, "password": password}
    response = await async_client.post("/users", json=body)
    assert response.status_code == 422, response.text
    assert "email address" in _refused(response.json())
    assert_no_secrets(response, password)


async def test_changing_the_password_follows_the_rules_too(
    async_client: AsyncClient, user: User, token: str
) -> None:
    local_part = user.email.partition("@")[0]
    weak = [local_part, user.email, "qwerty123456", "Tr0ub4dor"]
    for password in weak:
        response = await async_client.patch(
            f"/users/{user.id}",
            json={"password": password, "current_password": PASSWORD},
            headers=bearer(token),
        )
        assert response.status_code == 422, (password, response.text)
        _refused(response.json())
        assert_no_secrets(response, password)
    fine = await async_client.patch(
        f"/users/{user.id}",
        json={"password": PASSWORD + " again", "current_password": PASSWORD},
        headers=bearer(token),
    )
    assert fine.status_code == 200, fine.text


async def test_a_strong_password_of_128_characters_is_accepted(async_client: AsyncClient) -> None:
    password = ("correct horse battery staple " * 5)[:128]
    response = await async_client.post("/users", json=new_sign_up(password))
    assert response.status_code == 201, response.text


async def test_the_minimum_length_is_a_setting(async_client: AsyncClient) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PASSWORD_MIN_LENGTH", "40")
        get_settings.cache_clear()
        try:
            response = await async_client.post("/users", json=new_sign_up(PASSWORD))
        finally:
            get_settings.cache_clear()
    assert response.status_code == 422
    assert "at least 40 characters" in _refused(response.json())


@pytest.mark.parametrize(
    "password", ["RosalindFranklin1920", "franklin.rosalind!", "Example.Rosalind.1920"]
)
async def test_a_password_made_of_the_email_is_refused(
    async_client: AsyncClient, password: str
) -> None:
    body = {**new_sign_up(password), "email": "rosalind.franklin@example.com"}
    response = await async_client.post("/users", json=body)
    assert response.status_code == 422, response.text
    assert "email address's parts" in _refused(response.json())
