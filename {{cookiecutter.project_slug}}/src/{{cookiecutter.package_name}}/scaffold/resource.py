"""A resource as `new resource` is given it: NAME and the names made from it (LogEntry:
log_entry, log_entries, /log-entries), FIELDS parsed with the template's own grammar
(field_spec.py), and the project it goes into."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..database.base import NAMING_CONVENTION
from .field_spec import MAX_IDENTIFIER_BYTES, SpecError, UserField, parse_user_fields

RESOURCE_COLUMNS = ("id", "created_at", "updated_at")
OWNER = "owner_id"
OWNER_RELATIONSHIP = "owner"
# Names the list route binds or calls besides its filters (and the table's name, its rows): an
# indexed field is a filter, a parameter of that route, so it must not take one of them.
LIST_ROUTE_NAMES = frozenset(
    {"func", "limit", "object", "offset", "only", "select", "session", "total", "wanted"}
)
_CAMEL_CASE = re.compile(r"[A-Z][a-z0-9]*(?:[A-Z][a-z0-9]*)*")
# The table's name at most, so that the lines the generated code writes it into (messages,
# docstrings) fit the project's 100 columns, and its constraints' names leave room for fields'.
MAX_TABLE_NAME = 30


class ResourceError(Exception):
    """Why the resource cannot be added: one line, naming the problem and what is allowed."""


def plural(word: str) -> str:
    """English plural of a lower-case word, by pluralizer: entry -> entries, shelf -> shelves."""
    from pluralizer import Pluralizer  # a dev dependency, which only this command needs

    return Pluralizer().plural(word)  # type: ignore[no-untyped-call]  # its __init__ has no hints


@dataclass(frozen=True)
class Resource:
    name: str  # CamelCase singular: LogEntry
    fields: list[UserField]
    owned: bool

    @property
    def words(self) -> list[str]:
        return [part.lower() for part in re.findall(r"[A-Z][a-z0-9]*", self.name)]

    @property
    def snake(self) -> str:  # log_entry: a variable, a fixture
        return "_".join(self.words)

    @property
    def module(self) -> str:  # log_entries: the package, the table, the list's name
        return "_".join([*self.words[:-1], plural(self.words[-1])])

    @property
    def path(self) -> str:  # log-entries: the routes' prefix
        return self.module.replace("_", "-")

    @property
    def word(self) -> str:  # "log entry", in messages
        return " ".join(self.words)

    @property
    def words_plural(self) -> str:  # "log entries"
        return self.module.replace("_", " ")


@dataclass(frozen=True)
class Project:
    root: Path
    package: str

    @property
    def source(self) -> Path:
        return self.root / "src" / self.package

    @classmethod
    def here(cls, package: str) -> Project:
        root = Path.cwd()
        if (
            not (root / "alembic.ini").is_file()
            or not (root / "src" / package / "main.py").is_file()
        ):
            raise ResourceError(
                f"{root} is not this project's folder (no alembic.ini and src/{package}/main.py "
                "there): run the command from the folder that holds pyproject.toml"
            )
        return cls(root, package)


def parse_resource(name: str, spec: str, owned: bool) -> Resource:
    """The resource, or ResourceError naming what is wrong with the name or the fields."""
    if not _CAMEL_CASE.fullmatch(name) or (name.isupper() and len(name) > 1):
        raise ResourceError(
            f"NAME {name!r} is not a CamelCase singular noun: use letters and digits, each word "
            "starting upper-case, e.g. Voyage or LogEntry"
        )
    named = Resource(name, [], owned)
    if named.module == named.snake:  # sheep, series: one name for a row and for the table
        raise ResourceError(
            f"NAME {name!r} is its own plural: the table and the list need a name of their "
            f"own, e.g. {name}Record"
        )
    if len(named.module) > MAX_TABLE_NAME:
        raise ResourceError(
            f"NAME {name!r} is too long: its table {named.module!r} has {len(named.module)} "
            f"characters, at most {MAX_TABLE_NAME} are allowed; choose a shorter NAME"
        )
    built_in = (*RESOURCE_COLUMNS, OWNER) if owned else RESOURCE_COLUMNS
    try:
        fields = parse_user_fields(spec, built_in=built_in, row=named.snake)
    except SpecError as error:
        first = str(error.problems[0]).replace("user_fields: ", "FIELDS: ", 1)
        more = len(error.problems) - 1
        raise ResourceError(first + (f" (and {more} more)" if more else "")) from None
    for field in fields:
        clash = _name_clash(field, named)
        if clash is not None:
            raise ResourceError(
                f"FIELDS: {field.name!r} {clash}; choose another name, e.g. "
                f"{named.snake}_{field.name}"
            )
    resource = Resource(name, fields, owned)
    for column, identifier in _identifiers(resource):
        if len(identifier.encode()) > MAX_IDENTIFIER_BYTES:
            raise ResourceError(
                f"FIELDS: {column!r} gives the table {resource.module!r} the index or "
                f"constraint {identifier!r}, longer than the {MAX_IDENTIFIER_BYTES} characters "
                "PostgreSQL keeps; choose a shorter field name or NAME"
            )
    return resource


def _identifiers(resource: Resource) -> list[tuple[str, str]]:
    """(column, name) of each index and constraint the migration creates, as the project's
    naming convention (database/base.py) names them."""
    table = resource.module

    def named(kind: str, column: str, **more: str) -> tuple[str, str]:
        names = {"table_name": table, "column_0_name": column, **more}
        return column, NAMING_CONVENTION[kind] % names

    found = [named("pk", "id")]
    if resource.owned:
        found += [named("ix", OWNER), named("fk", OWNER, referred_table_name="users")]
    for field in resource.fields:
        found += [named("ix", field.name)] if field.index else []
        found += [named("uq", field.name)] if field.unique else []
    return found


def _name_clash(field: UserField, resource: Resource) -> str | None:
    """What the generated code already calls the field's name, if anything."""
    if field.name == OWNER:  # not owned: an owned resource's fields cannot redefine it
        return "is the column --owned adds (a foreign key to users, set to the caller): use --owned"
    if resource.owned and field.name == OWNER_RELATIONSHIP:
        return "is the model's relationship to the row's owner (owner_id)"
    if (field.index or field.unique) and field.name in {*LIST_ROUTE_NAMES, resource.module}:
        return "is indexed, so it is a filter of the list, whose route already uses that name"
    return None
