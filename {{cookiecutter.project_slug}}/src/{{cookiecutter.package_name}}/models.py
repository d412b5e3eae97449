"""The User model: built-in columns, then the fields chosen when the project was made."""
{%- set fields = cookiecutter.user_fields | user_fields %}

import datetime as dt
{% if fields | selectattr("kind", "equalto", "decimal") | list -%}
from decimal import Decimal
{% endif -%}
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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
{{ field.model_declaration }}
{%- endfor %}


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
