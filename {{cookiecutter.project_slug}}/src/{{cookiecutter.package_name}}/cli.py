"""The project's command line, a script named after the project: `uv run <project> COMMAND`.

- `dev`: apply the migrations, then serve the app with reload on 127.0.0.1:8000.
- `serve`: the production server (the image's command): uvicorn with uvloop and httptools,
  WEB_CONCURRENCY workers, ACCESS_LOG, bounded keep-alive, concurrency and shutdown.
- `alembic ...`: Alembic's own command line (`revision --autogenerate`, `check`, ...).
- `create-admin EMAIL`: make the first admin, or an existing user an admin (create_admin.py).
- `unlock EMAIL`: clear an account's failed logins, so that it may log in at once (unlock.py).
- `new resource NAME "FIELDS" [--owned]`: add a resource like users/ (scaffold/command.py).

All but `serve` use DATABASE_URL's database; when it is unset, an embedded PostgreSQL whose data
stays in `.pgdata/` in the project folder. The service itself (`serve`, the image) never starts
one.
"""

import argparse
import asyncio
import os
import re
import socket
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.metadata import entry_points
from pathlib import Path

import uvicorn
from alembic.config import CommandLine
from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError

from {{ cookiecutter.package_name }}.auth.create_admin import (
    CreateAdminError,
    create_admin,
    parse_fields,
)
from {{ cookiecutter.package_name }}.auth.unlock import unlock
from {{ cookiecutter.package_name }}.core.settings import SettingsError, get_settings
from {{ cookiecutter.package_name }}.database.embedded import (
    DATABASE_NAME,
    EmbeddedPostgresError,
    start_embedded_postgres,
)
from {{ cookiecutter.package_name }}.observability import logs
from {{ cookiecutter.package_name }}.web.http_protocol import GuardedHttpToolsProtocol

# Where the embedded server keeps its data (git- and docker-ignored), and Alembic its settings.
DEV_DATA_DIR = Path(".pgdata")
ALEMBIC_INI = Path("alembic.ini")


@contextmanager
def development_database() -> Iterator[None]:
    """DATABASE_URL, else an embedded server on `.pgdata/` for as long as the block runs."""
    if not ALEMBIC_INI.is_file():
        sys.exit(f"no {ALEMBIC_INI} in {Path.cwd()}: run this from the project folder")
    if get_settings().database_url is not None:
        yield
        return
    try:
        database = start_embedded_postgres(DEV_DATA_DIR, database=DATABASE_NAME)
    except EmbeddedPostgresError as error:
        sys.exit(str(error))
    try:
        # Child processes (uvicorn's reloaded servers) inherit it; the settings read it again.
        os.environ["DATABASE_URL"] = database.url()
        get_settings.cache_clear()
        url = database.url()
        print(f"Embedded PostgreSQL, its data in {DEV_DATA_DIR}/: {url}", file=sys.stderr)
        yield
    finally:
        database.stop()


def alembic(arguments: Sequence[str]) -> None:
    """Alembic's command line, as `uv run alembic ...` would run it."""
    CommandLine(prog="alembic").main([f"--config={ALEMBIC_INI}", *arguments])


def link_mails_here(host: str, port: int) -> None:
    """Unless PUBLIC_BASE_URL is set, the links in `dev`'s mails lead to the server it starts
    (`--port` included), not to the default's port."""
    if "public_base_url" in get_settings().model_fields_set:
        return
    reachable = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if ":" in reachable:
        reachable = f"[{reachable}]"  # an IPv6 address in a URL
    # Child processes (uvicorn's reloaded servers) inherit it; the settings read it again.
    os.environ["PUBLIC_BASE_URL"] = f"http://{reachable}:{port}"
    get_settings.cache_clear()


def dev(host: str, port: int) -> None:
    """Migrate, then serve with reload until Ctrl-C."""
    alembic(["upgrade", "head"])
    link_mails_here(host, port)
    settings = get_settings()
    uvicorn.run(
        "{{ cookiecutter.package_name }}.main:app",
        host=host,
        port=port,
        reload=True,
        # Only the code: watching the project folder would report every write to .pgdata/.
        reload_dirs=["src"],
        log_config=logs.logging_config(settings.log_format or "console", settings.log_level),
        access_log=False,  # the app writes its own (ACCESS_LOG)
        # X-Forwarded-For is the app's to judge (TRUSTED_PROXIES), not uvicorn's.
        proxy_headers=False,
    )


