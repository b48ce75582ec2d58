"""Catalogue benchmark: ingest rate, and 1 vs 2 Dask workers where the work is.

Run: ``.venv/bin/python benchmarks/bench_catalogue.py [n_objects] [mc_objects] [mc_samples]``.

Ingest (``bench_catalogue.py ingest [n_objects]`` runs only this part)
    The same synthetic TLE file (``n_objects`` x 4 sets) through the columnar path
    (:func:`~deorbit.catalogue.ingest.ingest_files`, into a fresh schema-v3 store), the previous
    store layout (the same parser, then 19 values per row, one row per INSERT, into a v2
    file), the ElementSet path (``load_elements`` + :meth:`ElementStore.add`), parsing alone
    and storing alone; wall and CPU, best of :data:`INGEST_ROUNDS` rounds that each run every
    path once.  With ``DEORBIT_BASELINE_SRC=<tree>`` the ingest also runs in a fresh process on that tree's code, beside the same for
    this tree, with peak RSS: the old code as the same-run baseline.  A tree of the last commit
    that leaves the repository alone: ``git archive HEAD src | tar -x -C /tmp/base``.

Dask scale-out
    Three stages, each as the watch runs it (:func:`~deorbit.catalogue.watch._run_tasks`:
    longest expected task first, one task per worker thread at a time for the Monte Carlo,
    small items batched), on five backends: in-process (no Dask), ``LocalCluster`` with 1 and
    with 2 workers, and a plain ``multiprocessing`` pool of 1 and of 2 one-thread processes
    fed the same task groups in the same order -- the pool is the hardware's own ceiling for
    this work on this machine (2 cores shared with the client, the scheduler and whatever
    else runs), measured in the same run.  All five are opened first and every process warmed
    with each stage's cheapest item (imports, caches); the clusters run with
    :data:`~deorbit.catalogue.watch.LOCAL_CLUSTER_CONFIG`, so an idle one costs ~1 % of a
    core.  Then, per stage, ``repeats`` rounds each run the stage on every backend back to
    back (the order of each pair alternating), so the 1- and 2-process runs compared are
    seconds apart and a change in the machine's speed hits both; the table gives medians and
    the min-max spread, speed-ups as the median of each round's own ratio.

    * ``screen``: King-Hele screening of all ``n_objects`` in
      :data:`~deorbit.catalogue.watch.CHUNK_OBJECTS`-object chunks cut by perigee height
      (:func:`~deorbit.catalogue.watch.screen_plan`) -- ~1.5 s of numpy in all;
    * ``monte-carlo (predict)``: the full ``predict`` engine
      (:func:`~deorbit.catalogue.watch.forecast_object`) for ``mc_objects`` screen
      candidates -- seconds to tens of seconds per task, the stage that dominates a real
      watch;
    * ``monte-carlo (screen)``: the screen-engine Monte Carlo for
      :data:`MC_SCREEN_OBJECTS` candidates -- ~16 ms per object, batched
      (:data:`~deorbit.catalogue.watch.MC_BATCH`).

    Results are checked identical across all backends (same per-object seeds).  CPU time of
    all the backend's processes and their peak total RSS (sampled every 20 ms) are printed
    too.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import psutil

import deorbit
from deorbit.catalogue.ingest import ingest_files, parse_tle_columns
from deorbit.catalogue.screen import (
    STATUS,
    ScreenOptions,
    ScreenOutput,
    screen_atmosphere,
    screen_chunk,
    screen_input_from_rows,
    semi_major_axis_km,
)
from deorbit.catalogue.synthetic import synthetic_catalogue, write_tle
from deorbit.catalogue.watch import (
    MC_BATCH,
    _run_tasks,
    _schedule,
    candidate_state,
    dask_client,
    forecast_cost,
    forecast_object,
    object_seed,
    predict_available,
    screen_catalogue,
    screen_plan,
)
from deorbit.formats import load_elements
from deorbit.reentry import BLAS_THREAD_VARS, single_thread_blas_env
from deorbit.store import (
    _UPSERT_OBJECTS,
    _UPSERT_OBJECTS_TAIL,
    MIGRATIONS,
    ElementStore,
    _newest_rows,
    utc_to_us,
)

# -- ingest -----------------------------------------------------------------------------------
#: Ingest rounds: each runs every path once, in turn, so a change in load hits all alike.
INGEST_ROUNDS = 3
#: One ingest in a fresh process (after one untimed warm-up ingest of the same file): wall s,
#: CPU s, RSS after imports MB, peak RSS MB -- run for this tree and for a baseline tree.
_INGEST_PROCESS = """
import json, resource, sys, time
from pathlib import Path
from deorbit.catalogue.ingest import ingest_files
from deorbit.store import ElementStore

