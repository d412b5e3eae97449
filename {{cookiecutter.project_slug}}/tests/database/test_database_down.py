"""An unreachable database, also from the start: 503s that give nothing away, then recovery.

The routes are found in the app's routers (main.ROUTERS): every route that takes a database
session. Each test starts a fresh app through its lifespan, as uvicorn would, with DATABASE_URL
pointing at a closed port or at a relay to the test database that the test cuts and restores.
"""

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from httpx import AsyncClient, Response

from {{ cookiecutter.package_name }}.auth.tokens import create_access_token
from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase
from {{ cookiecutter.package_name }}.database.session import get_async_db
from {{ cookiecutter.package_name }}.main import ROUTERS
from {{ cookiecutter.package_name }}.web.errors import UNAVAILABLE

from tests.database_setup import delete_all_rows
from tests.factories import new_sign_up
from tests.helpers import PASSWORD, bearer
from tests.leaks import assert_no_secrets
from tests.served import started_app
from tests.tcp_proxy import BlackHole, TcpProxy, free_port, tcp_url

# A password that must never be shown, wherever the connection fails.
DB_PASSWORD = "never-show-this-password"


def _uses_the_database(dependant: Dependant) -> bool:
    return any(
        dependency.call is get_async_db or _uses_the_database(dependency)
        for dependency in dependant.dependencies
    )


# Every route that takes a database session, directly or through its dependencies, as
# (method, path): found in the app's routers, so a new route is covered without a word here.
DATABASE_ROUTES = sorted(
    (method, route.path)
    for router in ROUTERS
    for route in router.routes
    if isinstance(route, APIRoute) and _uses_the_database(route.dependant)
    for method in route.methods or ()
)
# Requests that routes without a caller would accept, were the database up. Every other route
# gets a bearer token, which its caller dependency checks in the database before anything else.
ANONYMOUS_REQUESTS: dict[tuple[str, str], Callable[[str], dict[str, Any]]] = {
    ("POST", "/token"): lambda token: {
        "data": {"username": "someone@example.com", "password": PASSWORD}
    },
    ("POST", "/token/revoke"): lambda token: {"data": {"token": token}},
    ("POST", "/password-reset"): lambda token: {"json": {"email": "someone@example.com"}},
    # Tokens of a link's shape (one of any other is refused before the database).
    ("POST", "/password-reset/confirm"): lambda token: {
        "json": {"token": "A" * 43, "new_password": "a long enough new passphrase"}
    },
    ("POST", "/email-verification/confirm"): lambda token: {"json": {"token": "A" * 43}},
}


def _request(method: str, path: str) -> dict[str, Any]:
    """A request the route would accept if the database answered."""
    token = create_access_token(str(uuid.uuid4()), str(uuid.uuid4()), get_settings())
    anonymous = ANONYMOUS_REQUESTS.get((method, path))
    if anonymous is not None:
        return anonymous(token)
    return {"headers": bearer(token), **({"json": {}} if method in ("POST", "PATCH") else {})}


async def _send(client: AsyncClient, method: str, path: str) -> Response:
    url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)  # every path parameter is an id
    return await client.request(method, url, **_request(method, path))


def test_the_routes_are_found() -> None:
    found = set(DATABASE_ROUTES)
    assert {("GET", "/health"), ("POST", "/token"), ("GET", "/users/me")} <= found
    assert ("GET", "/health/live") not in found  # it answers without the database


def _assert_unavailable(response: Response) -> None:
    assert response.status_code == 503, response.text
    if response.request.method != "HEAD":  # an answer to HEAD has no body
        assert response.json()["detail"] == UNAVAILABLE
    assert response.headers["Retry-After"]


