"""A rendered test harness under faults: its embedded PostgreSQL never outlives the run.

    python -m tests.harness_faults PROJECT_DIR      (run by nox's `rendered` session)

With DATABASE_URL unset, each case runs the project's own `uv run pytest`:
- interrupted by Ctrl-C in the middle of a test (`-n 2`);
- with an xdist worker that crashes (the run goes on with a new one);
- two runs at once in the one project (each has a server of its own: both pass);
and, with DATABASE_URL naming a closed port, the run stops at once with one line that names it;
where the embedded server cannot start, one line says what to do instead.
After each, no postgres process serves the run's data directory, and the directory is gone.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psutil

from tests.served_render import free_port

HERE = Path(__file__).resolve().parent
GONE_WITHIN_SECONDS = 20


# What the runs under faults run: enough tests for two workers and two runs to overlap (the
# whole suite runs in the render's own session already).
SOME_TESTS = ("tests/users", "tests/test_harness.py")


def pytest_command(*arguments: str) -> list[str]:
    # The fault plugin (tests/harness_faults_plugin.py) is loaded by name from this folder.
    return ["uv", "run", "pytest", "-q", "-p", "harness_faults_plugin", *arguments, *SOME_TESTS]


def environment(mark: Path, **fault: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    python_path = [str(HERE), *filter(None, [env.get("PYTHONPATH")])]
    return {**env, "PYTHONPATH": os.pathsep.join(python_path), "FAULT_MARK": str(mark), **fault}


def data_dir_of(mark: Path) -> Path:
    """The embedded server's directory, from the DATABASE_URL the run wrote down."""
    deadline = time.monotonic() + 60
    while not mark.exists() or not mark.read_text():
        if time.monotonic() > deadline:
            sys.exit("the run never wrote its DATABASE_URL")
        time.sleep(0.1)
    (socket_dir,) = parse_qs(urlsplit(mark.read_text()).query)["host"]
    return Path(socket_dir)


def assert_gone(data_dir: Path, case: str) -> None:
    deadline = time.monotonic() + GONE_WITHIN_SECONDS
    while True:
        serving = [
            process.pid
            for process in psutil.process_iter(["name", "cmdline"])
            if process.info["name"] == "postgres"
            and str(data_dir) in " ".join(process.info["cmdline"] or [])
        ]
        if not serving and not data_dir.exists():
            print(f"ok: {case}: no server left, {data_dir} removed", flush=True)
            return
        if time.monotonic() > deadline:
            sys.exit(f"{case}: postgres {serving} on {data_dir} (exists: {data_dir.exists()})")
        time.sleep(0.2)


def interrupted_by_ctrl_c(project: Path, scratch: Path) -> None:
    mark = scratch / "ctrl-c"
    env = environment(mark, FAULT="sleep")
    output = scratch / "ctrl-c.out"
    # Its own process group, which Ctrl-C reaches as a whole, as in a terminal.
    with output.open("w") as out:
        run = subprocess.Popen(
            pytest_command("-n", "2"), cwd=project, env=env, start_new_session=True,
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    data_dir = data_dir_of(mark)
    while not (scratch / "ctrl-c.sleeping").exists():
        time.sleep(0.1)
    os.killpg(run.pid, signal.SIGINT)
    try:
        status = run.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGUSR1)  # the plugin prints each process's stacks
        time.sleep(2)
        os.killpg(run.pid, signal.SIGKILL)
        said = output.read_text(errors="replace")
        sys.exit(f"Ctrl-C: the run still ran after 60 s; its output, then stacks:\n{said[-6000:]}")
    if status == 0:
        sys.exit("Ctrl-C: the interrupted run claims success")
    assert_gone(data_dir, "Ctrl-C in the middle of a test")


def worker_crash(project: Path, scratch: Path) -> None:
    mark = scratch / "crash"
    env = environment(mark, FAULT="crash")
    done = subprocess.run(
        pytest_command("-n", "2"), cwd=project, env=env, capture_output=True, text=True
    )
    if "crashed" not in done.stdout + done.stderr:
        sys.exit(f"no worker crashed:\n{done.stdout[-2000:]}")
    assert_gone(data_dir_of(mark), "a worker crashed")


def two_runs_at_once(project: Path, scratch: Path) -> None:
    marks = [scratch / "first", scratch / "second"]
    runs = [
        subprocess.Popen(
            pytest_command(), cwd=project, env=environment(mark), stdout=subprocess.PIPE, text=True
        )
        for mark in marks
    ]
    for run in runs:
        output, _ = run.communicate(timeout=600)
        if run.returncode != 0:
            sys.exit(f"two runs at once: one failed:\n{output[-3000:]}")
    first, second = (data_dir_of(mark) for mark in marks)
    if first == second:
        sys.exit("two runs at once shared one server")
    for data_dir in (first, second):
        assert_gone(data_dir, "two runs at once, both passed")


def unreachable_server(project: Path) -> None:
    port = free_port()  # a port that nothing listens on
    env = {**os.environ, "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/app"}
    started = time.monotonic()
    done = subprocess.run(
        ["uv", "run", "pytest", "-q"], cwd=project, env=env, capture_output=True, text=True
    )
    said = done.stdout + done.stderr
    expected = f"DATABASE_URL's server at 127.0.0.1:{port} is unreachable"
    if done.returncode == 0 or expected not in said or "Traceback" in said:
        sys.exit(f"unreachable DATABASE_URL: exit {done.returncode}:\n{said[-3000:]}")
    print(
        f"ok: unreachable DATABASE_URL: stopped in {time.monotonic() - started:.1f} s", flush=True
    )


def embedded_server_cannot_start(project: Path) -> None:
    """Its template cluster cannot be made (the cache folder is under a file): one line, advice."""
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    # The project's Python itself: uv would not run with this cache folder either.
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(
        command, cwd=project, env={**env, "XDG_CACHE_HOME": "/dev/null/cache"},
        capture_output=True, text=True,
    )  # fmt: skip
    said = done.stdout + done.stderr
    lines = [line for line in said.splitlines() if "could not start an embedded PostgreSQL" in line]
    if done.returncode == 0 or len(lines) != 1 or "Traceback" in said:
        sys.exit(f"embedded server that cannot start: exit {done.returncode}:\n{said[-3000:]}")
    if not lines[0].endswith("instead"):
        sys.exit(f"embedded server that cannot start: no advice in {lines[0]!r}")
    print(f"ok: embedded server that cannot start: {lines[0]}", flush=True)


def main(project: Path) -> None:
    # The runs take Ctrl-C as in a terminal, however this was started: a program a shell script
    # sends to the background ignores SIGINT, and so would the runs it starts. One with a handler
    # of its own starts them with the default (KeyboardInterrupt).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with tempfile.TemporaryDirectory() as scratch:
        interrupted_by_ctrl_c(project, Path(scratch))
        worker_crash(project, Path(scratch))
        two_runs_at_once(project, Path(scratch))
    unreachable_server(project)
    embedded_server_cannot_start(project)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
