"""The tables: the throttling counts, sessions and their refresh tokens, then the User model
(last, its built-in columns, then the fields chosen when the project was made)."""
{%- set fields = cookiecutter.user_fields | user_fields %}

{% filter with_type_imports(fields, "model") %}
import datetime as dt
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
{% endfilter %}

from {{ cookiecutter.package_name }}.roles import Role

# Predictable constraint names, so migrations can name them and errors can be traced to a column.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class LoginFailure(Base):
    """A failed login, counted per account and per client address (see throttling.py)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(sa.BigInteger(), primary_key=True)
    # The email as typed (lower case), whether or not such an account exists.
    account: Mapped[str] = mapped_column(sa.String(320), index=True)
    address: Mapped[str] = mapped_column(sa.String(64), index=True)
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


class User(Base):
    __tablename__ = "users"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    hashed_password: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(sa.Enum(Role, name="user_role"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utc_now, server_default=sa.func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utc_now, onupdate=utc_now, server_default=sa.func.now()
    )
{%- for field in fields %}
{{ field | model_declaration }}
{%- endfor %}
