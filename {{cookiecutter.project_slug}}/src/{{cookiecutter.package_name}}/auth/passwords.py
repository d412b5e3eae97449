"""Which passwords are accepted (OWASP ASVS 5.0 V6.2): long enough, at most 128 characters, not
the account's email or its local part, not one character repeated, and not one of the 10,000
most common passwords.

The common passwords are the first 10,000 of zxcvbn's list (ranked by frequency in leaked
password sets), compared without regard to case. Each rule's message names the rule, never the
password.
"""

from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo

from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.database.storable import encodable_text

MAX_PASSWORD_LENGTH = 128
COMMON_PASSWORDS_REFUSED = 10_000


@lru_cache
def common_passwords() -> frozenset[str]:
    """The most common passwords, in lower case; loaded once, on first use."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

    ranked: list[str] = FREQUENCY_LISTS["passwords"]
    return frozenset(password.lower() for password in ranked[:COMMON_PASSWORDS_REFUSED])


def password_problem(password: str) -> str | None:
    """What is wrong with `password` whoever's it is, or None."""
    minimum = get_settings().password_min_length
    if len(password) < minimum:
        return f"must be at least {minimum} characters long (PASSWORD_MIN_LENGTH)"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"must be at most {MAX_PASSWORD_LENGTH} characters long"
    if len(set(password)) == 1 or not password.strip():
        return "must not be one character repeated, nor only spaces"
    if password.lower() in common_passwords():
        return f"is one of the {COMMON_PASSWORDS_REFUSED:,} most common passwords; choose another"
    return None


def password_problem_for(password: str, email: str) -> str | None:
    """What is wrong with `password` as the password of the account `email`, or None."""
    local_part = email.rpartition("@")[0]
    if password.lower() in {email.lower(), local_part.lower()}:
        return "must not be the email address or the part of it before the @"
    return password_problem(password)


# A password as chosen (sign-up, change): its minimum is a setting, checked with the rules above.
Password = Annotated[str, Field(max_length=MAX_PASSWORD_LENGTH), AfterValidator(encodable_text)]
# A password as typed at login: no minimum of its own, as a short password is simply a wrong one.
TypedPassword = Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]


def check_password(password: str | None, info: ValidationInfo) -> str | None:
    """A schema's validator: the rules above, against the body's email too when it has one."""
    if password is None:
        return None
    email = info.data.get("email")
    problem = password_problem_for(password, email if isinstance(email, str) else "")
    if problem is not None:
        raise ValueError(f"The password {problem}")
    return password
