"""Random valid answers, from a seed: every prompt, the whole `user_fields` grammar, every choice.

`random_answers(Random(seed))` makes one option set, as the key=value answers of
`cookiecutter --no-input`. The nox session `random` renders a few each run and checks each in
full; the meta-tests check that every set is accepted and that every type, flag and choice turns
up. Valid by construction from the rules in the README: the answer checks are not asked, so a
generator and a check that disagree show up as a refused set.
"""

from __future__ import annotations

import keyword
import string
import unicodedata
from random import Random

from hooks.answers import (
    ISOLATION_MODES,
    LICENSES,
    MAX_DATABASE_NAME,
    MAX_PACKAGE_NAME,
    MAX_PROJECT_NAME,
    MAX_ROLE_NAME,
    MAX_SLUG,
    PG_RESERVED_WORDS,
    PG_SYSTEM_DATABASES,
    STDLIB_MODULES,
    TAKEN_PACKAGE_NAMES,
)
from hooks.field_spec import (
    AMBIGUOUS_NAMES,
    BUILT_IN_COLUMNS,
    MAX_NAME_LENGTH,
    RESERVED_NAMES,
)
from hooks.field_types import (
    CODE_NAMES,
    MAX_DECIMAL_PRECISION,
    MAX_STR_LENGTH,
    TYPES,
)

# Words for names: plain, accented, other scripts (wide CJK counts two columns), look-alikes of
# Jinja, and punctuation a name may hold. No `"` or `\`: the project name may not have them.
NAME_WORDS = (
    *("User", "Service", "Team", "Pet", "Clinic", "API", "v2", "Desk", "O'Brien", "&", "-"),
    *("Café", "Übersicht", "Ñandú", "Сервис", "Δέλτα", "用户", "服务", "サービス", "خدمة", "🐍"),
    *("{#1}", "{{ 7*7 }}", "{%", "%}", "#}", "{", "}", "50%", "$HOME", "`x`", "<b>", "a/b"),
)
# Free text may hold anything printable on one line, quotes and backslashes included.
TEXT_WORDS = (*NAME_WORDS, '"quoted"', "back\\slash", "{% raw %}", "'", "tab-free", "日本語")
# Field names that the generated code or the tests could trip over.
AWKWARD_FIELD_NAMES = (
    *("value", "model", "items", "session", "type", "match", "case", "password_hint"),
    *("hashed_password_hint", "total", "offset", "limit", "name", "data", "seq", "fake", "user"),
    *("users", "role_name", "email_address", "is_admin", "text", "uuid", "date", "decimal"),
    *("detail", "loc", "msg", "body", "path", "access_token", "token_type", "op", "a", "x1"),
)
# Role names that are keywords somewhere (Python, SQL) or look like other things.
AWKWARD_ROLES = (
    *("NONE", "CLASS", "SELECT", "USER", "TABLE", "TRUE", "NULL", "DEFAULT", "ADMIN", "A1"),
    *("AUTHENTICATED", "ANONYMOUS", "X", "R" * MAX_ROLE_NAME),
)
STR_LENGTHS = (1, 2, 3, 8, 50, 255, 1000, MAX_STR_LENGTH)
PRECISIONS = (1, 2, 3, 5, 12, 38, 100, MAX_DECIMAL_PRECISION)
# A unique decimal(1,S) holds too few users (README): unique decimals get two digits or more.
SMALLEST_UNIQUE_PRECISION = 2
MAX_FIELDS = 12


def random_answers(rng: Random) -> dict[str, str]:
    """One valid option set: every prompt answered, some of them with their derived defaults."""
    package = _package_name(rng)
    answers = {
        "project_name": _project_name(rng),
        "project_slug": _slug(rng, package),
        "package_name": package,
        "description": _text(rng, maximum_words=12),
        "author_name": _author_name(rng),
        "author_email": _email(rng),
        "database_name": _database_name(rng),
        "user_fields": _user_fields(rng),
        "db_isolation": rng.choice(ISOLATION_MODES),
        "license": rng.choice(LICENSES),
        "copyright_year": str(rng.randint(1000, 9999)),
        "init_git": rng.choice(("yes", "no")),
    }
    roles = rng.sample(AWKWARD_ROLES, rng.randint(0, 3)) + [
        _upper_snake(rng) for _ in range(rng.randint(0, 3))
    ]
    roles = list(dict.fromkeys(roles)) or ["MEMBER"]
    answers["roles"] = ",".join(_padded(rng, role) for role in roles)
    # Left out, a role prompt takes its default drawn from the roles.
    for prompt in ("default_role", "admin_role"):
        if rng.random() < 0.7:
            answers[prompt] = _padded(rng, rng.choice(roles))
    return answers


def _padded(rng: Random, text: str) -> str:
    """`text` with the spaces around it that the rules forgive, sometimes."""
    return rng.choice(("", " ")) + text + rng.choice(("", " ", "  "))


