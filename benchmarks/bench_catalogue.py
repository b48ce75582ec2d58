"""Catalogue benchmark: ingest rate (columnar vs ElementSet path), screening of 30,000 objects,
1 vs 2 Dask workers, peak memory.  Run: ``.venv/bin/python benchmarks/bench_catalogue.py``."""

from __future__ import annotations

import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from deorbit.catalogue.ingest import ingest_files
from deorbit.catalogue.screen import ScreenOptions, screen_atmosphere, screen_input_from_rows
from deorbit.catalogue.synthetic import synthetic_catalogue, write_tle
from deorbit.catalogue.watch import dask_client, screen_catalogue
from deorbit.formats import load_elements
from deorbit.store import ElementStore


def main(n_objects: int = 30_000, sets_per_object: int = 4) -> None:
    tmp = Path(tempfile.mkdtemp())
    path = tmp / "cat.tle"
    as_of = datetime(2025, 6, 2, tzinfo=UTC)
    write_tle(synthetic_catalogue(n_objects, sets_per_object=sets_per_object, seed=1), path)
    n_sets = n_objects * sets_per_object
    with ElementStore(tmp / "fast.sqlite") as store:
        w0, c0 = time.perf_counter(), time.process_time()
        report = ingest_files([path], store)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        print(
            f"ingest columnar : {n_sets:,} sets  {n_sets / wall:,.0f}/s wall  "
            f"{n_sets / cpu:,.0f}/s CPU  (new {report.new:,}, rejected {len(report.rejected)})"
        )
        with ElementStore(tmp / "slow.sqlite") as slow:
            w0, c0 = time.perf_counter(), time.process_time()
            parsed = load_elements(path, lenient=True, on_conflict="latest")
            slow.add(parsed.elements, source=str(path), fetched_utc=as_of)
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            print(
                f"ingest ElementSet: {n_sets:,} sets  {n_sets / wall:,.0f}/s wall  "
                f"{n_sets / cpu:,.0f}/s CPU"
            )
        latest, earlier = store.catalogue_rows(as_of)
        inp = screen_input_from_rows(latest, earlier)
        atm = screen_atmosphere(as_of)
        for workers in (1, 2):
            with dask_client(workers=workers) as client:
                screen_catalogue(inp.take(slice(0, 100)), atm, as_of, ScreenOptions(), client)
                w0 = time.perf_counter()
                out = screen_catalogue(inp, atm, as_of, ScreenOptions(), client)
                wall = time.perf_counter() - w0
            print(
                f"screen {len(inp):,} objects, {workers} worker(s): {wall:.2f} s "
                f"({int((out.status == 1).sum())} candidates)"
            )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
