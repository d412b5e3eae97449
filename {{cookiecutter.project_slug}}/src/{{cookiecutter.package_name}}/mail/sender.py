"""The outbox's sender: a task in each process that sends the mails due, each mail by one sender.

Every MAIL_POLL_SECONDS it claims the mails due with `FOR UPDATE SKIP LOCKED`, so that the
senders of other processes and replicas take other mails (or none), and moves each claimed
mail's next attempt past the time an attempt may take: should this sender die mid-way, another
takes it then. A mail the SMTP server took keeps only who got what, and when. One it did not
take is tried again after a delay that doubles from MAIL_RETRY_FIRST_SECONDS up to
MAIL_RETRY_MAX_SECONDS, until MAIL_GIVE_UP_HOURS after it was queued: then it is marked failed,
and logged as an error. Rows sent or failed MAIL_KEEP_DAYS ago are deleted.

A mail is sent at least once: a sender that dies after the server took a mail, before it wrote
so, leaves it to be sent again.
"""

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable

import asyncpg  # type: ignore[import-untyped]
from opentelemetry import trace
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import SpanKind, StatusCode, Tracer
from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.settings import Settings
from {{ cookiecutter.package_name }}.mail.messages import Message
from {{ cookiecutter.package_name }}.mail.outbox import MAX_ERROR_LENGTH, OutboxMail
from {{ cookiecutter.package_name }}.mail.smtp import DeliveryError, deliver
from {{ cookiecutter.package_name }}.observability.metrics import record_outbox

logger = logging.getLogger(__name__)

# Mails claimed at once; with more due, the next pass starts at once.
BATCH = 20
PRUNE_EVERY_SECONDS = 3_600
# How often the outbox's mails are counted for the metrics (a scrape cannot ask the database).
OUTBOX_COUNT_SECONDS = 15
# What an unreachable database raises (as web/errors.py counts it): a warning, not a traceback.
DATABASE_DOWN = (
    OSError,
    sa_exc.DBAPIError,
    sa_exc.TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
)

# What the sender's sessions come from: the app's sessionmaker, or a test's database.
Sessions = Callable[[], AsyncSession]


def retry_delay(attempts: int, settings: Settings) -> float:
    """Seconds until the next attempt, after `attempts` failed ones: doubling, bounded."""
    first, most = settings.mail_retry_first_seconds, settings.mail_retry_max_seconds
    return float(min(first * 2 ** min(attempts - 1, 64), most))


def attempt_bound(settings: Settings) -> float:
    """The longest one attempt may take: several SMTP exchanges, each within the timeout."""
    return 4 * settings.smtp_timeout_seconds


