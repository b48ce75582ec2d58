"""Density providers for re-entry Monte Carlo: a fast zonal-mean NRLMSIS, space-weather index
sources with per-sample forecast errors, and the density-model error.

Index sources (:class:`IndexSource`)
    Everything that needs F10.7, F10.7A and Ap asks an index source for the values of whole
    UTC *days* (MSIS's inputs are daily: the previous day's F10.7, the 81-day centred mean
    F10.7A, the daily Ap).  :class:`ConstantIndices` returns constants;
    :class:`SpaceWeatherIndices` precomputes one row per day over the prediction span from
    :meth:`deorbit.spaceweather.SpaceWeather.indices` (observations before the as-of epoch,
    then forecast or persistence) so that each later lookup is an integer-day gather.  Both
    accept a ``sample`` array and can be :meth:`~IndexSource.perturbed` per Monte Carlo sample.

Solar and geomagnetic forecast error (:class:`SolarForecastError`)
    After the as-of day the indices are forecasts.  Each sample s draws one standard normal
    z_F(s) for the solar flux and one z_A(s) for Ap, and its forecast is multiplied by

        F10.7 x exp(sigma_F(L) z_F),   Ap x exp(sigma_A(L) z_A),
        sigma(L) = sigma_1 + (sigma_sat - sigma_1) (1 - exp(-(L - 1) / tau))   for L >= 1,

    with L the lead in days (L = 1 on the as-of day itself) and no change before it (the
    observed past is known).  F10.7A becomes the 81-day centred mean of the perturbed daily
    series (in factor form: F10.7A x the mean factor over the window, exact for a flat flux).
    One z per sample for the whole forecast means each sample is one consistent "alternative
    future" (higher or lower activity), which is what spreads the re-entry time: independent
    daily errors would average out over the months of decay and understate the spread.
    The factors are median-unbiased (median 1, mean exp(sigma^2 / 2)).

    Magnitudes.  sigma must describe the error of the *level* of activity that the drag
    integrates, not of single days.  Measured on the bundled SW-All.csv 1958-2025 for this
    package's persistence forecast (81-day mean F10.7, 27-day mean Ap before T; see
    docs/notes/density.md): the rms of ln(mean observed / forecast) over the first L days is
    0.13 (L = 10), 0.11 (27-90), 0.13 (180), 0.16 (365) for F10.7, and 0.42 (10), 0.32
    (27-365) for Ap; single days scatter more (F10.7 0.15-0.29, Ap 0.7-0.77).  Published
    skill agrees: autoregressive F10.7 forecasts have rms errors growing from 5 % at 1 day to
    20 % at 10 days (Lean, Picone, Emmert & Moore 2009, JGR 114, A07301,
    doi:10.1029/2009JA014285); 13-month-smoothed F10.7 forecasts 1-24 months ahead have rms
    errors of 5-27 sfu, i.e. up to ~20 % (Petrova et al. 2021, ApJS 254, 9); SWPC's 27/45-day
    outlooks beat persistence only for the first days, and Vallado & Finkleman (2014, Acta
    Astronaut. 95, 141) show that the flux forecast dominates long-term drag prediction error.
    Defaults: F10.7 sigma 0.05 -> 0.18 (tau 60 d), Ap 0.20 -> 0.35 (tau 10 d).

Fast density (:class:`ZonalMeanDensity`)
    The density at a geodetic (lat, alt) from the shipped table of the zonal and local-time
    mean NRLMSIS ln rho (``deorbit.atmosphere``; altitude x latitude x day of year x F10.7A x
    F10.7/F10.7A x Ap).  The diurnal bulge is *averaged out*: the local density differs from
    the local-time mean by tens of % (day side higher), but the orbit average of a
    near-circular orbit visits all local times each revolution, and its remaining dependence
    on the node's local time (a few %) averages out over the node-precession cycle (~60 days
    for the ISS).  Measured effects are in docs/notes/density.md.  Day of year is the integer
    day (as pymsis uses); daily Ap only (no storm-time 3-hourly history).

    Method: points are grouped by (sample, UTC day) -> one set of indices per group.  The doy
    interpolation (8-node trigonometric) is done once per day of year and process and kept
    (ZonalMeanDensity doc); each group's cubic-Lagrange weights over (F10.7A, ratio, Ap) (64
    of the 594 table entries) are contracted with the altitude x latitude nodes it needs --
    one float32 matrix product over all groups when they share a day of year (samples in
    step), else one gather of each group's own altitude window (samples at different
    epochs, kept per sample while its day and window hold); each point then needs a 4 x 4
    cubic interpolation in altitude and latitude.
    Calls with one point per sample (Cowell) or <= 64 points keep each sample's grid for its
    current day across calls.  Measured at (N = 1000 samples, K = 24 nodes): 1.1-2.9 M
    points/s, 18-48x pymsis 2.1 and 5-9x pymsis NRLMSISE-00 in the same run (shared
    machine; benchmarks/bench_density.py).  Accuracy vs pymsis's local-time mean over
    150-600 km: 0.2-0.4 % rms, < 2 % max; vs the local (local-time-resolved) density:
    23-34 % rms, the diurnal bulge.  ISS orbit-averaged da/dt over a 60-day node cycle:
    +0.2 ... +1.2 % (docs/notes/density.md).

Exact reference (:class:`MsisPointDensity`)
    pymsis at every point with the indices of the same index source, so fast and reference
    runs see identical space weather and perturbations.

Density-model error (:func:`density_model_error`)
    Per-sample multiplier on the density, lognormal with median 1.  NRLMSISE-00 and similar
    empirical models differ from accelerometer / orbit-derived densities by ~10-15 % (1 sigma)
    in quiet conditions and more in storms (Emmert 2015, Adv. Space Res. 56, 773, the review
    "Thermospheric mass density"; Bowman et al. 2008, AIAA 2008-6438, JB2008 vs NRLMSISE-00
    standard deviations; Picone et al. 2002, JGR 107, 1468).  Default sigma_ln = 0.15.
"""

from __future__ import annotations

import functools
import math
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from deorbit.atmosphere import (
    _msis_version,
    _trig_weights,
    load_density_model,
    msis_density_kg_m3,
    to_datetime64_utc,
)
from deorbit.spaceweather import SpaceWeather

