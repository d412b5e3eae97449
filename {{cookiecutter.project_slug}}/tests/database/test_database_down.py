"""An unreachable database, also from the start: 503s that give nothing away, then recovery.

Each test starts a fresh app through its lifespan, as uvicorn would, with DATABASE_URL pointing
at a closed port or at a relay to the test database that the test cuts and restores.
"""

import logging
import uuid
from typing import Any

import pytest
from httpx import AsyncClient, Response

from {{ cookiecutter.package_name }}.auth.tokens import create_access_token
from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.web.errors import UNAVAILABLE

from tests.database_setup import delete_all_rows
from tests.factories import new_sign_up
from tests.helpers import PASSWORD, bearer
from tests.leaks import assert_no_secrets
from tests.served import started_app
from tests.tcp_proxy import TcpProxy, free_port, tcp_url

# A password that must never be shown, wherever the connection fails.
DB_PASSWORD = "never-show-this-password"


# Every route that needs the database: (method, path). `{id}` is a user id.
DATABASE_ROUTES = [
    ("GET", "/health"),
    ("GET", "/health/ready"),
    ("POST", "/token"),
    ("POST", "/users"),
    ("GET", "/users/me"),
    ("GET", "/users"),
    ("GET", "/users/{user_id}"),
    ("PATCH", "/users/{user_id}"),
    ("DELETE", "/users/{user_id}"),
    ("POST", "/token/revoke"),
    ("POST", "/users/me/password"),
]
# The liveness check answers without the database (tests/test_health.py).
NO_DATABASE_ROUTES = {("GET", "/health/live")}


def _request(method: str, path: str) -> dict[str, Any]:
    """A request the route would accept if the database answered."""
    token = create_access_token(str(uuid.uuid4()), str(uuid.uuid4()), get_settings())
    if path == "/token":
        return {"data": {"username": "someone@example.com", "password": PASSWORD}}
    if path == "/users" and method == "POST":
        return {"json": new_sign_up(PASSWORD)}
    if path == "/token/revoke":
        return {"data": {"token": token}}
    if path == "/users/me/password":
        body = {"current_password": PASSWORD, "new_password": PASSWORD + " anew"}
        return {"headers": bearer(token), "json": body}
    return {"headers": bearer(token), **({"json": {}} if method == "PATCH" else {})}


async def _send(client: AsyncClient, method: str, path: str) -> Response:
    url = path.replace("{user_id}", str(uuid.uuid4()))
    return await client.request(method, url, **_request(method, path))


def test_every_database_route_is_covered() -> None:
    paths = create_app().openapi()["paths"]
    routes = {(method.upper(), path) for path, methods in paths.items() for method in methods}
    assert routes - NO_DATABASE_ROUTES == set(DATABASE_ROUTES)


def _assert_unavailable(response: Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json() == {"detail": UNAVAILABLE}
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
