"""Cross-origin requests: none by default; with CORS_ALLOWED_ORIGINS, a listed origin's pages
may call the API with a token and read its answers (errors too), and no one else's may."""

import pytest
from httpx import AsyncClient
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.core.settings import Settings
from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase

from tests.served import started_app

FRONT_END = "https://app.example"
ELSEWHERE = "https://elsewhere.example"
ALLOW_ORIGIN = "access-control-allow-origin"


def _preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization, content-type",
    }


async def test_no_origin_is_allowed_by_default(async_client: AsyncClient, token: str) -> None:
    preflight = await async_client.options("/users/me", headers=_preflight(FRONT_END))
    assert ALLOW_ORIGIN not in preflight.headers
    me = await async_client.get(
        "/users/me", headers={"Origin": FRONT_END, "Authorization": f"Bearer {token}"}
    )
    assert me.status_code == 200
    assert ALLOW_ORIGIN not in me.headers


async def test_a_listed_origin_may_call_with_a_token_and_read_the_answers(
    initialize_database: AsyncDatabase,
) -> None:
    origins = f'["{FRONT_END.upper()}"]'  # a browser sends the host in lower case
    async with started_app(initialize_database.engine.url, CORS_ALLOWED_ORIGINS=origins) as (
        _,
        client,
    ):
        preflight = await client.options("/users/me", headers=_preflight(FRONT_END))
        assert preflight.status_code == 200
        assert preflight.headers[ALLOW_ORIGIN] == FRONT_END
        allowed = preflight.headers["access-control-allow-headers"].lower()
        assert "authorization" in allowed
        assert "PATCH" in preflight.headers["access-control-allow-methods"]
        # The token is a header, never a cookie: no credentials across origins.
        assert "access-control-allow-credentials" not in preflight.headers

        live = await client.get("/health/live", headers={"Origin": FRONT_END})
        assert live.status_code == 200
        assert live.headers[ALLOW_ORIGIN] == FRONT_END
        assert "x-request-id" in live.headers["access-control-expose-headers"].lower()
        # This app's own database is not the test's: no token of the test's users works here.
        refused = await client.get(
            "/users/me", headers={"Origin": FRONT_END, "Authorization": "Bearer not-a-token"}
        )
        assert refused.status_code == 401
        assert refused.headers[ALLOW_ORIGIN] == FRONT_END, "a page may read the error too"

        stranger = await client.options("/users/me", headers=_preflight(ELSEWHERE))
        assert stranger.status_code == 400
        assert ALLOW_ORIGIN not in stranger.headers
        read = await client.get("/health/live", headers={"Origin": ELSEWHERE})
        assert ALLOW_ORIGIN not in read.headers


@pytest.mark.parametrize(
    "origin",
    ["app.example", "https://app.example/", "https://app.example/path", "ftp://app.example", ""],
)
def test_what_is_not_an_origin_is_refused_naming_it(origin: str) -> None:
    with pytest.raises(ValidationError, match="is not an origin: write scheme://host"):
        Settings(_env_file=None, cors_allowed_origins=[origin])


def test_any_origin_or_one_with_a_port_is_taken() -> None:
    origins = ["*", "http://localhost:5173"]
    assert Settings(_env_file=None, cors_allowed_origins=origins).cors_allowed_origins == origins
