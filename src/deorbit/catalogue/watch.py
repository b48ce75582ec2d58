"""The catalogue re-entry watch: screen every object, Monte Carlo the few due soon, rank them.

Pipeline (:func:`watch`)
    1. Read the newest element set of every object as known at ``as_of_utc`` (and one 1-10
       days older, for the decay rate) from the store: :meth:`ElementStore.catalogue_rows`.
       ``as_of_utc`` replays the past: sets with later epochs are invisible.
    2. Screen (:mod:`.screen`) in chunks of :data:`CHUNK_OBJECTS` objects cut by perigee
       height (:func:`screen_plan`), one Dask task per chunk: flags decayed and stale objects,
       estimates each lifetime, marks candidates.
    3. One Monte Carlo per candidate (one Dask task each for ``"predict"``, batches of
       :data:`MC_BATCH` for the millisecond ``"screen"`` engine), longest expected first
       (:func:`forecast_cost`), seeded with a per-object seed derived from
       ``(seed, norad_id)`` by :class:`numpy.random.SeedSequence`: the same seed gives the same
       numbers whatever the number of workers or the order tasks finish in.  Chunks and
       batches depend on the data only, never on the worker count, and no object's result
       depends on which chunk or batch it is in anyway (bit for bit, tested).
    4. Rank by median re-entry; keep those whose 5 % quantile falls within ``days`` of the
       as-of time; store each prediction with its inputs (``predictions`` table).

Monte Carlo engines (:func:`forecast_object` is the one place that calls them)
    ``"predict"``  the full pipeline, :func:`deorbit.predict.run_prediction` (NRLMSIS,
                  fitted BC, forecast space weather), one call per object;
    ``"screen"``   the screening model with uncertainty: BC lognormal (sigma 0.15 for a
                  decay-derived BC, 0.5 otherwise) times a density factor lognormal
                  (sigma 0.25), each sample decayed with King-Hele.  Seconds for hundreds
                  of objects; meant for benchmarks and when the full pipeline is missing;
    ``"auto"``     ``"predict"`` when its modules import, else ``"screen"`` (the result
                  says which ran).

Dask
    ``workers=N`` starts ``LocalCluster(n_workers=N, threads_per_worker=1, processes=True)``
    bound to 127.0.0.1 (no dashboard; quieter housekeeping, :data:`LOCAL_CLUSTER_CONFIG`);
    ``scheduler="tcp://HOST:PORT"`` uses an existing
    cluster (a malformed or unreachable address is an :class:`~deorbit.errors.InputError`);
    ``client=`` reuses an open :class:`distributed.Client`; ``workers=0`` runs everything
    in-process without Dask.  ``progress(stage, done, total)`` is called as tasks finish
    (stages ``"screen"`` and ``"monte-carlo"``); :func:`rich_progress` renders it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from deorbit.catalogue.screen import (
    BC_METHODS,
    STATUS,
    ScreenAtmosphere,
    ScreenInput,
    ScreenOptions,
    ScreenOutput,
    king_hele_lifetime_days,
    screen_atmosphere,
    screen_chunk,
    screen_input_from_rows,
    semi_major_axis_km,
    utc_from_us,
)
from deorbit.elements import format_utc
from deorbit.errors import InputError
from deorbit.store import ElementStore, PredictionRecord, utc_to_us

__all__ = [
    "CHUNK_OBJECTS",
    "LOCAL_CLUSTER_CONFIG",
    "MC_BATCH",
    "candidate_state",
    "Forecast",
    "WatchEntry",
    "WatchResult",
    "dask_client",
    "forecast_cost",
    "forecast_object",
    "object_seed",
    "rich_progress",
    "screen_catalogue",
    "screen_plan",
    "watch",
]

#: Objects per screening task (~0.1-0.2 s of numpy; see :func:`screen_plan`).  Measured at
#: 30,000 objects, chunks cut by perigee, 1 and 2 workers: 1,024 cost ~50 % more CPU in all
#: than 3,072 (per-step numpy overhead and per-task Dask overhead, paid once per chunk);
#: 4,096 leaves too few chunks to share evenly.
CHUNK_OBJECTS = 3072
#: Monte Carlo objects per task, by engine: a ``predict`` object is seconds of work, a
#: ``screen`` one ~16 ms (100 samples), for which one task each would be mostly overhead.
MC_BATCH = {"predict": 1, "screen": 32}
Engine = Literal["auto", "predict", "screen"]
Progress = Callable[[str, int, int], None]
_US_PER_DAY = 86_400_000_000
_SCHEDULER = re.compile(r"^(tcp|tls)://[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")
#: Dask settings for the clusters :func:`dask_client` starts.  On 2 cores every cycle the
#: client, scheduler and idle worker machinery burn is taken from the workers: with the
#: defaults that was ~9 % of a core (event-loop ticks every 20 ms in every process, memory
#: monitor every 100 ms, system monitor every 500 ms, the statistical profiler sampling the
#: task's stack every 10 ms -- for a dashboard that is not started); with these ~2 %
#: (measured, idle 2-worker cluster).  Work stealing stays on.  Dask already starts workers
#: with OMP/OPENBLAS/MKL threads = 1 (``distributed.nanny.pre-spawn-environ``): one core per
#: worker, no BLAS oversubscription.
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
}
SIGMA_LN_BC_DECAY = 0.15
SIGMA_LN_BC_OTHER = 0.5
SIGMA_LN_DENSITY = 0.25


def code_version() -> str:
    """The installed deorbit version (recorded with every stored prediction)."""
    try:
        from importlib.metadata import version

        return version("deorbit")
    except Exception:  # noqa: BLE001 - not installed: source tree
        return "unknown"


def object_seed(seed: int, norad_id: int) -> int:
    """The per-object seed: ``SeedSequence([seed, norad_id])``'s first 32-bit word."""
    return int(np.random.SeedSequence([int(seed), int(norad_id)]).generate_state(1)[0])


