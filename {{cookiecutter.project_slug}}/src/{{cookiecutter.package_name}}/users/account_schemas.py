"""The account's part of the users' request and response bodies (schemas.py adds the fields
chosen when the project was made), and the email as sign-up and sign-in read it."""

from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    TypeAdapter,
    ValidationError,
)

from {{ cookiecutter.package_name }}.auth.passwords import Password, TypedPassword
from {{ cookiecutter.package_name }}.core.keyed_hash import keyed_hash
from {{ cookiecutter.package_name }}.database.updates import PartialUpdate
from {{ cookiecutter.package_name }}.users.roles import Role

MAX_EMAIL_LENGTH = 320
Email = Annotated[EmailStr, Field(max_length=MAX_EMAIL_LENGTH), AfterValidator(str.lower)]

_EMAIL = TypeAdapter(Email)


def account_name(typed: str) -> str:
    """The account a login names: its email as sign-up stores it (NFC, the domain in IDNA
    form, lower case). What is no email is no account's, so that its failed logins count too,
    but may be a password typed in the wrong field: it is kept only as a keyed hash."""
    try:
        email: str = _EMAIL.validate_python(typed)
    except ValidationError:
        return "hmac:" + keyed_hash(typed.strip().lower())
    return email


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password
    role: Role | None = None


class AccountUpdate(PartialUpdate):
    email: Email | None = None
    password: Password | None = None
    # Needed to change one's own email or password.
    current_password: TypedPassword | None = None
    role: Role | None = None
    is_active: bool | None = None
    # An admin's: true marks the email verified (as its link would), false unverified.
    email_verified: bool | None = None


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    email: str
    role: Role
    is_active: bool
    email_verified_at: AwareDatetime | None
    # A new email asked for, waiting for its link to be followed (auth/email_verification.py).
    pending_email: str | None


class Unlocked(BaseModel):
    failed_logins_cleared: int
