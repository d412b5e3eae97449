"""Traces: a server span per request with a span per SQL statement, the caller's trace
continued, the ids in the log lines; off without an endpoint; traces and metrics exported over
OTLP/HTTP."""

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import pytest
from httpx import AsyncClient
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase
from {{ cookiecutter.package_name }}.mail.messages import render
from {{ cookiecutter.package_name }}.mail.outbox import queue_mail
from {{ cookiecutter.package_name }}.mail.sender import MailSender
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.observability.telemetry import SERVICE_NAME

from tests.isolation import CleanDatabase
from tests.logs import AUDIT_LOGGER, lines_written
from tests.mailbox import Mailbox
from tests.served import started_traced_app, uvicorn_serving

CALLERS_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{CALLERS_TRACE}-00f067aa0ba902b7-01"


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def _server_span(finished: tuple[ReadableSpan, ...], name: str) -> ReadableSpan:
    (span,) = [s for s in finished if s.kind == SpanKind.SERVER and s.name == name]
    return span


async def test_a_request_is_a_server_span_with_its_statements_as_children(
    initialize_database: AsyncDatabase,
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = spans
    url = initialize_database.engine.url
    async with started_traced_app(url, provider) as (_, client):
        login = {"username": "someone@example.com", "password": "a wrong guess"}
        with lines_written() as lines:
            answer = await client.post("/token", data=login, headers={"traceparent": TRACEPARENT})
    assert answer.status_code == 401
    finished = exporter.get_finished_spans()
    server = _server_span(finished, "POST /token")
    assert server.context is not None
    assert f"{server.context.trace_id:032x}" == CALLERS_TRACE, "the caller's trace goes on"
    statements = [s for s in finished if s.attributes and "db.statement" in s.attributes]
    assert statements, [s.name for s in finished]
    for statement in statements:
        assert statement.context is not None
        assert statement.context.trace_id == server.context.trace_id
        assert "someone@example.com" not in str(statement.attributes), "no parameter values"
    audit = [json.loads(line) for line in lines if AUDIT_LOGGER in line]
    assert audit
    assert {line["trace_id"] for line in audit} == {CALLERS_TRACE}


async def test_each_mail_sent_is_a_client_span_without_its_recipient(
    setup_database: CleanDatabase,
    mailbox: Mailbox,
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = spans
    async with setup_database.make_session() as session:
        mail = render("email_verification", "someone@example.com", link="x", hours="1")
        queue_mail(session, mail)
        await session.commit()
    settings = mailbox.settings()
    sender = MailSender(setup_database.make_session, settings, provider.get_tracer("test"))
    assert await sender.send_due() == 1
    (span,) = exporter.get_finished_spans()
    assert (span.name, span.kind) == ("mail send", SpanKind.CLIENT)
    assert span.attributes is not None
    assert span.attributes["server.address"] == settings.smtp_host
    assert "someone@example.com" not in str(span.attributes)


def test_without_an_endpoint_nothing_is_traced(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    app = create_app()
    assert getattr(app.state, "tracer_provider", None) is None
    assert not any("OpenTelemetry" in str(middleware.cls) for middleware in app.user_middleware)


class OtlpReceiver:
    """An OTLP/HTTP endpoint: what `POST /v1/traces` and `/v1/metrics` receive, decoded."""

    def __init__(self) -> None:
        self.requests: list[ExportTraceServiceRequest] = []
        self.metric_requests: list[ExportMetricsServiceRequest] = []
        self.received = asyncio.Event()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                lines = head.decode("latin-1").split("\r\n")
                headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if lines[0].startswith("POST /v1/traces "):
                    self.requests.append(ExportTraceServiceRequest.FromString(body))
                elif lines[0].startswith("POST /v1/metrics "):
                    self.metric_requests.append(ExportMetricsServiceRequest.FromString(body))
                self.received.set()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def spans(self) -> list[tuple[str, str, int]]:
        """(service name, span name, kind) of every span received."""
        found = []
        for request in self.requests:
            for resource_spans in request.resource_spans:
                resource = resource_spans.resource
                attributes = {a.key: a.value.string_value for a in resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        found.append((attributes["service.name"], span.name, span.kind))
        return found

    def metrics(self) -> dict[str, list[dict[str, str]]]:
        """Each metric received, by name: the attributes of its data points."""
        found: dict[str, list[dict[str, str]]] = {}
        for request in self.metric_requests:
            for resource_metrics in request.resource_metrics:
                for scope_metrics in resource_metrics.scope_metrics:
                    for metric in scope_metrics.metrics:
                        kind = metric.WhichOneof("data")
                        for point in getattr(metric, kind).data_points:
                            found.setdefault(metric.name, []).append(
                                {a.key: _plain(a.value) for a in point.attributes}
                            )
        return found


def _plain(value: AnyValue) -> str:
    kind = value.WhichOneof("value")
    return str(getattr(value, kind)) if kind else ""


EXPORTED_METRICS = {
    "http.server.request.duration",
    "db.client.connections.usage",
    "audit.events",
    "mail.outbox",
}


def _server_and_statement(spans: list[tuple[str, str, int]]) -> bool:
    server = any(kind == 2 for _, _, kind in spans)  # SERVER is 2 in OTLP's enum
    return server and any(name.startswith("SELECT") for _, name, _ in spans)


@pytest.fixture
async def otlp_receiver() -> AsyncIterator[tuple[OtlpReceiver, str]]:
    receiver = OtlpReceiver()
    server = await asyncio.start_server(receiver.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield receiver, f"http://127.0.0.1:{port}"


async def test_a_served_process_exports_its_spans_and_metrics_over_otlp(
    initialize_database: AsyncDatabase,
    otlp_receiver: tuple[OtlpReceiver, str],
) -> None:
    receiver, endpoint = otlp_receiver
    environment = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "50",
        "OTEL_METRIC_EXPORT_INTERVAL": "50",
    }
    async with uvicorn_serving(initialize_database.engine, **environment) as (host, port):
        async with AsyncClient(base_url=f"http://{host}:{port}") as client:
            assert (await client.get("/health/ready")).status_code == 200
            login = {"username": "someone@example.com", "password": "a wrong guess"}
            assert (await client.post("/token", data=login)).status_code == 401
        async with asyncio.timeout(10):
            while not (
                _server_and_statement(receiver.spans())
                and set(receiver.metrics()) >= EXPORTED_METRICS
            ):
                receiver.received.clear()
                await receiver.received.wait()
    spans = receiver.spans()
    assert (SERVICE_NAME, "GET /health/ready", 2) in spans, spans
    assert any(name.startswith("SELECT") for _, name, _ in spans), spans
    exported = receiver.metrics()
    routes = {point.get("http.route") for point in exported["http.server.request.duration"]}
    assert {"/health/ready", "/token"} <= routes, routes
    events = [point["event"] for point in exported["audit.events"]]
    assert "login" in events, events
    assert {point["state"] for point in exported["mail.outbox"]} == {"waiting", "failed"}
