"""Mail from the served app (`serve`, a process of its own): a reset asked for while SMTP is
down is sent once the server comes back, by the next start of the service, and works."""

import asyncio
import re

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase
from {{ cookiecutter.package_name }}.mail.outbox import OutboxMail

from tests.database_setup import delete_all_rows
from tests.factories import new_sign_up
from tests.helpers import PASSWORD
from tests.isolation import Isolation
from tests.mailbox import Mailbox, parts
from tests.served import uvicorn_serving

NEW_PASSWORD = "a brand new reset passphrase"


async def _until_attempted(engine: AsyncEngine, times: int) -> None:
    """Once the outbox's mails were tried `times` times in all (within 10 s)."""
    async with asyncio.timeout(10):
        while True:
            async with engine.connect() as connection:
                attempts = (await connection.scalars(select(OutboxMail.attempts))).all()
            if sum(attempts) >= times:
                return
            await asyncio.sleep(0.05)


async def test_a_reset_asked_for_while_smtp_is_down_arrives_after_a_restart(
    initialize_database: AsyncDatabase, isolation: Isolation, mailbox: Mailbox
) -> None:
    engine = initialize_database.engine
    account = new_sign_up(PASSWORD)
    await mailbox.stop()
    try:
        async with uvicorn_serving(engine, **mailbox.environment()) as (host, port):
            async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as client:
                assert (await client.post("/users", json=account)).status_code == 201
                asked = await client.post("/password-reset", json={"email": account["email"]})
                assert asked.status_code == 202
            await _until_attempted(engine, 2)  # tried, and tried again
        # The service stopped (SIGTERM); SMTP comes back; the service starts again.
        assert mailbox.messages == []
        await mailbox.start()
        async with uvicorn_serving(engine, **mailbox.environment()) as (host, port):
            (mail,) = await mailbox.wait_for(1)
            (token,) = re.findall(r"token=([\w-]+)", parts(mail)[0])
            async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as client:
                reset = {"token": token, "new_password": NEW_PASSWORD}
                confirmed = await client.post("/password-reset/confirm", json=reset)
                assert confirmed.status_code == 204
                login = {"username": account["email"], "password": NEW_PASSWORD}
                assert (await client.post("/token", data=login)).status_code == 200
        assert len(mailbox.messages) == 1
    finally:
        await delete_all_rows(engine)
