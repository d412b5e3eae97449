"""The User model: its built-in columns, then the fields chosen when the project was made."""
{%- set fields = cookiecutter.user_fields | user_fields %}

{% filter with_type_imports(fields, "model") %}
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column
{% endfilter %}

from {{ cookiecutter.package_name }}.database.base import Base, ResourceColumns
from {{ cookiecutter.package_name }}.users.roles import Role


class User(ResourceColumns, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    hashed_password: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(sa.Enum(Role, name="user_role"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # When the owner followed a verification link sent to `email`; null until then, and again
    # once the email changes (auth/email_verification.py).
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # A new email the owner asked for: it replaces `email` once a link sent to it is followed.
    pending_email: Mapped[str | None] = mapped_column(sa.String(320))
{%- for field in fields %}
{{ field | model_declaration }}
{%- endfor %}
