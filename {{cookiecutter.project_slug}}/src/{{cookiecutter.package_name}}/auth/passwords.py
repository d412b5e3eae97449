"""Which passwords are accepted (OWASP ASVS 5.0 V6.2): long enough, at most 128 characters, not
the account's email or its local part, not one character repeated, not one of the 10,000 most
common passwords, and not easy to guess by zxcvbn's estimate.

The common passwords are the first 10,000 of zxcvbn's list (ranked by frequency in leaked
password sets), compared without regard to case. Most of them are shorter than the minimum
length; zxcvbn's score catches what such a list cannot at any length: a common word with digits
or symbols (`Password1234!`), a word repeated (`passwordpassword`), a keyboard walk, a date,
the account's own email. Each rule's message names the rule, never the password.
"""

import asyncio
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, Field

from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.database.storable import encodable_text

MAX_PASSWORD_LENGTH = 128
COMMON_PASSWORDS_REFUSED = 10_000
# zxcvbn's score (0 to 4) a password must reach: 3 means about 10^8 guesses or more, "safely
# unguessable" online and some protection if the hashes leak.
MIN_STRENGTH = 3
# zxcvbn refuses longer passwords (its cost grows quickly): a longer one's start is scored.
SCORED_LENGTH = 72


@lru_cache
def common_passwords() -> frozenset[str]:
    """The most common passwords, in lower case; loaded once, on first use."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

    ranked: list[str] = FREQUENCY_LISTS["passwords"]
    return frozenset(password.lower() for password in ranked[:COMMON_PASSWORDS_REFUSED])


def _easy_to_guess(password: str, own_words: Sequence[str]) -> bool:
    from zxcvbn import zxcvbn  # type: ignore[import-untyped]

    score: int = zxcvbn(password[:SCORED_LENGTH], user_inputs=list(own_words))["score"]
    return score < MIN_STRENGTH


def password_problem(password: str, own_words: Sequence[str] = ()) -> str | None:
    """What is wrong with `password` for an account described by `own_words` (its email and
    the parts of it), or None."""
    minimum = get_settings().password_min_length
    if len(password) < minimum:
        return f"must be at least {minimum} characters long (PASSWORD_MIN_LENGTH)"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"must be at most {MAX_PASSWORD_LENGTH} characters long"
    if len(set(password)) == 1 or not password.strip():
        return "must not be one character repeated, nor only spaces"
    if password.lower() in common_passwords():
        return f"is one of the {COMMON_PASSWORDS_REFUSED:,} most common passwords; choose another"
    if _easy_to_guess(password, own_words):
        return (
            "is too easy to guess (a common word with digits or symbols, a word repeated, a "
            "keyboard pattern, a date, or the account's own email); a few unrelated words work"
        )
    return None


def _made_of(password: str, parts: Sequence[str]) -> bool:
    """Whether `password`'s letters are all but a few of them `parts` (`Rosalind.Franklin1920`
    for rosalind.franklin@...), which zxcvbn scores too kindly."""
    letters = re.sub(r"[\W\d_]+", "", password.lower())
    rest = letters
    for part in sorted(parts, key=len, reverse=True):
        rest = rest.replace(part, "")
    return rest != letters and len(rest) < 4


def password_problem_for(password: str, email: str) -> str | None:
    """What is wrong with `password` as the password of the account `email`, or None."""
    local_part = email.rpartition("@")[0]
    if password.lower() in {email.lower(), local_part.lower()}:
        return "must not be the email address or the part of it before the @"
    parts = [part for part in re.split(r"[\W_]+", email.lower()) if len(part) >= 3]
    if _made_of(password, parts):
        return "must not be made of the email address's parts (with digits or symbols)"
    return password_problem(password, [email, local_part, *parts])


# A password as chosen (sign-up, change): its minimum is a setting, checked with the rules above.
Password = Annotated[str, Field(max_length=MAX_PASSWORD_LENGTH), AfterValidator(encodable_text)]
# A password as typed at login: no minimum of its own, as a short password is simply a wrong one.
TypedPassword = Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]


async def password_refusal(password: str, email: str) -> str | None:
    """`password_problem_for`, off the event loop: scoring takes milliseconds of CPU, and
    zxcvbn looks for translations of its advice on disk."""
    return await asyncio.to_thread(password_problem_for, password, email)
