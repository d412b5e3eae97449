"""OpenTelemetry traces and metrics, exported over OTLP/HTTP as the `OTEL_*` variables say.

Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or a signal's own `..._TRACES_ENDPOINT`,
`..._METRICS_ENDPOINT`) is set: then nothing is instrumented and nothing costs anything.
`OTEL_TRACES_EXPORTER=none` or `OTEL_METRICS_EXPORTER=none` leaves one signal out;
`OTEL_SERVICE_NAME` (default: the project's slug), `OTEL_TRACES_SAMPLER`,
`OTEL_METRIC_EXPORT_INTERVAL` and the rest are read by the OpenTelemetry SDK.

- Traces: a server span per request (W3C `traceparent` from callers continues their trace), a
  child span per SQL statement (its text, never its parameters). Log lines written inside a
  span get its `trace_id` and `span_id`.
- Metrics: `http.server.request.duration` by route template and status, the pool's
  `db.client.connections.usage`, and `audit.events` (core/audit.py). `/metrics` serves
  Prometheus either way (metrics.py).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

# The SDK and the instrumentations are imported where telemetry is turned on, not here: they add
# about a tenth of a second to the start of every process (workers, commands, tests' servers).
if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Tracer
    from sqlalchemy.ext.asyncio import AsyncEngine

# The project's slug, up to 100 characters: alone on its line, which the length rule allows.
SERVICE_NAME = (
    "{{ cookiecutter.project_slug }}"
)  # fmt: skip


@dataclass(frozen=True)
class Telemetry:
    """Where the app's spans and measurements go: nowhere, where a provider is None."""

    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None

    @property
    def on(self) -> bool:
        return self.tracer_provider is not None or self.meter_provider is not None


def _exports(signal: Literal["TRACES", "METRICS"]) -> bool:
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    if os.environ.get(f"OTEL_{signal}_EXPORTER", "otlp").lower() == "none":
        return False
    endpoints = ("OTEL_EXPORTER_OTLP_ENDPOINT", f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
    return any(os.environ.get(name) for name in endpoints)


def _resource() -> Resource:
    from opentelemetry.sdk.resources import Resource

    # One instance per process: each worker's counters are its own series.
    instance = f"{socket.gethostname()}-{os.getpid()}"
    name = os.environ.get("OTEL_SERVICE_NAME") or SERVICE_NAME
    return Resource.create({"service.name": name, "service.instance.id": instance})


def telemetry_from_environment() -> Telemetry:
    """Providers exporting over OTLP/HTTP for the signals the environment asks for."""
    tracer_provider = meter_provider = None
    if _exports("TRACES"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        tracer_provider = TracerProvider(resource=_resource())
        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if _exports("METRICS"):
        from opentelemetry import metrics
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

        reader = PeriodicExportingMetricReader(OTLPMetricExporter())
        meter_provider = MeterProvider(metric_readers=[reader], resource=_resource())
        # The process's own: instruments made through the API (audit.events) report to it.
        metrics.set_meter_provider(meter_provider)
    return Telemetry(tracer_provider, meter_provider)


def instrument_requests(app: FastAPI, telemetry: Telemetry) -> None:
    """Spans and measurements per request (before the app first serves: it wraps its
    middleware)."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    app.state.telemetry = telemetry
    # HTTP's stable conventions: durations labelled by `http.route`, the route's template,
    # where the older ones carry the raw path (a label per user id).
    os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
        exclude_spans=["receive", "send"],
    )


def instrument_statements(app: FastAPI, engine: AsyncEngine) -> None:
    """Spans per SQL statement and the pool's measurements on `engine`, when the app has
    telemetry."""
    telemetry: Telemetry | None = getattr(app.state, "telemetry", None)
    if telemetry is None:
        return
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    # One instrumented engine per process: the app's newest (a test starts several apps).
    instrumentor = SQLAlchemyInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    # skip_dep_check: the check reads package metadata files, in the event loop; uv.lock
    # already holds versions that go together.
    instrumentor.instrument(
        engine=engine.sync_engine,
        tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
        skip_dep_check=True,
    )


def tracer_of(app: FastAPI, name: str) -> Tracer | None:
    """A tracer for work the app does outside requests (the mail sender), when it has
    telemetry; else None."""
    telemetry: Telemetry | None = getattr(app.state, "telemetry", None)
    if telemetry is None or telemetry.tracer_provider is None:
        return None
    return telemetry.tracer_provider.get_tracer(name)
