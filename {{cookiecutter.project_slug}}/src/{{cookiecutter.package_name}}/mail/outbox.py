"""The outbox: mails waiting to be sent, in a table, so that none is lost and no request waits.

A mail is queued (`queue_mail`) in the transaction of the change that causes it: both are
committed, or neither. The sender (sender.py) sends it afterwards, from any process.
"""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from {{ cookiecutter.package_name }}.database.base import Base
from {{ cookiecutter.package_name }}.mail.messages import Message

MAX_ERROR_LENGTH = 500


class OutboxMail(Base):
    """A mail to send. Its parts are emptied once it is sent or given up: a link in it (a
    password reset's) stays in the database no longer than it must."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        # What the sender looks for, every MAIL_POLL_SECONDS in every process: the mails due.
        sa.Index(
            "ix_mail_outbox_due",
            "next_attempt_at",
            postgresql_where=sa.text("sent_at IS NULL AND failed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger(), primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(998))  # RFC 5322's longest line
    text_body: Mapped[str] = mapped_column(sa.Text())
    html_body: Mapped[str] = mapped_column(sa.Text())
    # The database's clock, which every process and replica shares.
    created_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    # When a sender may next take it; while one is sending it, a little later than that
    # attempt can last, so that a sender that died mid-way leaves it to the others.
    next_attempt_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    attempts: Mapped[int] = mapped_column(server_default=sa.text("0"))
    # Why the last attempt failed (the SMTP server's answer), never the mail's content.
    last_error: Mapped[str | None] = mapped_column(sa.String(MAX_ERROR_LENGTH))
    sent_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True), index=True)
    failed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True), index=True)


def queue_mail(session: AsyncSession, message: Message) -> None:
    """Queue `message`, sent once the caller's transaction commits (the caller commits)."""
    session.add(
        OutboxMail(
            recipient=message.to,
            subject=message.subject,
            text_body=message.text,
            html_body=message.html,
        )
    )
