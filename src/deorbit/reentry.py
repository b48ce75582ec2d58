"""Re-entry prediction: long-term decay, handover, Cowell final phase, re-entry epoch and place.

Pipeline (all stages vectorised over N samples)
    1. Start: an :class:`~deorbit.elements.ElementSet` becomes a geometric mean orbit
       (:func:`deorbit.decay.mean_orbit_from_element_set`: SGP4 mean e, i, Omega, omega, M;
       a from SGP4's time-averaged radius), or a :class:`~deorbit.decay.MeanOrbit` is given.
    2. Long-term: orbit-averaged mean-element integration under drag and J2
       (:func:`deorbit.decay.propagate_decay`) until averaging stops being valid: perigee
       below ``handover_alt_km`` (160 km) *and* a perigee drop per revolution of more than
       10 % of the scale height, or perigee at ``handover_min_alt_km`` (125 km).  A
       near-circular orbit meets this at ~150-160 km (there the ISS loses ~2.5 km per
       revolution and ~16 h remain); a 150 x 300 km orbit averages on for days (its perigee
       sinks ~0.1 km per revolution).  Plain rule (``handover_perigee_drop=None``): perigee at
       ``handover_alt_km``.  Measured on the ISS case (NRLMSISE-00): handing over at 200, 180 or
       160 km moves the 80 km epoch by < 9 min, 160 vs 180 km by 31 s and 1 deg; at 150 and
       140 km averaging starts to fail (+9 min).  Lower is faster: Cowell costs 2 density
       calls per 120 s of flight, the long-term phase 4 x 16 points per 2 days.)
    3. Handover: mean orbit -> state vector with the same mean radius
       (:func:`deorbit.cowell.osculating_from_mean`); the along-track phase comes from the
       integrated mean argument of latitude.
    4. Final phase: Cowell integration with J2-J4 and co-rotating-atmosphere drag down to
       ``stop_alt_km`` (default 80 km, geodetic) (:func:`deorbit.cowell.propagate_to_altitude`),
       ABM-8 with 120 s steps while drag is weak, RK4 for the last minutes.

What the numbers mean
    The epoch and place are those of the deterministic model for the given density,
    ballistic coefficient and space weather.  The along-track position after months of
    propagation is model-bound: a 1 % error in lifetime moves the re-entry by ~4 revolutions,
    so the latitude/longitude matter only together with the Monte Carlo spread of samples.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from deorbit.cowell import FinalTrack, osculating_from_mean, propagate_to_altitude
from deorbit.decay import (
    DecayHistory,
    MeanOrbit,
    mean_orbit_from_element_set,
    propagate_decay,
    to_datetime64,
)
from deorbit.drag import DensityProvider
from deorbit.elements import ElementSet

ArrayF = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ReentryResult:
    """Re-entry of N samples (arrays of shape (N,) unless noted).

    ``epoch_utc``/``lat_deg``/``lon_deg`` are where each sample's geodetic altitude reached
    ``stop_alt_km``; ``reentered`` is False (and those fields NaT/NaN) where ``max_days`` ran
    out first.
    ``final_track`` is the Cowell phase sampled about once a minute, (M, N);
    ``history`` the long-term decay curve (perigee, apogee and mean altitude per step);
    ``handover`` the mean orbit at the switch to Cowell.
    """

    start: MeanOrbit
    epoch_utc: np.ndarray
    lat_deg: ArrayF
    lon_deg: ArrayF
    reentered: np.ndarray
    final_track: FinalTrack
    history: DecayHistory
    handover: MeanOrbit
    stop_alt_km: float

    @property
    def days_after_start(self) -> ArrayF:
        """Days from the start epoch to re-entry, per sample."""
        return (self.epoch_utc - self.start.epoch_utc).astype(np.int64) / 86400e9


def _run_in_processes(jobs: list[tuple], workers: int) -> list:
    """Run batches in fresh ("spawn") worker processes with single-threaded BLAS.

    Forked children would inherit the parent's BLAS thread pool and oversubscribe the cores;
    spawned ones read ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS`` = 1 when they import numpy.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with single_thread_blas_env():
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            return list(pool.map(_run_batch, *zip(*jobs, strict=True)))


