"""Values the database keeps in another form than they were sent in (a decimal at its column's
scale, a moment in UTC): a write answers them in the kept form, as a read will.

Written for the fields chosen when the project was made whose types have such values.
"""

from httpx import AsyncClient

from tests.factories import new_sign_up
from tests.helpers import PASSWORD, access_token, bearer

RESTATED_VALUES: dict[str, str] = {{ cookiecutter.user_fields | user_fields | restated_values }}


async def test_a_write_answers_as_a_read_will(async_client: AsyncClient) -> None:
    # The only user: no other row holds these values of unique fields.
    sign_up = {**new_sign_up(PASSWORD), **RESTATED_VALUES}
    created = await async_client.post("/users", json=sign_up)
    assert created.status_code == 201, created.text
    headers = bearer(await access_token(async_client, sign_up["email"]))
    assert created.json() == (await async_client.get("/users/me", headers=headers)).json()

    url = f"/users/{created.json()['id']}"
    other_values = new_sign_up(PASSWORD)
    changed = {name: other_values[name] for name in RESTATED_VALUES}
    assert (await async_client.patch(url, json=changed, headers=headers)).status_code == 200
    patched = await async_client.patch(url, json=RESTATED_VALUES, headers=headers)
    assert patched.status_code == 200, patched.text
    assert patched.json() == (await async_client.get("/users/me", headers=headers)).json()