__all__ = [
    "ConstantIndices",
    "ForecastErrorDraw",
    "IndexSource",
    "MsisPointDensity",
    "PerturbedIndices",
    "SolarForecastError",
    "SpaceWeatherIndices",
    "ZonalMeanDensity",
    "day_number",
    "density_model_error",
]

ArrayF = npt.NDArray[np.float64]
IndexTriple = tuple[ArrayF, ArrayF, ArrayF]
#: Half-width (days) of the centred 81-day F10.7 mean.
_HALF81 = 40
#: "Steady for ever" (day number far beyond any prediction).
_FOREVER_DAY = 1 << 40


def day_number(t_utc: npt.ArrayLike) -> np.ndarray:
    """UTC day of each instant as an integer: days since 1970-01-01 (floor), int64."""
    return np.asarray(t_utc, dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)


def _flat(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``a`` broadcast to ``shape``, flattened (no broadcasting machinery when it has it)."""
    return a.ravel() if a.shape == shape else np.broadcast_to(a, shape).ravel()


def _day_of_year(day: np.ndarray) -> np.ndarray:
    """Integer day of year (1 = 1 January) of day numbers (days since 1970-01-01)."""
    d = np.asarray(day, dtype=np.int64).astype("datetime64[D]")
    return (d - d.astype("datetime64[Y]")).astype(np.int64) + 1


# ---- index sources ---------------------------------------------------------------------------


class IndexSource(ABC):
    """MSIS space-weather inputs per UTC day, optionally per Monte Carlo sample.

    Subclasses implement :meth:`daily_indices`.  ``as_of_day`` (day number, or None) is the
    first day whose indices are forecasts: perturbations apply from it on.
    """

    as_of_day: int | None = None

    @abstractmethod
    def daily_indices(self, day: np.ndarray, sample: np.ndarray | None = None) -> IndexTriple:
        """(F10.7 of the previous day, F10.7A, daily Ap) for integer ``day`` numbers.

        ``day`` and ``sample`` broadcast; the results have the broadcast shape.
        """

    def indices(self, t_utc: npt.ArrayLike, sample: np.ndarray | None = None) -> IndexTriple:
        """(F10.7, F10.7A, Ap) at ``datetime64`` instants (the values of their UTC day)."""
        return self.daily_indices(day_number(t_utc), sample)

    def steady_through_day(self, day: np.ndarray, sample: np.ndarray | None = None) -> np.ndarray:
        """Last day number through which the indices stay those of ``day`` (per sample).

        ``day`` itself where nothing is promised (this default).  Lets the long-term
        integrator take longer steps where the inputs do not change from day to day
        (:func:`deorbit.decay.propagate_decay`, ``max_steady_step_days``).
        """
        return np.broadcast_to(
            np.asarray(day, dtype=np.int64),
            np.broadcast_shapes(np.shape(day), np.shape(sample) if sample is not None else ()),
        )

    def perturbed(self, draw: ForecastErrorDraw) -> PerturbedIndices:
        """This source with per-sample forecast errors ``draw`` applied after ``as_of_day``."""
        return PerturbedIndices(self, draw)


class ConstantIndices(IndexSource):
    """Constant F10.7 (sfu), F10.7A (sfu) and daily Ap, e.g. for cross-checks with peers.

    ``as_of_utc`` (optional) marks where the "forecast" starts, needed only for
    :meth:`perturbed`.
    """

    def __init__(
        self, f107_sfu: float, f107a_sfu: float, ap: float, *, as_of_utc: object | None = None
    ) -> None:
        self.f107_sfu, self.f107a_sfu, self.ap = float(f107_sfu), float(f107a_sfu), float(ap)
        if as_of_utc is not None:
            self.as_of_day = int(day_number(to_datetime64_utc(as_of_utc)))

    def daily_indices(self, day: np.ndarray, sample: np.ndarray | None = None) -> IndexTriple:
        shape = np.broadcast_shapes(np.shape(day), np.shape(sample) if sample is not None else ())
        return (
            np.full(shape, self.f107_sfu),
            np.full(shape, self.f107a_sfu),
            np.full(shape, self.ap),
        )

    def steady_through_day(self, day: np.ndarray, sample: np.ndarray | None = None) -> np.ndarray:
        shape = np.broadcast_shapes(np.shape(day), np.shape(sample) if sample is not None else ())
        return np.full(shape, _FOREVER_DAY, dtype=np.int64)


class SpaceWeatherIndices(IndexSource):
    """Indices from a :class:`~deorbit.spaceweather.SpaceWeather` record as known at an epoch.

    One row per day from ``first_utc`` (default: 400 days before ``as_of_utc``) to
    ``last_utc`` (default: 3700 days after, covering ``predict_reentry``'s 3650-day limit) is
    computed once with ``sw.indices(..., as_of_utc=as_of_utc, mode=mode)`` (the as-of rule:
    observations before the as-of day, then the file's forecast or persistence;
    ``mode="observed"`` is a hindcast with the file as it stands).  Lookups are integer-day
    gathers; days outside the span raise ``ValueError``.  ``warnings`` carries the record's
    staleness notes for the span.
    """

    def __init__(
        self,
        sw: SpaceWeather,
        as_of_utc: object,
        mode: Literal["asof", "observed"] = "asof",
        *,
        first_utc: object | None = None,
        last_utc: object | None = None,
    ) -> None:
        as_of = to_datetime64_utc(as_of_utc)
        self.as_of_day = int(day_number(as_of))
        first = (
            self.as_of_day - 400
            if first_utc is None
            else int(day_number(to_datetime64_utc(first_utc)))
        )
        last = (
            self.as_of_day + 3700
            if last_utc is None
            else int(day_number(to_datetime64_utc(last_utc)))
        )
        if last < first:
            raise ValueError("last_utc precedes first_utc")
        days = np.arange(first, last + 1, dtype=np.int64)
        ind = sw.indices(
            days.astype("datetime64[D]").astype("datetime64[ns]"), as_of_utc=as_of, mode=mode
        )
        self.first_day = first
        self.f107_sfu = np.asarray(ind.f107_sfu, dtype=float)
        self.f107a_sfu = np.asarray(ind.f107a_sfu, dtype=float)
        self.ap = np.asarray(ind.ap_daily, dtype=float)
        self.warnings = ind.warnings
        self.mode = mode
        # last row of the run of equal rows each row belongs to (equal to 1e-9 relative: the
        # 81-day means of a constant persistence series differ in the last bits)
        rows = np.stack([self.f107_sfu, self.f107a_sfu, self.ap])
        same = np.all(np.abs(np.diff(rows, axis=1)) <= 1e-9 * np.abs(rows[:, 1:]), axis=0)
        breaks = np.append(np.flatnonzero(~same), days.size - 1)
        self._steady_end = breaks[np.searchsorted(breaks, np.arange(days.size))]

    def daily_indices(self, day: np.ndarray, sample: np.ndarray | None = None) -> IndexTriple:
        k = np.asarray(day, dtype=np.int64) - self.first_day
        if k.size and (k.min() < 0 or k.max() >= self.f107_sfu.size):
            lo = np.datetime64(self.first_day, "D")
            hi = np.datetime64(self.first_day + self.f107_sfu.size - 1, "D")
            raise ValueError(f"dates outside the precomputed space-weather span {lo} .. {hi}")
        if sample is not None:
            k = np.broadcast_to(k, np.broadcast_shapes(k.shape, np.shape(sample)))
        return self.f107_sfu[k], self.f107a_sfu[k], self.ap[k]

    def steady_through_day(self, day: np.ndarray, sample: np.ndarray | None = None) -> np.ndarray:
        d = np.asarray(day, dtype=np.int64)
        if sample is not None:
            d = np.broadcast_to(d, np.broadcast_shapes(d.shape, np.shape(sample)))
        k = d - self.first_day
        inside = (k >= 0) & (k < self._steady_end.size)
        return np.where(inside, self.first_day + self._steady_end[np.where(inside, k, 0)], d)


@dataclass(frozen=True)
class SolarForecastError:
    """Lognormal forecast errors of F10.7 (and F10.7A) and Ap growing with lead time.

    sigma(L) = sigma_1 + (sigma_sat - sigma_1) (1 - exp(-(L - 1) / tau)) in ln for lead
    L >= 1 day, 0 before the as-of day.  Defaults and sources: module docstring.
    """

    f107_sigma_ln_1day: float = 0.05
    f107_sigma_ln_sat: float = 0.18
    f107_growth_days: float = 60.0
    ap_sigma_ln_1day: float = 0.20
    ap_sigma_ln_sat: float = 0.35
    ap_growth_days: float = 10.0

    def sigma_ln(self, lead_days: npt.ArrayLike) -> tuple[ArrayF, ArrayF]:
        """(sigma_F10.7, sigma_Ap) of ln(factor) at integer/real lead ``lead_days`` (L >= 1)."""
        lead = np.asarray(lead_days, dtype=float)
        out = []
        for s1, ss, tau in (
            (self.f107_sigma_ln_1day, self.f107_sigma_ln_sat, self.f107_growth_days),
            (self.ap_sigma_ln_1day, self.ap_sigma_ln_sat, self.ap_growth_days),
        ):
            grow = 1.0 - np.exp(-np.maximum(lead - 1.0, 0.0) / tau)
            out.append(np.where(lead >= 1.0, s1 + (ss - s1) * grow, 0.0))
        return out[0], out[1]

    def saturation_lead_days(self) -> int:
        """Lead (days) beyond which sigma is within 1e-4 (relative) of its saturation."""
        return int(np.ceil(10.0 * max(self.f107_growth_days, self.ap_growth_days))) + 1

    def draw(self, rng: np.random.Generator, n_samples: int) -> ForecastErrorDraw:
        """Standard normals for ``n_samples`` samples: first all z_F10.7, then all z_Ap."""
        z_f = rng.standard_normal(n_samples)
        z_a = rng.standard_normal(n_samples)
        return ForecastErrorDraw(self, z_f, z_a)


@dataclass(frozen=True)
class ForecastErrorDraw:
    """One Monte Carlo draw of :class:`SolarForecastError`: z-scores per sample (shape (N,))."""

    model: SolarForecastError
    z_f107: ArrayF
    z_ap: ArrayF

    @property
    def n_samples(self) -> int:
        return int(np.size(self.z_f107))


class PerturbedIndices(IndexSource):
    """``base`` with each sample's forecast errors applied from ``base.as_of_day`` on.

    Tables of factors per sample and lead day are built once (N x ~700 values each): F10.7
    (lead of the previous day's flux), F10.7A (mean flux factor over the centred 81-day
    window, past days counting 1), Ap.  ``sample=None`` returns the unperturbed base.
    """

    def __init__(self, base: IndexSource, draw: ForecastErrorDraw) -> None:
        if base.as_of_day is None:
            raise ValueError("perturbations need an as-of epoch (e.g. ConstantIndices(as_of_utc=))")
        self.base, self.draw, self.as_of_day = base, draw, base.as_of_day
        n_sat = draw.model.saturation_lead_days()
        # m = flux/ap day - as_of_day over [-2H-1, n_sat + H]; lead L = m + 1 for m >= 0
        self._m0 = -2 * _HALF81 - 1  # columns below m0 + H see only past days: factor 1
        m = np.arange(self._m0, n_sat + _HALF81 + 1)
        sig_f, sig_a = draw.model.sigma_ln(m + 1.0)
        z_f = np.asarray(draw.z_f107, dtype=float)[:, None]
        z_a = np.asarray(draw.z_ap, dtype=float)[:, None]
        self._flux = np.exp(sig_f[None, :] * z_f)  # (N, M)
        self._ap = np.exp(sig_a[None, :] * z_a)
        c = np.concatenate([np.zeros((z_f.shape[0], 1)), np.cumsum(self._flux, axis=1)], axis=1)
        w = 2 * _HALF81 + 1
        mean = np.ones_like(self._flux)
        mean[:, _HALF81 : m.size - _HALF81] = (c[:, w:] - c[:, :-w]) / w
        mean[:, m.size - _HALF81 :] = self._flux[:, -1:]  # saturated: window mean = the factor
        self._ctr = mean

    def _col(self, m: np.ndarray) -> np.ndarray:
        return np.clip(m - self._m0, 0, self._flux.shape[1] - 1)

    def steady_through_day(self, day: np.ndarray, sample: np.ndarray | None = None) -> np.ndarray:
        # the factors change every forecast day: a promise only for the unperturbed base
        if sample is None:
            return self.base.steady_through_day(day)
        return super().steady_through_day(day, sample)

    def daily_indices(self, day: np.ndarray, sample: np.ndarray | None = None) -> IndexTriple:
        f107, f107a, ap = self.base.daily_indices(day, sample)
        if sample is None:
            return f107, f107a, ap
        s = np.asarray(sample, dtype=np.int64)
        if s.size and (s.min() < 0 or s.max() >= self.draw.n_samples):
            raise ValueError(f"sample indices must lie in [0, {self.draw.n_samples})")
        m = np.asarray(day, dtype=np.int64) - self.as_of_day
        return (
            f107 * self._flux[s, self._col(m - 1)],
            f107a * self._ctr[s, self._col(m)],
            ap * self._ap[s, self._col(m)],
        )


# ---- density providers -----------------------------------------------------------------------


class _Stencil:
    """4-point Lagrange (local cubic) stencils on fixed nodes, with per-interval denominators.

    Same interpolant as ``deorbit.atmosphere._cubic_stencil`` (the two nodes either side,
    shifted inward at the ends; clamped, or with ``extrapolate`` linear in the end interval),
    computed with 1-D gathers and contiguous arithmetic.  For integer-valued nodes the interval
    search is a lookup on a 1-unit grid (no node lies strictly between two integers).
    """

    def __init__(self, nodes: ArrayF) -> None:
        self.nodes = np.asarray(nodes, dtype=float)
        n = self.nodes.size
        xs = self.nodes[np.arange(n - 3)[:, None] + np.arange(4)]
        inv = np.ones((n - 3, 4))
        for j in range(4):
            for m in range(4):
                if m != j:
                    inv[:, j] /= xs[:, j] - xs[:, m]
        self._xs = xs  # (n - 3, 4): the nodes of each stencil
        self._inv = inv  # (n - 3, 4): 1 / prod_{m != j} (x_j - x_m)
        self._inv_cols = [np.ascontiguousarray(inv[:, j]) for j in range(4)]
        self._lo, self._hi = float(self.nodes[0]), float(self.nodes[-1])
        self._lookup = None
        if np.all(self.nodes == np.round(self.nodes)):
            grid = np.arange(self.nodes[0], self.nodes[-1] + 1.0)
            k = np.searchsorted(self.nodes, grid, side="right") - 2
            self._lookup = np.clip(k, 0, n - 4)

    def __call__(self, x: ArrayF, *, extrapolate: bool = False) -> tuple[np.ndarray, ArrayF]:
        """First stencil node index k (P,) (nodes k..k+3) and weights (P, 4).

        w_j = prod_{m != j} (x - x_m) / (x_j - x_m), evaluated as (d1 (d2 d3), d0 (d2 d3),
        (d0 d1) d3, (d0 d1) d2) times the inverse denominators, d_m = x - x_m.  Small calls
        (the cost is their count of numpy calls) on whole (P, 4) arrays, large ones on
        contiguous columns; the same operations, the same numbers.
        """
        nodes = self.nodes
        xc = np.minimum(np.maximum(x, self._lo), self._hi)  # np.clip, without its wrapper
        if self._lookup is not None:
            k = self._lookup.take((xc - self._lo).astype(np.int64))
        else:
            k = np.clip(np.searchsorted(nodes, xc, side="right") - 2, 0, nodes.size - 4)
        if k.size <= 64:
            d = xc[:, None] - self._xs.take(k, axis=0)  # (P, 4): d0 .. d3
            dp = np.concatenate([d, d[:, 0::2] * d[:, 1::2]], axis=1)  # + d0 d1, d2 d3
            w = np.multiply(dp[:, _LEFT], dp[:, _RIGHT], order="C")  # C order, as the sums
            w *= self._inv.take(k, axis=0)
        else:
            d0, d1, d2, d3 = (xc - nodes.take(k + j) for j in range(4))
            p01, p23 = d0 * d1, d2 * d3
            inv = self._inv_cols
            w = np.empty((k.size, 4))
            w[:, 0] = d1 * p23 * inv[0].take(k)
            w[:, 1] = d0 * p23 * inv[1].take(k)
            w[:, 2] = p01 * d3 * inv[2].take(k)
            w[:, 3] = p01 * d2 * inv[3].take(k)
        if extrapolate and (xc != x).any():
            lo, hi = x < nodes[0], x > nodes[-1]
            if lo.any():
                s = (x[lo] - nodes[0]) / (nodes[1] - nodes[0])
                w[lo] = np.stack([1.0 - s, s, 0.0 * s, 0.0 * s], axis=1)
            if hi.any():
                s = (x[hi] - nodes[-1]) / (nodes[-2] - nodes[-1])
                w[hi] = np.stack([0.0 * s, 0.0 * s, s, 1.0 - s], axis=1)
        return k, w


#: Columns of (d0, d1, d2, d3, d0 d1, d2 d3) whose products are the Lagrange numerators.
_LEFT = np.array([1, 0, 4, 4])
_RIGHT = np.array([5, 5, 3, 2])


_NS_PER_DAY = 86_400 * 10**9


class _DoySlices:
    """The trigonometric day-of-year interpolant of one table, kept row by row.

    A row is ln rho of one activity context on the whole alt x lat grid at one day-of-year
    node (float32, n_grid values).  Rows are built on first use and never evicted; they sit
    one after the other in ``pool`` in the order they were built (``row_of[node, context]``
    says where; -1: not built), so memory is taken only for rows that were asked for.  A
    deterministic prediction needs ~64 of a node's 594 contexts: the ISS run from 2025-11-29
    (~670 days) builds 15 900 rows (19 MB, ~0.07 s) where whole slices laid out by node cost
    ~0.8 s -- building all 594 contexts, and touching a few rows of every 0.7 MB slice faulted
    in nearly all of the 260 MB (numpy asks for huge pages on large arrays); peak memory of
    the process 102 MB instead of 343 MB.  A Monte Carlo whose samples use most contexts of
    a node builds its remaining rows in one go, as before.  Every row is computed by the same
    float32 operations whether it is built alone or with its whole slice, so values never
    depend on what was asked before (tested).  Shared by all providers of a process with the
    same table and step; a lock serialises building.
    """

    def __init__(self, raw: np.ndarray, step: int) -> None:
        n_doy, n_ctx, n_grid = raw.shape
        n_nodes = -(-365 // step) + 1  # last node at or beyond doy 366
        self.raw, self.step, self.n_ctx = raw, step, n_ctx
        # np.empty of this size is mmap-backed: only pages of rows actually built take memory
        self.pool = np.empty((n_nodes * n_ctx, n_grid), dtype=np.float32)
        self.row_of = np.full((n_nodes, n_ctx), -1, dtype=np.int64)
        self.complete = np.zeros(n_nodes, dtype=bool)
        self.n_rows = 0
        self._lock = threading.Lock()

    def build(self, nodes: np.ndarray, ctx: np.ndarray | None = None) -> None:
        """Build the rows of contexts ``ctx`` (G, C) at nodes ``nodes`` (G,) (all contexts
        of each node when None) that are not built yet.

        Calls of more than ``_ROWS_MAX_GROUPS`` groups (a Monte Carlo, whose samples use most
        contexts) complete whole nodes at once: later calls then need only the per-node check.
        """
        if self.complete[nodes].all():
            return
        if ctx is not None and ctx.shape[0] > _ROWS_MAX_GROUPS:
            ctx = None
        if ctx is None:
            todo_nodes, todo_ctx = nodes[~self.complete[nodes]], None
        else:
            missing = self.row_of[nodes[:, None], ctx] < 0
            if not missing.any():
                return
            todo_nodes = np.broadcast_to(nodes[:, None], ctx.shape)[missing]
            todo_ctx = ctx[missing]
        with self._lock:
            for j in np.unique(todo_nodes).tolist():
                self._build_node(j, None if todo_ctx is None else todo_ctx[todo_nodes == j])

    def _build_node(self, j: int, ctx: np.ndarray | None) -> None:
        have = self.row_of[j] >= 0
        cols = np.flatnonzero(~have) if ctx is None else np.unique(ctx)
        cols = cols[~have[cols]]  # (another thread may have built some meanwhile)
        if 2 * cols.size > self.n_ctx:
            cols = np.flatnonzero(~have)  # most of the slice: all that is missing
        if cols.size == 0:
            return
        n_doy = self.raw.shape[0]
        doy = 1.0 + j * self.step
        w = _trig_weights(n_doy, (doy - 1.0) * n_doy / 365.25).astype(np.float32)
        first = self.n_rows
        out = self.pool[first : first + cols.size]
        if cols.size == self.n_ctx:
            raw, flat = self.raw.reshape(n_doy, -1), out.reshape(-1)
            np.multiply(raw[0], w[0], out=flat)  # plain loops, not BLAS: no thread spin-up
            for k in range(1, n_doy):
                flat += raw[k] * w[k]
        else:
            src = self.raw[:, cols]  # (n_doy, C, n_grid): the same products, row by row
            np.multiply(src[0], w[0], out=out)
            for k in range(1, n_doy):
                out += src[k] * w[k]
        self.n_rows = first + cols.size
        self.row_of[j, cols] = np.arange(first, self.n_rows)
        self.complete[j] = bool(np.all(self.row_of[j] >= 0))


@functools.lru_cache(maxsize=2)
def _raw_table(version: float) -> np.ndarray:
    """The table as float32 (doy node, activity context, alt x lat), once per process: a
    context's grid is one contiguous row, so gathering the contexts a call uses copies whole
    rows."""
    ln_rho = load_density_model(version).ln_rho
    n_doy, n_alt, n_lat = ln_rho.shape[:3]
    raw = ln_rho.reshape(n_doy, n_alt * n_lat, -1).transpose(0, 2, 1)
    out = np.ascontiguousarray(raw, dtype=np.float32)
    out.flags.writeable = False
    return out


#: _DoySlices.build: calls with more groups than this build whole day-of-year nodes.
_ROWS_MAX_GROUPS = 8
#: Day-of-year slices per (MSIS version, doy step), see ZonalMeanDensity.
_SLICES: dict[tuple[float, int], _DoySlices] = {}
#: Altitude rows of a cached per-sample window (a near-circular revolution needs 4-6).
_WINDOW_ROWS = 6


class ZonalMeanDensity:
    """Fast :class:`~deorbit.drag.DensityProvider`: zonal/local-time-mean NRLMSIS (module doc).

    ``indices`` supplies F10.7, F10.7A and Ap per (UTC day, sample); ``model_version`` 2.1
    (NRLMSIS 2.1) or 0 (NRLMSISE-00) picks the shipped table.  Indices are clamped to the
    table (F10.7A 60-300 sfu, F10.7/F10.7A 0.6-2.1, Ap 0-280); altitudes outside 80-1060 km
    are extrapolated exponentially from the end intervals.  ``lon_deg`` only sets the shape.

    Day of year.  The table's 8-node trigonometric interpolation in day of year is evaluated
    once per *day-of-year node* and kept: nodes every ``doy_step_days`` days (doy 1,
    1 + step, ...); an integer day of year between two nodes is interpolated linearly (in
    ln rho) between their slices.  Default 1: one slice per integer day of year, exact
    (366 float32 slices of 594 activity-context rows, 0.7 MB; built row by row as calls
    need them, :class:`_DoySlices`; 260 MB once a Monte Carlo has used every row).  Step 2
    halves the memory (131 MB) for 0.005 % rms, 0.07 % worst error in rho, but doubles the
    rows each group gathers and is slower (measured in docs/notes/density.md).  Rows are never
    evicted and are shared by all providers of a process with the same table and step, so
    samples spread over years of epochs (a long Monte Carlo) never rebuild one.  Pickling
    (process pools) ships only the index source and settings; each process builds its own.

    Steady inputs.  :meth:`steady_through_day` passes on the index source's promise that the
    indices stay the same over a run of days; the long-term integrator then takes longer
    steps (:func:`deorbit.decay.propagate_decay`): this density has no daily longitude or UT
    structure, only the slow day-of-year terms.

    ``cache_days`` is accepted for backward compatibility and ignored.
    """

    def __init__(
        self,
        indices: IndexSource,
        *,
        model_version: float = 2.1,
        doy_step_days: int = 1,
        cache_days: int | None = None,
    ) -> None:
        if not 1 <= int(doy_step_days) <= 30:
            raise ValueError("doy_step_days must be 1..30")
        self.indices = indices
        self.version = _msis_version(model_version)
        self.doy_step_days = int(doy_step_days)
        self._setup()

    # -- construction / pickling ---------------------------------------------------------------

    def _setup(self) -> None:
        """Everything derived from the table (rebuilt after unpickling, not shipped)."""
        model = load_density_model(self.version)
        _, n_alt, n_lat = model.ln_rho.shape[:3]
        self._ctx_shape = model.ln_rho.shape[3:]
        self._n_ctx = int(np.prod(self._ctx_shape))
        self._n_lat = n_lat
        self._n_grid = n_alt * n_lat
        self._shape_al = (n_alt, n_lat)
        self._raw = _raw_table(self.version)
        self._alt = _Stencil(model.alt_nodes_km)
        self._lat = _Stencil(model.lat_nodes_deg)
        self._fa = _Stencil(model.f107a_nodes_sfu)
        self._ratio = _Stencil(model.f107_ratio_nodes)
        self._ap = _Stencil(model.ap_nodes)
        # slices are shared by every provider of this process with the same table and step
        # (a prediction's per-sample and nominal providers)
        key = (self.version, self.doy_step_days)
        if key not in _SLICES:
            _SLICES[key] = _DoySlices(self._raw, self.doy_step_days)
        self._slices = _SLICES[key]
        ctx_off = np.arange(4)
        n_r, n_a = self._ctx_shape[1:]
        self._ctx_off = (
            (ctx_off[:, None, None] * n_r + ctx_off[None, :, None]) * n_a + ctx_off[None, None, :]
        ).ravel()
        self._off16 = (ctx_off[:, None] * n_lat + ctx_off[None, :]).ravel()
        # per-sample grid cache (slot = sample + 1, slot 0 = sample None): day and ln rho
        self._c_day = np.full(1, -(2**62), dtype=np.int64)
        self._c_tab = np.zeros((1, self._n_grid), dtype=np.float32)
        # per-sample altitude-window cache (samples spread over days): day, first row, ln rho
        self._w_day = np.full(1, -(2**62), dtype=np.int64)
        self._w_a0 = np.zeros(1, dtype=np.int64)
        self._w_tab = np.zeros((1, _WINDOW_ROWS * n_lat), dtype=np.float32)

    def forget_samples(self) -> None:
        """Drop the per-sample grids and windows kept across calls (not the doy slices).

        For benchmarks that repeat one call and must not time cache hits; results are the
        same either way.
        """
        self._c_day[:] = -(2**62)
        self._w_day[:] = -(2**62)

    def steady_through_day(self, day: np.ndarray, sample: np.ndarray | None = None) -> np.ndarray:
        """Last day number through which this density stays a smooth function of time and
        place for each (``day``, ``sample``): its indices do not change (the zonal and
        local-time mean has no daily longitude or UT structure; the day of year varies
        slowly).  See :meth:`IndexSource.steady_through_day`."""
        return self.indices.steady_through_day(day, sample)

    def __getstate__(self) -> dict[str, object]:
        return {
            "indices": self.indices,
            "version": self.version,
            "doy_step_days": self.doy_step_days,
        }

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._setup()

    # -- day-of-year slices --------------------------------------------------------------------

    def _doy_nodes(self, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lower day-of-year node (G,) and the linear weight of the upper one (G,) per day."""
        d0 = _day_of_year(day) - 1
        node, rem = np.divmod(d0, self.doy_step_days)
        return node, rem / self.doy_step_days

    def _doy_table(self, doy: int) -> np.ndarray:
        """ln rho at integer day of year ``doy``: float32 (n_context, n_alt * n_lat)."""
        j, rem = divmod(int(doy) - 1, self.doy_step_days)
        f = rem / self.doy_step_days
        sl = self._slices
        sl.build(np.array([j, j + 1] if f else [j]))
        lo = sl.pool[sl.row_of[j]]
        return lo if f == 0.0 else (1.0 - f) * lo + f * sl.pool[sl.row_of[j + 1]]

    # -- contraction over the activity context -------------------------------------------------

    def _context_weights(
        self, f107: ArrayF, f107a: ArrayF, ap: ArrayF
    ) -> tuple[np.ndarray, np.ndarray]:
        """Flat table-context indices (n, 64) and cubic weights (n, 64) of each index triple."""
        _, n_r, n_a = self._ctx_shape
        fk, fw = self._fa(f107a)
        rk, rw = self._ratio(f107 / f107a)
        ak, aw = self._ap(ap)
        base = (fk * n_r + rk) * n_a + ak
        w = fw[:, :, None, None] * rw[:, None, :, None] * aw[:, None, None, :]
        return base[:, None] + self._ctx_off, w.reshape(base.size, 64)

    def _slabs(
        self, g_day: np.ndarray, g_sample: np.ndarray | None, lo: int, hi: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """ln rho on the flat alt x lat grid nodes ``lo:hi`` for each group (day, sample).

        Returns the slabs (n_groups, hi - lo) float32 stacked in doy-node order and ``rank``
        (group -> row).  Groups are split by their lower day-of-year node; for each node one
        float32 matrix product (groups x used columns) @ (used columns x nodes), the columns
        being the activity contexts the groups touch (64 cubic weights each) in the node's
        slice and, for days between nodes, the next node's slice (weights 1 - f and f).
        """
        f107, f107a, ap = (
            np.atleast_1d(np.asarray(x, dtype=float))
            for x in self.indices.daily_indices(g_day, g_sample)
        )
        flat, wctx = self._context_weights(f107, f107a, ap)
        node, frac = self._doy_nodes(g_day)
        two = self.doy_step_days > 1
        sl = self._slices
        sl.build(node, flat)
        if two:
            sl.build(node + 1, flat)
        if node.size == 1 or np.all(node == node[0]):
            order = np.arange(node.size)
            groups = [order]
        else:
            order = np.argsort(node, kind="stable")
            groups = np.split(order, np.flatnonzero(np.diff(node[order])) + 1)
        used = np.zeros(self._n_ctx, dtype=bool)
        parts = []
        for rows in groups:
            j = int(node[rows[0]])
            fr = flat[rows] if len(groups) > 1 else flat
            used[:] = False
            used[fr] = True
            cols = np.flatnonzero(used)
            u = cols.size
            pos = (np.cumsum(used) - 1).take(fr)
            wr = wctx[rows] if len(groups) > 1 else wctx
            f = frac[rows] if len(groups) > 1 else frac
            r_idx = np.arange(rows.size)[:, None]
            if not f.any():
                sub = sl.pool[sl.row_of[j, cols], lo:hi]
                w = np.zeros((rows.size, u), dtype=np.float32)
                w[r_idx, pos] = wr
            else:
                sub = sl.pool[sl.row_of[j : j + 2, cols].reshape(-1), lo:hi]
                w = np.zeros((rows.size, 2 * u), dtype=np.float32)
                w[r_idx, pos] = wr * (1.0 - f)[:, None]
                w[r_idx, pos + u] = wr * f[:, None]
            parts.append(w @ sub)
        if len(groups) == 1:
            return parts[0], order
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        return np.concatenate(parts), rank

    def _windows(
        self, g_day: np.ndarray, g_sample: np.ndarray | None, a0: np.ndarray, n_rows: int
    ) -> np.ndarray:
        """ln rho on ``n_rows`` altitude rows from ``a0`` (G,) (all latitudes) per group.

        For groups spread over many day-of-year nodes (no Python loop over nodes): the
        2 x 64 (node, context) grid rows of every group are gathered in one fancy index --
        within a context row the altitude window is one contiguous run of n_rows x n_lat
        floats -- and contracted with the group's weights.  Cost ~128 x n_rows x n_lat
        multiply-adds per group.
        """
        f107, f107a, ap = (
            np.atleast_1d(np.asarray(x, dtype=float))
            for x in self.indices.daily_indices(g_day, g_sample)
        )
        flat, wctx = self._context_weights(f107, f107a, ap)
        node, frac = self._doy_nodes(g_day)
        two = self.doy_step_days > 1
        sl = self._slices
        sl.build(node, flat)
        if two:
            sl.build(node + 1, flat)
        width = n_rows * self._n_lat
        buf = sl.pool.reshape(-1)
        view = np.lib.stride_tricks.as_strided(
            buf, shape=(buf.size - width + 1, width), strides=(buf.itemsize, buf.itemsize)
        )
        start = a0 * self._n_lat
        row0 = sl.row_of[node[:, None], flat] * self._n_grid + start[:, None]  # (G, 64)
        if two:
            row1 = sl.row_of[node[:, None] + 1, flat] * self._n_grid + start[:, None]
            rows = np.concatenate([row0, row1], axis=1)
            f = frac[:, None]
            w = np.concatenate([wctx * (1.0 - f), wctx * f], axis=1).astype(np.float32)
        else:
            rows, w = row0, wctx.astype(np.float32)
        blk = view[rows]  # (G, 64 or 128, width)
        return np.matmul(w[:, None, :], blk)[:, 0]

    def _cached_windows(
        self, g_day: np.ndarray, g_sample: np.ndarray, a_min: np.ndarray, a_max: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_windows` of ``_WINDOW_ROWS`` rows, one kept per sample across calls.

        Group g (its sample's day ``g_day``) needs altitude rows ``a_min[g]`` to
        ``a_max[g] + 3``.  A sample's window is reused while its day is the same and it
        covers the rows needed: in the long-term decay, RK4 stages 2 and 3 share a day, and
        stage 4 of one step is the day of stage 1 of the next, so about half of the windows
        come from the cache.  Returns the windows (G, rows x n_lat) and their first rows a0.
        """
        n_rows = _WINDOW_ROWS
        slot = g_sample + 1
        need = int(slot.max()) + 1
        if need > self._w_day.size:
            grow = max(need, 2 * self._w_day.size) - self._w_day.size
            self._w_day = np.concatenate([self._w_day, np.full(grow, -(2**62))])
            self._w_a0 = np.concatenate([self._w_a0, np.zeros(grow, dtype=np.int64)])
            self._w_tab = np.concatenate(
                [self._w_tab, np.zeros((grow, self._w_tab.shape[1]), np.float32)]
            )
        c_a0 = self._w_a0.take(slot)
        hit = (self._w_day.take(slot) == g_day) & (c_a0 <= a_min) & (c_a0 + n_rows >= a_max + 4)
        spare = n_rows - (a_max - a_min + 4)
        a0 = np.where(hit, c_a0, np.clip(a_min - spare // 2, 0, self._shape_al[0] - n_rows))
        miss = np.flatnonzero(~hit)
        if miss.size == 0:
            return self._w_tab[slot], a0
        new = self._windows(g_day[miss], g_sample[miss], a0[miss], n_rows)
        if miss.size == slot.size:
            out = new
        else:
            out = self._w_tab[slot]
            out[miss] = new
        # keep one window per slot (the last of this call's misses for it)
        s_m = slot[miss]
        _, last = np.unique(s_m[::-1], return_index=True)
        pick = miss.size - 1 - last
        self._w_tab[s_m[pick]] = new[pick]
        self._w_day[s_m[pick]] = g_day[miss[pick]]
        self._w_a0[s_m[pick]] = a0[miss[pick]]
        return out, a0

    def _cached_grids(self, slot: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Full (alt x lat) grids for per-point (slot, day): table (rows, n_grid), row (P,).

        One grid per slot (sample + 1; 0 = unperturbed) for its latest day is kept across
        calls, so a Cowell integration recomputes a sample's grid once per UTC day.
        """
        n_grid = self._n_grid
        need = int(slot.max()) + 1
        if need > self._c_day.size:
            grow = max(need, 2 * self._c_day.size)
            self._c_day = np.concatenate([self._c_day, np.full(grow - self._c_day.size, -(2**62))])
            self._c_tab = np.concatenate(
                [self._c_tab, np.zeros((grow - self._c_tab.shape[0], n_grid), np.float32)]
            )
        stale = np.flatnonzero(self._c_day.take(slot) != day)
        if stale.size == 0:
            return self._c_tab, slot
        row = slot.copy()
        d0 = int(day[stale].min())
        span = int(day[stale].max()) - d0 + 1
        ukey, inv = np.unique(slot[stale] * span + (day[stale] - d0), return_inverse=True)
        g_day, g_slot = ukey % span + d0, ukey // span
        sample = None if np.all(g_slot == 0) else g_slot - 1
        if sample is not None and np.any(g_slot == 0):
            raise ValueError("mixing sample=None and sample indices in one call")
        slabs, rank = self._slabs(g_day, sample, 0, n_grid)
        n_slots = self._c_tab.shape[0]
        table = np.concatenate([self._c_tab, slabs])  # before the update: this call's view
        # keep one (the latest) day per slot; explicit, since fancy assignment with repeated
        # indices does not promise which value lands
        _, last = np.unique(g_slot[::-1], return_index=True)
        pick = g_slot.size - 1 - last
        self._c_tab[g_slot[pick]] = slabs[rank[pick]]
        self._c_day[g_slot[pick]] = g_day[pick]
        row[stale] = n_slots + rank.take(inv)
        return table, row

    def __call__(
        self,
        t_utc: np.ndarray,
        lat_deg: np.ndarray,
        lon_deg: np.ndarray,
        alt_km: np.ndarray,
        sample: np.ndarray | None = None,
    ) -> np.ndarray:
        t = np.asarray(t_utc, dtype="datetime64[ns]")
        day = t.view(np.int64) // _NS_PER_DAY
        lat = np.asarray(lat_deg, dtype=float)
        alt = np.asarray(alt_km, dtype=float)
        shapes = [day.shape, lat.shape, np.shape(lon_deg), alt.shape]
        if sample is not None:
            shapes.append(np.shape(sample))
        shape = day.shape
        if any(sh != shape for sh in shapes):
            shape = np.broadcast_shapes(*shapes)
        n_pts = math.prod(shape)
        if n_pts == 0:
            return np.zeros(shape)
        day_p, lat_p, alt_p = _flat(day, shape), _flat(lat, shape), _flat(alt, shape)
        ka, wa = self._alt(alt_p, extrapolate=True)
        kl, wl = self._lat(lat_p)
        n_l = self._n_lat
        # Small calls (<= 64 points: overhead-bound) and one point per sample (Cowell):
        # full-grid tables per sample cached across calls (recomputed once per sample and
        # UTC day).  Large calls with many points per sample (orbit averages of N samples x
        # K nodes): tables for this call only, on the altitude rows the call needs.
        per_sample = n_pts <= 64 or (sample is not None and np.size(sample) == n_pts)
        if per_sample:
            slot = (
                np.zeros(n_pts, dtype=np.int64)
                if sample is None
                else _flat(np.asarray(sample, dtype=np.int64), shape) + 1
            )
            if sample is not None and slot.size and slot.min() < 1:
                raise ValueError("sample indices must be >= 0")
            table, row = self._cached_grids(slot, day_p)
            base = row * table.shape[1] + ka * n_l + kl
        else:
            d0 = int(day_p.min())
            span = int(day_p.max()) - d0 + 1
            if sample is None:
                key = day_p - d0
            else:
                s_p = np.broadcast_to(np.asarray(sample, dtype=np.int64), shape).ravel()
                key = s_p * span + (day_p - d0)
            ukey, inv = np.unique(key, return_inverse=True)
            g_day = ukey % span + d0
            g_sample = None if sample is None else ukey // span
            node, _ = self._doy_nodes(g_day)
            if node.min() == node.max():
                # typical early in a Monte Carlo: all samples in step, one doy node
                a_lo, a_hi = int(ka.min()), int(ka.max()) + 4
                table, rank = self._slabs(g_day, g_sample, a_lo * n_l, a_hi * n_l)
                base = rank.take(inv) * table.shape[1] + (ka - a_lo) * n_l + kl
            else:
                # samples spread over days: each group's own altitude window, one gather
                n_g = g_day.size
                a_min = np.full(n_g, 1 << 30, dtype=np.int64)
                a_max = np.zeros(n_g, dtype=np.int64)
                np.minimum.at(a_min, inv, ka)
                np.maximum.at(a_max, inv, ka)
                n_rows = int((a_max - a_min).max()) + 4
                if g_sample is not None and n_rows <= _WINDOW_ROWS:
                    table, a0 = self._cached_windows(g_day, g_sample, a_min, a_max)
                else:
                    a0 = np.minimum(a_min, self._shape_al[0] - n_rows)
                    table = self._windows(g_day, g_sample, a0, n_rows)
                base = inv * table.shape[1] + (ka - a0.take(inv)) * n_l + kl
        # per point: 4 x 4 cubic in altitude and latitude
        vals = table.ravel().take(base[:, None] + self._off16)
        wal = (wa[:, :, None] * wl[:, None, :]).reshape(-1, 16)
        ln = np.einsum("pk,pk->p", vals, wal)
        return np.exp(ln).reshape(shape)


class MsisPointDensity:
    """Exact NRLMSIS (pymsis) at every point with indices from an :class:`IndexSource`.

    The reference for :class:`ZonalMeanDensity`: same inputs (daily F10.7 of the previous
    day, F10.7A, daily Ap; per-sample perturbations through ``sample``), local time resolved.
    ``version`` 2.1 or 0.  Cost ~16 us (2.1) / ~2.5 us (0) per point.
    """

    def __init__(self, indices: IndexSource, version: float = 2.1) -> None:
        self.indices = indices
        self.version = _msis_version(version)

    def __call__(
        self,
        t_utc: np.ndarray,
        lat_deg: np.ndarray,
        lon_deg: np.ndarray,
        alt_km: np.ndarray,
        sample: np.ndarray | None = None,
    ) -> np.ndarray:
        t = np.asarray(t_utc, dtype="datetime64[ns]")
        f107, f107a, ap = self.indices.daily_indices(day_number(t), sample)
        return msis_density_kg_m3(
            t, lat_deg, lon_deg, alt_km, f107, f107a, ap, version=self.version
        )


def density_model_error(rng: np.random.Generator, n: int, sigma_ln: float = 0.15) -> ArrayF:
    """Per-sample density multipliers exp(sigma_ln z), z ~ N(0, 1): ``density_scale`` input.

    Lognormal with median 1 (mean exp(sigma^2/2) = 1.011 for the default).  sigma_ln = 0.15
    represents NRLMSIS's ~15 % (1 sigma) error against measured densities in quiet
    conditions (Emmert 2015; Bowman et al. 2008; module docstring); use 0.10 for a
    well-calibrated model, 0.25-0.3 in storm periods.  One factor per sample for the whole
    prediction: the bias that matters over a re-entry lifetime is persistent.
    """
    if sigma_ln < 0:
        raise ValueError("sigma_ln must be >= 0")
    return np.exp(sigma_ln * rng.standard_normal(int(n)))
