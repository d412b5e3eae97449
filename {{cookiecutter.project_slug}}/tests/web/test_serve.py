"""`serve`, the image's command: uvicorn with uvloop and httptools and the bounds of a service
safe to expose, its workers and access log from the settings."""

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import cli
from {{ cookiecutter.package_name }}.core.settings import get_settings
from {{ cookiecutter.package_name }}.observability.logs import logging_config
from {{ cookiecutter.package_name }}.web.http_protocol import GuardedHttpToolsProtocol

from tests.logs import logging_as_it_was


def _served_with(monkeypatch: pytest.MonkeyPatch, *arguments: str) -> dict[str, Any]:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: calls.append((a, k)))
    get_settings.cache_clear()
    try:
        cli.main(["serve", *arguments])
    finally:
        get_settings.cache_clear()
    ((positional, options),) = calls
    assert positional == ("{{ cookiecutter.package_name }}.main:app",)
    return options


def test_serve_runs_uvicorn_on_uvloop_and_httptools_within_bounds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    options = _served_with(monkeypatch)
    assert options == {
        "host": "0.0.0.0",
        "port": 8000,
        "workers": 1,
        # uvloop also sets TCP_NODELAY, which uvicorn's asyncio loop misses with workers.
        "loop": "uvloop",
        "http": GuardedHttpToolsProtocol,
        "log_config": logging_config("json", "INFO"),
        "access_log": False,  # the app's own, observability/access_log.py
        "proxy_headers": False,
        "timeout_keep_alive": 5,
        "limit_concurrency": 2_048,
        "timeout_graceful_shutdown": 25,
    }


def test_serve_takes_its_workers_from_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    try:
        options = _served_with(monkeypatch, "--host", "127.0.0.1", "--port", "9000")
        # The workers write their metrics there; a scrape of any of them sums them all.
        metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
        assert metrics_dir.is_dir()
    finally:
        shutil.rmtree(os.environ.pop("PROMETHEUS_MULTIPROC_DIR", "/nonexistent"), True)
    assert options["workers"] == 3
    assert (options["host"], options["port"]) == ("127.0.0.1", 9000)


def test_uvloop_and_httptools_are_installed() -> None:
    import httptools  # noqa: F401
    import uvloop  # noqa: F401


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("MAX_CONCURRENT_REQUESTS", "many", "MAX_CONCURRENT_REQUESTS: Input should be a valid"),
        ("PUBLIC_BASE_URL", "example.com", "PUBLIC_BASE_URL must start with https://"),
        ("DATABASE_URL", None, "DATABASE_URL is not set: set it"),
    ],
)
def test_a_bad_setting_stops_serve_with_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str | None, message: str
) -> None:
    monkeypatch.chdir(tmp_path)  # where no .env sets it
    if value is None:
        monkeypatch.delenv(variable, raising=False)
    else:
        monkeypatch.setenv(variable, value)
    with pytest.raises(SystemExit) as stopped:
        _served_with(monkeypatch)
    said = str(stopped.value.code)
    assert said.startswith("serve: "), said
    assert message in said, said
    assert "\n" not in said


def _devs_links(monkeypatch: pytest.MonkeyPatch, *arguments: str) -> str:
    """Where `dev ...`'s mails link to, as the server it starts reads its settings."""
    monkeypatch.setattr(cli, "alembic", lambda arguments: None)
    served: list[str] = []
    monkeypatch.setattr(
        "uvicorn.run", lambda *a, **k: served.append(get_settings().public_base_url)
    )
    get_settings.cache_clear()
    try:
        with logging_as_it_was():
            cli.main(["dev", *arguments])
    finally:
        get_settings.cache_clear()
    (links,) = served
    return links


@pytest.mark.parametrize(
    ("arguments", "links"),
    [
        ([], "http://127.0.0.1:8000"),
        (["--port", "8123"], "http://127.0.0.1:8123"),
        (["--host", "0.0.0.0", "--port", "8124"], "http://127.0.0.1:8124"),
        (["--host", "::1", "--port", "8125"], "http://[::1]:8125"),
    ],
)
def test_devs_mails_link_to_the_server_it_starts(
    monkeypatch: pytest.MonkeyPatch, arguments: list[str], links: str
) -> None:
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    try:
        assert _devs_links(monkeypatch, *arguments) == links
        assert os.environ["PUBLIC_BASE_URL"] == links, "for uvicorn's reloaded servers"
    finally:
        os.environ.pop("PUBLIC_BASE_URL", None)
        get_settings.cache_clear()


def test_dev_keeps_a_public_base_url_that_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://front.example")
    assert _devs_links(monkeypatch, "--port", "8126") == "https://front.example"
