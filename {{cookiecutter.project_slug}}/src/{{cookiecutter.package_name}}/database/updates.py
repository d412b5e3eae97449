"""`PartialUpdate`: the base of a PATCH body. Its fields are all optional (only those sent
change), and `null` is refused where the model's column cannot hold NULL.

    class BookUpdate(PartialUpdate):
        updates = Book
        title: str | None = None
"""

from functools import cache
from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy import inspect

from {{ cookiecutter.package_name }}.database.base import Base


@cache
def nullable_columns(model: type[Base]) -> frozenset[str]:
    return frozenset(column.key for column in inspect(model).columns if column.nullable)


class PartialUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The model whose rows the body changes.
    updates: ClassVar[type[Base]]

    @model_validator(mode="after")
    def _reject_null_for_required(self) -> Self:
        for name in sorted(self.model_fields_set - nullable_columns(self.updates)):
            if getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self