# -- Dask ---------------------------------------------------------------------------------------
@contextmanager
def dask_client(
    workers: int = 2, scheduler: str | None = None, client: Any = None
) -> Iterator[Any]:
    """A :class:`distributed.Client` for the run (None with ``workers=0`` and no scheduler).

    Closes what it opened, never a ``client`` it was given.
    """
    if client is not None:
        yield client
        return
    if scheduler is not None:
        if not _SCHEDULER.match(scheduler):
            raise InputError(
                f"scheduler address {scheduler!r} is not of the form tcp://HOST:PORT",
                field="--scheduler",
            )
        from distributed import Client

        try:
            opened = Client(scheduler, timeout="5s")
        except (OSError, TimeoutError) as exc:
            raise InputError(
                f"cannot reach the Dask scheduler at {scheduler} ({type(exc).__name__}: {exc})",
                field="--scheduler",
            ) from None
        try:
            yield opened
        finally:
            opened.close()
        return
    if workers < 0:
        raise InputError(f"--workers must be >= 0, got {workers}", field="--workers")
    if workers == 0:
        yield None
        return
    import logging

    import dask
    from distributed import Client, LocalCluster

    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
    opened = Client(cluster)
    try:
        yield opened
    finally:
        opened.close()
        cluster.close()


def _schedule(n: int, cost: Sequence[float] | None = None, batch: int = 1) -> list[list[int]]:
    """Task indices grouped as they are handed out: ``batch`` per group, the most costly
    first (expected ``cost``, ties by position), or in input order without ``cost``.

    Longest-first is the classic list-scheduling rule: whichever worker frees up next takes
    the next-longest task, so the run ends with short tasks on both workers instead of one
    worker finishing a long task alone (measured: 8 predict tasks of 2-46 s in catalogue
    order left one worker idle for over a quarter of the stage).  The groups depend on the inputs
    only, never on the number of workers.
    """
    order = range(n) if cost is None else sorted(range(n), key=lambda k: (-cost[k], k))
    order = list(order)
    return [order[k : k + batch] for k in range(0, n, max(1, batch))]