#: Environment variables that cap the BLAS/OpenMP thread pools numpy starts with.
BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@contextmanager
def single_thread_blas_env() -> Iterator[None]:
    """Set :data:`BLAS_THREAD_VARS` to 1 for processes spawned inside the block (they read
    them when they import numpy), then restore this process's environment as it was."""
    import os

    saved = {k: os.environ.get(k) for k in BLAS_THREAD_VARS}
    os.environ.update(dict.fromkeys(BLAS_THREAD_VARS, "1"))
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def predict_reentry(
    state0: ElementSet | MeanOrbit,
    epoch_utc: datetime | np.datetime64 | None,
    bc_m2_per_kg: npt.ArrayLike,
    density: DensityProvider,
    *,
    density_scale: npt.ArrayLike = 1.0,
    stop_alt_km: float = 80.0,
    handover_alt_km: float = 160.0,
    handover_min_alt_km: float = 125.0,
    handover_perigee_drop: float | None = 0.1,
    n_samples: int | None = None,
    max_days: float = 3650.0,
    max_step_days: float = 2.0,
    max_da_km: float = 4.0,
    max_steady_step_days: float | None = 6.0,
    cowell_max_step_s: float = 30.0,
    cowell_method: str = "abm",
    cowell_abm_step_s: float = 120.0,
    workers: int | None = None,
    chunk_size: int = 200,
) -> ReentryResult:
    """Predict when and where an object re-enters (reaches ``stop_alt_km``).

    ``state0`` is an element set (its epoch is used; ``epoch_utc``, if given, must equal it)
    or a :class:`MeanOrbit` (``epoch_utc``, if given, replaces its epochs).
    ``bc_m2_per_kg`` = Cd A / m and ``density_scale`` (density multiplier) broadcast to
    (N,) with N = ``n_samples`` or their common length: that is the Monte Carlo axis.
    ``handover_alt_km`` must lie above ``stop_alt_km``; ``max_step_days``/``max_da_km`` are the
    long-term step caps (defaults converge the ISS lifetime to < 0.1 %, see docs/notes/decay.md);
    where the density provider's inputs stay the same from day to day (its
    ``steady_through_day``: the fast zonal-mean provider with constant indices, or past the
    as-of window of a persistence forecast) the day cap grows to ``max_steady_step_days``
    (None: never).  ISS deterministic: 351 -> 150 long-term steps, re-entry epoch within
    0.02 % (the spread of the step choices themselves, docs/notes/decay.md).

    Handover to Cowell: a sample whose perigee is below ``handover_alt_km`` hands over when its
    perigee falls by more than ``handover_perigee_drop`` x H (reference scale height at the
    perigee) per revolution, or at the latest when the perigee reaches ``handover_min_alt_km``
    (raised to ``stop_alt_km`` + 5 km if needed).  Near-circular orbits meet the first condition
    at ~160 km (as before); eccentric ones average on while that is valid (a 150 x 300 km orbit
    for days), which is both cheaper and as accurate (docs/notes/decay.md).
    ``handover_perigee_drop=None`` restores the plain rule "perigee <= handover_alt_km".
    The final phase is ABM-8 with ``cowell_abm_step_s`` steps while drag is weak (120 s: the
    ISS 120 km epoch within 1.1 s of DOP853 at rtol 1e-10), RK4 after.

    Parallel Monte Carlo
        ``workers`` (default None: everything in this process as one batch) splits the samples
        into consecutive chunks of ``chunk_size`` and runs them on a
        :class:`concurrent.futures.ProcessPoolExecutor` with that many processes (1: the
        chunks one after the other here).  Every per-sample input is fixed before the split,
        each chunk names its samples by their global indices (for per-sample density
        perturbations), and each sample's arithmetic depends only on its own state, so the
        result is identical, bit for bit, whatever ``workers`` and ``chunk_size`` are
        (tests/test_reentry.py).  ``density`` must then be picklable (no lambdas).  Worth it
        from a few hundred samples: a process costs ~0.5 s to start and import.
    """
    if stop_alt_km >= handover_alt_km:
        raise ValueError(
            f"stop_alt_km {stop_alt_km} must be below handover_alt_km {handover_alt_km}"
        )
    if isinstance(state0, ElementSet):
        if epoch_utc is not None and to_datetime64(epoch_utc) != to_datetime64(state0.epoch_utc):
            raise ValueError("epoch_utc differs from the element set's epoch")
        start = mean_orbit_from_element_set(state0)
    else:
        start = state0
        if epoch_utc is not None:
            start = MeanOrbit.make(
                epoch_utc,
                start.a_km,
                start.e,
                start.inc_deg,
                start.raan_deg,
                start.argp_deg,
                start.mean_arg_lat_deg,
            )
    n = int(
        np.broadcast_shapes(
            (start.n_samples,), np.shape(bc_m2_per_kg), np.shape(density_scale), (n_samples or 1,)
        )[0]
    )
    if start.n_samples != n:
        start = MeanOrbit.make(
            start.epoch_utc,
            start.a_km,
            start.e,
            start.inc_deg,
            start.raan_deg,
            start.argp_deg,
            start.mean_arg_lat_deg,
            n=n,
        )
    bc = np.broadcast_to(np.asarray(bc_m2_per_kg, dtype=float), (n,)).copy()
    scale = np.broadcast_to(np.asarray(density_scale, dtype=float), (n,)).copy()
    params = _Params(
        stop_alt_km,
        handover_alt_km,
        min(max(handover_min_alt_km, stop_alt_km + 5.0), handover_alt_km),
        handover_perigee_drop,
        max_days,
        max_step_days,
        max_da_km,
        max_steady_step_days,
        cowell_max_step_s,
        cowell_method,
        cowell_abm_step_s,
    )
    if workers is None:
        parts = [_run_batch(start, bc, scale, np.arange(n), density, params)]
    else:
        if workers < 1 or chunk_size < 1:
            raise ValueError("workers and chunk_size must be >= 1")
        jobs = [
            (_take(start, sl), bc[sl], scale[sl], np.arange(n)[sl], density, params)
            for sl in (slice(i, min(i + chunk_size, n)) for i in range(0, n, chunk_size))
        ]
        if workers == 1 or len(jobs) == 1:
            parts = [_run_batch(*job) for job in jobs]
        else:
            parts = _run_in_processes(jobs, min(workers, len(jobs)))
    return ReentryResult(
        start=start,
        epoch_utc=np.concatenate([p.epoch_utc for p in parts]),
        lat_deg=np.concatenate([p.lat_deg for p in parts]),
        lon_deg=np.concatenate([p.lon_deg for p in parts]),
        reentered=np.concatenate([p.reentered for p in parts]),
        final_track=FinalTrack(
            *(_hcat([getattr(p.final_track, f) for p in parts], "nan") for f in _TRACK_FIELDS)
        ),
        history=DecayHistory(
            *(_hcat([getattr(p.history, f) for p in parts], "edge") for f in _HISTORY_FIELDS)
        ),
        handover=MeanOrbit(
            *(np.concatenate([getattr(p.handover, f) for p in parts]) for f in _ORBIT_FIELDS)
        ),
        stop_alt_km=stop_alt_km,
    )