def serve(host: str, port: int) -> None:
    """The production server; it needs DATABASE_URL and applies no migrations.

    uvloop and httptools (uvicorn[standard]): about twice the requests per second of the pure
    Python ones, and uvloop sets TCP_NODELAY on every connection, which uvicorn's own loop
    misses with several workers (each keep-alive response then waits ~40 ms for an ACK).
    """
    settings = get_settings()
    settings.require_database_url()  # at once, rather than in each worker's start-up
    if settings.web_concurrency > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # Each worker's metrics in files there, summed by whichever answers a scrape.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="metrics-")
    uvicorn.run(
        "{{ cookiecutter.package_name }}.main:app",
        host=host,
        port=port,
        workers=settings.web_concurrency,
        loop="uvloop",
        # httptools, with limits on the header section's size and time (web/http_protocol.py).
        http=GuardedHttpToolsProtocol,
        # Every line as JSON (or LOG_FORMAT), in each worker; the app writes the access log.
        log_config=logs.logging_config(settings.log_format or "json", settings.log_level),
        access_log=False,
        # X-Forwarded-For is the app's to judge (TRUSTED_PROXIES), not uvicorn's.
        proxy_headers=False,
        # Bounded: an idle keep-alive connection closes after 5 s; past MAX_CONNECTIONS open
        # connections, new requests get 503 rather than memory (the app limits requests in the
        # works: web/request_limit.py); a stop waits 25 s at most.
        timeout_keep_alive=5,
        limit_concurrency=settings.max_connections,
        timeout_graceful_shutdown=25,
    )


def make_admin(email: str, fields: str, promote_existing: bool) -> None:
    """`create-admin`: says what it did, or why it could not, in a line."""
    try:
        url = get_settings().require_database_url()
        made = create_admin(url, email, parse_fields(fields), promote_existing=promote_existing)
        done = asyncio.run(made)
    except CreateAdminError as error:
        sys.exit(f"create-admin: {error}")
    print(done)


def clear_failures(email: str) -> None:
    """`unlock`: says what it cleared, in a line."""
    print(asyncio.run(unlock(get_settings().require_database_url(), email)))


def add_resource(name: str, fields: str, owned: bool) -> None:
    """`new resource`: says what it wrote, or why it wrote nothing, in a line."""
    # A development tool: loaded only for this command.
    from {{ cookiecutter.package_name }}.scaffold.command import new_resource
    from {{ cookiecutter.package_name }}.scaffold.resource import ResourceError

    try:
        written = new_resource("{{ cookiecutter.package_name }}", name, fields, owned)
    except ResourceError as error:
        sys.exit(f"new resource: {error}")
    root = Path.cwd()
    for path in written:
        print(f"wrote {path.relative_to(root)}")
    migrate = f"uv run {_program()} alembic upgrade head"
    print(f"Next: read the new files, then `{migrate}` and `uv run pytest`.")


def _program() -> str:
    """This command line's name, as `uv run` knows it: its entry in [project.scripts]."""
    this = f"{__package__}.cli:main"
    names = [
        script.name for script in entry_points(group="console_scripts") if script.value == this
    ]
    return names[0] if names else f"python -m {__package__}.cli"


# SQLSTATEs of a server that will not take the connection: classes 08 (connection) and 28
# (authorization), no such database, too many connections, starting up or shutting down.
REFUSED_CONNECTION = ("08", "28", "3D000", "53300", "57P03")
NO_SUCH_DATABASE = "3D000"
NO_SUCH_DATABASE_SAID = re.compile(r'database ".*" does not exist')