def _call_batch(func: Callable[..., Any], batch: list[tuple]) -> list[Any]:
    """``[func(*a) for a in batch]``: one Dask task for several short work items."""
    return [func(*a) for a in batch]


def _run_tasks(
    client: Any,
    func: Callable[..., Any],
    args: list[tuple],
    stage: str,
    progress: Progress | None,
    *,
    cost: Sequence[float] | None = None,
    batch: int = 1,
) -> list[Any]:
    """``[func(*a) for a in args]`` on the cluster (or here), results in input order.

    Tasks are grouped and ordered by :func:`_schedule` (``cost``: expected relative cost of
    each item; ``batch``: items per Dask task, for items of milliseconds where the per-task
    overhead would dominate).  With ``cost`` the groups are handed out one per worker
    thread, the next when one finishes: Dask's scheduler otherwise lets each worker hold a
    second task (``worker-saturation`` 1.1), and a long task queued behind another long one
    on one worker, while the other worker runs out of work, undoes the longest-first order
    (measured with sleeping tasks of the predict stage's durations: 74 s instead of 56 s).
    Without ``cost`` everything is submitted at once (short tasks gain from the queued
    second task: no round trip between them).  Every item is computed by the same call
    whatever the grouping or the worker, so results depend on neither.
    """
    total = len(args)
    groups = _schedule(total, cost, batch)
    results: list[Any] = [None] * total
    done = 0
    if progress is not None:
        progress(stage, 0, total)
    if client is None:
        for group in groups:
            for k in group:
                results[k] = func(*args[k])
                done += 1
                if progress is not None:
                    progress(stage, done, total)
        return results
    from distributed import as_completed

    def submit(j: int) -> Any:
        g = groups[j]
        # falling priority: if several wait at the scheduler, the costlier goes first
        future = client.submit(
            _call_batch, func, [args[k] for k in g], priority=len(groups) - j, pure=False
        )
        group_of[future.key] = g
        return future

    group_of: dict[Any, list[int]] = {}
    limit = len(groups)
    if cost is not None:
        limit = max(1, sum(client.nthreads().values()))
    futures = [submit(j) for j in range(min(limit, len(groups)))]
    # this client's loop: as_completed otherwise follows the default (latest) client's
    pending = as_completed(futures, loop=client.loop, with_results=True)
    try:
        for fut, values in pending:
            for k, value in zip(group_of[fut.key], values, strict=True):
                results[k] = value
            done += len(values)
            if progress is not None:
                progress(stage, done, total)
            if len(futures) < len(groups):
                futures.append(submit(len(futures)))
                pending.add(futures[-1])
    finally:
        for f in futures:
            f.release()
    return results


@contextmanager
def rich_progress() -> Iterator[Progress]:
    """A :data:`Progress` callback drawing one rich progress bar per stage (for the CLI)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bars: dict[str, Any] = {}
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=False,
    ) as view:

        def update(stage: str, done: int, total: int) -> None:
            if stage not in bars:
                bars[stage] = view.add_task(stage, total=total)
            view.update(bars[stage], completed=done, total=total)

        yield update


# -- Monte Carlo per object --------------------------------------------------------------------
@dataclass(frozen=True)
class Forecast:
    """One object's Monte Carlo result and the inputs it used."""

    norad_id: int
    engine: str
    median_utc_us: int | None
    p05_utc_us: int | None
    p95_utc_us: int | None
    bc_m2_per_kg: float
    bc_method: str
    space_weather_mode: str
    space_weather_version: str
    seed: int
    samples: int
    element_epoch_utc_us: int
    result: dict[str, Any] = field(default_factory=dict)


def predict_available() -> str | None:
    """None when :func:`deorbit.predict.run_prediction` can run here, else why not."""
    try:
        import deorbit.bcfit  # noqa: F401
        import deorbit.density  # noqa: F401
        import deorbit.predict  # noqa: F401
    except ImportError as exc:
        return str(exc)
    return None


