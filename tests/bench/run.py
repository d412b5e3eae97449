"""`nox -s bench`: the speed figures of the template, as a table on stdout and a JSON file.

python -m tests.bench.run --project DIR --package NAME --database-url URL [--server] --out FILE
    [--parts isolation,harnesses,cleanup,suite,embedded,render,service,telemetry]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hooks.answers import ISOLATION_MODES
from tests.bench.harnesses import HARNESSES, USER_TESTS, harness_figures
from tests.bench.harnesses import REPEATS as HARNESS_REPEATS
from tests.bench.service_load import (
    CONCURRENCY,
    IDIOMATIC_READS,
    READS,
    ROUNDS,
    WORKERS,
    measure_service,
)
from tests.bench.telemetry_load import PREVIOUS_RELEASE, measure_telemetry
from tests.bench.workload import (
    WORKLOAD_TESTS,
    median_ms,
    run_timed,
    workload_env,
    write_workloads,
)

MODES = ISOLATION_MODES
PHASES = ("setup", "call", "teardown")
REPEATS = 3
SUITE_REPEATS = 3
ROOT = Path(__file__).resolve().parents[2]


def _in_project(project: Path, package: str, *arguments: str) -> str:
    """project_timings.py's output, run in `project` with its Python and code."""
    script = Path(__file__).parent / "project_timings.py"
    command = [sys.executable, str(script), package, *arguments]
    return subprocess.run(command, cwd=project, check=True, capture_output=True, text=True).stdout


