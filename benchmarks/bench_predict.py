"""Throughput of the real ``deorbit predict`` pipeline (``run_prediction``), end to end.

Cases (default space weather as known at the last element set, NRLMSIS 2.1, 80 km stop):

- ``ISS``: ``resolve('ISS')`` with ``no_reboost=True`` (lifetimes of 1-5 years across samples);
- ``GENESAT-1``: NORAD 29655 from ``../shared/validation/tles/29655.tle``, truncated to the
  sets at least ``--short-days`` (10) days before its 2010-08-04 re-entry, so the prediction
  starts ~10 days out (ballistic coefficient fitted from the history).

For N samples and ``workers`` processes the table gives wall seconds, CPU seconds (this process
plus finished child processes, so a process pool's work is counted), samples per wall second
and the speed-up of 2 workers over 1.  Wall times depend on the machine's load (2 shared
cores): compare rows of one run, and CPU seconds across runs.

Deterministic ISS (the issue's target "one ISS prediction, from about 415 km down, takes
<= 1 s"): when ISS and N = 1 are selected it gets its own section instead of a table row --

- cold: fresh processes running ``deorbit predict ISS --no-reboost --samples 1 --json`` (imports,
  space-weather load -- from the parsed-file cache after the first run --, tables, prediction,
  JSON), best and median of ``--cold`` runs;
- first: the first ``run_prediction`` in this process (space weather and tables loaded on the
  way, day-of-year rows built);
- warm: best and median of ``--warm`` further runs (everything loaded).

Usage: .venv/bin/python benchmarks/bench_predict.py [--samples 1 100 1000] [--workers 1 2]
       [--cases ISS GENESAT-1] [--repeat 1] [--cold 3] [--warm 5]
       (deterministic case only: --samples 1 --cases ISS)
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from deorbit.jobs import resolve
from deorbit.objects import ResolvedObject
from deorbit.predict import PredictOptions, run_prediction

GENESAT_TLE = Path(__file__).resolve().parents[2] / "shared" / "validation" / "tles" / "29655.tle"
#: GENESAT-1 re-entry (day of year 216 of 2010 = 2010-08-04).
GENESAT_REENTRY_YYDDD = 10216.0


def _cpu_s() -> float:
    """CPU seconds of this process and its waited-for children (user + system)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def genesat(short_days: float) -> ResolvedObject:
    """GENESAT-1 with only the element sets >= ``short_days`` before its re-entry."""
    lines = GENESAT_TLE.read_text().splitlines()
    keep: list[str] = []
    for name, l1, l2 in zip(lines[0::3], lines[1::3], lines[2::3], strict=False):
        if float(l1[18:32]) <= GENESAT_REENTRY_YYDDD - short_days:
            keep += [name, l1, l2]
    tmp = Path(tempfile.mkdtemp()) / "29655_truncated.tle"
    tmp.write_text("\n".join(keep) + "\n")
    return resolve(str(tmp))


def run_case(obj: ResolvedObject, n: int, workers: int, options: dict) -> tuple[float, float]:
    """(wall s, CPU s) of one ``run_prediction``."""
    opts = PredictOptions(samples=n, seed=7, workers=workers, **options)
    c0, w0 = _cpu_s(), time.perf_counter()
    p = run_prediction(obj, opts)
    wall, cpu = time.perf_counter() - w0, _cpu_s() - c0
    q = p.quantiles_utc()
    print(f"    [{obj.name} N={n} workers={workers}] median {q[1]}, {wall:.2f} s wall", flush=True)
    return wall, cpu


def _child_cpu_s() -> float:
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def cold_runs(n: int) -> list[tuple[float, float]]:
    """(wall s, CPU s) of ``n`` fresh ``deorbit predict ISS --no-reboost --samples 1 --json``."""
    exe = Path(sys.executable).with_name("deorbit")
    cmd = [str(exe)] if exe.exists() else [shutil.which("deorbit") or "deorbit"]
    cmd += ["predict", "ISS", "--no-reboost", "--samples", "1", "--json"]
    out = []
    for _ in range(n):
        c0, w0 = _child_cpu_s(), time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=dict(os.environ))
        out.append((time.perf_counter() - w0, _child_cpu_s() - c0))
    return out