def _columns(text: str) -> int:
    """Display width, as the rule counts it: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _project_name(rng: Random) -> str:
    words: list[str] = []
    for word in rng.choices(NAME_WORDS, k=rng.randint(1, 8)):
        if _columns(" ".join([*words, word])) > MAX_PROJECT_NAME:
            break
        words.append(word)
    return " ".join(words) or "Service"


def _text(rng: Random, maximum_words: int) -> str:
    return " ".join(rng.choices(TEXT_WORDS, k=rng.randint(0, maximum_words)))


def _author_name(rng: Random) -> str:
    """Free text around a word with letters: pyproject.toml and git need a name."""
    words = _text(rng, maximum_words=2).split()
    words.insert(rng.randint(0, len(words)), rng.choice(("Ada", "Ñandú", "Сервис", "用户", "x1")))
    return " ".join(words)


def _snake(rng: Random, maximum: int) -> str:
    """A snake_case word: a letter, then letters and digits, parts joined by single `_`."""
    length = rng.randint(1, maximum)
    name = rng.choice(string.ascii_lowercase)
    while len(name) < length:
        part = "".join(rng.choices(string.ascii_lowercase + string.digits, k=rng.randint(1, 8)))
        name += rng.choice(("", "_")) + part
    return name[:maximum].rstrip("_")


def _package_name(rng: Random) -> str:
    while True:
        name = _snake(rng, MAX_PACKAGE_NAME)
        taken = STDLIB_MODULES | TAKEN_PACKAGE_NAMES
        if not keyword.iskeyword(name) and not keyword.issoftkeyword(name) and name not in taken:
            return name


def _slug(rng: Random, package: str) -> str:
    """The package's name in a folder's spelling, sometimes longer, up to the limit."""
    slug = package.replace("_", rng.choice("-_."))
    if rng.random() < 0.2:
        slug = (slug + "-" + "x" * MAX_SLUG)[:MAX_SLUG]
    return slug


def _database_name(rng: Random) -> str:
    while True:
        name = rng.choice(("_", "")) + _snake(rng, MAX_DATABASE_NAME - 1)
        if name not in PG_RESERVED_WORDS and name not in PG_SYSTEM_DATABASES:
            return name


def _email(rng: Random) -> str:
    if rng.random() < 0.2:
        return ""
    local = rng.choice(("me", "a.b", "first+tag", "o'brien", "team{1}", "x_y-z", "{{7}}"))
    domain = rng.choice(("example.com", "mail.example.org", "ex-ample.co.uk"))
    return _padded(rng, f"{local}@{domain}")


def _upper_snake(rng: Random) -> str:
    while (name := _snake(rng, MAX_ROLE_NAME).upper()) in AMBIGUOUS_NAMES:
        pass
    return name


def _field_name(rng: Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(AWKWARD_FIELD_NAMES)
    refused = set(BUILT_IN_COLUMNS) | RESERVED_NAMES | CODE_NAMES | AMBIGUOUS_NAMES
    while True:
        name = _snake(rng, MAX_NAME_LENGTH)
        if not keyword.iskeyword(name) and name not in refused and not name.startswith("model_"):
            return name


def _may_be(kind: str, flag: str) -> bool:
    """Whether a field of this type may have the flag: a unique one must hold enough values.

    A type without sizes that holds too few (bool) is never unique; a unique decimal gets at
    least SMALLEST_UNIQUE_PRECISION digits below.
    """
    entry = TYPES[kind]
    return flag != "unique" or entry.capacity is None or entry.sizes is not None


def _field(rng: Random, name: str) -> str:
    kind = rng.choice(list(TYPES))
    flags = [flag for flag in TYPES[kind].flags if rng.random() < 0.35 and _may_be(kind, flag)]
    rng.shuffle(flags)
    size = ""
    if kind == "str" and rng.random() < 0.8:
        size = f"({_padded(rng, str(rng.choice(STR_LENGTHS)))})"
    elif kind == "decimal" and (rng.random() < 0.8 or "unique" in flags):
        lowest = SMALLEST_UNIQUE_PRECISION if "unique" in flags else 1
        precision = max(lowest, rng.choice(PRECISIONS))
        scale = rng.choice((0, precision, rng.randint(0, precision)))
        size = f"({_padded(rng, str(precision))},{_padded(rng, str(scale))})"
    optional = rng.choice(("", "?", " ?"))
    parts = [_padded(rng, name), _padded(rng, f"{kind}{size}{optional}")]
    return ":".join(parts + [_padded(rng, flag) for flag in flags])


def _user_fields(rng: Random) -> str:
    names: list[str] = []
    for _ in range(rng.choice((0, 1, 2, rng.randint(3, MAX_FIELDS)))):
        name = _field_name(rng)
        if name not in names:
            names.append(name)
    return ",".join(_field(rng, name) for name in names)
