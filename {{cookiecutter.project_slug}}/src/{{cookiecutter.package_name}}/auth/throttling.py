"""Limits on failed logins (per account, per client address) and on sign-ups (per address).

The counts live in PostgreSQL (login_failures, sign_ups), so every process and replica shares
them, and time is the database's clock. OWASP ASVS 5.0 6.3.1: against password guessing and
credential stuffing. A limit of 0 is off.
"""

import datetime as dt
import math

from fastapi import HTTPException, status
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from {{ cookiecutter.package_name }}.auth.models import LoginFailure, SignUpRecord
from {{ cookiecutter.package_name }}.core.settings import Settings

HOUR = dt.timedelta(hours=1)


def too_many(what: str, retry_after: int) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        detail=f"Too many {what}; try again in {retry_after} seconds",
        headers={"Retry-After": str(retry_after)},
    )


async def _seconds_until_below(
    session: AsyncSession,
    moment: InstrumentedAttribute[dt.datetime],
    where: ColumnElement[bool],
    limit: int,
    window: dt.timedelta,
) -> int | None:
    """None while fewer than `limit` rows match `where` in the window; else the seconds until
    the oldest of the latest `limit` leaves it, which brings the count below the limit."""
    if limit == 0:
        return None
    latest = (
        select(moment)
        .where(where, moment > func.now() - window)
        .order_by(moment.desc())
        .offset(limit - 1)
        .limit(1)
        .scalar_subquery()
    )
    seconds: float | None = await session.scalar(
        select(func.extract("epoch", latest + window - func.now()))
    )
    if seconds is None:
        return None
    return max(1, math.ceil(seconds))


async def lock_account(session: AsyncSession, account: str) -> None:
    """Serialize the logins to one account, in every process, until the transaction ends, so
    that guesses sent at once cannot all pass the check before any failure is counted."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(account, 0))))


async def login_retry_after(
    session: AsyncSession, account: str, address: str, settings: Settings
) -> int | None:
    """Seconds to wait when the account or the address has failed too often, else None."""
    window = dt.timedelta(seconds=settings.login_failure_window_seconds)
    waits = [
        await _seconds_until_below(
            session,
            LoginFailure.failed_at,
            LoginFailure.account == account,
            settings.login_max_failures_per_account,
            window,
        ),
        await _seconds_until_below(
            session,
            LoginFailure.failed_at,
            LoginFailure.address == address,
            settings.login_max_failures_per_address,
            window,
        ),
    ]
    known = [wait for wait in waits if wait is not None]
    return max(known) if known else None


async def record_login_failure(
    session: AsyncSession, account: str, address: str, settings: Settings
) -> None:
    """Count a failure (the caller commits), and forget those that no longer count."""
    window = dt.timedelta(seconds=settings.login_failure_window_seconds)
    expired = LoginFailure.failed_at <= func.now() - window
    await session.execute(delete(LoginFailure).where(expired))
    session.add(LoginFailure(account=account, address=address))


async def forget_login_failures(session: AsyncSession, account: str) -> None:
    """After a successful login, the account's earlier failures no longer count against it."""
    await session.execute(delete(LoginFailure).where(LoginFailure.account == account))


async def sign_up_retry_after(
    session: AsyncSession, address: str, settings: Settings
) -> int | None:
    return await _seconds_until_below(
        session,
        SignUpRecord.signed_up_at,
        SignUpRecord.address == address,
        settings.signup_max_per_address_per_hour,
        HOUR,
    )


async def record_sign_up(session: AsyncSession, address: str) -> None:
    """Count a sign-up (committed with the new user), and forget those that no longer count."""
    expired = SignUpRecord.signed_up_at <= func.now() - HOUR
    await session.execute(delete(SignUpRecord).where(expired))
    session.add(SignUpRecord(address=address))
