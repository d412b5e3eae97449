"""The audit log: one structured line per security event (OWASP ASVS 5.0 V16).

Logged as JSON to the logger `{{ cookiecutter.package_name }}.audit`, at INFO: the event, its
outcome, the user's id and the client's address, and a few plain details. Never a password,
a hash or a token: callers pass only identifiers, and `audit` refuses keys that name secrets.
"""

import json
import logging
from uuid import UUID

logger = logging.getLogger("{{ cookiecutter.package_name }}.audit")

FORBIDDEN_KEYS = frozenset({"password", "hashed_password", "token", "refresh_token", "secret"})


def audit(
    event: str,
    *,
    outcome: str,
    user_id: UUID | None = None,
    address: str | None = None,
    **details: str | int | bool | None,
) -> None:
    """Log `event` (e.g. "login") with its `outcome` (e.g. "success", "failure", "throttled")."""
    if FORBIDDEN_KEYS & set(details):
        raise ValueError(f"the audit log takes no secrets: {sorted(FORBIDDEN_KEYS & set(details))}")
    record = {
        "event": event,
        "outcome": outcome,
        "user_id": str(user_id) if user_id else None,
        "address": address,
        **details,
    }
    logger.info(json.dumps(record, ensure_ascii=False, sort_keys=False))
