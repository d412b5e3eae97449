"""The test database answers, and it is not the app's; without a database the app will not start."""

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }} import cli
from {{ cookiecutter.package_name }}.core.settings import MissingDatabaseUrlError, get_settings
from {{ cookiecutter.package_name }}.database.engine import AsyncDatabase
from {{ cookiecutter.package_name }}.main import create_app

from tests.logs import logging_as_it_was
from tests.served import settings_from_environment
from tests.tcp_proxy import free_port


async def test_session_runs_a_query(db_session: AsyncSession) -> None:
    assert await db_session.scalar(text("SELECT 1")) == 1


async def test_tests_never_touch_the_app_database(db_session: AsyncSession) -> None:
    name = await db_session.scalar(text("SELECT current_database()"))
    assert name is not None
    assert "_test" in name


@pytest.fixture
def in_empty_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The test runs in a folder with no .env (a plain fixture: no chdir on the event loop)."""
    monkeypatch.chdir(tmp_path)


@pytest.mark.usefixtures("in_empty_folder")
async def test_the_service_refuses_to_start_without_a_database_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """uvicorn, the image: no DATABASE_URL is a start-up error, never an embedded database."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    app = create_app()
    try:
        with pytest.raises(MissingDatabaseUrlError, match=r"^DATABASE_URL is not set: set it"):
            async with app.router.lifespan_context(app):
                pass
    finally:
        get_settings.cache_clear()  # the real settings again, once the environment is back


@pytest.mark.parametrize("problem", ["no server there", "no such database"])
def test_a_command_on_a_database_it_cannot_use_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, initialize_database: AsyncDatabase, problem: str
) -> None:
    url = initialize_database.engine.url
    if problem == "no server there":
        url = url.set(host="127.0.0.1", port=free_port(), query={})
    else:
        url = url.set(database="no_database_of_this_name")
    database_url = url.render_as_string(hide_password=False)
    with (
        settings_from_environment(monkeypatch, DATABASE_URL=database_url),
        logging_as_it_was(),
        pytest.raises(SystemExit) as stopped,
    ):
        cli.main(["unlock", "someone@example.com"])
    said = str(stopped.value.code)
    assert said.startswith("unlock: cannot use the database "), said
    fix = {
        "no server there": ": check DATABASE_URL and its server",
        "no such database": ": create it (`createdb no_database_of_this_name` on its server) "
        "or check DATABASE_URL",
    }
    assert said.endswith(fix[problem]), said
    assert "\n" not in said
