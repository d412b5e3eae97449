"""`/metrics`: Prometheus' format, counts that move, and only for the allowed scrapers."""

import asyncio
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from httpx import ASGITransport, AsyncClient
from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase
from {{ cookiecutter.package_name }}.mail.sender import MailSender
from {{ cookiecutter.package_name }}.main import app
from {{ cookiecutter.package_name }}.users.models import User

from tests.isolation import CleanDatabase
from tests.served import settings_from_environment, started_app, uvicorn_serving


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of the sample `name` with `labels` (0 when there is none yet)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return float(sample.value)
    return 0.0


async def _scrape(client: AsyncClient) -> str:
    answer = await client.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/plain")
    return answer.text


async def test_requests_are_counted_by_route_template(
    async_client: AsyncClient, user: User, token: str
) -> None:
    labels = {"method": "GET", "route": "/users/{user_id}", "status": "200"}
    before = _sample(await _scrape(async_client), "http_requests_total", **labels)
    for _ in range(2):
        headers = {"Authorization": f"Bearer {token}"}
        assert (await async_client.get(f"/users/{user.id}", headers=headers)).status_code == 200
    after = await _scrape(async_client)
    assert _sample(after, "http_requests_total", **labels) == before + 2
    duration = {"method": "GET", "route": "/users/{user_id}"}
    assert _sample(after, "http_request_duration_seconds_count", **duration) >= 2


async def test_failed_logins_are_counted(async_client: AsyncClient, user: User) -> None:
    labels = {"event": "login", "outcome": "failure"}
    before = _sample(await _scrape(async_client), "audit_events_total", **labels)
    await async_client.post("/token", data={"username": user.email, "password": "wrong guess"})
    after = _sample(await _scrape(async_client), "audit_events_total", **labels)
    assert after == before + 1


async def test_the_outbox_is_counted(
    async_client: AsyncClient, setup_database: CleanDatabase, user: User
) -> None:
    sender = MailSender(setup_database.make_session, get_settings())
    waiting, failed = await sender.count()
    asked = await async_client.post("/password-reset", json={"email": user.email})
    assert asked.status_code == 202
    assert await sender.count() == (waiting + 1, failed)
    scraped = await _scrape(async_client)
    assert _sample(scraped, "mail_outbox", state="waiting") == waiting + 1
    assert _sample(scraped, "mail_outbox", state="failed") == failed


async def test_the_pool_is_reported(initialize_database: AsyncDatabase) -> None:
    async with started_app(initialize_database.engine.url) as (_, client):
        assert (await client.get("/health/ready")).status_code == 200
        scraped = await _scrape(client)
    pool = [
        sample
        for family in text_string_to_metric_families(scraped)
        if family.name == "db_pool_connections"
        for sample in family.samples
    ]
    if get_settings().database_pooler != "none":
        assert pool == [], "behind a pooler the app keeps no pool of its own"
        return
    assert {sample.labels["state"] for sample in pool} == {"in_use", "idle", "overflow"}
    assert sum(sample.value for sample in pool) >= 1


@pytest.mark.parametrize(
    ("client_address", "headers"),
    [
        ("203.0.113.9", {}),
        ("2001:db8::1", {}),
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}),
        ("10.1.2.3", {"Forwarded": "for=203.0.113.9"}),
    ],
    ids=["public IPv4", "public IPv6", "through a proxy", "through a proxy (Forwarded)"],
)
async def test_others_are_told_there_is_no_such_route(
    client_address: str, headers: dict[str, str]
) -> None:
    transport = ASGITransport(app=app, client=(client_address, 40_000))
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get("/metrics", headers=headers)
    assert answer.status_code == 404
    assert "http_requests" not in answer.text


@pytest.fixture
def metrics_off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with settings_from_environment(monkeypatch, METRICS_ENABLED="false"):
        yield


async def test_metrics_off_is_404(async_client: AsyncClient, metrics_off: None) -> None:
    assert (await async_client.get("/metrics")).status_code == 404


async def test_several_processes_report_together(
    initialize_database: AsyncDatabase, tmp_path: Path
) -> None:
    """What `serve`'s workers do (WEB_CONCURRENCY > 1: tests/web/test_serve.py): processes
    that share PROMETHEUS_MULTIPROC_DIR, each scrape summing them all."""
    shared = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    labels = {"route": "/health/live", "status": "200"}
    async with AsyncExitStack() as stack:
        servers = await asyncio.gather(
            *(
                stack.enter_async_context(uvicorn_serving(initialize_database.engine, **shared))
                for _ in range(2)
            )
        )
        clients = [
            await stack.enter_async_context(AsyncClient(base_url=f"http://{host}:{port}"))
            for host, port in servers
        ]
        before = _sample(await _scrape(clients[0]), "http_requests_total", **labels)
        for number, client in enumerate(clients, start=1):
            for _ in range(number):
                assert (await client.get("/health/live")).status_code == 200
        counts = [
            _sample(await _scrape(client), "http_requests_total", **labels) for client in clients
        ]
    assert counts == [before + 3] * 2, "each scrape sums both processes' counts"
