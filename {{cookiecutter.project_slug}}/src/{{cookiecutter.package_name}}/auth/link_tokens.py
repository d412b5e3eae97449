"""The tokens of links in mails (a password reset, an email verification): 256 random bits,
sent only in the mail, stored only as their SHA-256 (auth/sessions.py's `token_hash`)."""

import re
import secrets
from urllib.parse import urlencode

from {{ cookiecutter.package_name }}.auth.sessions import token_hash
from {{ cookiecutter.package_name }}.core.settings import Settings

# What `new_token` makes; anything else is no token of ours, whatever it holds.
WELL_FORMED = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> tuple[str, str]:
    """A token for a link, and the hash to store of it."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def well_formed(token: str) -> bool:
    return WELL_FORMED.fullmatch(token) is not None


def link(page: str, token: str, settings: Settings) -> str:
    """PUBLIC_BASE_URL's `page`, with the token in its query."""
    return f"{settings.public_base_url}{page}?{urlencode({'token': token})}"
