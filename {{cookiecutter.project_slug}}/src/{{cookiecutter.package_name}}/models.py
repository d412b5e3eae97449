"""Every table, by importing each domain's models: what Alembic compares the database with,
and what the tests create. A new resource's models are imported here."""

from {{ cookiecutter.package_name }}.auth.models import (
    EmailVerificationToken,
    LoginFailure,
    MailRequest,
    PasswordResetToken,
    RefreshToken,
    SignUpRecord,
    UserSession,
)
from {{ cookiecutter.package_name }}.database.base import Base
from {{ cookiecutter.package_name }}.mail.outbox import OutboxMail
from {{ cookiecutter.package_name }}.users.models import User

__all__ = [
    "Base",
    "EmailVerificationToken",
    "LoginFailure",
    "MailRequest",
    "OutboxMail",
    "PasswordResetToken",
    "RefreshToken",
    "SignUpRecord",
    "User",
    "UserSession",
]
