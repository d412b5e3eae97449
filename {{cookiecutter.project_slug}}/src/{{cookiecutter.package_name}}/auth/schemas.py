"""Request and response bodies of the token, revocation, password-change, password-reset and
email-verification endpoints."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from {{ cookiecutter.package_name }}.auth.passwords import Password, TypedPassword
from {{ cookiecutter.package_name }}.database.storable import PgText
from {{ cookiecutter.package_name }}.users.account_schemas import MAX_EMAIL_LENGTH

# Refresh tokens are 43 characters; a longer one is no refresh token.
MAX_TOKEN_LENGTH = 2_048


class TokenForm(BaseModel):
    """The token endpoint's form (RFC 6749): `grant_type=password` (the default) with the
    email as `username` and the `password`, or `grant_type=refresh_token` with the
    `refresh_token`. Other fields are ignored."""

    grant_type: Literal["password", "refresh_token"] = "password"
    username: Annotated[PgText, Field(min_length=1, max_length=MAX_EMAIL_LENGTH)] | None = None
    password: TypedPassword | None = None
    refresh_token: Annotated[str, Field(min_length=1, max_length=MAX_TOKEN_LENGTH)] | None = None


class RevocationForm(BaseModel):
    """RFC 7009: the token to revoke, an access or a refresh token; the hint is optional."""

    token: Annotated[str, Field(min_length=1, max_length=MAX_TOKEN_LENGTH)]
    token_type_hint: Literal["access_token", "refresh_token"] | None = None


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str


class OAuthError(BaseModel):
    """An error of the token endpoints, as RFC 6749 5.2 spells it."""

    error: str
    error_description: str


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: TypedPassword
    new_password: Password


class PasswordResetRequest(BaseModel):
    """Whose password to reset: the account's email, as typed (not checked to be one: what is
    no account's gets the same answer)."""

    model_config = ConfigDict(extra="forbid")

    email: Annotated[PgText, Field(min_length=1, max_length=MAX_EMAIL_LENGTH)]


class PasswordResetConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Any text: one that is no token of ours (too long, odd characters) gets the 400 of an
    # unknown one (auth/password_reset.py), not a 422 that tells them apart.
    token: str
    new_password: Password


class EmailVerificationConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Any text, as for password resets: what is no token of ours gets the 400 of an unknown one.
    token: str


class Accepted(BaseModel):
    detail: str