def peak_mb():  # VmHWM: ru_maxrss would include the parent's RSS from before the exec
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

path, db = Path(sys.argv[1]), sys.argv[2]
rss0 = peak_mb()
with ElementStore(db + "-warm") as store:
    ingest_files([path], store)
w0, c0 = time.perf_counter(), time.process_time()
with ElementStore(db) as store:
    ingest_files([path], store)
w, c = time.perf_counter() - w0, time.process_time() - c0
print(json.dumps([w, c, rss0, peak_mb()]))
"""
# The schema-v2 write path (one column per field, one row per INSERT), for the baseline row.
_V2_INSERT = "INSERT OR IGNORE INTO element_sets VALUES (" + ", ".join("?" * 19) + ")"
# (the objects upsert is unchanged since v2: the store's own statement, one row per call)
_V2_UPSERT = _UPSERT_OBJECTS + " VALUES (?, ?, ?, ?)" + _UPSERT_OBJECTS_TAIL


def _store_v2_rows(db: Path, columns: list[list], source: str, fetched_us: int) -> None:
    """What ``ElementStore.add_columns`` did at schema v2, into a fresh v2 file with the
    store's pragmas: one 19-value row per INSERT, 100,000-row chunks, one transaction."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("BEGIN IMMEDIATE")
        for statement in (*MIGRATIONS[0], *MIGRATIONS[1]):
            conn.execute(statement)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -32768")
        conn.execute("BEGIN IMMEDIATE")
        ingest_id = conn.execute(
            "INSERT INTO ingests (source, fetched_utc_us, ingested_utc_us) VALUES (?, ?, ?)",
            (source, fetched_us, fetched_us),
        ).lastrowid
        total = len(columns[0])
        for start in range(0, total, 100_000):
            stop = min(start + 100_000, total)
            rows = zip(*(c[start:stop] for c in columns), repeat(ingest_id), strict=False)
            conn.executemany(_V2_INSERT, rows)
        norad, epoch, name, intl = columns[:4]
        conn.executemany(
            _V2_UPSERT, [(norad[k], name[k], intl[k], epoch[k]) for k in _newest_rows(norad, epoch)]
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


def _ingest_process(src: Path, path: Path, db: Path) -> tuple[float, float, float, float]:
    """:data:`_INGEST_PROCESS` with the ``deorbit`` package of ``src`` (a tree with
    ``src/deorbit``)."""
    env = {**os.environ, "PYTHONPATH": str(src / "src")}
    out = subprocess.run(
        [sys.executable, "-c", _INGEST_PROCESS, str(path), str(db)],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    wall, cpu, rss0, peak = json.loads(out.stdout.strip().splitlines()[-1])
    return wall, cpu, rss0, peak


def bench_ingest(tmp: Path, path: Path, n_sets: int, as_of: datetime) -> Path:
    """Print the ingest table; returns a store holding the file.

    Rows, each run once per round for :data:`INGEST_ROUNDS` rounds (best round kept):

    * ``ingest_files`` -- the columnar TLE path into a fresh schema-v3 store, in this process;
    * the same in a fresh process (after a warm-up ingest), with its peak RSS;
    * the same in a fresh process running the ``deorbit`` of another source tree (a folder
      holding ``src/deorbit``; the last commit: ``git archive HEAD src | tar -x -C /tmp/base``)
      given as ``$DEORBIT_BASELINE_SRC``: the old code as the same-run baseline;
    * ``parse + v2 rows``: this parser, then the schema-v2 write path (19 values per row,
      one row per INSERT) into a v2 file -- the previous store layout, same run;
    * the ElementSet path (``load_elements`` + :meth:`ElementStore.add`);
    * the columnar parse alone, and ``add_columns`` alone (from parsed columns).

    ``vs base`` is each row's wall rate over the baseline tree's (else the v2-rows row's).
    """
    data = path.read_bytes()
    fetched_us = utc_to_us(as_of)
    parsed = parse_tle_columns(data, str(path), lenient=True, on_conflict="latest")
    here = Path(deorbit.__file__).resolve().parents[2]
    baseline = os.environ.get("DEORBIT_BASELINE_SRC")
    rss: dict[str, float] = {}

    def columnar(i: int) -> None:
        with ElementStore(tmp / f"fast{i}.sqlite") as store:
            ingest_files([path], store)

    def in_process(src: Path, label: str) -> Callable[[int], tuple[float, float]]:
        def run(i: int) -> tuple[float, float]:
            wall, cpu, rss0, peak = _ingest_process(src, path, tmp / f"{label}{i}.sqlite")
            rss[label] = max(rss.get(label, 0.0), peak)
            rss[label + " imports"] = rss0
            return wall, cpu

        return run

    def v2_rows(i: int) -> None:
        cols = parse_tle_columns(data, str(path), lenient=True, on_conflict="latest").columns
        _store_v2_rows(tmp / f"v2_{i}.sqlite", cols, str(path), fetched_us)

    def element_set(i: int) -> None:
        with ElementStore(tmp / f"slow{i}.sqlite") as store:
            sets = load_elements(path, lenient=True, on_conflict="latest")
            store.add(sets.elements, source=str(path), fetched_utc=as_of)

    def parse_only(i: int) -> None:
        parse_tle_columns(data, str(path), lenient=True, on_conflict="latest")

    def store_only(i: int) -> None:
        with ElementStore(tmp / f"store{i}.sqlite") as store:
            store.add_columns(parsed.arrays, source=str(path), fetched_utc=as_of)

    paths: list[tuple[str, Callable[[int], Any]]] = [
        ("ingest_files (v3 store)", columnar),
        ("  same, own process", in_process(here, "own")),
    ]
    if baseline:
        paths.append(("  baseline tree, own process", in_process(Path(baseline), "base")))
    paths += [
        ("parse + v2 rows (19 values)", v2_rows),
        ("ElementSet path (add)", element_set),
        ("columnar parse only", parse_only),
        ("add_columns only (v3)", store_only),
    ]
    best: dict[str, tuple[float, float]] = {}
    load0 = os.getloadavg()[0]
    for i in range(INGEST_ROUNDS):
        for label, run in paths:
            w0, c0 = time.perf_counter(), time.process_time()
            timed = run(i)
            wall, cpu = timed if timed else (time.perf_counter() - w0, time.process_time() - c0)
            old = best.get(label, (float("inf"), float("inf")))
            best[label] = (min(old[0], wall), min(old[1], cpu))
    base = best["  baseline tree, own process" if baseline else "parse + v2 rows (19 values)"]
    print(f"\ningest of {n_sets:,} element sets: best of {INGEST_ROUNDS} rounds, every path "
          f"once per round (load average {load0:.1f} at start, {os.getloadavg()[0]:.1f} at end)")  # fmt: skip
    if baseline:
        print(f"baseline tree: {baseline}")
    print(f"{'path':<30} {'sets/s wall':>12} {'sets/s CPU':>12} {'vs base':>8} {'peak RSS':>9}")
    for label, _ in paths:
        wall, cpu = best[label]
        key = {"  same, own process": "own", "  baseline tree, own process": "base"}.get(label)
        mem = f"{rss[key]:>6,.0f} MB" if key else ""
        print(f"{label:<30} {n_sets / wall:>12,.0f} {n_sets / cpu:>12,.0f} "
              f"{base[0] / wall:>7.2f}x {mem:>9}")  # fmt: skip
    for key, label in (("own", "this tree"), ("base", "baseline tree")):
        if key in rss:
            print(f"({label}: RSS {rss[key + ' imports']:,.0f} MB after imports, "
                  f"{rss[key]:,.0f} MB peak over a warm-up and a timed ingest)")  # fmt: skip
    return tmp / "fast0.sqlite"


def ingest_main(n_objects: int = 30_000) -> None:
    """The ingest table alone: ``bench_catalogue.py ingest [n_objects]``."""
    tmp = Path(tempfile.mkdtemp())
    path = tmp / "cat.tle"
    write_tle(synthetic_catalogue(n_objects, sets_per_object=4, seed=1), path)
    bench_ingest(tmp, path, n_objects * 4, datetime(2025, 6, 2, tzinfo=UTC))


# -- Dask scale-out ---------------------------------------------------------------------------
#: Screen-engine Monte Carlo objects timed (the first screen candidates): ~16 ms each.
MC_SCREEN_OBJECTS = 1024
#: Rounds of the scale-out benchmark (each runs every stage on every backend).
DASK_ROUNDS = 5
# Dask's nanny sets these to 1 in its workers (``distributed.nanny.pre-spawn-environ``); the
# pool baseline gets the same (``single_thread_blas_env``), so both run one thread per process.


@dataclass
class _Stage:
    """One parallel stage as ``_run_tasks`` runs it: items, expected costs, batching, and
    how the per-item results become the stage's answer."""

    name: str
    objects: int
    func: Callable[..., Any]
    args: list[tuple]
    cost: list[float] | None = None
    batch: int = 1
    finish: Callable[[list[Any]], Any] = list

    def warm_item(self) -> tuple:
        """The cheapest item: run once in every process before timing (imports, caches)."""
        if self.cost is None:
            return self.args[-1]  # screen chunks: the highest orbits, the cheapest
        return self.args[min(range(len(self.args)), key=lambda k: self.cost[k])]  # type: ignore[index]


def _mc_stages(store: ElementStore, as_of: datetime, mc_objects: int, samples: int) -> list[_Stage]:
    """The Monte Carlo stages, for the first screen candidates, with ``forecast_object``
    arguments built exactly as :func:`deorbit.catalogue.watch.watch` builds them."""
    latest, earlier = store.catalogue_rows(as_of)
    inp = screen_input_from_rows(latest, earlier)
    atm = screen_atmosphere(as_of)
    out = screen_catalogue(inp, atm, as_of, ScreenOptions())
    cand = [k for k, s in enumerate(out.status.tolist()) if s == STATUS.index("candidate")]
    a_km = semi_major_axis_km(inp.mean_motion_rev_per_day)

    def args(engine: str, n: int) -> list[tuple]:
        rows = []
        for k in cand[:n]:
            norad = int(inp.norad_id[k])
            state = candidate_state(inp, out, a_km, k)
            history = store.history(norad, until_utc=as_of) if engine == "predict" else None
            rows.append(
                (engine, norad, object_seed(1, norad), samples, utc_to_us(as_of), state, atm,
                 history, latest[k][1])
            )  # fmt: skip
        return rows

    stages = []
    why = predict_available()
    if why is None and mc_objects > 0:
        mc = args("predict", mc_objects)
        stages.append(
            _Stage(f"monte-carlo (predict, {samples} samples)", len(mc), forecast_object, mc,
                   [forecast_cost(a[5]) for a in mc], MC_BATCH["predict"])
        )  # fmt: skip
    elif why is not None:
        print(f"(predict monte-carlo stage skipped: predict engine unavailable: {why})")
    mc = args("screen", MC_SCREEN_OBJECTS)
    stages.append(
        _Stage(f"monte-carlo (screen, {samples} samples)", len(mc), forecast_object, mc,
               [forecast_cost(a[5]) for a in mc], MC_BATCH["screen"])
    )  # fmt: skip
    return stages


def _screen_stage(inp: Any, atm: Any, as_of: datetime) -> _Stage:
    """Screening as :func:`~deorbit.catalogue.watch.screen_catalogue` runs it."""
    args, order = screen_plan(inp, atm, as_of, ScreenOptions())
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)

    def finish(parts: list[Any]) -> Any:
        return ScreenOutput.concatenate(parts).take(inverse)

    return _Stage("screen", len(inp), screen_chunk, args, finish=finish)


def _pool_call(j: int, func: Callable[..., Any], batch: list[tuple]) -> tuple[int, list[Any]]:
    return j, [func(*a) for a in batch]


def _pool_warm(items: list[tuple[Callable[..., Any], tuple]], ready: Any) -> None:
    for func, a in items:
        func(*a)
    with ready.get_lock():
        ready.value += 1


def _pool_tasks(pool: Any, stage: _Stage) -> list[Any]:
    """The hardware baseline: ``stage`` through a plain process pool, the same groups in the
    same order as ``_run_tasks`` (each process takes the next group when it is free)."""
    groups = _schedule(len(stage.args), stage.cost, stage.batch)
    jobs = [(j, stage.func, [stage.args[k] for k in g]) for j, g in enumerate(groups)]
    results: list[Any] = [None] * len(stage.args)
    for j, values in pool.imap_unordered(_star_pool_call, jobs, chunksize=1):
        for k, value in zip(groups[j], values, strict=True):
            results[k] = value
    return results


def _star_pool_call(job: tuple) -> tuple[int, list[Any]]:
    return _pool_call(*job)


@contextmanager
def _process_pool(n: int, stages: list[_Stage]) -> Iterator[tuple[Any, list[int]]]:
    """A spawn-context pool of ``n`` one-thread processes, each warmed with every stage's
    cheapest item before this yields ``(pool, pids)``."""
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Value("i", 0)
    warm = [(s.func, s.warm_item()) for s in stages]
    with single_thread_blas_env():
        pool = ctx.Pool(n, initializer=_pool_warm, initargs=(warm, ready))
    try:
        while ready.value < n:
            time.sleep(0.05)
        yield pool, [p.pid for p in pool._pool]  # noqa: SLF001 - the pool's own processes
    finally:
        pool.terminate()
        pool.join()


class _Meter:
    """Wall time, CPU time of all ``pids`` and their peak total RSS (sampled every 20 ms)
    over a ``with`` block."""

    def __init__(self, pids: list[int]) -> None:
        self.procs = [psutil.Process(p) for p in pids]

    def _cpu(self) -> float:
        return sum(sum(p.cpu_times()[:2]) for p in self.procs)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, sum(p.memory_info().rss for p in self.procs))

    def __enter__(self) -> _Meter:
        self.peak = sum(p.memory_info().rss for p in self.procs)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        self._cpu0, self._t0 = self._cpu(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._t0
        self.cpu = self._cpu() - self._cpu0
        self._stop.set()
        self._thread.join()


BACKENDS = ("Dask 1", "Dask 2", "pool 1", "pool 2", "no Dask")


@contextmanager
def _backend(label: str, stages: list[_Stage]) -> Iterator[tuple[list[int], Callable, dict]]:
    """Open one backend, warm every process of it with every stage's cheapest item, and yield
    (its pids including this one, ``run(stage) -> results``, facts about it)."""
    me = os.getpid()
    kind, _, n = label.partition(" ")
    if kind == "no":
        for s in stages:
            s.func(*s.warm_item())
        yield [me], lambda s: _run_tasks(None, s.func, s.args, s.name, None, cost=s.cost,
                                         batch=s.batch), {}  # fmt: skip
    elif kind == "Dask":
        with dask_client(workers=int(n)) as client:
            for s in stages:
                client.gather(
                    [client.submit(s.func, *s.warm_item(), workers=[w], allow_other_workers=False,
                                   pure=False) for w in client.nthreads()]
                )  # fmt: skip
            env = client.run(lambda: {k: os.environ.get(k) for k in BLAS_THREAD_VARS})
            yield [me, *client.run(os.getpid).values()], (
                lambda s: _run_tasks(client, s.func, s.args, s.name, None, cost=s.cost,
                                     batch=s.batch)
            ), {"worker env": next(iter(env.values()))}  # fmt: skip
    else:
        with _process_pool(int(n), stages) as (pool, pids):
            yield [me, *pids], lambda s: _pool_tasks(pool, s), {}


def bench_dask(
    store: ElementStore,
    as_of: datetime,
    mc_objects: int,
    samples: int,
    repeats: int = DASK_ROUNDS,
) -> None:
    """Print stage, objects, in-process s, 1- and 2-worker Dask s, the speed-up 1 -> 2, and
    the same for a plain 1- and 2-process pool on the same tasks (the hardware's ceiling)."""
    latest, earlier = store.catalogue_rows(as_of)
    inp = screen_input_from_rows(latest, earlier)
    atm = screen_atmosphere(as_of)
    stages = [_screen_stage(inp, atm, as_of), *_mc_stages(store, as_of, mc_objects, samples)]
    wall: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    peak: dict[tuple[str, str], float] = {}
    reference: dict[str, Any] = {}  # the in-process answer; every timed run must equal it
    differ: dict[str, list[str]] = {s.name: [] for s in stages}
    facts: dict[str, Any] = {}
    load0 = os.getloadavg()
    t_start = time.perf_counter()
    print(f"\nDask scale-out: all five backends open and warmed; per stage, {repeats} rounds each "
          f"run it on every backend back to back, in turn (load average at start "
          f"{load0[0]:.1f})")  # fmt: skip
    with ExitStack() as opened:
        backends = {}
        for label in BACKENDS:
            pids, run, about = opened.enter_context(_backend(label, stages))
            backends[label] = (pids, run)
            facts.update(about)
        for s in stages:
            reference[s.name] = s.finish(backends["no Dask"][1](s))  # untimed: the reference
            for r in range(repeats):
                # alternate the order so neither of a pair always runs first
                for label in (
                    BACKENDS if r % 2 == 0 else BACKENDS[1::-1] + BACKENDS[3:1:-1] + BACKENDS[4:]
                ):
                    pids, run = backends[label]
                    with _Meter(pids) as m:
                        out = s.finish(run(s))
                    key = (s.name, label)
                    wall.setdefault(key, []).append(m.wall)
                    cpu.setdefault(key, []).append(m.cpu)
                    peak[key] = max(peak.get(key, 0.0), m.peak)
                    if not _same(reference[s.name], out):
                        differ[s.name].append(
                            f"{label} round {r + 1}: {_difference(reference[s.name], out)}"
                        )
                    print(f"  round {r + 1} {label:<8} {s.name:<34} {m.wall:8.2f} s wall "
                          f"{m.cpu:8.2f} s CPU (all its processes) "
                          f"load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    load1 = os.getloadavg()
    print(f"\n(took {time.perf_counter() - t_start:.0f} s; load average {load0[0]:.1f} at start, "
          f"{load1[0]:.1f} at end; Dask worker env {facts.get('worker env')})")  # fmt: skip
    for name, found in differ.items():
        for line in found:
            print(f"DIFFERENT: {name}: {line}")

    def med(v: list[float]) -> str:
        return f"{statistics.median(v):.2f} ({min(v):.2f}-{max(v):.2f})"

    def ratio(name: str, a: str, b: str) -> tuple[float, str]:
        x = [p / q for p, q in zip(wall[(name, a)], wall[(name, b)], strict=True)]
        return statistics.median(x), f"{statistics.median(x):.2f}x ({min(x):.2f}-{max(x):.2f})"

    print("\nDask scale-out, medians of the rounds (min-max); speed-ups are medians of each "
          "round's own ratio")  # fmt: skip
    print(
        "| stage | objects | no Dask s | 1-worker s | 2-worker s | speed-up | pool 1 s | "
        "pool 2 s | pool speed-up | Dask / pool | identical | peak RSS MB (2 workers) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in stages:
        dask_x, dask_txt = ratio(s.name, "Dask 1", "Dask 2")
        pool_x, pool_txt = ratio(s.name, "pool 1", "pool 2")
        runs = repeats * len(BACKENDS)
        same = "yes" if not differ[s.name] else f"NO ({len(differ[s.name])} of {runs} runs)"
        print(f"| {s.name} | {s.objects:,} | {med(wall[(s.name, 'no Dask')])} | "
              f"{med(wall[(s.name, 'Dask 1')])} | {med(wall[(s.name, 'Dask 2')])} | {dask_txt} | "
              f"{med(wall[(s.name, 'pool 1')])} | {med(wall[(s.name, 'pool 2')])} | {pool_txt} | "
              f"{dask_x / pool_x:.2f} | {same} | {peak[(s.name, 'Dask 2')] / 2**20:,.0f} |")  # fmt: skip
    print("\nCPU s of all the backend's processes (client + workers), median:")
    for s in stages:
        print(f"  {s.name:<34} " + "  ".join(
            f"{b} {statistics.median(cpu[(s.name, b)]):.2f}" for b in BACKENDS))  # fmt: skip
    print("peak total RSS MB (this process + the backend's workers), max over rounds:")
    for s in stages:
        print(f"  {s.name:<34} " + "  ".join(
            f"{b} {peak[(s.name, b)] / 2**20:,.0f}" for b in BACKENDS))  # fmt: skip


def _difference(a: Any, b: Any) -> str:
    """Where two results of a stage differ (for the report)."""
    if isinstance(a, list):
        out = []
        for x, y in zip(map(_stable, a), map(_stable, b), strict=True):
            for f in x.__dataclass_fields__:
                if repr(getattr(x, f)) != repr(getattr(y, f)):
                    if f == "result":
                        keys = [k for k in x.result if repr(x.result[k]) != repr(y.result.get(k))]
                        out.append(f"{x.norad_id} result{keys}")
                    else:
                        out.append(f"{x.norad_id} {f} {getattr(x, f)!r} vs {getattr(y, f)!r}")
        return "; ".join(out)
    return ", ".join(
        k for k in a.__dataclass_fields__
        if not np.array_equal(np.asarray(getattr(a, k)), np.asarray(getattr(b, k)),
                              equal_nan=np.asarray(getattr(a, k)).dtype.kind == "f")
    )  # fmt: skip


def _stable(f: Any) -> Any:
    """A Forecast without its one wall-clock field: the predict engine's JSON gives the element
    age relative to *now* (``deorbit.jobs.object_summary``, rounded to 0.01 day), which ticks
    over during a 10-minute benchmark whatever computed it."""
    obj = f.result.get("object")
    if not isinstance(obj, dict) or "element_age_days" not in obj:
        return f
    trimmed = {k: v for k, v in obj.items() if k != "element_age_days"}
    return replace(f, result={**f.result, "object": trimmed})


def _same(a: Any, b: Any) -> bool:
    """Equal results: Forecast lists compare field by field (all but the wall-clock element
    age, :func:`_stable`); ScreenOutputs array by array."""
    if isinstance(a, list):
        return repr([_stable(f) for f in a]) == repr([_stable(f) for f in b])  # NaN == NaN
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
    if sys.argv[1:2] == ["ingest"]:
        ingest_main(*(int(a) for a in sys.argv[2:3]))
    else:
        main(*(int(a) for a in sys.argv[1:4]))
