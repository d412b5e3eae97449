"""A keyed hash (HMAC-SHA256 under SECRET_KEY) of text that must be recognised again but never
read: a name typed at login may be a password typed in the wrong field, and a plain hash of it
could be tested against guesses by anyone who reads the log or the database."""

import hashlib
import hmac

from {{ cookiecutter.package_name }}.core.settings import get_settings


def keyed_hash(text: str) -> str:
    key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, text.encode(errors="replace"), hashlib.sha256).hexdigest()
