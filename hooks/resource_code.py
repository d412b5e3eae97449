"""A resource's model and schemas modules, filled in from the scaffold's templates.

One code path for every resource: `new resource` writes a new one's with it, and the
post-generation hook the User's (`users/models.py`, `users/schemas.py`), which build on the
account's columns and schemas (`Extends`). The modules come out with exactly the imports they
use, sorted and laid out as ruff would: the hook has no ruff to run.
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from pathlib import Path
from string import Template

from .field_code import (
    INDENT,
    create_declaration,
    import_line,
    model_declaration,
    read_declaration,
    schema_definitions,
    storable_names,
    update_declaration,
    with_type_imports,
)
from .field_spec import UserField

# A line a template keeps only when its block is not empty.
EMPTY = "@@empty@@"
IMPORTS = "@@imports@@"
LINE_STARTS = (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
# Where each name the templates' own code may use comes from; the fields' types add theirs.
SOURCES = {
    "dt": "import datetime as dt",
    "math": "import math",
    "Annotated": "from typing import Annotated",
    "UUID": "from uuid import UUID",
    "sa": "import sqlalchemy as sa",
    "Mapped": "from sqlalchemy.orm import Mapped",
    "mapped_column": "from sqlalchemy.orm import mapped_column",
    "relationship": "from sqlalchemy.orm import relationship",
    "AwareDatetime": "from pydantic import AwareDatetime",
    "BaseModel": "from pydantic import BaseModel",
    "ConfigDict": "from pydantic import ConfigDict",
    "Field": "from pydantic import Field",
}


@dataclass(frozen=True)
class Extends:
    """What a resource adds to the pattern's classes: a mixin of columns before
    `ResourceColumns`, and bases named `<prefix>Create`, `<prefix>Update`, `<prefix>Read` in
    place of `BaseModel` and `PartialUpdate` (modules relative to the package)."""

    columns_module: str
    columns: str
    schemas_module: str
    schemas_prefix: str


# The User's: its sign-in, role and email verification.
ACCOUNT = Extends("users.account", "AccountColumns", "users.account_schemas", "Account")


def fill(template: Path, **values: str) -> str:
    """`template` with `${name}`s replaced; a line that is only EMPTY goes."""
    text = Template(template.read_text(encoding="utf-8")).substitute(values)
    lines = [line for line in text.split("\n") if line.strip() != EMPTY]
    return "\n".join(line.replace(EMPTY, "") for line in lines)


def block(lines: list[str]) -> str:
    return "\n".join(lines) if lines else EMPTY


def _names_used(code: str) -> set[str]:
    """The names `code` reads: its NAME tokens, less attributes (`x.name`) and the names a
    line declares (`name: ...`): a field called `math` needs no `import math`."""
    tokens = [
        token
        for token in tokenize.generate_tokens(io.StringIO(code).readline)
        if token.type not in (tokenize.NL, tokenize.COMMENT)
    ]
    used: set[str] = set()
    for before, token, after in zip([None, *tokens[:-1]], tokens, [*tokens[1:], None], strict=True):
        if token.type != tokenize.NAME:
            continue
        attribute = before is not None and before.string == "."
        starts_line = before is None or before.type in LINE_STARTS
        declared = starts_line and after is not None and after.string == ":"
        if not attribute and not declared:
            used.add(token.string)
    return used


def _with_imports(
    code: str, fields: list[UserField], kind: str, package: str, own: list[tuple[str, str]]
) -> str:
    """`code` with IMPORTS replaced by what it uses: the standard library's and other
    distributions' (SOURCES, and the fields' types' for `kind`), then the package's (`own`:
    module, name), in sections as ruff sorts them."""
    used = _names_used(code.replace(IMPORTS, ""))
    wanted = [SOURCES[name] for name in sorted(used & SOURCES.keys())]
    sections = [with_type_imports("\n".join(wanted), fields, kind)]
    by_module: dict[str, list[ast.alias]] = {}
    for module, name in own:
        by_module.setdefault(f"{package}.{module}", []).append(ast.alias(name))
    sections.append(
        "\n".join(import_line(module, by_module[module]) for module in sorted(by_module))
    )
    return code.replace(IMPORTS, "\n\n".join(section for section in sections if section))


@dataclass(frozen=True)
class ResourceModules:
    """What a resource's models.py and schemas.py are made from. `module` is its package
    (the table's name too), `owned` gives it an owner (`owner_id`, a user)."""

    name: str
    module: str
    package: str
    fields: list[UserField]
    owned: bool = False
    extends: Extends | None = None


def model_module(templates: Path, spec: ResourceModules, doc: str) -> str:
    """The resource's models.py: `class <name>(..., ResourceColumns, Base)` with its fields
    (and, when `owned`, its owner)."""
    name, fields, owned, extends = spec.name, spec.fields, spec.owned, spec.extends
    owner_column = (
        f"{INDENT}owner_id: Mapped[UUID] = mapped_column(\n"
        f'{INDENT * 2}sa.ForeignKey("users.id", ondelete="CASCADE"), index=True\n{INDENT})\n'
        f"{INDENT}# Read unloaded, it raises at once instead of sending a query for every row:\n"
        f"{INDENT}# a query loads it where needed, with `selectinload({name}.owner)`.\n"
        f'{INDENT}owner: Mapped[User] = relationship(lazy="raise_on_sql")'
    )
    body = ([owner_column] if owned else []) + [model_declaration(field) for field in fields]
    bases = [extends.columns] if extends else []
    own = [("database.base", "Base"), ("database.base", "ResourceColumns")]
    own += [(extends.columns_module, extends.columns)] if extends else []
    own += [("users.models", "User")] if owned else []
    code = fill(
        templates / "models.py.tmpl",
        doc=doc,
        imports=IMPORTS,
        Name=name,
        bases=", ".join([*bases, "ResourceColumns", "Base"]),
        table=spec.module,
        # After a blank line, as ruff lays out a class body after `__tablename__`.
        columns=block(["", *body]) if body else EMPTY,
    )
    return _with_imports(code, fields, "model", spec.package, own)


def schemas_module(templates: Path, spec: ResourceModules, doc: str) -> str:
    """The resource's schemas.py: `<name>Create`, `<name>Update`, `<name>Read` and
    `<name>Page`, with the fields' checks."""
    name, fields, owned, extends = spec.name, spec.fields, spec.owned, spec.extends
    prefix = extends.schemas_prefix if extends else ""
    create_lines = [] if extends else [f'{INDENT}model_config = ConfigDict(extra="forbid")']
    if create_lines and fields:
        create_lines.append("")
    create_lines += [create_declaration(field) for field in fields]
    own = [(f"{spec.module}.models", name)]
    own += [("database.storable", storable) for storable in storable_names(fields)]
    if extends:
        bases = (f"{prefix}{kind}" for kind in ("Create", "Update", "Read"))
        own += [(extends.schemas_module, base) for base in bases]
    else:
        own.append(("database.updates", "PartialUpdate"))
    definitions = schema_definitions(fields)
    code = fill(
        templates / "schemas.py.tmpl",
        doc=doc,
        # One blank line after the imports, as ruff's isort leaves before a statement.
        imports=IMPORTS + (definitions[1:] if definitions else ""),
        Name=name,
        create_base=f"{prefix}Create" if extends else "BaseModel",
        create_body=block(create_lines) if create_lines else f"{INDENT}pass",
        update_base=f"{prefix}Update" if extends else "PartialUpdate",
        update_fields=block(["", *(update_declaration(field) for field in fields)])
        if fields
        else EMPTY,
        read_base=f"{prefix}Read" if extends else "BaseModel",
        read_config=""
        if extends
        else f"{INDENT}model_config = ConfigDict(from_attributes=True)\n\n",
        owner_read=f"{INDENT}owner_id: UUID\n" if owned else "",
        read_fields=block([read_declaration(field) for field in fields]),
    )
    return _with_imports(code, fields, "schema", spec.package, own)