_ORBIT_FIELDS = tuple(MeanOrbit.__dataclass_fields__)
_TRACK_FIELDS = tuple(FinalTrack.__dataclass_fields__)
_HISTORY_FIELDS = tuple(DecayHistory.__dataclass_fields__)


@dataclass(frozen=True)
class _Params:
    stop_alt_km: float
    handover_alt_km: float
    handover_min_alt_km: float
    handover_perigee_drop: float | None
    max_days: float
    max_step_days: float
    max_da_km: float
    max_steady_step_days: float | None
    cowell_max_step_s: float
    cowell_method: str
    cowell_abm_step_s: float


def _take(orbit: MeanOrbit, sel: slice | np.ndarray) -> MeanOrbit:
    return MeanOrbit(*(getattr(orbit, f)[sel] for f in _ORBIT_FIELDS))


def _hcat(blocks: list[np.ndarray], pad: str) -> np.ndarray:
    """Join (M_k, N_k) blocks side by side; shorter ones padded below with NaN/NaT ("nan")
    or by repeating their last row ("edge", as the decay history of a finished sample)."""
    if len(blocks) == 1:
        return blocks[0]
    m = max(b.shape[0] for b in blocks)
    out = []
    for b in blocks:
        if b.shape[0] < m:
            if pad == "edge" and b.shape[0]:
                fill = np.repeat(b[-1:], m - b.shape[0], axis=0)
            else:
                blank = np.datetime64("NaT") if b.dtype.kind == "M" else np.nan
                fill = np.full((m - b.shape[0], b.shape[1]), blank, dtype=b.dtype)
            b = np.concatenate([b, fill], axis=0)
        out.append(b)
    return np.concatenate(out, axis=1)


