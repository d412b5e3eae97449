"""The columns of a user's account, which `User` (models.py) adds to its resource columns:
the sign-in, the role and the email's verification."""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from {{ cookiecutter.package_name }}.users.roles import Role


class AccountColumns:
    """`class User(AccountColumns, ResourceColumns, Base)`: what makes a row an account."""

    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    hashed_password: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(sa.Enum(Role, name="user_role"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # When the owner followed a verification link sent to `email`; null until then, and again
    # once the email changes (auth/email_verification.py).
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # A new email the owner asked for: it replaces `email` once a link sent to it is followed.
    pending_email: Mapped[str | None] = mapped_column(sa.String(320))
