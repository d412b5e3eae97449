"""OpenTelemetry traces, configured by the standard `OTEL_*` environment variables.

Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set: then
nothing is instrumented and nothing costs anything. On: a server span per request (W3C
`traceparent` from callers continues their trace), a child span per SQL statement (its text,
never its parameters), exported over OTLP/HTTP in batches from a thread of their own;
`OTEL_SERVICE_NAME` (default: the project's slug), `OTEL_TRACES_SAMPLER` and the rest as the
OpenTelemetry SDK reads them. Log lines written inside a span get its `trace_id` and `span_id`.
"""

import os

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy.ext.asyncio import AsyncEngine

SERVICE_NAME = "{{ cookiecutter.project_slug }}"
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def tracer_provider_from_environment() -> TracerProvider | None:
    """A provider exporting over OTLP/HTTP where the environment names an endpoint; else None."""
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None
    if not any(os.environ.get(name) for name in ENDPOINT_VARIABLES):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    name = os.environ.get("OTEL_SERVICE_NAME") or SERVICE_NAME
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def trace_requests(app: FastAPI, provider: TracerProvider) -> None:
    """A server span per request (before the app first serves: it wraps its middleware)."""
    app.state.tracer_provider = provider
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, exclude_spans=["receive", "send"]
    )


def trace_statements(app: FastAPI, engine: AsyncEngine) -> None:
    """A span per SQL statement on `engine`, when the app traces requests."""
    provider: TracerProvider | None = getattr(app.state, "tracer_provider", None)
    if provider is None:
        return
    # One instrumented engine per process: the app's newest (a test starts several apps).
    instrumentor = SQLAlchemyInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    # skip_dep_check: the check reads package metadata files, in the event loop; uv.lock
    # already holds versions that go together.
    instrumentor.instrument(
        engine=engine.sync_engine, tracer_provider=provider, skip_dep_check=True
    )
