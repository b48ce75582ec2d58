"""Catalogue benchmark: ingest rate, and 1 vs 2 Dask workers where the work is.

Run: ``.venv/bin/python benchmarks/bench_catalogue.py [n_objects] [mc_objects] [mc_samples]``.

Ingest
    The same synthetic TLE file (``n_objects`` x 4 sets) through the columnar path
    (:func:`~deorbit.catalogue.ingest.ingest_files`) and the ElementSet path
    (``load_elements`` + :meth:`ElementStore.add`), each into a fresh store, best of 3, wall
    and CPU, plus parsing alone -- the baseline is measured in the same run.

Dask scale-out
    Dask pays off only when a task is much longer than its scheduling and transfer overhead
    (~ms per task, plus shipping arguments).  Two stages, each run once to warm the workers
    (imports, caches) and then timed, with 1 and then 2 workers (``LocalCluster`` on
    127.0.0.1), and in-process (no Dask) as the reference:

    * ``monte-carlo``: the full ``predict`` engine (:func:`~deorbit.catalogue.watch.
      forecast_object`) for ``mc_objects`` screen candidates -- seconds of work per task, the
      stage that dominates a real watch;
    * ``screen``: King-Hele screening of all ``n_objects`` in
      :data:`~deorbit.catalogue.watch.CHUNK_OBJECTS`-object chunks -- ~1 s of numpy in all,
      so overhead is a visible share.

    Results are checked identical across worker counts (same per-object seeds).
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deorbit.catalogue.ingest import ingest_files, parse_tle_columns
from deorbit.catalogue.screen import (
    BC_METHODS,
    STATUS,
    ScreenOptions,
    screen_atmosphere,
    screen_input_from_rows,
    semi_major_axis_km,
)
from deorbit.catalogue.synthetic import synthetic_catalogue, write_tle
from deorbit.catalogue.watch import (
    _run_tasks,
    dask_client,
    forecast_object,
    object_seed,
    predict_available,
    screen_catalogue,
)
from deorbit.formats import load_elements
from deorbit.store import ElementStore, utc_to_us


def _best_of(k: int, run: Callable[[int], None]) -> tuple[float, float]:
    """Best (wall, CPU) seconds of ``k`` calls ``run(i)``: the least-disturbed run on a
    shared machine."""
    wall, cpu = float("inf"), float("inf")
    for i in range(k):
        w0, c0 = time.perf_counter(), time.process_time()
        run(i)
        wall = min(wall, time.perf_counter() - w0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu


def bench_ingest(tmp: Path, path: Path, n_sets: int, as_of: datetime) -> Path:
    """Print the ingest table; returns a store holding the file."""
    data = path.read_bytes()

    def columnar(i: int) -> None:
        with ElementStore(tmp / f"fast{i}.sqlite") as store:
            ingest_files([path], store)

    def element_set(i: int) -> None:
        with ElementStore(tmp / f"slow{i}.sqlite") as store:
            parsed = load_elements(path, lenient=True, on_conflict="latest")
            store.add(parsed.elements, source=str(path), fetched_utc=as_of)

    def parse_only(i: int) -> None:
        parse_tle_columns(data, str(path), lenient=True, on_conflict="latest")

    print(f"\ningest of {n_sets:,} element sets (best of 3)")
    print(f"{'path':<26} {'sets/s wall':>12} {'sets/s CPU':>12}")
    for label, run in (
        ("columnar (ingest_files)", columnar),
        ("ElementSet (add)", element_set),
        ("columnar parse only", parse_only),
    ):
        wall, cpu = _best_of(3, run)
        print(f"{label:<26} {n_sets / wall:>12,.0f} {n_sets / cpu:>12,.0f}")
    return tmp / "fast0.sqlite"


def _mc_args(store: ElementStore, as_of: datetime, n: int, samples: int) -> list[tuple]:
    """``forecast_object`` arguments (predict engine) for the first ``n`` screen candidates,
    built exactly as :func:`deorbit.catalogue.watch.watch` builds them."""
    latest, earlier = store.catalogue_rows(as_of)
    inp = screen_input_from_rows(latest, earlier)
    atm = screen_atmosphere(as_of)
    out = screen_catalogue(inp, atm, as_of, ScreenOptions())
    cand = [k for k, s in enumerate(out.status.tolist()) if s == STATUS.index("candidate")]
    a_km = semi_major_axis_km(inp.mean_motion_rev_per_day)
    args = []
    for k in cand[:n]:
        norad = int(inp.norad_id[k])
        state = {
            "epoch_utc_us": int(inp.epoch_utc_us[k]),
            "a_km": float(a_km[k]),
            "e": float(inp.eccentricity[k]),
            "inc_deg": float(inp.inclination_deg[k]),
            "bc_m2_per_kg": float(out.bc_m2_per_kg[k]),
            "bc_method": BC_METHODS[int(out.bc_method[k])],
        }
        history = store.history(norad, until_utc=as_of)
        args.append(
            ("predict", norad, object_seed(1, norad), samples, utc_to_us(as_of), state, atm,
             history, latest[k][1])
        )  # fmt: skip
    return args


def bench_dask(store: ElementStore, as_of: datetime, mc_objects: int, samples: int) -> None:
    """Print stage, objects, in-process s, 1-worker s, 2-worker s, speed-up 1 -> 2."""
    latest, earlier = store.catalogue_rows(as_of)
    inp = screen_input_from_rows(latest, earlier)
    atm = screen_atmosphere(as_of)
    options = ScreenOptions()
    stages: list[tuple[str, int, Callable[[Any], Any]]] = [
        ("screen", len(inp), lambda c: screen_catalogue(inp, atm, as_of, options, c))
    ]
    why = predict_available()
    if why is None:
        args = _mc_args(store, as_of, mc_objects, samples)
        stages.insert(
            0,
            (
                f"monte-carlo ({samples} samples)",
                len(args),
                lambda c: _run_tasks(c, forecast_object, args, "monte-carlo", None),
            ),
        )
    else:
        print(f"(monte-carlo stage skipped: predict engine unavailable: {why})")
    times: dict[tuple[str, int], float] = {}
    results: dict[tuple[str, int], Any] = {}
    for workers in (0, 1, 2):
        with dask_client(workers=workers) as client:
            for name, _, run in stages:
                if workers:
                    run(client)  # warm the workers: imports, atmosphere caches
                w0 = time.perf_counter()
                results[(name, workers)] = run(client)
                times[(name, workers)] = time.perf_counter() - w0
    print("\nDask scale-out (LocalCluster, 1 thread per worker, 127.0.0.1)")
    print(f"{'stage':<28} {'objects':>8} {'no Dask s':>10} {'1-worker s':>11} "
          f"{'2-worker s':>11} {'speed-up':>9} {'identical':>10}")  # fmt: skip
    for name, n, _ in stages:
        t0, t1, t2 = (times[(name, w)] for w in (0, 1, 2))
        same = _same(results[(name, 1)], results[(name, 2)]) and _same(
            results[(name, 0)], results[(name, 1)]
        )
        print(f"{name:<28} {n:>8,} {t0:>10.2f} {t1:>11.2f} {t2:>11.2f} {t1 / t2:>8.2f}x "
              f"{'yes' if same else 'NO':>10}")  # fmt: skip


def _same(a: Any, b: Any) -> bool:
    """Equal results: Forecast lists compare field by field; ScreenOutputs array by array."""
    if isinstance(a, list):
        return repr(a) == repr(b)  # repr: NaN equals NaN
    import numpy as np

    return all(
        np.array_equal(x, y, equal_nan=x.dtype.kind == "f")
        for x, y in (
            (np.asarray(getattr(a, k)), np.asarray(getattr(b, k))) for k in a.__dataclass_fields__
        )
    )


def main(n_objects: int = 30_000, mc_objects: int = 8, mc_samples: int = 100) -> None:
    tmp = Path(tempfile.mkdtemp())
    path = tmp / "cat.tle"
    as_of = datetime(2025, 6, 2, tzinfo=UTC)
    sets_per_object = 4
    write_tle(synthetic_catalogue(n_objects, sets_per_object=sets_per_object, seed=1), path)
    store_path = bench_ingest(tmp, path, n_objects * sets_per_object, as_of)
    with ElementStore(store_path) as store:
        bench_dask(store, as_of, mc_objects, mc_samples)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:4]))
