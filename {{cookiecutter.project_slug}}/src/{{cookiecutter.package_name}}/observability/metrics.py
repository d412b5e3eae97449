"""Prometheus metrics, served at `GET /metrics` (metrics_endpoint.py; METRICS_ENABLED).

- `http_requests_total{method, route, status}` and `http_request_duration_seconds{method,
  route}`: every request, its route named by its template (a bounded set of labels);
- `db_pool_connections{state}`: the pool's connections in use, idle and in overflow, as each
  request ends;
- `audit_events_total{event, outcome}`: logins failed or throttled, sign-ups, refreshes, ...:
  every line of the audit log, counted where it is written (core/audit.py).
- `mail_outbox{state}`: the outbox's mails waiting to be sent, and those given up, as the
  mail sender counts them every OUTBOX_COUNT_SECONDS (mail/sender.py); also over OTLP, as
  `mail.outbox`.

With several worker processes (`serve` with WEB_CONCURRENCY > 1) each writes its numbers to
PROMETHEUS_MULTIPROC_DIR, which `serve` sets, and whichever worker answers a scrape sums them.
"""

import time
from collections.abc import Iterable

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy.pool import QueuePool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.observability.route_names import route_template

REQUESTS = Counter("http_requests", "Requests answered", ["method", "route", "status"])
DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to answer a request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
POOL = Gauge(
    "db_pool_connections",
    "The database pool's connections, by state",
    ["state"],
    multiprocess_mode="livesum",
)
# The same numbers in every process (the database's): the largest of the live ones.
OUTBOX = Gauge(
    "mail_outbox", "The outbox's mails, waiting or given up", ["state"], multiprocess_mode="livemax"
)
_outbox_counts: dict[str, int] = {}
# Requests no route took: one label for all, however many paths they tried.
UNMATCHED = "<unmatched>"


class MetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not get_settings().metrics_enabled:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_code = 500  # unless a response starts
        recorded = False

        def record() -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            route = route_template(scope) or UNMATCHED
            method = scope["method"]
            REQUESTS.labels(method, route, str(status_code)).inc()
            DURATION.labels(method, route).observe(time.perf_counter() - started)
            _record_pool(scope)

        async def measured_send(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                # Counted before the client can see the end: any scrape after a response,
                # from any worker, includes it.
                record()
            await send(message)

        try:
            await self.app(scope, receive, measured_send)
        finally:
            record()  # a request that ended without a complete response


def _record_pool(scope: Scope) -> None:
    database = getattr(scope["app"].state, "database", None)
    pool = database.engine.pool if database is not None else None
    if isinstance(pool, QueuePool):  # behind PgBouncer there is no pool of ours (NullPool)
        POOL.labels("in_use").set(pool.checkedout())
        POOL.labels("idle").set(pool.checkedin())
        POOL.labels("overflow").set(max(pool.overflow(), 0))


def record_outbox(waiting: int, failed: int) -> None:
    _outbox_counts.update(waiting=waiting, failed=failed)
    OUTBOX.labels("waiting").set(waiting)
    OUTBOX.labels("failed").set(failed)


def _observe_outbox(options: CallbackOptions) -> Iterable[Observation]:
    return [Observation(count, {"state": state}) for state, count in _outbox_counts.items()]


# Read at each OTLP export (observability/telemetry.py: a no-op unless an endpoint is set).
metrics.get_meter(__name__).create_observable_gauge(
    "mail.outbox", [_observe_outbox], description="The outbox's mails, waiting or given up"
)