def _quantiles_us(epochs_us: np.ndarray) -> tuple[int | None, int | None, int | None]:
    ok = epochs_us[epochs_us >= 0]
    if ok.size == 0:
        return None, None, None
    q = np.quantile(ok.astype(np.float64), (0.05, 0.5, 0.95))
    return int(q[0]), int(q[1]), int(q[2])


def forecast_object(
    engine: str,
    norad_id: int,
    seed: int,
    samples: int,
    as_of_utc_us: int,
    state: dict[str, float],
    atm: ScreenAtmosphere,
    history: list | None = None,
    name: str = "",
) -> Forecast:
    """The Monte Carlo for one object: THE place where :func:`deorbit.predict.run_prediction`
    is called (``engine="predict"``), or the screening-model Monte Carlo (``"screen"``).

    ``state`` holds the screen's view of the last set: ``epoch_utc_us``, ``a_km``, ``e``,
    ``inc_deg``, ``bc_m2_per_kg``, ``bc_method``.  ``seed`` is the per-object seed
    (:func:`object_seed`).  A pure function of its arguments: a Dask task.
    """
    epoch_us = int(state["epoch_utc_us"])
    if engine == "predict":
        from deorbit.objects import ResolvedObject
        from deorbit.predict import PredictOptions, prediction_json, run_prediction

        assert history, "the predict engine needs the element history"
        obj = ResolvedObject(
            norad_id=norad_id,
            name=name,
            history=history,
            latest=history[-1],
            provenance="element store (catalogue watch)",
            as_of_utc=None,
        )
        # workers=1: the samples run here, one chunk after the other.  The parallelism of a
        # watch is across objects (one Dask task each); PredictOptions' default of 2 spawned
        # processes per object would put 4 processes on 2 cores under 2 Dask workers and pay
        # a process start-up per task (measured: 2 workers slower than 1).  The answer is the
        # same bit for bit whatever ``workers`` is (deorbit.reentry).
        options = PredictOptions(
            as_of_utc=utc_from_us(as_of_utc_us), samples=samples, seed=seed, workers=1
        )
        p = run_prediction(obj, options)
        answer = prediction_json(p)
        if isinstance(answer.get("object"), dict) and "element_age_days" in answer["object"]:
            # object_summary counts the age from the wall clock; a watch answer is as of its
            # as-of time, so that a replay, or the same run an hour later, stores the same JSON
            age_days = (as_of_utc_us - utc_to_us(obj.latest.epoch_utc)) / _US_PER_DAY
            answer["object"]["element_age_days"] = round(age_days, 2)
        p05, p50, p95 = p.quantiles_utc()
        return Forecast(
            norad_id=norad_id,
            engine="predict",
            median_utc_us=utc_to_us(p50) if p50 else None,
            p05_utc_us=utc_to_us(p05) if p05 else None,
            p95_utc_us=utc_to_us(p95) if p95 else None,
            bc_m2_per_kg=float(p.bc_m2_per_kg),
            bc_method=p.bc_method,
            space_weather_mode=options.space_weather,
            space_weather_version=options.density_model,
            seed=seed,
            samples=samples,
            element_epoch_utc_us=utc_to_us(p.start.epoch_utc),
            result=answer,
        )
    if engine != "screen":
        raise InputError(f"unknown Monte Carlo engine {engine!r} (predict, screen)")
    rng = np.random.default_rng(seed)
    bc0 = float(state["bc_m2_per_kg"])
    sigma_bc = SIGMA_LN_BC_DECAY if state["bc_method"] == "decay" else SIGMA_LN_BC_OTHER
    bc = bc0 * np.exp(sigma_bc * rng.standard_normal(samples))
    scale = np.exp(SIGMA_LN_DENSITY * rng.standard_normal(samples))
    life = king_hele_lifetime_days(
        state["a_km"], state["e"], state["inc_deg"], bc, atm, density_scale=scale, max_days=3650
    )
    epochs = np.where(
        np.isfinite(life),
        epoch_us + np.round(np.where(np.isfinite(life), life, 0.0) * _US_PER_DAY),
        -1,
    ).astype(np.int64)
    p05, p50, p95 = _quantiles_us(epochs)
    return Forecast(
        norad_id=norad_id,
        engine="screen",
        median_utc_us=p50,
        p05_utc_us=p05,
        p95_utc_us=p95,
        bc_m2_per_kg=bc0,
        bc_method=str(state["bc_method"]),
        space_weather_mode="asof-constant",
        space_weather_version=atm.version,
        seed=seed,
        samples=samples,
        element_epoch_utc_us=epoch_us,
        result={
            "samples_reentered": int(np.count_nonzero(epochs >= 0)),
            "sigma_ln_bc": sigma_bc,
            "sigma_ln_density": SIGMA_LN_DENSITY,
            "space_weather": atm.description,
        },
    )