def _timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    """The command's wall time and standard output; the bench stops if it fails."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-5000:]}\n{done.stderr[-2000:]}")
    return time.perf_counter() - started, done.stdout


def _wall(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    return _timed(command, cwd, env)[0]


def isolation_figures(project: Path, package: str, env: dict[str, str]) -> dict[str, Any]:
    """Each run holds the workload and the baseline, so each overhead is taken against a baseline
    measured moments apart; the modes take turns, so a slow spell of the machine hits all."""
    workload, baseline = write_workloads(project)
    env = {**env, **workload_env(package)}
    runs: dict[str, list[dict[str, dict[str, float]]]] = {mode: [] for mode in MODES}
    try:
        for _ in range(REPEATS):
            for mode in MODES:
                targets = (workload, baseline)
                runs[mode].append(run_timed(project, targets, {**env, "TEST_DB_ISOLATION": mode}))
    finally:
        workload.unlink()
        baseline.unlink()
        baseline.parent.rmdir()

    def overhead_ms(run: dict[str, dict[str, float]]) -> float:
        fixtures = ("setup", "teardown")
        return median_ms(run, "test_insert_and_read", fixtures) - median_ms(
            run, "test_nothing", fixtures
        )

    figures: dict[str, Any] = {
        "no_fixture_test_ms": statistics.median(
            median_ms(run, "test_nothing", PHASES)
            for mode_runs in runs.values()
            for run in mode_runs
        ),
        "users_with_same_role_50_users_ms": statistics.median(
            median_ms(run, "test_fifty_users", ("setup",))
            - median_ms(run, "test_session_only", ("setup",))
            for run in runs["rollback"]
        ),
    }
    for mode, mode_runs in runs.items():
        figures[mode] = {
            "fixture_overhead_ms": statistics.median(overhead_ms(run) for run in mode_runs),
            "insert_and_read_test_ms": statistics.median(
                median_ms(run, "test_insert_and_read", PHASES) for run in mode_runs
            ),
        }
    recreate = figures["recreate"]
    for mode in MODES:
        this = figures[mode]
        this["recreate_over_this_overhead"] = (
            recreate["fixture_overhead_ms"] / this["fixture_overhead_ms"]
        )
        this["recreate_over_this_test"] = (
            recreate["insert_and_read_test_ms"] / this["insert_and_read_test_ms"]
        )
    return figures


def cleanup_figures(project: Path, package: str, database_url: str) -> dict[str, float]:
    url = database_url.rsplit("/", 1)[0] + "/bench_cleanup_test"
    output = _in_project(project, package, "cleanup", url)
    return {
        f"{name}_ms": float(value) for name, value in (line.split() for line in output.splitlines())
    }


# Issue 25's measure of the same command on a default render, before this work.
SUITE_BEFORE_S = 50.8
SLOWEST = 10
DURATION_LINE = re.compile(r"^(\d+\.\d+)s (setup|call|teardown) +(.+?) *$", re.MULTILINE)


def suite_figures(project: Path, env: dict[str, str], server: bool) -> dict[str, Any]:
    """Whole-suite wall times as a newcomer runs it (`uv run pytest`), serial and `-n auto`, on
    the embedded server and on DATABASE_URL's (when `server`): medians of alternating runs,
    after a warm-up run of each (so that each finds its databases made); and the slowest tests
    of the last serial run on the embedded server."""
    # As on a newcomer's machine, where Python keeps the project's own bytecode between runs.
    env = {name: value for name, value in env.items() if name != "PYTHONDONTWRITEBYTECODE"}
    pytest = ["uv", "run", "pytest", "-q", "-p", "no:cacheprovider", f"--durations={SLOWEST}"]
    embedded_env = {name: value for name, value in env.items() if name != "DATABASE_URL"}
    runs = {
        "embedded_serial_s": (pytest, embedded_env),
        "embedded_auto_s": ([*pytest, "-n", "auto"], embedded_env),
        "serial_s": (pytest, env),
        "auto_s": ([*pytest, "-n", "auto"], env),
    }
    if not server:  # without a server of its own, the last two would measure the embedded one
        del runs["serial_s"], runs["auto_s"]
    for command, run_env in runs.values():
        _wall(command, project, run_env)
    times: dict[str, list[float]] = {name: [] for name in runs}
    slowest = ""
    for _ in range(SUITE_REPEATS):
        for name, (command, run_env) in runs.items():
            seconds, output = _timed(command, project, run_env)
            times[name].append(seconds)
            if name == "embedded_serial_s":
                slowest = output
    figures: dict[str, Any] = {name: statistics.median(values) for name, values in times.items()}
    figures["slowest"] = [
        {"seconds": float(seconds), "phase": phase, "test": test}
        for seconds, phase, test in DURATION_LINE.findall(slowest)
    ]
    return figures


def embedded_start_seconds(project: Path, package: str) -> float:
    return float(_in_project(project, package, "embedded-start"))


def render_seconds() -> float:
    def once() -> float:
        with tempfile.TemporaryDirectory() as out:
            command = ["uvx", "cookiecutter", "--no-input", "--output-dir", out, str(ROOT)]
            return _wall(command, ROOT, dict(os.environ))

    once()  # warm uv's tool cache
    return statistics.median(once() for _ in range(5))


def _isolation_rows(results: dict[str, Any]) -> list[tuple[str, ...]]:
    iso = results["isolation"]
    rows: list[tuple[str, ...]] = [
        ("mode", "fixture overhead ms", "insert+read test ms", "recreate / mode:", ""),
        ("", "", "", "overhead", "whole test"),
    ]
    for mode in MODES:
        figures = iso[mode]
        rows.append(
            (
                mode,
                f"{figures['fixture_overhead_ms']:.2f}",
                f"{figures['insert_and_read_test_ms']:.2f}",
                f"{figures['recreate_over_this_overhead']:.1f}x",
                f"{figures['recreate_over_this_test']:.1f}x",
            )
        )
    rows.append(("no database fixture", "0", f"{iso['no_fixture_test_ms']:.2f}"))
    fifty = iso["users_with_same_role_50_users_ms"]
    rows.append(("users_with_same_role_50_users", f"{fifty:.2f} ms"))
    return rows


def _harness_rows(results: dict[str, Any]) -> list[tuple[str, ...]]:
    harness = results["harnesses"]
    template = harness["template_ms"]
    rows: list[tuple[str, ...]] = [
        (f"a test taking `user` ({USER_TESTS} tests)", "ms/test", "/ template"),
    ]
    labels = {
        "template": "template (rollback)",
        "floor": "floor: no database behind it",
        "seed": "seed: create/drop/dispose per test",
        "peers": "peers: savepoint, no create_savepoint",
    }
    for name in HARNESSES:
        value = harness[f"{name}_ms"]
        rows.append((f"  {labels[name]}", f"{value:.2f}", f"{value / template:.2f}x"))
    rows.append(("  template above the floor", f"{harness['template_above_floor_ms']:.2f}"))
    return rows


def _other_rows(results: dict[str, Any]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    if "cleanup" in results:
        cleanup = results["cleanup"]
        rows.append(
            (
                "emptying the tables",
                f"DELETE {cleanup['delete_ms']:.2f} ms",
                f"TRUNCATE {cleanup['truncate_ms']:.2f} ms",
            )
        )
    suite = results.get("suite")
    if suite:
        rows.append(
            (
                "suite wall time, embedded server (uv run pytest)",
                f"serial {suite['embedded_serial_s']:.2f} s",
                f"-n auto {suite['embedded_auto_s']:.2f} s",
                f"before: serial {SUITE_BEFORE_S} s",
            )
        )
        if "serial_s" in suite:
            rows.append(
                (
                    "  on DATABASE_URL's server",
                    f"serial {suite['serial_s']:.2f} s",
                    f"-n auto {suite['auto_s']:.2f} s",
                )
            )
        else:
            rows.append(("  (no DATABASE_URL: no server to compare with)",))
    if "embedded_start_s" in results:
        rows.append(("embedded start + schema", f"{results['embedded_start_s']:.2f} s"))
    if "render_s" in results:
        rows.append(("render (cookiecutter --no-input)", f"{results['render_s']:.2f} s"))
    return rows


def _service_rows(results: dict[str, Any]) -> list[tuple[str, ...]]:
    service = results["service"]
    rows: list[tuple[str, ...]] = [
        (
            f"service vs floor ({service['tool']}, {CONCURRENCY} connections)",
            "req/s",
            "p50 ms",
            "p99 ms",
            "floor req/s",
            "floor p99 ms",
            "/ floor",
        )
    ]
    for workers in WORKERS:
        figures = service[str(workers)]
        for name, path in READS.items():
            mine, floor = figures[f"{name}/service"], figures[f"{name}/floor"]
            rows.append(
                (
                    f"  {workers} process(es): GET {path}",
                    f"{mine['requests_per_s']:.0f}",
                    f"{mine['p50_ms']:.1f}",
                    f"{mine['p99_ms']:.1f}",
                    f"{floor['requests_per_s']:.0f}",
                    f"{floor['p99_ms']:.1f}",
                    f"{figures[f'{name}/ratio']:.0%}",
                )
            )
        rows.append(
            (
                f"  {workers} process(es): GET /voyages?limit=50 / GET /users?limit=50",
                f"{figures['resource50/list50']:.0%}",
            )
        )
        for name in IDIOMATIC_READS:
            idiomatic = figures[f"{name}/idiomatic"]
            rows.append(
                (
                    f"  {workers} process(es): GET {READS[name]}, written the everyday way",
                    f"{idiomatic['requests_per_s']:.0f}",
                    f"{idiomatic['p50_ms']:.1f}",
                    f"{idiomatic['p99_ms']:.1f}",
                    "",
                    "",
                    f"service: {figures[f'{name}/vs_idiomatic']:.0%}",
                )
            )
        plain = figures["me/plain"]
        rows.append(
            (
                f"  {workers} process(es): GET /users/me, plain httptools (no server limits)",
                f"{plain['requests_per_s']:.0f}",
                f"{plain['p50_ms']:.1f}",
                f"{plain['p99_ms']:.1f}",
                "",
                "",
                f"served with them: {figures['me/guarded_vs_plain']:.0%}",
            )
        )
        token = figures["token/service"]
        rows.append(
            (
                f"  {workers} process(es): POST /token",
                f"{token['requests_per_s']:.0f}",
                f"{token['p50_ms']:.1f}",
                f"{token['p99_ms']:.1f}",
            )
        )
        rows.append(
            (
                f"  {workers} process(es): RSS per process",
                f"{figures['rss_mib_before_logins']:.0f} MiB before logins",
                f"{figures['rss_mib_after_logins']:.0f} MiB after",
            )
        )
    return rows


def _telemetry_rows(results: dict[str, Any]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [
        (
            f"telemetry: GET /users/me, 1 process ({CONCURRENCY} connections)",
            "req/s",
            "p50 ms",
            "p99 ms",
            f"/ previous release ({PREVIOUS_RELEASE})",
        )
    ]
    for name, figures in results["telemetry"].items():
        rows.append(
            (
                f"  {name}",
                f"{figures['requests_per_s']:.0f}",
                f"{figures['p50_ms']:.1f}",
                f"{figures['p99_ms']:.1f}",
                f"{figures['vs_previous']:.0%}",
            )
        )
    return rows


def print_table(results: dict[str, Any]) -> None:
    rows: list[tuple[str, ...]] = []
    if "isolation" in results:
        print(f"isolation: median over {WORKLOAD_TESTS} tests, median of {REPEATS} runs")
        rows += _isolation_rows(results)
    if "harnesses" in results:
        print(f"harnesses: median over {USER_TESTS} tests, median of {HARNESS_REPEATS} runs")
        rows += _harness_rows(results)
    rows += _other_rows(results)
    if "service" in results:
        print(f"service: medians of {ROUNDS} alternating rounds")
        rows += _service_rows(results)
    if "telemetry" in results:
        print(f"telemetry: medians of {ROUNDS} alternating rounds")
        rows += _telemetry_rows(results)
    columns = max(len(row) for row in rows)
    padded = [row + ("",) * (columns - len(row)) for row in rows]
    widths = [max(len(row[column]) for row in padded) for column in range(columns)]
    for row in padded:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    if "suite" in results:
        print(f"the suite's {SLOWEST} slowest (a serial run on the embedded server):")
        for slow in results["suite"]["slowest"]:
            print(f"  {slow['seconds']:5.2f} s  {slow['phase']:8}  {slow['test']}")


PARTS = (
    "isolation",
    "harnesses",
    "cleanup",
    "suite",
    "embedded",
    "render",
    "service",
    "telemetry",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--package", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument(
        "--server", action="store_true", help="the URL is a server's, not an embedded one"
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}"
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if parts - set(PARTS):
        parser.error(f"unknown parts {sorted(parts - set(PARTS))}: use {', '.join(PARTS)}")
    env = {**os.environ, "DATABASE_URL": args.database_url}
    # The scripts below hand the URL to SQLAlchemy directly, not through the app's settings.
    async_url = args.database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    steps: dict[str, Callable[[], Any]] = {
        "isolation": lambda: isolation_figures(args.project, args.package, env),
        "harnesses": lambda: harness_figures(args.project, args.package, env),
        "cleanup": lambda: cleanup_figures(args.project, args.package, async_url),
        "suite": lambda: suite_figures(args.project, env, args.server),
        "embedded_start_s": lambda: embedded_start_seconds(args.project, args.package),
        "render_s": render_seconds,
        "service": lambda: measure_service(args.project, args.package, async_url),
        "telemetry": lambda: measure_telemetry(args.project, args.package, async_url),
    }
    part_of = {"embedded_start_s": "embedded", "render_s": "render"}
    results = {name: step() for name, step in steps.items() if part_of.get(name, name) in parts}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print_table(results)
    print(f"\nJSON: {args.out}")


if __name__ == "__main__":
    main()
