"""What a project's owner changes after rendering, before the template changes again.

A README note, a resource of their own (a folder with its route, in main.py's ROUTERS, and its
test; the template's test of database routes finds the route itself), a column for which they
write a migration, and a file they delete on purpose.
"""

import json
import shutil
from pathlib import Path

from tests.update.workspace import replace

PHONE = "    phone: Mapped[str | None] = mapped_column(sa.String(32))\n"
NOTE = "\nOwner's note: this service also counts its users at `GET /stats`.\n"
DELETED = ".pre-commit-config.yaml"  # this owner does not use pre-commit
ROUTE = '''"""Figures about the service."""

from fastapi import APIRouter
from sqlalchemy import func, select

from {package}.database.session import DbSession
from {package}.users.models import User
from {package}.web.errors import error_responses

router = APIRouter(tags=["stats"])


@router.get("/stats", responses=error_responses(503))
async def stats(session: DbSession) -> dict[str, int]:
    """How many users there are."""
    return {{"users": await session.scalar(select(func.count()).select_from(User)) or 0}}
'''
# The owner's resource: a folder of its own in the package, as the project's README lays one out.
RESOURCE = "stats"
ROUTES = Path(RESOURCE) / "routes.py"
# The owner's test of the route (tests/test_stats.py in the project).
TEST = Path(__file__).parent / "files" / "owner_test_stats.py"


def package_name(project: Path) -> str:
    record = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    name: str = record["context"]["cookiecutter"]["package_name"]
    return name


def make_owner_changes(project: Path) -> None:
    """Every change but the migration, which `alembic revision --autogenerate` writes."""
    package = project / "src" / package_name(project)
    readme = project / "README.md"
    title, rest = readme.read_text(encoding="utf-8").split("\n", 1)
    readme.write_text(f"{title}\n{NOTE}{rest}", encoding="utf-8")
    resource = package / RESOURCE
    resource.mkdir()
    (resource / "__init__.py").write_text('"""Figures about the service."""\n', encoding="utf-8")
    (package / ROUTES).write_text(ROUTE.format(package=package.name), encoding="utf-8")
    # Its router in main.py's ROUTERS, as the project's README says (the import where ruff
    # sorts it: before the users' one).
    main = package / "main.py"
    users = f"from {package.name}.users import routes as user_routes\n"
    ours = f"from {package.name}.{RESOURCE} import routes as {RESOURCE}_routes\n"
    replace(main, users, ours + users)
    replace(main, "ROUTERS = (\n", f"ROUTERS = (\n    {RESOURCE}_routes.router,\n")
    shutil.copyfile(TEST, project / "tests" / "test_stats.py")
    models = package / "users" / "models.py"
    models.write_text(models.read_text(encoding="utf-8") + PHONE, encoding="utf-8")
    (project / DELETED).unlink()
