"""Mail across a restart: the mails of a sign-up and of a reset asked for while SMTP is down
(the app started in this process) are sent once the server comes back by the next start of the
service (`serve`, a process of its own), and their links work."""

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
from tests.mailbox import Mailbox, parts
from tests.served import started_app, uvicorn_serving

NEW_PASSWORD = "a brand new reset passphrase"


async def _until_attempted(engine: AsyncEngine, times: int) -> None:
    """Once each of the outbox's mails was tried `times` times (within 10 s)."""
    async with asyncio.timeout(10):
        while True:
            async with engine.connect() as connection:
                attempts = (await connection.scalars(select(OutboxMail.attempts))).all()
            if attempts and min(attempts) >= times:
                return
            await asyncio.sleep(0.05)


async def test_a_reset_asked_for_while_smtp_is_down_arrives_after_a_restart(
    initialize_database: AsyncDatabase, mailbox: Mailbox
) -> None:
    engine = initialize_database.engine
    account = new_sign_up(PASSWORD)
    await mailbox.stop()
    try:
        async with started_app(engine.url, **mailbox.environment()) as (_, client):
            assert (await client.post("/users", json=account)).status_code == 201
            asked = await client.post("/password-reset", json={"email": account["email"]})
            assert asked.status_code == 202
            await _until_attempted(engine, 2)  # tried, and tried again
        # The service stopped; SMTP comes back; the service starts again.
        assert mailbox.messages == []
        await mailbox.start()
        async with uvicorn_serving(engine, **mailbox.environment()) as (host, port):
            await mailbox.wait_for(2)
            links = {}  # page: token
            for mail in mailbox.messages:
                ((page, token),) = re.findall(r"/([\w-]+)\?token=([\w-]+)", parts(mail)[0])
                links[page] = token
            async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as client:
                verify = {"token": links["verify-email"]}
                verified = await client.post("/email-verification/confirm", json=verify)
                assert verified.status_code == 204
                reset = {"token": links["password-reset"], "new_password": NEW_PASSWORD}
                confirmed = await client.post("/password-reset/confirm", json=reset)
                assert confirmed.status_code == 204
                login = {"username": account["email"], "password": NEW_PASSWORD}
                assert (await client.post("/token", data=login)).status_code == 200
        assert len(mailbox.messages) == 2
    finally:
        await delete_all_rows(engine)
