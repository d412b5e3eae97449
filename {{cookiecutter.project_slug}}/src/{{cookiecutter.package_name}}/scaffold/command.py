"""`<project> new resource NAME "FIELDS" [--owned]`: a resource the way `users/` is written.

It writes, for `LogEntry` say: the package `log_entries/` (model, schemas, routes), a migration
chained to the current head, the wiring (`main.py`'s ROUTERS, `models.py`), and `tests/
log_entries/` (factories, fixtures and tests), then formats them with ruff. Everything is
checked before anything is written: a refusal is one line, exit status 1, and no file changed.

FIELDS has the grammar and the types of the template's `user_fields` prompt, from the same
registry (field_spec.py, field_types.py, field_code.py beside this file).
"""

from __future__ import annotations

from pathlib import Path

from .files import render, write
from .names import check_classes, check_fixtures, check_free
from .resource import Project, parse_resource


def new_resource(package: str, name: str, spec: str, owned: bool) -> list[Path]:
    """Add the resource to the project in the current folder; return the files written."""
    project = Project.here(package)
    resource = parse_resource(name, spec, owned)
    check_free(resource, project)
    check_fixtures(resource, project)
    check_classes(resource, project)
    files = render(resource, project)
    write(files, project)
    return list(files)