# -- the watch ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class WatchEntry:
    """One ranked upcoming re-entry."""

    rank: int
    norad_id: int
    name: str
    intl_designator: str
    median_utc: datetime
    p05_utc: datetime | None
    p95_utc: datetime | None
    inclination_deg: float
    perigee_alt_km: float
    apogee_alt_km: float
    last_epoch_utc: datetime
    element_age_days: float
    screen_reentry_utc: datetime | None
    bc_m2_per_kg: float
    bc_method: str
    engine: str
    mass_kg: float | None = None
    area_m2: float | None = None

    def to_json(self) -> dict[str, Any]:
        def fmt(t: datetime | None) -> str | None:
            return format_utc(t) if t is not None else None

        return {
            "rank": self.rank,
            "norad_id": self.norad_id,
            "name": self.name,
            "intl_designator": self.intl_designator,
            "reentry": {
                "median_utc": fmt(self.median_utc),
                "p05_utc": fmt(self.p05_utc),
                "p95_utc": fmt(self.p95_utc),
            },
            "inclination_deg": round(self.inclination_deg, 4),
            "perigee_alt_km": round(self.perigee_alt_km, 1),
            "apogee_alt_km": round(self.apogee_alt_km, 1),
            "last_element_epoch_utc": fmt(self.last_epoch_utc),
            "element_age_days": round(self.element_age_days, 3),
            "screen_reentry_utc": fmt(self.screen_reentry_utc),
            "ballistic_coefficient_m2_per_kg": round(self.bc_m2_per_kg, 6),
            "ballistic_coefficient_method": self.bc_method,
            "engine": self.engine,
            "mass_kg": self.mass_kg,
            "area_m2": self.area_m2,
        }


