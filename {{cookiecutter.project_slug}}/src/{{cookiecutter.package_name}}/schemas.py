"""Request and response bodies of the API."""
{%- set fields = cookiecutter.user_fields | user_fields %}

{% filter with_type_imports(fields, "schema") %}
import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy import inspect
{% endfilter %}

from {{ cookiecutter.package_name }}.models import User
from {{ cookiecutter.package_name }}.passwords import MAX_PASSWORD_LENGTH, password_problem_for
from {{ cookiecutter.package_name }}.roles import Role
from {{ cookiecutter.package_name }}.settings import get_settings

# PostgreSQL refuses a B-tree index entry over 2704 bytes; text in an indexed column stays below.
MAX_INDEXED_BYTES = 2600
MAX_EMAIL_LENGTH = 320


def _encodable(text: str) -> str:
    # JSON can spell lone surrogates ("\ud800"), which no UTF-8 text, nor PostgreSQL, can hold.
    try:
        text.encode()
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (it holds a lone surrogate)") from None
    return text


def _storable(text: str) -> str:
    if "\x00" in text:
        raise ValueError("must not contain the NUL character")
    return _encodable(text)


def _fits_an_index(text: str) -> str:
    if len(text.encode()) > MAX_INDEXED_BYTES:
        raise ValueError(f"must be at most {MAX_INDEXED_BYTES} bytes in UTF-8, as it is indexed")
    return text


def _within_text_limit(text: str) -> str:
    # A setting, read when a request is validated: unbounded text is unbounded memory and storage.
    limit = get_settings().text_max_length
    if len(text) > limit:
        raise ValueError(f"must be at most {limit} characters (TEXT_MAX_LENGTH)")
    return text


def _check_password(password: str | None, info: ValidationInfo) -> str | None:
    """The rules of passwords.py, against the body's email too when it has a valid one."""
    if password is None:
        return None
    email = info.data.get("email")
    problem = password_problem_for(password, email if isinstance(email, str) else "")
    if problem is not None:
        raise ValueError(f"The password {problem}")
    return password


def _within_utc_range(moment: dt.datetime) -> dt.datetime:
    # The driver stores moments in UTC: 0001-01-01T00:00+01:00 has no UTC year to go to.
    try:
        moment.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("must fall between the years 1 and 9999 in UTC") from None
    return moment


# Types that PostgreSQL columns can hold, so a bad value is a 422 here, not an error there.
PgText = Annotated[str, AfterValidator(_storable)]
LongText = Annotated[str, AfterValidator(_storable), AfterValidator(_within_text_limit)]
IndexedText = Annotated[str, AfterValidator(_storable), AfterValidator(_fits_an_index)]
Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
FiniteDecimal = Annotated[Decimal, Field(allow_inf_nan=False)]
PgDatetime = Annotated[AwareDatetime, AfterValidator(_within_utc_range)]
Email = Annotated[EmailStr, Field(max_length=MAX_EMAIL_LENGTH), AfterValidator(str.lower)]
# Its minimum is a setting, checked with the other rules of passwords.py.
Password = Annotated[str, Field(max_length=MAX_PASSWORD_LENGTH), AfterValidator(_encodable)]
{{- fields | schema_definitions }}

NULLABLE_COLUMNS = frozenset(column.key for column in inspect(User).columns if column.nullable)


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password
    role: Role | None = None
{%- for field in fields %}
{{ field | create_declaration }}
{%- endfor %}

    @field_validator("password")
    @classmethod
    def _password_follows_the_rules(cls, password: str | None, info: ValidationInfo) -> str | None:
        return _check_password(password, info)


class UserUpdate(BaseModel):
    """Only the fields sent are changed; `null` is allowed only where the column is nullable."""

    model_config = ConfigDict(extra="forbid")

    email: Email | None = None
    password: Password | None = None
    # Needed to change one's own email or password.
    current_password: Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)] | None = (
        None
    )
    role: Role | None = None
    is_active: bool | None = None
{%- for field in fields %}
{{ field | update_declaration }}
{%- endfor %}

    @field_validator("password")
    @classmethod
    def _password_follows_the_rules(cls, password: str | None, info: ValidationInfo) -> str | None:
        return _check_password(password, info)

    @model_validator(mode="after")
    def _reject_null_for_required(self) -> Self:
        for name in sorted(self.model_fields_set - NULLABLE_COLUMNS):
            if getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    email: str
    role: Role
    is_active: bool
    created_at: AwareDatetime
    updated_at: AwareDatetime
{%- for field in fields %}
{{ field | read_declaration }}
{%- endfor %}


class UserPage(BaseModel):
    items: list[UserRead]
    total: int
    offset: int
    limit: int


# A password as typed at login: no minimum of its own, as a short password is simply a wrong one.
TypedPassword = Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
# Refresh tokens are 43 characters; a longer one is no refresh token.
MAX_TOKEN_LENGTH = 2_048


class TokenForm(BaseModel):
    """The token endpoint's form (RFC 6749): `grant_type=password` (the default) with the
    email as `username` and the `password`, or `grant_type=refresh_token` with the
    `refresh_token`. Other fields are ignored."""

    grant_type: Literal["password", "refresh_token"] = "password"
    username: (
        Annotated[str, Field(min_length=1, max_length=MAX_EMAIL_LENGTH), AfterValidator(_storable)]
        | None
    ) = None
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
