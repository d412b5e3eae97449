"""What the meta-tests share: the template's folder, its option sets, a real cookiecutter run."""

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VARIANTS: dict[str, dict[str, str]] = json.loads((ROOT / "tests" / "variants.json").read_text())


def run_cookiecutter(
    output_dir: Path,
    *,
    template: str = str(ROOT),
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    context: Mapping[str, str] | None = None,
    **answers: str,
) -> subprocess.CompletedProcess[str]:
    """`cookiecutter --no-input` as a person runs it, with `context` and `answers` as key=value
    arguments (`context`: answers whose names could be this function's own arguments)."""
    command = [
        sys.executable,
        "-m",
        "cookiecutter",
        "--no-input",
        "--output-dir",
        str(output_dir),
        template,
        *(f"{key}={value}" for key, value in {**(context or {}), **answers}.items()),
    ]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, cwd=cwd, env=env, check=False
    )