class MailSender:
    """Sends the outbox's mails, from `run()` (the app's task) or a pass at a time
    (`send_due()`, what tests and commands call)."""

    def __init__(
        self, sessions: Sessions, settings: Settings, tracer: Tracer | None = None
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        # A span per attempt, when the app has telemetry (observability/telemetry.py).
        self._tracer = tracer or trace.NoOpTracer()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._database_down = False

    async def send_due(self) -> int:
        """Claim the mails due and send them; how many were claimed."""
        claimed = await self._claim()
        for mail_id, attempts, message in claimed:
            attributes = self._span_attributes(mail_id, attempts)
            with self._tracer.start_as_current_span(
                "mail send", kind=SpanKind.CLIENT, attributes=attributes
            ) as span:
                try:
                    async with asyncio.timeout(attempt_bound(self._settings)):
                        await deliver(message, self._settings)
                except (DeliveryError, TimeoutError) as error:
                    reason = str(error) or "no answer within the SMTP timeout"
                    span.set_status(StatusCode.ERROR, reason)
                    await self._failed(mail_id, attempts, reason)
                else:
                    await self._sent(mail_id)
        return len(claimed)

    def _span_attributes(self, mail_id: int, attempts: int) -> dict[str, str | int]:
        # Who the mail is for stays out of traces, as it does out of the logs.
        attributes: dict[str, str | int] = {"mail.outbox_id": mail_id, "mail.attempt": attempts}
        host = self._settings.smtp_host
        if host:
            attributes.update({"server.address": host, "server.port": self._settings.smtp_port})
        else:
            attributes["mail.written_to"] = "log"
        return attributes

    async def _claim(self) -> list[tuple[int, int, Message]]:
        due = (
            OutboxMail.sent_at.is_(None),
            OutboxMail.failed_at.is_(None),
            OutboxMail.next_attempt_at <= func.now(),
        )
        # Chosen once (MATERIALIZED): as a subquery, PostgreSQL may run it again for each row,
        # and with ties in the order, each run may lock other rows.
        chosen = (
            select(OutboxMail.id)
            .where(*due)
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
            .cte("chosen")
            .prefix_with("MATERIALIZED")
        )
        lease = dt.timedelta(seconds=2 * attempt_bound(self._settings))
        async with self._sessions() as session:
            rows = await session.execute(
                # `due` again: a row claimed meanwhile by another sender is checked anew.
                update(OutboxMail)
                .where(OutboxMail.id == chosen.c.id, *due)
                .values(attempts=OutboxMail.attempts + 1, next_attempt_at=func.now() + lease)
                .returning(
                    OutboxMail.id,
                    OutboxMail.attempts,
                    OutboxMail.recipient,
                    OutboxMail.subject,
                    OutboxMail.text_body,
                    OutboxMail.html_body,
                )
            )
            # RETURNING keeps no order: sent in the order queued (a newer link after an older).
            claimed = [(row[0], row[1], Message(*row[2:])) for row in rows.all()]
            claimed.sort(key=lambda mail: mail[0])
            await session.commit()
        return claimed

    async def _sent(self, mail_id: int) -> None:
        async with self._sessions() as session:
            await session.execute(
                update(OutboxMail)
                .where(OutboxMail.id == mail_id)
                .values(sent_at=func.now(), text_body="", html_body="", last_error=None)
            )
            await session.commit()
        sent = "sent" if self._settings.smtp_host is not None else "written to the log"
        logger.info("Mail %s %s", mail_id, sent)

    async def _failed(self, mail_id: int, attempts: int, reason: str) -> None:
        settings = self._settings
        give_up = dt.timedelta(hours=settings.mail_give_up_hours)
        giving_up = OutboxMail.created_at <= func.now() - give_up
        delay = dt.timedelta(seconds=retry_delay(attempts, settings))
        async with self._sessions() as session:
            failed_at = await session.scalar(
                update(OutboxMail)
                .where(OutboxMail.id == mail_id)
                .values(
                    last_error=reason[:MAX_ERROR_LENGTH],
                    next_attempt_at=func.now() + delay,
                    failed_at=case((giving_up, func.now()), else_=None),
                    text_body=case((giving_up, ""), else_=OutboxMail.text_body),
                    html_body=case((giving_up, ""), else_=OutboxMail.html_body),
                )
                .returning(OutboxMail.failed_at)
            )
            await session.commit()
        if failed_at is not None:
            logger.error(
                "Mail %s failed: given up after %s attempts over %s hours; the last: %s",
                mail_id,
                attempts,
                settings.mail_give_up_hours,
                reason,
            )
        else:
            logger.warning(
                "Mail %s not sent (attempt %s; next in %.0f s): %s",
                mail_id,
                attempts,
                delay.total_seconds(),
                reason,
            )

    async def prune(self) -> int:
        """Delete the rows sent or failed more than MAIL_KEEP_DAYS ago; how many."""
        kept = func.now() - dt.timedelta(days=self._settings.mail_keep_days)
        async with self._sessions() as session:
            pruned = await session.scalars(
                delete(OutboxMail)
                .where(or_(OutboxMail.sent_at < kept, OutboxMail.failed_at < kept))
                .returning(OutboxMail.id)
            )
            count = len(pruned.all())
            await session.commit()
        return count

    async def count(self) -> tuple[int, int]:
        """The mails waiting to be sent and those given up, recorded for the metrics."""
        waiting = OutboxMail.sent_at.is_(None) & OutboxMail.failed_at.is_(None)
        async with self._sessions() as session:
            counted = await session.execute(
                select(
                    func.count().filter(waiting),
                    func.count().filter(OutboxMail.failed_at.is_not(None)),
                ).select_from(OutboxMail)
            )
            waiting_now, failed = counted.one()
        record_outbox(waiting_now, failed)
        return waiting_now, failed

    async def run(self) -> None:
        """Send what is due until `stop()`: at once when a pass found a full batch, else
        every MAIL_POLL_SECONDS; a failure is logged, and the next pass tries again."""
        # No spans for its statements (observability/telemetry.py): a poll every second in every
        # process would drown the requests' traces. (This task's context only.)
        with suppress_instrumentation():
            await self._run()

    async def _run(self) -> None:
        pruned_at = counted_at = -float(PRUNE_EVERY_SECONDS)
        while not self._stopping.is_set():
            claimed = 0
            try:
                claimed = await self.send_due()
                if time.monotonic() - pruned_at >= PRUNE_EVERY_SECONDS:
                    await self.prune()
                    pruned_at = time.monotonic()
                if time.monotonic() - counted_at >= OUTBOX_COUNT_SECONDS:
                    await self.count()
                    counted_at = time.monotonic()
                self._database_back()
            except DATABASE_DOWN as error:
                self._database_lost(error)
            except Exception:
                logger.exception("The mail sender failed; it tries again")
            if claimed < BATCH:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._settings.mail_poll_seconds)

    def _database_lost(self, error: BaseException) -> None:
        # Once per outage, and only the error's kind: its text may hold the database's URL.
        if not self._database_down:
            self._database_down = True
            logger.warning(
                "The mail sender cannot reach the database (%s); mails wait until it can",
                type(error).__name__,
            )

    def _database_back(self) -> None:
        if self._database_down:
            self._database_down = False
            logger.info("The mail sender reaches the database again")

    def start(self) -> None:
        """Run in the background, on the running event loop."""
        self._task = asyncio.create_task(self.run(), name="mail sender")

    async def stop(self, within_seconds: float) -> None:
        """Stop after the mail being sent, if any (cancelled past `within_seconds`: it is
        then sent again later, by this process after a restart or by another)."""
        self._stopping.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._task, within_seconds)
        except TimeoutError:
            logger.warning("The mail sender was stopped mid-way; its mail is sent again later")
