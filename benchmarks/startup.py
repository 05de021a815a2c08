"""Wall-clock time of whole ``leakmap`` processes: a baseline build and this one, side by side.

    .venv/bin/python benchmarks/startup.py [--before /work/main/.venv/bin/leakmap]
                                           [--after .venv/bin/leakmap] [--runs 20]

Times ``leakmap --help``, ``leakmap sessions --db F`` (F: a small SQLite store made here) and
``leakmap geoip lookup 8.8.8.8`` with hyperfine (Debian package) when it is on PATH, else with
repeated subprocess runs (mean and min of --runs, after 3 warm-up runs), plus the CPU time
(user + system) per run, which a busy machine inflates less than the wall clock. Start-up is
mostly importing Python modules, so the figures swing with the machine's load: compare the two
columns of one run, not figures of different runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARMUP = 3


def _store(folder: Path) -> Path:
    """A SQLite store with one session, made by this checkout (both builds read schema 0003)."""
    sys.path.insert(0, str(ROOT))
    from analyzer.store import Store

    path = folder / "bench.db"
    with Store(str(path)) as store:
        store.create_session("startup-bench", app="Bench", app_version="1.0")
    return path


Figures = tuple[float, float, float]  # mean wall s, min wall s, mean CPU s


def _hyperfine(commands: dict[str, list[str]], runs: int) -> dict[str, Figures]:
    """{label: (mean s, min s, mean CPU s)} measured by hyperfine."""
    with tempfile.NamedTemporaryFile(suffix=".json") as export:
        argv = ["hyperfine", "--style", "none", "--warmup", str(WARMUP), "--runs", str(runs)]
        argv += ["--export-json", export.name, "-N"]
        for label, command in commands.items():
            argv += ["--command-name", label, subprocess.list2cmdline(command)]
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        results = json.loads(Path(export.name).read_text())["results"]
    return {
        r["command"]: (float(r["mean"]), float(r["min"]), float(r["user"]) + float(r["system"]))
        for r in results
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _repeat(commands: dict[str, list[str]], runs: int) -> dict[str, Figures]:
    """{label: (mean s, min s, mean CPU s)} of repeated subprocess runs, interleaved so load
    hits both builds alike."""
    times: dict[str, list[float]] = {label: [] for label in commands}
    cpu: dict[str, list[float]] = {label: [] for label in commands}
    for round_ in range(WARMUP + runs):
        for label, command in commands.items():
            start, start_cpu = time.perf_counter(), _cpu()
            subprocess.run(command, check=True, capture_output=True)
            if round_ >= WARMUP:
                times[label].append(time.perf_counter() - start)
                cpu[label].append(_cpu() - start_cpu)
    return {
        label: (statistics.mean(t), min(t), statistics.mean(cpu[label]))
        for label, t in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="/work/main/.venv/bin/leakmap", help="baseline")
    parser.add_argument("--after", default=str(ROOT / ".venv" / "bin" / "leakmap"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-hyperfine", action="store_true", help="time with subprocess")
    args = parser.parse_args()
    builds = {"before": args.before, "after": args.after}
    for name, path in builds.items():
        if not os.access(path, os.X_OK):
            parser.error(f"--{name}: no leakmap at {path}")

    with tempfile.TemporaryDirectory() as folder:
        db = _store(Path(folder))
        cases = {
            "leakmap --help": ["--help"],
            "leakmap sessions": ["sessions", "--db", str(db)],
            "leakmap geoip lookup": ["geoip", "lookup", "8.8.8.8"],
        }
        commands = {
            f"{case} [{name}]": [path, *argv]
            for case, argv in cases.items()
            for name, path in builds.items()
        }
        use_hyperfine = shutil.which("hyperfine") is not None and not args.no_hyperfine
        measure = _hyperfine if use_hyperfine else _repeat
        results = measure(commands, args.runs)

    tool = "hyperfine" if use_hyperfine else "subprocess"
    print(f"start-up, whole processes ({tool}, {args.runs} runs after {WARMUP} warm-up; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")  # fmt: skip
    print(f"  before: {args.before}\n  after:  {args.after}")
    print(f"{'command':<22} {'before mean':>12} {'after mean':>11} {'before min':>11} "
          f"{'after min':>10} {'before cpu':>11} {'after cpu':>10} {'speed-up':>9}")  # fmt: skip
    for case in cases:
        before, after = results[f"{case} [before]"], results[f"{case} [after]"]
        print(
            f"{case:<22} {before[0]:>11.3f}s {after[0]:>10.3f}s {before[1]:>10.3f}s "
            f"{after[1]:>9.3f}s {before[2]:>10.3f}s {after[2]:>9.3f}s {before[0] / after[0]:>8.1f}x"
        )


if __name__ == "__main__":
    main()
