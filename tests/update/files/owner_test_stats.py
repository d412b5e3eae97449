from httpx import AsyncClient


async def test_stats_count_the_users(async_client: AsyncClient) -> None:
    response = await async_client.get("/stats")
    assert response.status_code == 200
    assert response.json() == {"users": 0}
