"""The links that mails carry, as the tests follow them: the tokens mailed so far to a page, and
a verification link's token confirmed."""

import re

from httpx import AsyncClient, Response

from {{ cookiecutter.package_name }}.mail.sender import MailSender

from tests.isolation import CleanDatabase
from tests.mailbox import Mailbox, parts


async def mailed_tokens(database: CleanDatabase, mailbox: Mailbox, page: str) -> list[str]:
    """Send what the outbox holds; the tokens of the links to `page` (`verify-email`,
    `password-reset`) in every mail received so far, each in both of its parts."""
    await MailSender(database.make_session, mailbox.settings()).send_due()
    link = re.compile(rf"/{page}\?token=([A-Za-z0-9_-]+)")
    tokens = []
    for message in mailbox.messages:
        text, html = parts(message)
        found = link.findall(text)
        assert found == link.findall(html), "the text and HTML parts link alike"
        tokens += found
    return tokens


async def confirm_email(client: AsyncClient, token: str) -> Response:
    return await client.post("/email-verification/confirm", json={"token": token})
