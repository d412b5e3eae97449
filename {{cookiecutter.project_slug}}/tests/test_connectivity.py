"""The test database answers, and the app reports it healthy."""

from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def test_session_runs_a_query(db_session: AsyncSession) -> None:
    assert await db_session.scalar(text("SELECT 1")) == 1


async def test_tests_never_touch_the_app_database(db_session: AsyncSession) -> None:
    name = await db_session.scalar(text("SELECT current_database()"))
    assert name is not None
    assert "_test" in name


async def test_health_checks_the_database(async_client: AsyncClient) -> None:
    response = await async_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