def _run_batch(
    start: MeanOrbit,
    bc: np.ndarray,
    scale: np.ndarray,
    sample: np.ndarray,
    density: DensityProvider,
    params: _Params,
) -> ReentryResult:
    """The whole pipeline for one batch of samples (``start`` etc. of shape (n,))."""
    n = start.n_samples
    decay = propagate_decay(
        start,
        bc,
        density,
        density_scale=scale,
        handover_alt_km=params.handover_alt_km,
        max_perigee_drop_per_rev=params.handover_perigee_drop,
        handover_min_alt_km=params.handover_min_alt_km,
        max_days=params.max_days,
        max_step_days=params.max_step_days,
        max_da_km=params.max_da_km,
        sample_index=sample,
        max_steady_step_days=params.max_steady_step_days,
    )
    ho = decay.orbit
    done = np.flatnonzero(decay.handed_over)  # samples still up after max_days skip Cowell
    epoch = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    lat, lon = np.full(n, np.nan), np.full(n, np.nan)
    reentered = np.zeros(n, dtype=bool)
    track = FinalTrack(epoch[None, :], lat[None, :], lon[None, :], np.full((1, n), np.nan))
    if done.size:
        sub = _take(ho, done)
        r, v = osculating_from_mean(sub)
        elapsed = (sub.epoch_utc - start.epoch_utc[done]).astype(np.int64) / 86400e9
        fin = propagate_to_altitude(
            r,
            v,
            sub.epoch_utc,
            bc[done],
            density,
            density_scale=scale[done],
            stop_alt_km=params.stop_alt_km,
            max_step_s=params.cowell_max_step_s,
            max_days=np.clip(params.max_days - elapsed, 1.0, 60.0),
            method=params.cowell_method,
            abm_step_s=params.cowell_abm_step_s,
            sample_index=sample[done],
        )
        epoch[done], lat[done], lon[done] = fin.epoch_utc, fin.lat_deg, fin.lon_deg
        reentered[done] = fin.reentered
        m = fin.track.t_utc.shape[0]
        cols = {}
        for name in _TRACK_FIELDS:
            src = getattr(fin.track, name)
            full = np.full((m, n), np.datetime64("NaT") if name == "t_utc" else np.nan, src.dtype)
            full[:, done] = src
            cols[name] = full
        track = FinalTrack(**cols)
    return ReentryResult(
        start=start,
        epoch_utc=epoch,
        lat_deg=lat,
        lon_deg=lon,
        reentered=reentered,
        final_track=track,
        history=decay.history,
        handover=ho,
        stop_alt_km=params.stop_alt_km,
    )