@dataclass
class WatchResult:
    """The ranked list, the flagged objects and what the run did."""

    as_of_utc: datetime
    horizon_days: float
    objects: list[WatchEntry]
    #: norad_id -> "decayed" / "stale" / "presumed_decayed"
    flagged: dict[int, str]
    screened: int
    candidates: int
    engine: str
    seed: int
    samples: int
    space_weather: str
    timings_s: dict[str, float] = field(default_factory=dict)
    screen: ScreenOutput | None = None
    #: Candidates whose Monte Carlo put the 5 % quantile beyond the horizon: norad -> median.
    beyond: dict[int, datetime | None] = field(default_factory=dict)

    def rank_of(self, norad_id: int) -> int | None:
        """1-based rank of ``norad_id`` in the list, None when absent."""
        return next((e.rank for e in self.objects if e.norad_id == norad_id), None)

    def to_json(self) -> dict[str, Any]:
        """``{"as_of_utc", "horizon_days", "objects": [...], "flagged": ..., ...}``."""
        counts = {s: 0 for s in STATUS[2:]}
        for status in self.flagged.values():
            counts[status] += 1
        return {
            "as_of_utc": format_utc(self.as_of_utc),
            "horizon_days": self.horizon_days,
            "objects": [e.to_json() for e in self.objects],
            "screened": self.screened,
            "candidates": self.candidates,
            "flagged": counts,
            "engine": self.engine,
            "seed": self.seed,
            "samples": self.samples,
            "space_weather": self.space_weather,
            "timings_s": {k: round(v, 3) for k, v in self.timings_s.items()},
        }

    def to_csv(self) -> str:
        """One row per ranked object (times ISO 8601 UTC)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        head = [
            "rank", "norad_id", "name", "intl_designator", "median_utc", "p05_utc", "p95_utc",
            "inclination_deg", "perigee_alt_km", "apogee_alt_km", "last_element_epoch_utc",
            "element_age_days", "ballistic_coefficient_m2_per_kg", "engine", "mass_kg", "area_m2",
        ]  # fmt: skip
        writer.writerow(head)
        for e in self.objects:
            j = e.to_json()
            writer.writerow(
                [
                    e.rank, e.norad_id, e.name, e.intl_designator, j["reentry"]["median_utc"],
                    j["reentry"]["p05_utc"] or "", j["reentry"]["p95_utc"] or "",
                    j["inclination_deg"], j["perigee_alt_km"], j["apogee_alt_km"],
                    j["last_element_epoch_utc"], j["element_age_days"],
                    j["ballistic_coefficient_m2_per_kg"], e.engine,
                    "" if e.mass_kg is None else e.mass_kg,
                    "" if e.area_m2 is None else e.area_m2,
                ]
            )  # fmt: skip
        return out.getvalue()

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2)


def screen_plan(
    inp: ScreenInput, atm: ScreenAtmosphere, as_of_utc: datetime, options: ScreenOptions
) -> tuple[list[tuple], npt.NDArray[np.intp]]:
    """The screening tasks, in the order they are handed out, and the object order they use.

    Chunks of :data:`CHUNK_OBJECTS` are cut from the catalogue sorted by perigee height
    (then catalogue number), not in catalogue-number order: objects that need similar numbers
    of integration steps share arrays, so no chunk keeps iterating over all its overhead for
    a few long-lived stragglers (measured: a third less CPU in all, and small chunks become
    affordable, which is what lets two workers share the stage evenly).  Low chunks are the
    costly ones (decaying orbits take many short steps; long-lived high ones take 10-day
    steps to ``max_days``), so they go first.  The cut depends on the data only, never on
    the number of workers, and each object's arithmetic does not depend on its chunk anyway
    (:func:`~.screen.king_hele_lifetime_days`; tested).

    Returns ``(args, order)``: ``screen_chunk(*args[j])`` screens objects
    ``order[j * CHUNK_OBJECTS : (j + 1) * CHUNK_OBJECTS]`` of ``inp``.
    """
    as_of_us = utc_to_us(as_of_utc)
    perigee = semi_major_axis_km(inp.mean_motion_rev_per_day) * (
        1.0 - np.clip(inp.eccentricity, 0.0, 0.99)
    )
    order = np.lexsort((inp.norad_id, perigee))
    args = [
        (inp.take(order[k : k + CHUNK_OBJECTS]), atm, as_of_us, options)
        for k in range(0, len(inp), CHUNK_OBJECTS)
    ]
    return args, order


def screen_catalogue(
    inp: ScreenInput,
    atm: ScreenAtmosphere,
    as_of_utc: datetime,
    options: ScreenOptions,
    client: Any = None,
    progress: Progress | None = None,
) -> ScreenOutput:
    """Screen every object, one task per chunk of :func:`screen_plan`; the result is in the
    order of ``inp``."""
    args, order = screen_plan(inp, atm, as_of_utc, options)
    # The atmosphere (~6 kB) travels with each task: scattering it once would save ~60 kB
    # over 10 tasks, and a scattered future released between runs sharing one client is
    # what Dask reports as "lost dependencies".
    parts = _run_tasks(client, screen_chunk, args, "screen", progress)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    return ScreenOutput.concatenate(parts).take(inverse)


def candidate_state(inp: ScreenInput, out: ScreenOutput, a_km: np.ndarray, k: int) -> dict:
    """The screening state of object ``k`` that a Monte Carlo task starts from (plain data, so
    it ships to a Dask worker as is)."""
    return {
        "epoch_utc_us": int(inp.epoch_utc_us[k]),
        "a_km": float(a_km[k]),
        "e": float(inp.eccentricity[k]),
        "inc_deg": float(inp.inclination_deg[k]),
        "bc_m2_per_kg": float(out.bc_m2_per_kg[k]),
        "bc_method": BC_METHODS[int(out.bc_method[k])],
    }


def forecast_cost(state: dict[str, float]) -> float:
    """Expected relative cost of :func:`forecast_object` for one object, for longest-first
    ordering: its perigee height.  The Monte Carlo integrates each sample down to re-entry,
    and a higher orbit decays over more days -- more steps (measured, predict engine, 100
    samples: 1-1.6 s for perigees of 230-390 km, 3-4 s at 550-570 km).  Only the order
    matters."""
    return float(state["a_km"]) * (1.0 - float(state["e"]))


def watch(
    store: ElementStore,
    *,
    as_of_utc: datetime | None = None,
    days: float = 30.0,
    workers: int = 2,
    scheduler: str | None = None,
    client: Any = None,
    samples: int = 100,
    seed: int = 1,
    engine: Engine = "auto",
    margin: float = 2.0,
    stale_days: float = 30.0,
    f107_sfu: float | None = None,
    ap: float | None = None,
    record: bool = True,
    progress: Progress | None = None,
) -> WatchResult:
    """Rank the objects of ``store`` that may re-enter within ``days`` of ``as_of_utc``.

    ``as_of_utc`` (default: now) also replays the past: only sets with epochs up to it are
    used.  See the module docstring for the pipeline, engines and Dask options; ``margin``
    and ``stale_days`` are :class:`~.screen.ScreenOptions`; ``f107_sfu``/``ap`` override the
    screening space weather.  With ``record`` each Monte Carlo result is stored in the
    ``predictions`` table with its inputs.
    """
    if not 0 < days <= 3650:
        raise InputError(f"--days must be in (0, 3650], got {days:g}", field="--days")
    if not 1 <= samples <= 100_000:
        raise InputError(f"--samples must be 1..100000, got {samples}", field="--samples")
    if engine not in ("auto", "predict", "screen"):
        raise InputError(f"--engine must be auto, predict or screen, not {engine!r}")
    as_of = as_of_utc or datetime.now(UTC)
    if as_of.tzinfo is None:
        raise InputError("--as-of must carry a time zone (UTC)", field="--as-of")
    if engine == "auto":
        engine = "screen" if predict_available() else "predict"
    elif engine == "predict" and (why := predict_available()):
        raise InputError(f"the predict engine is not available here ({why})", field="--engine")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    latest, earlier = store.catalogue_rows(as_of)
    inp = screen_input_from_rows(latest, earlier)
    names = {r[0]: (r[1], r[2]) for r in latest}
    atm = screen_atmosphere(as_of, f107_sfu=f107_sfu, ap=ap)
    options = ScreenOptions(horizon_days=days, margin=margin, stale_days=stale_days)
    timings["read_s"] = time.perf_counter() - t0
    with dask_client(workers, scheduler, client) as dc:
        t1 = time.perf_counter()
        out = screen_catalogue(inp, atm, as_of, options, dc, progress)
        timings["screen_s"] = time.perf_counter() - t1
        cand = np.flatnonzero(out.status == STATUS.index("candidate"))
        as_of_us = utc_to_us(as_of)
        a_km = semi_major_axis_km(inp.mean_motion_rev_per_day)
        args = []
        for k in cand.tolist():
            norad = int(inp.norad_id[k])
            history = store.history(norad, until_utc=as_of) if engine == "predict" else None
            state = candidate_state(inp, out, a_km, k)
            args.append(
                (engine, norad, object_seed(seed, norad), samples, as_of_us, state, atm,
                 history, names[norad][0])
            )  # fmt: skip
        t2 = time.perf_counter()
        forecasts: list[Forecast] = _run_tasks(
            dc,
            forecast_object,
            args,
            "monte-carlo",
            progress,
            cost=[forecast_cost(a[5]) for a in args],
            batch=MC_BATCH[engine],
        )
        timings["monte_carlo_s"] = time.perf_counter() - t2
    flagged = {
        int(n): STATUS[int(s)]
        for n, s in zip(out.norad_id.tolist(), out.status.tolist(), strict=True)
        if s >= 2
    }
    horizon_us = as_of_us + int(days * _US_PER_DAY)
    entries: list[WatchEntry] = []
    beyond: dict[int, datetime | None] = {}
    pos = {int(n): k for k, n in enumerate(out.norad_id.tolist())}
    for f in forecasts:
        if f.median_utc_us is None or f.p05_utc_us is None or f.p05_utc_us > horizon_us:
            beyond[f.norad_id] = utc_from_us(f.median_utc_us) if f.median_utc_us else None
            continue
        k = pos[f.norad_id]
        entries.append(_entry(f, k, inp, out, names, as_of_us))
    entries.sort(key=lambda e: (e.median_utc, e.norad_id))
    ranked = [_with_rank(e, r + 1) for r, e in enumerate(entries)]
    if record and forecasts:
        store.add_predictions(_record(f, as_of) for f in forecasts)
    timings["total_s"] = time.perf_counter() - t0
    return WatchResult(
        as_of_utc=as_of,
        horizon_days=days,
        objects=ranked,
        flagged=flagged,
        screened=len(inp),
        candidates=int(cand.size),
        engine=engine,
        seed=seed,
        samples=samples,
        space_weather=atm.description,
        timings_s=timings,
        screen=out,
        beyond=beyond,
    )


def _entry(
    f: Forecast,
    k: int,
    inp: ScreenInput,
    out: ScreenOutput,
    names: dict[int, tuple[str, str]],
    as_of_us: int,
) -> WatchEntry:
    from deorbit.spacecraft import known_spacecraft

    craft = known_spacecraft(f.norad_id)
    screen_us = int(out.reentry_utc_us[k])
    assert f.median_utc_us is not None
    return WatchEntry(
        rank=0,
        norad_id=f.norad_id,
        name=names[f.norad_id][0],
        intl_designator=names[f.norad_id][1],
        median_utc=utc_from_us(f.median_utc_us),
        p05_utc=utc_from_us(f.p05_utc_us) if f.p05_utc_us is not None else None,
        p95_utc=utc_from_us(f.p95_utc_us) if f.p95_utc_us is not None else None,
        inclination_deg=float(inp.inclination_deg[k]),
        perigee_alt_km=float(out.perigee_alt_km[k]),
        apogee_alt_km=float(out.apogee_alt_km[k]),
        last_epoch_utc=utc_from_us(int(inp.epoch_utc_us[k])),
        element_age_days=(as_of_us - int(inp.epoch_utc_us[k])) / _US_PER_DAY,
        screen_reentry_utc=utc_from_us(screen_us) if screen_us >= 0 else None,
        bc_m2_per_kg=f.bc_m2_per_kg,
        bc_method=f.bc_method,
        engine=f.engine,
        mass_kg=craft.mass_kg if craft else None,
        area_m2=craft.area_m2 if craft else None,
    )


def _with_rank(e: WatchEntry, rank: int) -> WatchEntry:
    from dataclasses import replace

    return replace(e, rank=rank)


def _record(f: Forecast, as_of: datetime) -> PredictionRecord:
    def opt(us: int | None) -> datetime | None:
        return utc_from_us(us) if us is not None else None

    return PredictionRecord(
        norad_id=f.norad_id,
        as_of_utc=as_of,
        element_epoch_utc=utc_from_us(f.element_epoch_utc_us),
        bc_m2_per_kg=f.bc_m2_per_kg,
        bc_method=f.bc_method,
        space_weather_mode=f.space_weather_mode,
        space_weather_version=f.space_weather_version,
        seed=f.seed,
        samples=f.samples,
        engine=f.engine,
        code_version=code_version(),
        median_utc=opt(f.median_utc_us),
        p05_utc=opt(f.p05_utc_us),
        p95_utc=opt(f.p95_utc_us),
        result_json=json.dumps(f.result, sort_keys=True, default=str),
    )
