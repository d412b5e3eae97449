"""Error answers: a route's own HTTPException keeps its status; the framework's unparsable body
is a 422; error messages and the OpenAPI descriptions name the resource they are about."""

from fastapi import APIRouter, HTTPException
from httpx import ASGITransport, AsyncClient

from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.web.errors import error_responses, resource_name


async def test_a_route_s_own_400_stays_a_400() -> None:
    app = create_app()
    router = APIRouter()

    @router.post("/probe")
    async def probe() -> None:
        raise HTTPException(400, detail="That ISBN belongs to another edition")

    app.include_router(router)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        response = await client.post("/probe")
    assert response.status_code == 400
    assert response.json()["detail"] == "That ISBN belongs to another edition"


async def test_an_unparsable_body_is_still_a_422(async_client: AsyncClient) -> None:
    response = await async_client.post(
        "/users", content=b'{"email": "\xff"}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["type"] in ("body_unparsable", "json_invalid")


def test_messages_name_the_resource() -> None:
    class LogEntry:
        pass

    assert resource_name(LogEntry) == "log entry"
    responses = error_responses(404, 409, resource="log entry")
    assert responses[404]["description"] == "No log entry with this id"
    assert responses[409]["description"] == "Conflicts with an existing log entry"


def test_the_users_routes_document_users() -> None:
    paths = create_app().openapi()["paths"]
    assert paths["/users/{user_id}"]["get"]["responses"]["404"]["description"] == (
        "No user with this id"
    )
