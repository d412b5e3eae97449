"""A real SMTP server in the test process (aiosmtpd), on the test's event loop: what the app
sends reaches it over TCP as it would reach a provider's. It keeps every mail it takes, and
can go down and come back, or refuse recipients."""

import asyncio
import email
import re
import warnings
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.policy import compat32
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from {{ cookiecutter.package_name }}.core.settings import Settings, get_settings

from tests.tcp_proxy import free_port

HOST = "127.0.0.1"


class Mailbox:
    """The server's mails (`messages`), and its switches: `stop()`, `start()`, `refusing`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []  # each as it arrived
        # Set to a reply such as "550 5.1.1 No such user": every recipient gets it.
        self.refusing: str | None = None
        # Set before start(): AUTH is then required, and only this login and password pass.
        self.credentials: tuple[str, str] | None = None
        self._server: asyncio.Server | None = None
        self._arrived = asyncio.Condition()

    async def start(self) -> None:
        """Listen (again, on the same port)."""
        loop = asyncio.get_running_loop()
        # A hostname of its own: without one, aiosmtpd asks the system, which blocks.
        options: dict[str, Any] = {"hostname": "mailbox.test", "loop": loop}
        if self.credentials is not None:
            # Over plain TCP: this server is the test's own, on the loopback interface.
            options.update(
                authenticator=self._authenticate, auth_required=True, auth_require_tls=False
            )
        self._server = await loop.create_server(lambda: self._protocol(options), HOST, self.port)

    async def stop(self) -> None:
        """Stop listening: connections are refused, as a server that is down refuses them."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def settings(self, **changes: Any) -> Settings:
        """The app's settings, sending here, retrying within a fraction of a second."""
        here = {
            "smtp_host": HOST,
            "smtp_port": self.port,
            "smtp_tls": "none",
            "smtp_timeout_seconds": 5,
            "mail_poll_seconds": 0.05,
            "mail_retry_first_seconds": 0.05,
            "mail_retry_max_seconds": 0.2,
        }
        return get_settings().model_copy(update={**here, **changes})

    def environment(self) -> dict[str, str]:
        """The same, as the environment variables a started app reads."""
        return {
            "SMTP_HOST": HOST,
            "SMTP_PORT": str(self.port),
            "SMTP_TLS": "none",
            "MAIL_POLL_SECONDS": "0.05",
            "MAIL_RETRY_FIRST_SECONDS": "0.05",
            "MAIL_RETRY_MAX_SECONDS": "0.2",
        }

    async def wait_for(self, count: int, seconds: float = 10) -> list[EmailMessage]:
        """The mails, once there are `count` of them (fails after `seconds`)."""
        async with asyncio.timeout(seconds), self._arrived:
            await self._arrived.wait_for(lambda: len(self.messages) >= count)
        return self.messages

    def _protocol(self, options: dict[str, Any]) -> SMTP:
        with warnings.catch_warnings():
            # AUTH without TLS: aiosmtpd's warning, meant for servers that others reach.
            warnings.simplefilter("ignore", UserWarning)
            return SMTP(self, **options)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        given = (data.login.decode(), data.password.decode())
        # Not "handled": aiosmtpd then answers 535 itself.
        return AuthResult(success=given == self.credentials, handled=False)

    # aiosmtpd's handler hooks.
    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.refusing is not None:
            return self.refusing
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        async with self._arrived:
            self.messages.append(message)
            self.raw.append(content)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"


def parts(message: EmailMessage) -> tuple[str, str]:
    """A mail's plain-text and HTML parts."""
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None, message
    assert html is not None, message
    return str(text.get_content()), str(html.get_content())


def shown_header(raw: bytes, name: str) -> str:
    """A header of a mail as it arrived, decoded as mail clients decode it. (Python's parser
    of address headers puts a space between adjacent encoded words, as in a long non-ASCII
    display name, where RFC 2047 drops it.)"""
    value = email.message_from_bytes(raw, policy=compat32)[name]
    unfolded = re.sub(r"\r?\n(?=[ \t])", "", str(value)).strip()  # RFC 5322 2.2.3
    return str(make_header(decode_header(unfolded)))
