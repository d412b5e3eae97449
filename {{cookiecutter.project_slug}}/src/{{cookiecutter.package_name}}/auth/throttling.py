"""Limits on failed logins (per account, per client address), on sign-ups (per address) and on
requests for mails with links (per account, per address).

The counts live in PostgreSQL (login_failures, sign_ups), so every process and replica shares
them, and time is the database's clock. OWASP ASVS 5.0 6.3.1: against password guessing and
credential stuffing. A limit of 0 is off.
"""

import datetime as dt
import math

from fastapi import HTTPException, status
from sqlalchemy import ColumnElement, delete, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from {{ cookiecutter.package_name }}.auth.models import LoginFailure, MailRequest, SignUpRecord
from {{ cookiecutter.package_name }}.core.settings import Settings
from {{ cookiecutter.package_name }}.web.client_address import throttling_key

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


async def _lock(session: AsyncSession, *names: str) -> None:
    """Serialize, in every process, what takes the same names, until the transaction ends."""
    locks = [func.pg_advisory_xact_lock(func.hashtextextended(name, 0)) for name in names]
    await session.execute(select(*locks))  # taken in this order, in one round trip


async def check_login_limits(
    session: AsyncSession,
    account: str,
    address: str,
    settings: Settings,
    device: str | None = None,
) -> int | None:
    """Before a password of `account` from `address` is checked (a login, a `current_password`):
    the seconds to wait when the account or the address has failed too often, else None.

    The account's limit counts the failures of the caller's `device` (auth/devices.py) apart
    from those of clients without one: strangers cannot lock the owner's devices out.

    Takes locks of the account and of the address, held until the transaction ends: attempts
    sent at once are checked one at a time, each seeing the failures of those before it. The
    caller counts its attempt as a failure (`record_login_failure`) and commits before it checks
    the password, so no lock nor pooled connection waits on Argon2: a flood of logins from one
    address cannot take every connection of the pool.
    """
    key = throttling_key(address, settings.throttle_ipv6_prefix_length)
    await _lock(session, f"account {account}", f"address {key}")
    window = dt.timedelta(seconds=settings.login_failure_window_seconds)
    waits = [
        await _seconds_until_below(
            session,
            LoginFailure.failed_at,
            (LoginFailure.account == account) & _same_device(device),
            settings.login_max_failures_per_account,
            window,
        ),
        await _seconds_until_below(
            session,
            LoginFailure.failed_at,
            LoginFailure.address == key,
            settings.login_max_failures_per_address,
            window,
        ),
    ]
    known = [wait for wait in waits if wait is not None]
    return max(known) if known else None


def _same_device(device: str | None) -> ColumnElement[bool]:
    if device is None:
        return LoginFailure.device.is_(None)
    return LoginFailure.device == device


async def record_login_failure(
    session: AsyncSession,
    account: str,
    address: str,
    settings: Settings,
    device: str | None = None,
) -> int:
    """Count a failure (the caller commits), and forget those that no longer count; its id.

    Counted before the password is checked; a right password then takes it back
    (`forgive_login_failure`). Meanwhile it counts: right passwords sent at once to a limit's
    edge may get 429 until those before them are done.
    """
    window = dt.timedelta(seconds=settings.login_failure_window_seconds)
    expired = LoginFailure.failed_at <= func.now() - window
    await session.execute(delete(LoginFailure).where(expired))
    key = throttling_key(address, settings.throttle_ipv6_prefix_length)
    failure = LoginFailure(account=account, address=key, device=device)
    session.add(failure)
    await session.flush()
    return failure.id


async def forgive_login_failure(session: AsyncSession, failure_id: int) -> None:
    """Take back a failure counted before a password that proved right (the caller commits).
    A successful login or an unlock may have forgotten it already."""
    await session.execute(delete(LoginFailure).where(LoginFailure.id == failure_id))


async def forget_device_failures(session: AsyncSession, account: str, device: str | None) -> None:
    """After a successful login from `device` (None: a client without a device cookie), its
    failures no longer count; others' still do, or a stranger would get a fresh budget of
    guesses each time the owner logs in (the caller commits)."""
    await session.execute(
        delete(LoginFailure).where(LoginFailure.account == account, _same_device(device))
    )


async def forget_login_failures(session: AsyncSession, account: str) -> int:
    """After an unlock or a password reset, none of the account's failures count against it
    any longer; how many there were (the caller commits)."""
    of_account = delete(LoginFailure).where(LoginFailure.account == account)
    forgotten = await session.scalars(of_account.returning(LoginFailure.id))
    return len(forgotten.all())


async def count_sign_up(session: AsyncSession, address: str, settings: Settings) -> int | None:
    """Before a sign-up is made: the seconds to wait when `address` has signed up too often,
    and nothing counted; else the attempt is counted (committed), whatever becomes of it.

    Counted under a lock of the address, in as few statements as can be: sign-ups sent at once
    wait for each other here.
    """
    limit = settings.signup_max_per_address_per_hour
    if limit == 0:
        return None
    key = throttling_key(address, settings.throttle_ipv6_prefix_length)
    await _lock(session, f"sign-ups {key}")
    of_key = SignUpRecord.address == key
    recent = (
        select(func.count())
        .where(of_key, SignUpRecord.signed_up_at > func.now() - HOUR)
        .scalar_subquery()
    )
    counted = await session.scalar(
        insert(SignUpRecord)
        .from_select(["address"], select(literal(key)).where(recent < limit))
        .returning(SignUpRecord.id)
    )
    if counted is None:
        retry_after = await _seconds_until_below(
            session, SignUpRecord.signed_up_at, of_key, limit, HOUR
        )
        await session.rollback()
        return retry_after or 1
    await session.commit()
    return None


async def forget_old_sign_ups(session: AsyncSession) -> None:
    """Those that no longer count (the caller commits)."""
    await session.execute(
        delete(SignUpRecord).where(SignUpRecord.signed_up_at <= func.now() - HOUR)
    )


async def count_mail_request(
    session: AsyncSession,
    kind: str,
    account: str,
    address: str,
    limits: tuple[int, int],
    settings: Settings,
) -> int | None:
    """Before a mail of `kind` (e.g. "password reset") for `account` is asked for from
    `address`: the seconds to wait when either asked for that kind more often in the last hour
    than `limits` (per account, per address) allow, and nothing counted; else the request is
    counted (the caller commits), whether or not the account exists.

    Under locks of the account and of the address: requests sent at once count one by one.
    """
    key = throttling_key(address, settings.throttle_ipv6_prefix_length)
    await _lock(session, f"{kind} {account}", f"{kind} {key}")
    moment = MailRequest.requested_at
    per_account, per_address = limits
    waits = [
        await _seconds_until_below(
            session,
            moment,
            (MailRequest.kind == kind) & (MailRequest.account == account),
            per_account,
            HOUR,
        ),
        await _seconds_until_below(
            session,
            moment,
            (MailRequest.kind == kind) & (MailRequest.address == key),
            per_address,
            HOUR,
        ),
    ]
    known = [wait for wait in waits if wait is not None]
    if known:
        return max(known)
    await session.execute(delete(MailRequest).where(moment <= func.now() - HOUR))
    session.add(MailRequest(kind=kind, account=account, address=key))
    return None
