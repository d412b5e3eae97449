"""Synthetic tests written into a rendered project, and the per-test figures taken from them."""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

WORKLOAD_TESTS = 200
FIFTY_REPEATS = 20
HERE = Path(__file__).parent


def write_workloads(project: Path) -> tuple[Path, Path]:
    """isolation_workload.py as a test module of `project`; baseline_workload.py outside its
    tests (no conftest). They read BENCH_PACKAGE and the counts from the environment."""
    database = project / "tests" / "test_bench_workload.py"
    shutil.copyfile(HERE / "isolation_workload.py", database)
    baseline_dir = project / "bench_baseline"
    baseline_dir.mkdir(exist_ok=True)
    baseline = baseline_dir / "test_baseline.py"
    shutil.copyfile(HERE / "baseline_workload.py", baseline)
    return database, baseline


def workload_env(package: str) -> dict[str, str]:
    return {
        "BENCH_PACKAGE": package,
        "BENCH_WORKLOAD_TESTS": str(WORKLOAD_TESTS),
        "BENCH_FIFTY_REPEATS": str(FIFTY_REPEATS),
    }


def run_timed(
    project: Path, targets: tuple[Path, ...], env: dict[str, str]
) -> dict[str, dict[str, float]]:
    """Run pytest on `targets`; return {nodeid: {setup, call, teardown}} in seconds."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = out.name
    plugin_dir = str(Path(__file__).parent)
    run_env = {
        **os.environ,
        **env,
        "BENCH_TIMINGS": path,
        "PYTHONPATH": os.pathsep.join([plugin_dir, os.environ.get("PYTHONPATH", "")]),
    }
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "timings_plugin",
        "-p",
        "no:cacheprovider",
    ]
    subprocess.run(
        [*command, *map(str, targets)],
        cwd=project,
        env=run_env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    timings: dict[str, dict[str, float]] = json.loads(Path(path).read_text())
    os.unlink(path)
    return timings


def median_ms(timings: dict[str, dict[str, float]], name: str, phases: tuple[str, ...]) -> float:
    """Median over the tests called `name` of the summed phases, in milliseconds."""
    totals = [
        sum(phases_of.get(phase, 0.0) for phase in phases)
        for nodeid, phases_of in timings.items()
        if f"::{name}[" in nodeid
    ]
    # The first test of a run pays one-off costs (schema, first hash): leave it out.
    return statistics.median(totals[1:]) * 1000