def _unusable_database(error: Exception) -> str | None:
    """A line for a database the command could not connect to; None for any other error."""
    sqlstate = ""
    if isinstance(error, DBAPIError):
        sqlstate = str(getattr(error.orig, "sqlstate", None) or "")
        if not sqlstate.startswith(REFUSED_CONNECTION):
            return None
        reason = str(error.orig)
    elif isinstance(error, ConnectionError | TimeoutError | socket.gaierror):
        reason = str(error) or type(error).__name__
    else:
        return None
    url = get_settings().database_url
    where = make_url(url).render_as_string(hide_password=True) if url else "(none)"
    first = next(iter(reason.splitlines()), "")
    fix = "check DATABASE_URL and its server"
    # PgBouncer passes the server's words on, under a code of its own.
    if url and (sqlstate == NO_SUCH_DATABASE or NO_SUCH_DATABASE_SAID.search(first)):
        fix = f"create it (`createdb {make_url(url).database}` on its server) or check DATABASE_URL"
    return f"cannot use the database {where} ({first}): {fix}"


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = arguments[0] if arguments else "settings"
    # One line for whoever runs it, not a traceback.
    try:
        _dispatch(arguments)
    except SettingsError as error:
        sys.exit(f"{command}: {error}")
    except (DBAPIError, OSError) as error:
        problem = _unusable_database(error)
        if problem is None:
            raise
        sys.exit(f"{command}: {problem}")


def _dispatch(arguments: list[str]) -> None:
    if arguments[:1] == ["alembic"]:  # Alembic reads the rest of the line itself
        with development_database():
            alembic(arguments[1:])
        return
    parser = argparse.ArgumentParser(
        description={{ cookiecutter.project_name | quoted }},
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    develop = commands.add_parser("dev", help="migrate, then serve with reload")
    develop.add_argument("--host", default="127.0.0.1", help="address to listen on")
    develop.add_argument("--port", type=int, default=8000, help="port to listen on")
    production = commands.add_parser("serve", help="the production server (no reload)")
    production.add_argument("--host", default="0.0.0.0", help="address to listen on")
    production.add_argument("--port", type=int, default=8000, help="port to listen on")
    commands.add_parser("alembic", help="Alembic's commands, on the development database")
    admin = commands.add_parser(
        "create-admin",
        help="make an active admin (a new account, or an existing one); the password is read "
        "from standard input",
    )
    unlocking = commands.add_parser(
        "unlock", help="clear an account's failed logins, so that it may log in again at once"
    )
    unlocking.add_argument("email", help="the account's email")
    new = commands.add_parser("new", help="add code to the project: `new resource`")
    kinds = new.add_subparsers(dest="kind", required=True, metavar="KIND")
    resource = kinds.add_parser(
        "resource",
        help="a resource like users/: model, schemas, routes, migration and tests",
        description="Add a resource: NAME is a CamelCase singular (Voyage, LogEntry); FIELDS "
        "are written as the template's user_fields, e.g. 'title:str(200):unique, pages:int?'.",
    )
    resource.add_argument("name", metavar="NAME", help="CamelCase singular, e.g. LogEntry")
    resource.add_argument("fields", metavar="FIELDS", help="name:type[?][:unique][:index], ...")
    resource.add_argument(
        "--owned",
        action="store_true",
        help="each row belongs to the user who made it (owner_id); only they or an admin may "
        "change it",
    )
    admin.add_argument("email", help="the account's email")
    admin.add_argument(
        "--fields",
        default="{}",
        help="a new account's other fields, as a JSON object (where the project requires some)",
    )
    admin.add_argument(
        "--promote-existing",
        action="store_true",
        help="make an account that exists already an admin (confirmed on a terminal; it keeps "
        "its password, and its sessions end)",
    )
    options = parser.parse_args(arguments)
    if options.command == "new":
        add_resource(options.name, options.fields, options.owned)
        return
    if options.command == "serve":
        serve(options.host, options.port)
        return
    settings = get_settings()
    # Lines for whoever runs the command, on standard error: its own output is on stdout.
    logs.configure_logging(settings.log_format or "json", settings.log_level, stream="stderr")
    with development_database():
        if options.command == "create-admin":
            make_admin(options.email, options.fields, options.promote_existing)
        elif options.command == "unlock":
            clear_failures(options.email)
        else:
            dev(options.host, options.port)


if __name__ == "__main__":
    main()
