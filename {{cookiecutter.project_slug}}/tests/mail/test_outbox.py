"""The outbox against a real SMTP server: a mail queued is delivered (a long name whole),
retried while the server is down, sent after a restart, sent once however many senders race for
it, given up (and logged) after MAIL_GIVE_UP_HOURS, and pruned after MAIL_KEEP_DAYS."""

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase
from {{ cookiecutter.package_name }}.mail.messages import PROJECT_NAME, Message, render
from {{ cookiecutter.package_name }}.mail.outbox import OutboxMail, queue_mail
from {{ cookiecutter.package_name }}.mail.sender import MailSender, retry_delay
from {{ cookiecutter.package_name }}.mail.smtp import deliver

from tests.database_setup import delete_all_rows
from tests.isolation import CleanDatabase
from tests.mailbox import Mailbox, parts, shown_header
from tests.served import started_app

SENDER_LOGGER = "{{ cookiecutter.package_name }}.mail.sender"
SMTP_LOGGER = "{{ cookiecutter.package_name }}.mail.smtp"


def _message(number: int = 1) -> Message:
    return Message(
        to=f"someone{number}@example.com",
        subject=f"Mail number {number}",
        text=f"Plain text of mail {number}",
        html=f"<p>HTML of mail {number}</p>",
    )


async def _queue(session: AsyncSession, *messages: Message) -> None:
    for message in messages:
        queue_mail(session, message)
    await session.commit()


async def _rows(session: AsyncSession) -> list[OutboxMail]:
    return list((await session.scalars(select(OutboxMail).order_by(OutboxMail.id))).all())


@pytest.fixture
async def committed(
    initialize_database: AsyncDatabase, setup_database: CleanDatabase
) -> AsyncIterator[CleanDatabase]:
    """The test database on the engine itself: what is committed is seen by every connection
    (senders racing, a started app), and every row is deleted after the test."""
    try:
        yield CleanDatabase(initialize_database.engine)
    finally:
        await delete_all_rows(initialize_database.engine)


async def _wait_until_attempted(database: CleanDatabase, attempts: int) -> OutboxMail:
    """The one mail in the outbox, once it has failed `attempts` times (within 10 s)."""
    async with asyncio.timeout(10):
        while True:
            async with database.make_session() as session:
                (row,) = await _rows(session)
            if row.attempts >= attempts and row.last_error is not None:
                return row
            await asyncio.sleep(0.02)


async def test_a_queued_mail_is_delivered_with_text_and_html(
    setup_database: CleanDatabase, mailbox: Mailbox
) -> None:
    session = setup_database.session()
    message = render("password_reset", "ada@example.com", link="https://x.test/r?t=1", minutes="30")
    await _queue(session, message)
    sender = MailSender(setup_database.make_session, mailbox.settings())
    assert await sender.send_due() == 1
    (received,) = await mailbox.wait_for(1)
    assert received["To"] == "ada@example.com"
    assert PROJECT_NAME in shown_header(mailbox.raw[0], "From")
    assert received["Subject"] == message.subject
    text, html = parts(received)
    assert "https://x.test/r?t=1" in text
    assert 'href="https://x.test/r?t=1"' in html
    assert PROJECT_NAME in text
    (row,) = await _rows(session)
    await session.refresh(row)
    assert row.sent_at is not None
    assert row.attempts == 1
    # Sent, it keeps who got what and when, not the link.
    assert (row.text_body, row.html_body) == ("", "")
    assert await sender.send_due() == 0  # nothing is sent twice
    assert len(mailbox.messages) == 1


@pytest.mark.parametrize(
    "name",
    [
        # Python before 3.13 folded these without a space between two encoded words: in the
        # subject for the first, in the sender's name for the second.
        "Übersicht xxxx 用户 Service 用户 API خدمة",
        "Сервис xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 用户服务 Dienst Ünïcode Booking",
        "Café Ünïcode Booking, the service with a very long name",
        "User Service of the Very Long Name Company for Bookings",
    ],
    ids=["non-ascii-subject", "non-ascii-sender", "non-ascii", "ascii"],
)
async def test_a_long_name_arrives_as_it_was_written(mailbox: Mailbox, name: str) -> None:
    """In the subject, and as the sender's name (EMAIL_FROM's; PROJECT_NAME when it has none)."""
    subject = f"Reset your {name} password"
    message = Message(to="ada@example.com", subject=subject, text="Text", html="<p>HTML</p>")
    # As written in .env: EMAIL_FROM='"Name" <address>'.
    settings = mailbox.settings().model_copy(
        update={"email_from": f'"{name}" <noreply@example.com>'}
    )
    await deliver(message, settings)
    await mailbox.wait_for(1)
    assert shown_header(mailbox.raw[0], "Subject") == subject
    assert shown_header(mailbox.raw[0], "From") == f"{name} <noreply@example.com>"


