"""Handing one mail on: to the SMTP server (aiosmtplib), or to the log when SMTP_HOST is unset."""

import asyncio
import datetime as dt
import logging
import ssl
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from urllib.parse import urlsplit

import aiosmtplib

from {{ cookiecutter.package_name }}.core.settings import Settings
from {{ cookiecutter.package_name }}.mail.messages import PROJECT_NAME, Message

logger = logging.getLogger(__name__)
MAX_REASON_LENGTH = 300


class DeliveryError(Exception):
    """The SMTP server did not take the mail; why, in words fit for the log (the server's
    answer or the connection's error, never the mail's content nor the password)."""


# PUBLIC_BASE_URL's default, and its like: right for `dev`, wrong in a mail to anyone else.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def announce(settings: Settings) -> None:
    """Say at start-up where mails go: a warning when they only reach the log."""
    if settings.smtp_host is None:
        logger.warning(
            "SMTP_HOST is unset: mails are written to the log, links included, not sent; "
            'set SMTP_HOST (README.md, "Mail") before anyone relies on them'
        )
    else:
        where = f"{settings.smtp_host}:{settings.smtp_port}"
        logger.info("Mails are sent through %s (%s)", where, settings.smtp_tls)
        if urlsplit(settings.public_base_url).hostname in LOOPBACK_HOSTS:
            logger.warning(
                "PUBLIC_BASE_URL is %s: the links in mails sent through %s lead to their "
                "reader's own machine; set it to the address people reach the site at",
                settings.public_base_url,
                where,
            )


def _set_header(email: EmailMessage, name: str, text: str, address: str | None = None) -> None:
    """The header `name`: `text`, then `<address>` if given (From's display name and address).

    Non-ASCII text is encoded and folded here, and the generator keeps a header folded so:
    Python before 3.13 can drop a space where it folds such text between two encoded words
    (CPython gh-92081), as in a long subject with the project's name.
    """
    if text.isascii():
        email[name] = text if address is None else formataddr((text, address))
        return
    encoded = Header(text, "utf-8", header_name=name).encode()
    email.set_raw(name, encoded if address is None else f"{encoded}\n <{address}>")


def email_message(message: Message, settings: Settings) -> EmailMessage:
    """`message` as MIME: a plain-text part and its HTML alternative."""
    email = EmailMessage()
    # EMAIL_FROM, with the project's name shown when it is a bare address.
    sender, address = parseaddr(settings.email_from)
    _set_header(email, "From", sender or PROJECT_NAME, address)
    email["To"] = message.to
    _set_header(email, "Subject", message.subject)
    email["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    # The sender's domain, given: without one, make_msgid asks the system for the host's name.
    domain = address.rpartition("@")[2] or "localhost"
    email["Message-ID"] = make_msgid(domain=domain)
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    return email


_tls_context: ssl.SSLContext | None = None


async def _tls() -> ssl.SSLContext:
    """The system's certificate authorities, loaded once, in a thread: reading them blocks."""
    global _tls_context
    if _tls_context is None:
        _tls_context = await asyncio.to_thread(ssl.create_default_context)
    return _tls_context


def _reason(error: Exception) -> str:
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        reason = f"the SMTP server refused SMTP_USERNAME and SMTP_PASSWORD: {error.code}"
    elif isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        refused = "; ".join(f"{each.code} {each.message}" for each in error.recipients)
        reason = f"the SMTP server refused the recipient: {refused}"
    elif isinstance(error, aiosmtplib.SMTPResponseException):
        reason = f"the SMTP server answered {error.code} {error.message}"
    else:
        reason = f"{type(error).__name__}: {error}"
    return " ".join(reason.split())[:MAX_REASON_LENGTH]


async def deliver(message: Message, settings: Settings) -> None:
    """Hand `message` to SMTP_HOST (DeliveryError if it is not taken), or write it to the log."""
    if settings.smtp_host is None:
        # Development's stand-in for a mailbox: the whole mail, its links included.
        logger.info(
            "Mail to %s (not sent: SMTP_HOST is unset): %s\n\n%s",
            message.to,
            message.subject,
            message.text,
        )
        return
    password = settings.smtp_password
    try:
        await aiosmtplib.send(
            email_message(message, settings),
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=password.get_secret_value() if password else None,
            use_tls=settings.smtp_tls == "tls",
            start_tls=settings.smtp_tls == "starttls",
            tls_context=await _tls() if settings.smtp_tls != "none" else None,
            timeout=settings.smtp_timeout_seconds,
        )
    except (aiosmtplib.SMTPException, OSError) as error:
        raise DeliveryError(_reason(error)) from None
