"""`PartialUpdate`: the base of a PATCH body. Its fields are all optional (only those sent
change), and `null` is refused where the model's column cannot hold NULL.

    class BookUpdate(PartialUpdate):
        updates = Book
        title: str | None = None
"""

from functools import cache
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator
from sqlalchemy import inspect

from {{ cookiecutter.package_name }}.database.base import Base


@cache
def nullable_columns(model: type[Base]) -> frozenset[str]:
    return frozenset(column.key for column in inspect(model).columns if column.nullable)


class PartialUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The model whose rows the body changes.
    updates: ClassVar[type[Base]]

    # Run on the fields sent only (a field left out keeps its default, unchecked): each null
    # refused is an error of its own, at the field's place (`["body", name]`).
    @field_validator("*")
    @classmethod
    def _reject_null_for_required(cls, value: object, info: ValidationInfo) -> object:
        if value is None and info.field_name not in nullable_columns(cls.updates):
            raise ValueError(f"{info.field_name} may not be null")
        return value
