"""The per-test cost of `user` under the template's harness and three references, same tests.

The reference harnesses (harness_conftest.py): `floor` (no database behind the fixture),
`seed` (the template's first harness) and `peers` (the async peers'). Each run is one harness
on the whole workload; the harnesses take turns, REPEATS times, so a slow spell hits all.
"""

import shutil
import statistics
from pathlib import Path
from typing import Any

from tests.bench.workload import median_ms, run_timed

HERE = Path(__file__).resolve().parent
HARNESSES = ("template", "floor", "seed", "peers")
USER_TESTS = 150
REPEATS = 5
PHASES = ("setup", "call", "teardown")


def _write_workload(project: Path) -> Path:
    folder = project / "tests" / "bench_user"
    folder.mkdir(exist_ok=True)
    (folder / "__init__.py").write_text("")
    shutil.copyfile(HERE / "harness_conftest.py", folder / "conftest.py")
    shutil.copyfile(HERE / "user_workload.py", folder / "test_user_workload.py")
    return folder


def harness_figures(project: Path, package: str, env: dict[str, str]) -> dict[str, Any]:
    folder = _write_workload(project)
    runs: dict[str, list[float]] = {harness: [] for harness in HARNESSES}
    try:
        for _ in range(REPEATS):
            for harness in HARNESSES:
                run_env = {
                    **env,
                    "BENCH_HARNESS": harness,
                    "BENCH_PACKAGE": package,
                    "BENCH_USER_TESTS": str(USER_TESTS),
                    "TEST_DB_ISOLATION": "rollback",
                }
                timings = run_timed(project, (folder,), run_env)
                runs[harness].append(median_ms(timings, "test_takes_user", PHASES))
    finally:
        shutil.rmtree(folder)
    figures: dict[str, Any] = {
        f"{harness}_ms": statistics.median(values) for harness, values in runs.items()
    }
    template = figures["template_ms"]
    figures["template_above_floor_ms"] = template - figures["floor_ms"]
    figures["seed_over_template"] = figures["seed_ms"] / template
    figures["peers_over_template"] = figures["peers_ms"] / template
    figures["runs_ms"] = runs
    return figures