@pytest.mark.parametrize(("method", "path"), DATABASE_ROUTES)
async def test_database_down_from_the_start_is_503(
    initialize_database: AsyncDatabase, caplog: pytest.LogCaptureFixture, method: str, path: str
) -> None:
    caplog.set_level(logging.DEBUG)
    closed_port = free_port()
    url = tcp_url(initialize_database.engine.url, closed_port).set(password=DB_PASSWORD)
    async with started_app(url) as (_, client):
        response = await _send(client, method, path)
    _assert_unavailable(response)
    assert_no_secrets(response, DB_PASSWORD)
    assert caplog.records, "the failure should be logged"
    assert DB_PASSWORD not in caplog.text
    assert url.render_as_string(hide_password=True) not in caplog.text
    assert "Traceback" not in caplog.text
    assert not [record for record in caplog.records if record.exc_info]


async def test_service_recovers_when_the_database_returns(
    initialize_database: AsyncDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    """Down at start, up, down again (connections cut), up: the same app follows each step."""
    real = initialize_database.engine.url
    proxy = TcpProxy(real)
    try:
        async with started_app(tcp_url(real, proxy.port)) as (_, client):
            _assert_unavailable(await client.get("/health"))
            await proxy.start()
            assert (await client.get("/health")).status_code == 200
            assert (await client.post("/users", json=new_sign_up(PASSWORD))).status_code == 201
            await proxy.stop()
            _assert_unavailable(await client.get("/health"))
            _assert_unavailable(await client.post("/users", json=new_sign_up(PASSWORD)))
            await proxy.start()
            assert (await client.get("/health")).status_code == 200
            assert (await client.post("/users", json=new_sign_up(PASSWORD))).status_code == 201
    finally:
        await proxy.stop()
        await delete_all_rows(initialize_database.engine)
    assert "Traceback" not in caplog.text


async def test_a_database_that_never_answers_is_503_within_the_pool_timeout(
    initialize_database: AsyncDatabase,
) -> None:
    timeout = 0.3
    # All at once, however many routes the project has: none is turned away as one too many.
    settings = {
        "DATABASE_POOL_TIMEOUT_SECONDS": str(timeout),
        "MAX_CONCURRENT_REQUESTS": str(max(len(DATABASE_ROUTES), 100)),
    }
    async with BlackHole() as hole:
        url = tcp_url(initialize_database.engine.url, hole.port)
        async with started_app(url, **settings) as (_, client):
            start = time.monotonic()
            responses = await asyncio.gather(
                *(_send(client, method, path) for method, path in DATABASE_ROUTES)
            )
            waited = time.monotonic() - start
    for response in responses:
        _assert_unavailable(response)
    # Each waited for a connection that never opened, all at the same time: the timeout and the
    # requests' own time (a few ms each, more on a busy machine), far from the timeout once per
    # request that waiting one after another would take.
    one_after_another = timeout * len(DATABASE_ROUTES)
    assert timeout <= waited < one_after_another / 2, (waited, one_after_another)


async def test_connections_cut_under_load_are_503_never_500(
    initialize_database: AsyncDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    """Cut while requests check connections out, run statements and commit: each request
    either completes or gets 503."""
    real = initialize_database.engine.url
    proxy = TcpProxy(real)
    await proxy.start()
    try:
        async with started_app(tcp_url(real, proxy.port)) as (_, client):
            requests = [
                client.post("/users", json=new_sign_up(PASSWORD))
                if number % 2
                else client.get("/health")
                for number in range(60)
            ]
            sent = [asyncio.ensure_future(request) for request in requests]
            # Cut once the first has its answer: the others are at every stage meanwhile.
            await asyncio.wait(sent, return_when=asyncio.FIRST_COMPLETED)
            await proxy.stop()
            responses = await asyncio.gather(*sent)
    finally:
        await proxy.stop()
        await delete_all_rows(initialize_database.engine)
    statuses = {response.status_code for response in responses}
    assert statuses <= {200, 201, 503}, statuses
    assert 503 in statuses, "the cut came too late to test anything"
    for response in responses:
        if response.status_code == 503:
            assert response.headers["Retry-After"]
    assert "Traceback" not in caplog.text
