"""Where a render comes from: cruft's record of it (`.cruft.json`), and which tool is rendering.

cruft updates a project by rendering the template twice in temporary folders, at the commit the
project was made from and at the newest one, and applying the difference to the project. Those
throwaway renders must hold the template's files only: no `.env` with a new secret, no `.git`.
cruft sets nothing a template can read to tell them apart, so `cruft_call()` reads its call stack.
"""

from __future__ import annotations

import inspect
import json
import subprocess
from pathlib import Path
from typing import Any

CRUFT_COMMANDS = "cruft._commands."
# The cruft commands that render only to compare: `update` and `diff`.
COMPARING = frozenset({"update", "diff"})
# What `cruft create` records besides the context, from its arguments of the same names.
CREATE_ARGUMENTS = ("checkout", "directory", "skip")
# cookiecutter's facts about one run, which cruft does not record.
RUN_ONLY_KEYS = ("_output_dir", "_repo_dir", "_checkout")


class OriginUnknownError(Exception):
    """The render's template commit cannot be found, so no `.cruft.json` is written."""


def cruft_call() -> dict[str, Any]:
    """The cruft command that is rendering (`command`, and `create`'s arguments); {} if none.

    Run in the process that renders (the Jinja extension), not in a hook, which is a child.
    """
    frame = inspect.currentframe()
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        name = module.removeprefix(CRUFT_COMMANDS)
        # A command is the function of the same name in its own module (cruft._commands.update).
        if module.startswith(CRUFT_COMMANDS) and frame.f_code.co_name == name:
            call: dict[str, Any] = {"command": name}
            if name == "create":
                call.update({key: frame.f_locals.get(key) for key in CREATE_ARGUMENTS})
            return call
        frame = frame.f_back
    return {}


def renders_to_compare(call: dict[str, Any]) -> bool:
    """Whether this is one of cruft's throwaway renders (`cruft update`, `cruft diff`)."""
    return call.get("command") in COMPARING


def _git(folder: str, *arguments: str) -> str:
    try:
        done = subprocess.run(
            ["git", *arguments], cwd=folder, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise OriginUnknownError("git was not found, so the template's commit is unknown") from None
    if done.returncode != 0:
        raise OriginUnknownError(
            f"`git {' '.join(arguments)}` in {folder} failed: {done.stderr.strip()}"
        )
    return done.stdout.strip()


def cruft_record(
    context: dict[str, Any], call: dict[str, Any], template_root: str
) -> dict[str, Any]:
    """What `.cruft.json` holds for this render: template, commit, answers, as cruft writes it.

    Under `cruft create` it is exactly what cruft writes after the hooks (so the first commit
    already holds it); under cookiecutter it is found from the template's git repository.
    Raises OriginUnknownError when that repository (or git) is missing, e.g. a template from a zip.
    """
    if call.get("command") == "create":
        record = {
            "template": context["_template"],
            "commit": context["_commit"],
            "checkout": call["checkout"],
            "context": {"cookiecutter": context},
            "directory": call["directory"],
        }
        if call["skip"]:
            record["skip"] = call["skip"]
        return record
    # A local template is recorded by its absolute path; one cookiecutter cloned, by its URL.
    local = context.get("_repo_dir") == context.get("_template")
    # A local one may be given relative to a folder the hook does not know; a clone's is absolute.
    folder = template_root if local else context["_repo_dir"]
    top = _git(folder, "rev-parse", "--show-toplevel")
    commit = _git(folder, "rev-parse", "HEAD")
    directory = _git(folder, "rev-parse", "--show-prefix").rstrip("/") or None
    template = top if local else _git(folder, "remote", "get-url", "origin")
    answers = {key: value for key, value in context.items() if key not in RUN_ONLY_KEYS}
    answers.update({"_template": template, "_commit": commit})
    return {
        "template": template,
        "commit": commit,
        "checkout": context.get("_checkout"),
        "context": {"cookiecutter": answers},
        "directory": directory,
    }


def cruft_json(record: dict[str, Any]) -> str:
    """The record as cruft formats `.cruft.json`, byte for byte."""
    return json.dumps(record, ensure_ascii=False, indent=2, separators=(",", ": ")) + "\n"


def write_cruft_record(
    project: Path, context: dict[str, Any], call: dict[str, Any], template_root: str
) -> str:
    """Write `project/.cruft.json`; say what was done, in a sentence."""
    try:
        record = cruft_record(context, call, template_root)
    except OriginUnknownError as error:
        return (
            f"No .cruft.json: {error}. To follow template updates, link the project to the "
            "template's git repository: uvx cruft link <template URL>"
        )
    (project / ".cruft.json").write_text(cruft_json(record), encoding="utf-8")
    return f"Recorded the template and its commit {record['commit'][:12]} in .cruft.json."