async def test_sending_is_retried_while_smtp_is_down_then_delivered(
    committed: CleanDatabase, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=SENDER_LOGGER)
    await mailbox.stop()
    async with committed.make_session() as session:
        await _queue(session, _message())
    sender = MailSender(committed.make_session, mailbox.settings())
    sender.start()
    try:
        row = await _wait_until_attempted(committed, 2)
        assert row.sent_at is None
        assert row.failed_at is None
        await mailbox.start()
        (received,) = await mailbox.wait_for(1)
    finally:
        await sender.stop(5)
    assert received["Subject"] == "Mail number 1"
    assert "not sent (attempt 1" in caplog.text
    assert "Plain text of mail" not in caplog.text  # the reason, never the content


async def test_a_mail_queued_before_a_restart_is_sent_after_it(
    committed: CleanDatabase, initialize_database: AsyncDatabase, mailbox: Mailbox
) -> None:
    """Queued while SMTP is down; the app stops (its sender too) and starts again, SMTP
    back: the new process sends it."""
    await mailbox.stop()
    async with committed.make_session() as session:
        await _queue(session, _message())
    url = initialize_database.engine.url
    async with started_app(url, **mailbox.environment()):
        await _wait_until_attempted(committed, 1)
    assert mailbox.messages == []
    await mailbox.start()
    async with started_app(url, **mailbox.environment()):
        (received,) = await mailbox.wait_for(1)
    assert received["Subject"] == "Mail number 1"


async def test_senders_racing_send_each_mail_once(
    committed: CleanDatabase, mailbox: Mailbox
) -> None:
    count = 45
    async with committed.make_session() as session:
        await _queue(session, *(_message(number) for number in range(count)))
    settings = mailbox.settings()
    senders = [MailSender(committed.make_session, settings) for _ in range(4)]
    claimed = await asyncio.gather(*(sender.send_due() for sender in senders))
    while sum(claimed) < count:  # more than a batch: the senders go on as their loops would
        claimed += await asyncio.gather(*(sender.send_due() for sender in senders))
    assert sum(claimed) == count
    subjects = sorted(str(message["Subject"]) for message in await mailbox.wait_for(count))
    assert subjects == sorted(f"Mail number {number}" for number in range(count))
    assert max(claimed) < count  # they did share the work