def deterministic_iss(obj: ResolvedObject, n_cold: int, n_warm: int) -> dict[str, float]:
    """The deterministic ISS case: cold processes, first run here, warm runs (see docstring)."""
    cold = cold_runs(n_cold) if n_cold else []
    first = run_case(obj, 1, 1, {"no_reboost": True})
    warm = [run_case(obj, 1, 1, {"no_reboost": True}) for _ in range(n_warm)]

    def line(name: str, runs: list[tuple[float, float]]) -> str:
        if not runs:
            return f"  {name:<44} (not run)"
        w, c = [r[0] for r in runs], [r[1] for r in runs]
        return (
            f"  {name:<44} {min(w):6.2f} / {statistics.median(w):6.2f}   "
            f"{min(c):6.2f} / {statistics.median(c):6.2f}"
        )

    print("\nDeterministic ISS (N = 1, --no-reboost; target <= 1 s)")
    print(f"  {'':<44} {'wall s best / median':>21}   {'CPU s best / median':>19}")
    print(line(f"cold CLI process (x{n_cold})", cold))
    print(line("first run_prediction in this process", [first]))
    print(line(f"warm run_prediction (x{n_warm})", warm))
    return {
        "cold_wall": min((r[0] for r in cold), default=float("nan")),
        "cold_cpu": min((r[1] for r in cold), default=float("nan")),
        "first_wall": first[0],
        "first_cpu": first[1],
        "warm_wall": min(r[0] for r in warm) if warm else float("nan"),
        "warm_cpu": min(r[1] for r in warm) if warm else float("nan"),
    }


def main(argv: list[str] | None = None) -> list[dict[str, float | int | str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[1, 100, 1000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--cases", nargs="+", default=["ISS", "GENESAT-1"])
    parser.add_argument("--short-days", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs")
    parser.add_argument("--cold", type=int, default=3, help="cold CLI runs (deterministic ISS)")
    parser.add_argument("--warm", type=int, default=5, help="warm runs (deterministic ISS)")
    args = parser.parse_args(argv)
    objects = {"ISS": (resolve("ISS"), {"no_reboost": True})}
    if "GENESAT-1" in args.cases:
        objects["GENESAT-1"] = (genesat(args.short_days), {})
    deterministic = None
    if "ISS" in args.cases and 1 in args.samples:
        deterministic = deterministic_iss(objects["ISS"][0], args.cold, args.warm)
    rows: list[dict[str, float | int | str]] = []
    for case in args.cases:
        obj, options = objects[case]
        for n in args.samples:
            for workers in args.workers:
                if n == 1 and (workers > 1 or case == "ISS"):
                    continue  # one sample: nothing to share; deterministic ISS: own section
                runs = [run_case(obj, n, workers, options) for _ in range(args.repeat)]
                wall, cpu = min(runs)
                rows.append({"case": case, "n": n, "workers": workers, "wall": wall, "cpu": cpu})
    if not rows:
        return [{"case": "ISS", "n": 1, **deterministic}] if deterministic else []
    print(
        f"\n{'case':<10} {'N':>5} {'workers':>7} {'wall s':>8} {'CPU s':>8} "
        f"{'samples/s':>10} {'x 2 workers':>11}"
    )
    for r in rows:
        one = next(
            (o for o in rows if o["case"] == r["case"] and o["n"] == r["n"] and o["workers"] == 1),
            None,
        )
        gain = f"{one['wall'] / r['wall']:.2f}" if one and r["workers"] > 1 else ""
        print(
            f"{r['case']:<10} {r['n']:>5} {r['workers']:>7} {r['wall']:8.2f} {r['cpu']:8.2f} "
            f"{r['n'] / r['wall']:10.1f} {gain:>11}"
        )
    if deterministic:
        rows.insert(0, {"case": "ISS", "n": 1, "workers": 1, **deterministic})
    return rows


if __name__ == "__main__":
    main()
