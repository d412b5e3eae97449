"""What the update scenarios work with: commands, git, a clone of this template, file trees.

Commits take their author from GIT_AUTHOR_* and GIT_COMMITTER_*, which scenarios.py sets.
"""

import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def run(
    command: str | list[str], cwd: Path, *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """A command line as typed in a shell (or an argument list); failing, the test stops."""
    arguments = shlex.split(command) if isinstance(command, str) else command
    start = time.monotonic()
    done = subprocess.run(arguments, cwd=cwd, capture_output=True, text=True, check=False)
    shown = command if isinstance(command, str) else shlex.join(command)
    print(f"$ {shown}  ({time.monotonic() - start:.1f} s, in {cwd.name})", flush=True)
    if check and done.returncode != 0:
        pytest.fail(f"`{shown}` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def git(cwd: Path, *arguments: str) -> str:
    return run(["git", *arguments], cwd).stdout


def commit_all(cwd: Path, message: str) -> str:
    """Commit every change (as `git add --all && git commit` would); the new commit's id."""
    git(cwd, "add", "--all")
    git(cwd, "commit", "--quiet", "--no-verify", "-m", message)
    return git(cwd, "rev-parse", "HEAD").strip()


def clone_template(destination: Path) -> Path:
    """A clone of this repository whose HEAD is the working tree as it is now.

    Uncommitted changes become one more commit, so the scenarios test the template on disk.
    """
    git(ROOT, "clone", "--quiet", str(ROOT), str(destination))
    git(destination, "rm", "-r", "--quiet", ".")
    listed = git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # not a tracked file deleted from the working tree
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    git(destination, "add", "--all")
    if git(destination, "status", "--porcelain"):  # else the clone's HEAD is the working tree
        commit_all(destination, "The working tree, uncommitted")
    return destination


def replace(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of `old`; a template that no longer has it stops the test."""
    text = path.read_text(encoding="utf-8")
    if text.count(old) != 1:
        raise AssertionError(f"{path}: expected {old!r} once, found it {text.count(old)} times")
    path.write_text(text.replace(old, new), encoding="utf-8")


def tree(project: Path) -> dict[str, bytes]:
    """The project's files as git sees them (not `.git`, nor what it ignores, such as `.env`)."""
    listed = git(project, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    names = sorted(set(filter(None, listed.split("\0"))))
    return {name: (project / name).read_bytes() for name in names if (project / name).is_file()}


def conflict_markers(project: Path) -> list[str]:
    """Files holding a line that starts a merge conflict, and `.rej` files."""
    found = []
    for path, content in tree(project).items():
        lines = content.decode("utf-8", errors="replace").splitlines()
        if path.endswith(".rej") or any(line.startswith(("<<<<<<<", ">>>>>>>")) for line in lines):
            found.append(path)
    return found


def server_options() -> tuple[list[str], str]:
    """createdb/dropdb options for DATABASE_URL's server (trust or PGPASSWORD), and its database."""
    url = urlsplit(os.environ["DATABASE_URL"])
    options = ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432)]
    return [*options, "-U", url.username or "postgres"], url.path.lstrip("/")
