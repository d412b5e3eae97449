"""A real PgBouncer in transaction mode on a loopback port, for the `scale` session.

It runs from Debian's `pgbouncer` package (the session installs it when it can), as an
unprivileged user when started as root (PgBouncer refuses to run as root), with its files in a
temporary directory, and stops when the block ends.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

CONFIG = """\
[databases]
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen_port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/users.txt
pool_mode = transaction
query_timeout = {query_timeout}
max_client_conn = 1000
default_pool_size = {pool_size}
max_db_connections = {pool_size}
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid
"""
# An unprivileged user to run it as, when this runs as root: the first that exists.
RUN_AS = ("postgres", "nobody")
START_TIMEOUT_SECONDS = 30


def _unprivileged_user() -> pwd.struct_passwd | None:
    """Whom to run PgBouncer as: None when this does not run as root."""
    if os.geteuid() != 0:
        return None
    for name in RUN_AS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError(f"no unprivileged user to run PgBouncer as (tried {', '.join(RUN_AS)})")


@contextmanager
def pgbouncer(
    binary: str, server_url: str, listen_port: int, pool_size: int, query_timeout: float
) -> Iterator[Path]:
    """PgBouncer on 127.0.0.1:`listen_port` in front of `server_url`'s server, cancelling a
    statement after `query_timeout` seconds (as compose and the Kubernetes manifests have it);
    yields its log."""
    server = urlsplit(server_url)
    user = server.username or "postgres"
    directory = Path(tempfile.mkdtemp(prefix="scale-pgbouncer-"))
    try:
        config = CONFIG.format(
            host=server.hostname or "127.0.0.1",
            port=server.port or 5432,
            listen_port=listen_port,
            directory=directory,
            pool_size=pool_size,
            query_timeout=query_timeout,
        )
        (directory / "pgbouncer.ini").write_text(config)
        (directory / "users.txt").write_text(f'"{user}" ""\n')
        (directory / "pgbouncer.log").touch()
        owner = _unprivileged_user()
        # setpriv execs PgBouncer itself: the signal that stops it reaches it.
        prefix = []
        if owner is not None:
            for path in (directory, *directory.iterdir()):
                os.chown(path, owner.pw_uid, owner.pw_gid)
            ids = [f"--reuid={owner.pw_uid}", f"--regid={owner.pw_gid}", "--clear-groups"]
            prefix = ["setpriv", *ids, "--"]
        process = subprocess.Popen(
            [*prefix, binary, str(directory / "pgbouncer.ini")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            # A server of its own, as in production: a signal meant for this run's process
            # group (the suite's processes share it) does not stop it mid-suite.
            start_new_session=True,
        )
        try:
            _wait_for_listen(process, listen_port, directory / "pgbouncer.log")
            yield directory / "pgbouncer.log"
        finally:
            process.terminate()
            process.wait(timeout=30)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _wait_for_listen(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"PgBouncer ended at start:\n{log.read_text()}")
        if f"listening on 127.0.0.1:{port}" in log.read_text():
            return
        time.sleep(0.1)
    raise RuntimeError(f"PgBouncer did not listen within {START_TIMEOUT_SECONDS} s")
