"""The audit log: one structured line per security event (OWASP ASVS 5.0 V16).

Logged to the logger `{{ cookiecutter.package_name }}.audit`, at INFO, with the event's fields
under `audit`: the event, its outcome, the user's id and the client's address, and a few plain
details. Never a password, a hash or a token: callers pass only identifiers, and `audit`
refuses keys that name secrets. Written as every log line is (observability/logs.py): one
JSON object, every value escaped.
"""

import logging
from uuid import UUID

from opentelemetry import metrics
from prometheus_client import Counter

from {{ cookiecutter.package_name }}.core.keyed_hash import keyed_hash
from {{ cookiecutter.package_name }}.observability.logs import formatter

logger = logging.getLogger("{{ cookiecutter.package_name }}.audit")
# Every line, counted for /metrics (observability/metrics.py lists the others) and for OTLP
# (observability/telemetry.py: a no-op unless an endpoint is set).
AUDIT_EVENTS = Counter(
    "audit_events", "Security events, as the audit log has them", ["event", "outcome"]
)
AUDIT_EVENTS_OTLP = metrics.get_meter(__name__).create_counter(
    "audit.events", description="Security events, as the audit log has them"
)


def _log_to_stderr() -> None:
    """Unless logging was set up (the commands and the server do): the lines to standard
    error, where container platforms collect them (Python alone would drop INFO)."""
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(formatter("json"))
        logger.addHandler(handler)
        logger.propagate = False
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


def account_digest(account: str) -> str:
    """What the log says of an account name as typed (at login: it may be no account's, or a
    password typed in the wrong field): a short keyed hash, the same for every attempt on it."""
    return keyed_hash(account)[:16]


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
    _log_to_stderr()
    logger.info("%s: %s", event, outcome, extra={"audit": record})
    AUDIT_EVENTS.labels(event, outcome).inc()
    AUDIT_EVENTS_OTLP.add(1, {"event": event, "outcome": outcome})
