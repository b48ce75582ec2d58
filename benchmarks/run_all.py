"""Run every benchmark script in this folder, then time the CLI end to end.

Each ``bench_*.py`` prints its own table with ratios against a baseline measured in the same
run.  This script adds the wall time of ``deorbit exposure ISS`` (a fresh process each time,
so imports and data loading count) and ``deorbit summary ISS``.

    .venv/bin/python benchmarks/run_all.py            # everything
    .venv/bin/python benchmarks/run_all.py cli        # only the scripts whose name contains "cli"
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def time_command(args: list[str], repeat: int = 5) -> tuple[float, float]:
    """Median and best wall time of a command, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def cli_table() -> None:
    exe = Path(sys.executable).with_name("deorbit")
    baseline = [sys.executable, "-c", "import numpy, shapely, sgp4.api, typer, rich"]
    rows = [("python + imports of numpy/shapely/sgp4/typer/rich (baseline)", baseline)]
    rows.append(("deorbit exposure ISS", [str(exe), "exposure", "ISS"]))
    rows.append(("deorbit exposure ISS --json", [str(exe), "exposure", "ISS", "--json"]))
    rows.append(("deorbit summary ISS", [str(exe), "summary", "ISS"]))
    print("\nCLI wall time (fresh process, median of 5)")
    print(f"{'command':<66} {'median s':>9} {'best s':>8} {'x baseline':>11}")
    base = None
    for label, args in rows:
        med, best = time_command(args)
        base = base or med
        print(f"{label:<66} {med:9.2f} {best:8.2f} {med / base:11.1f}")


def main(argv: list[str]) -> int:
    pattern = argv[1] if len(argv) > 1 else ""
    for script in sorted(HERE.glob("bench_*.py")):
        if pattern in script.name:
            print(f"\n=== {script.name} ===", flush=True)
            subprocess.run([sys.executable, str(script)], check=True)
    if pattern in "cli":
        cli_table()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