async def test_a_refused_mail_is_retried_then_given_up_and_logged(
    setup_database: CleanDatabase, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    mailbox.refusing = "550 5.1.1 No such mailbox here"
    session = setup_database.session()
    await _queue(session, _message())
    sender = MailSender(setup_database.make_session, mailbox.settings(mail_give_up_hours=48))
    assert await sender.send_due() == 1
    (row,) = await _rows(session)
    await session.refresh(row)
    assert row.failed_at is None  # refused, but retried
    assert row.text_body
    # Retried until MAIL_GIVE_UP_HOURS after it was queued: as if queued two days ago.
    two_days_ago = func.now() - dt.timedelta(hours=49)
    await session.execute(
        update(OutboxMail).values(created_at=two_days_ago, next_attempt_at=func.now())
    )
    await session.commit()
    with caplog.at_level(logging.WARNING, logger=SENDER_LOGGER):
        assert await sender.send_due() == 1
    await session.refresh(row)
    assert row.failed_at is not None
    assert row.sent_at is None
    assert row.attempts == 2
    assert row.last_error is not None
    assert "550" in row.last_error
    assert (row.text_body, row.html_body) == ("", "")
    (error,) = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert "given up" in error.getMessage()
    assert "No such mailbox" in error.getMessage()
    assert await sender.send_due() == 0
    assert mailbox.messages == []


def test_retries_back_off_exponentially() -> None:
    changes = {"mail_retry_first_seconds": 2, "mail_retry_max_seconds": 900}
    settings = get_settings().model_copy(update=changes)
    delays = [retry_delay(attempts, settings) for attempts in (1, 2, 3, 4, 100)]
    assert delays == [2, 4, 8, 16, 900]


async def test_sent_and_failed_mails_are_pruned_after_the_retention(
    setup_database: CleanDatabase, mailbox: Mailbox
) -> None:
    session = setup_database.session()
    await _queue(session, _message(1), _message(2), _message(3))
    first, second, _ = await _rows(session)
    long_ago = func.now() - dt.timedelta(days=8)
    await session.execute(
        update(OutboxMail).where(OutboxMail.id == first.id).values(sent_at=long_ago)
    )
    await session.execute(
        update(OutboxMail).where(OutboxMail.id == second.id).values(failed_at=func.now())
    )
    await session.commit()
    sender = MailSender(setup_database.make_session, mailbox.settings(mail_keep_days=7))
    assert await sender.prune() == 1
    assert [row.id for row in await _rows(session)] == [second.id, second.id + 1]


async def test_without_smtp_host_mails_go_to_the_log(
    setup_database: CleanDatabase, caplog: pytest.LogCaptureFixture, mailbox: Mailbox
) -> None:
    caplog.set_level(logging.INFO)
    await _queue(setup_database.session(), _message())
    sender = MailSender(setup_database.make_session, mailbox.settings(smtp_host=None))
    assert await sender.send_due() == 1
    (written,) = [record.getMessage() for record in caplog.records if record.name == SMTP_LOGGER]
    assert "Plain text of mail 1" in written
    assert "SMTP_HOST is unset" in written
    (done,) = [record.getMessage() for record in caplog.records if record.name == SENDER_LOGGER]
    assert done.endswith("written to the log"), "not said to be sent"
    assert mailbox.messages == []


async def test_the_sender_stops_promptly(setup_database: CleanDatabase, mailbox: Mailbox) -> None:
    sender = MailSender(setup_database.make_session, mailbox.settings(mail_poll_seconds=60))
    sender.start()
    await asyncio.sleep(0.1)  # in its wait for the next poll
    async with asyncio.timeout(2):
        await sender.stop(5)


async def test_wrong_smtp_credentials_are_logged_clearly_at_the_first_attempt(
    committed: CleanDatabase, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    await mailbox.stop()
    mailbox.credentials = ("the-app", "the right password")
    await mailbox.start()
    async with committed.make_session() as session:
        await _queue(session, _message())
    wrong = SecretStr("a wrong password")
    sender = MailSender(
        committed.make_session, mailbox.settings(smtp_username="the-app", smtp_password=wrong)
    )
    with caplog.at_level(logging.WARNING, logger=SENDER_LOGGER):
        assert await sender.send_due() == 1
    (line,) = [record.getMessage() for record in caplog.records if record.name == SENDER_LOGGER]
    assert "refused SMTP_USERNAME and SMTP_PASSWORD" in line
    assert "a wrong password" not in caplog.text
    assert mailbox.messages == []
    right = SecretStr("the right password")
    sender = MailSender(
        committed.make_session, mailbox.settings(smtp_username="the-app", smtp_password=right)
    )
    await asyncio.sleep(0.1)  # until its retry is due
    assert await sender.send_due() == 1
    (received,) = await mailbox.wait_for(1)
    assert received["Subject"] == "Mail number 1"


async def test_the_start_says_where_mails_go(
    initialize_database: AsyncDatabase, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=SMTP_LOGGER)
    url = initialize_database.engine.url
    async with started_app(url, SMTP_HOST=""):
        pass
    async with started_app(url, **mailbox.environment()):
        pass
    public = "https://app.example.com"
    async with started_app(url, **mailbox.environment(), PUBLIC_BASE_URL=public):
        pass
    unset, sending, to_loopback, sending_again = [
        record for record in caplog.records if record.name == SMTP_LOGGER
    ]
    assert unset.levelno == logging.WARNING
    assert "SMTP_HOST is unset: mails are written to the log" in unset.getMessage()
    assert f"{mailbox.environment()['SMTP_HOST']}:{mailbox.port}" in sending.getMessage()
    # Sent to people, links to the default PUBLIC_BASE_URL lead nowhere they can go.
    assert to_loopback.levelno == logging.WARNING
    assert to_loopback.getMessage().startswith("PUBLIC_BASE_URL is http://127.0.0.1:8000: ")
    assert sending_again.getMessage().startswith("Mails are sent through ")
