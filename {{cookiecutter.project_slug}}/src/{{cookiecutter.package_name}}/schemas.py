"""Request and response bodies of the API."""
{%- set fields = cookiecutter.user_fields | user_fields %}

{% if fields | selectattr("kind", "equalto", "date") | list -%}
import datetime as dt
{% endif -%}
from decimal import Decimal
from typing import Annotated, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    model_validator,
)
from sqlalchemy import inspect

from {{ cookiecutter.package_name }}.models import User
from {{ cookiecutter.package_name }}.roles import Role


def _reject_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("must not contain the NUL character")
    return text


# Types that PostgreSQL columns can hold, so a bad value is a 422 here, not an error there.
PgText = Annotated[str, AfterValidator(_reject_nul)]
Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
FiniteDecimal = Annotated[Decimal, Field(allow_inf_nan=False)]
Email = Annotated[EmailStr, Field(max_length=320), AfterValidator(str.lower)]
Password = Annotated[str, Field(min_length=8, max_length=128)]

NULLABLE_COLUMNS = frozenset(column.key for column in inspect(User).columns if column.nullable)


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password
    role: Role | None = None
{%- for field in fields %}
{{ field.create_declaration }}
{%- endfor %}


class UserUpdate(BaseModel):
    """Only the fields sent are changed; `null` is allowed only where the column is nullable."""

    model_config = ConfigDict(extra="forbid")

    email: Email | None = None
    password: Password | None = None
    role: Role | None = None
    is_active: bool | None = None
{%- for field in fields %}
{{ field.update_declaration }}
{%- endfor %}

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
{{ field.read_declaration }}
{%- endfor %}


class UserPage(BaseModel):
    items: list[UserRead]
    total: int
    offset: int
    limit: int


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
