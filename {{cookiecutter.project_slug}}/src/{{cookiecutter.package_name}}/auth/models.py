"""The tables of authentication: failed logins, sign-ups and requests for mails (for
throttling), login sessions with their refresh tokens, and the tokens of links in mails."""

import datetime as dt
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from {{ cookiecutter.package_name }}.database.base import Base
from {{ cookiecutter.package_name }}.users.models import User


class LoginFailure(Base):
    """A failed login, counted per account and per client address (see throttling.py)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(sa.BigInteger(), primary_key=True)
    # The email as typed (lower case), whether or not such an account exists.
    account: Mapped[str] = mapped_column(sa.String(320), index=True)
    address: Mapped[str] = mapped_column(sa.String(64), index=True)
    # The device cookie's id of the client that failed (auth/devices.py); null for a stranger.
    device: Mapped[str | None] = mapped_column(sa.String(32))
    # The database's clock, which every process and replica shares.
    failed_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), index=True
    )


class SignUpRecord(Base):
    """A sign-up, counted per client address (see throttling.py)."""

    __tablename__ = "sign_ups"

    id: Mapped[int] = mapped_column(sa.BigInteger(), primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(64), index=True)
    signed_up_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), index=True
    )


class UserSession(Base):
    """A login's session: its access tokens carry its id, its refresh tokens belong to it.

    Revoked (logout, a refresh token used twice, a password change, deactivation) or expired,
    it lets no token in.
    """

    __tablename__ = "user_sessions"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    expires_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))

    # Loaded only where a query asks for it (`.options(selectinload(UserSession.user))`): read
    # unloaded, it raises at once instead of sending a query of its own for every row.
    user: Mapped[User] = relationship(lazy="raise_on_sql")


class RefreshToken(Base):
    """A refresh token, stored only as its SHA-256; used once, then replaced (RFC 6749 6)."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    session_id: Mapped[UUID] = mapped_column(
        sa.ForeignKey("user_sessions.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    used_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))

    session: Mapped[UserSession] = relationship(lazy="raise_on_sql")


class PasswordResetToken(Base):
    """A password reset link's token, stored only as its SHA-256 (see password_reset.py):
    used once, until it expires; asking for another deletes it."""

    __tablename__ = "password_reset_tokens"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    expires_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))


class EmailVerificationToken(Base):
    """An email verification link's token, stored only as its SHA-256: good for the address it
    was sent to, once, until it expires; a newer link deletes it (email_verification.py)."""

    __tablename__ = "email_verification_tokens"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The address the link went to: the account's email may have changed since.
    email: Mapped[str] = mapped_column(sa.String(320))
    created_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    expires_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))

    # Set on a new token: its account is then inserted first when both are new (a sign-up).
    user: Mapped[User] = relationship(lazy="raise_on_sql")


class MailRequest(Base):
    """A request for a mail with a link (a password reset, an email verification), counted per
    account and per client address, for each kind apart (throttling.py)."""

    __tablename__ = "mail_requests"

    id: Mapped[int] = mapped_column(sa.BigInteger(), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    # The email as typed (lower case), whether or not such an account exists.
    account: Mapped[str] = mapped_column(sa.String(320), index=True)
    address: Mapped[str] = mapped_column(sa.String(64), index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), index=True
    )
