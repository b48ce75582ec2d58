"""Manoeuvre detection in an element-set history, and the manoeuvre-free arcs between them.

What it does
    From one object's element history (a sorted ``list[ElementSet]``) it computes the mean
    semi-major axis series a(t), estimates the TLE noise of a, flags single bad sets
    (outliers), and finds the manoeuvres: altitude *rises* (drag can only lower an orbit) and
    propulsive *lowering* (a decay many times faster than the local drag trend).  What is left
    is cut into manoeuvre-free arcs, the stretches over which a ballistic coefficient can be fitted
    (:mod:`deorbit.bcfit`).

Semi-major axis
    a is the *geometric* mean semi-major axis of :func:`deorbit.decay.mean_orbit_from_element_set`
    (SGP4 over one revolution, a = <r> / (1 + e^2 / 2)), the very quantity the decay propagator
    integrates, so a fit compares like with like.  It costs ~0.1 ms per set (10,000 ISS sets
    in ~1 s), so no faster approximation is used.  (Kepler's law on the Kozai mean motion is
    offset from it by -0.25 km for the ISS with 0.0015 km scatter, but the offset depends on
    e and i, so it is not used.)

Method (all thresholds in units of the local noise sigma)
    1. *Noise.*  Residuals about a local straight line through each point's two neighbours,
       r_i = a_i - interp(a_{i-1}, a_{i+1}; t_i), are dominated by TLE noise (the curvature of
       a drag decay over a day is far smaller).  sigma_i = 1.4826 MAD(r) / sqrt(1.5) over
       +-25 sets around i (the 1.5 converts the three-point residual variance to one point's),
       floored at half the global value and at 1 m.  MAD makes the estimate blind to the
       occasional step or bad set.
    2. *Outliers.*  Each set is compared with the robust (Theil-Sen) line through the ``m``
       sets before it, extrapolated to its epoch, and with the one through the ``m`` sets
       after it.  A bad set disagrees with *both*, in the same direction, by more than
       ``k_outlier`` sigma; a set just after a manoeuvre agrees with the sets after it, so it
       is not an outlier.  Outliers are left out of everything that follows.
    3. *Impulsive manoeuvres* (ISS reboosts, collision avoidance): across each gap between
       consecutive sets, the jump J = R(t_gap) - L(t_gap) between the robust lines of the ``m``
       sets after and before it.  J > ``k_step`` sigma_J (sigma_J = 1.25 sigma sqrt(f_L + f_R),
       f the least-squares extrapolation variance factor, 1.25 the median's efficiency) is a
       raise; only the largest J of a cluster of neighbouring
       gaps is kept (sigma_J includes each line's extrapolation uncertainty, and a
       curvature allowance |s_R - s_L| x half the window span).  A negative jump is a lowering only if it is also ``lowering_factor``
       times the drop the local decay rate gives over the gap.
    4. *Sustained manoeuvres* (electric-propulsion orbit raising and lowering): the robust
       local rate da/dt over +-``m`` sets (Theil-Sen, never across a detected step).  A rate
       above +``k_rate`` sigma_rate is a raise.  For lowering, the rate is divided by a
       reference density rho_ref(h) (the exponential atmosphere of Vallado 2013, Table 8-4) to
       give a drag-normalised rate q, whose passive value changes only with solar activity and
       the object's BC; its running median over +-60 days is the *drag trend*.  A rate whose q
       is more than ``lowering_factor`` times that trend, and faster than the trend rate by
       both ``k_rate`` sigma_rate and ``min_excess_rate_km_per_day``, is propulsive lowering.
       (Starlink disposal: 5-8 km/day at 390 km, against <= 2.5 km/day passive there.)
       Consecutive flagged sets form one manoeuvre; its Delta a is the change of a across it
       (drag included), and it must exceed ``k_step`` sigma.
    5. *Arcs.*  The sets between manoeuvres, cut at impulsive steps and with the sets inside
       sustained manoeuvres removed.

Accuracy (measured, docs/notes/bcfit.md)
    ISS: reboosts of >= ~0.1 km are found within the TLE gap in which they happened; no false
    detection from single bad sets in the synthetic tests.  Two burns within ``m`` sets of
    each other are reported as one.  Detection near the first and last ``m`` sets of a history
    uses one-sided windows and is less sensitive; in the last ``m`` sets a *lowering* (step or
    sustained) is only declared when sets with two-sided windows see it too, because the
    accelerating drag decay at the end of a truncated history looks like one from one side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from deorbit.decay import mean_orbit_from_element_set
from deorbit.elements import EARTH_RADIUS_KM, ElementSet
from deorbit.errors import InputError

ArrayF = npt.NDArray[np.float64]
_MAD_TO_SIGMA = 1.4826
_EPOCH0 = datetime(1970, 1, 1, tzinfo=UTC)

#: Vallado (2013) Table 8-4 exponential atmosphere: base altitude (km), density (kg/m^3),
#: scale height (km).  Used only for the *shape* rho(h) that normalises decay rates.
_VALLADO_TABLE = np.array(
    [
        (150.0, 2.070e-9, 22.523),
        (180.0, 5.464e-10, 29.740),
        (200.0, 2.789e-10, 37.105),
        (250.0, 7.248e-11, 45.546),
        (300.0, 2.418e-11, 53.628),
        (350.0, 9.518e-12, 53.298),
        (400.0, 3.725e-12, 58.515),
        (450.0, 1.585e-12, 60.828),
        (500.0, 6.967e-13, 63.822),
        (600.0, 1.454e-13, 71.835),
        (700.0, 3.614e-14, 88.667),
        (800.0, 1.170e-14, 124.64),
        (900.0, 5.245e-15, 181.05),
        (1000.0, 3.019e-15, 268.00),
    ]
)


@dataclass(frozen=True, slots=True)
class Manoeuvre:
    """One detected manoeuvre.

    ``epoch_utc`` is the best estimate of when it happened: the middle of the gap between the
    two sets that bracket an impulsive one, the start of a sustained one.  ``start_utc`` and
    ``end_utc`` bound it (the bracketing sets' epochs).  ``delta_a_km`` is the change of mean
    semi-major axis it caused (positive for a raise).  ``kind`` is ``"raise"`` or ``"lower"``.
    ``sustained`` is True for a manoeuvre spread over several sets (low thrust).
    """

    epoch_utc: datetime
    delta_a_km: float
    kind: Literal["raise", "lower"]
    start_utc: datetime
    end_utc: datetime
    sustained: bool = False


@dataclass(frozen=True, slots=True)
class Arc:
    """A manoeuvre-free stretch of the history: sets ``start_index..end_index`` (inclusive)."""

    start_index: int
    end_index: int
    start_utc: datetime
    end_utc: datetime

    @property
    def duration_days(self) -> float:
        return (self.end_utc - self.start_utc) / timedelta(days=1)

    @property
    def n_sets(self) -> int:
        return self.end_index - self.start_index + 1


@dataclass(frozen=True)
class ManoeuvreAnalysis:
    """Everything :func:`detect_manoeuvres` found, with the series it worked on.

    ``t_days`` are days since 1970-01-01 UTC, ``a_km`` the geometric mean semi-major axes,
    ``sigma_km`` the local noise of a, ``outlier`` the sets judged bad (True = bad),
    ``in_manoeuvre`` the sets inside sustained manoeuvres.
    """

    epochs_utc: list[datetime]
    t_days: ArrayF
    a_km: ArrayF
    sigma_km: ArrayF
    outlier: npt.NDArray[np.bool_]
    in_manoeuvre: npt.NDArray[np.bool_]
    manoeuvres: list[Manoeuvre]
    arcs: list[Arc]

    @property
    def noise_km(self) -> float:
        """Median TLE noise of a over the history (km)."""
        return float(np.median(self.sigma_km))


def mean_sma_series(history: Sequence[ElementSet]) -> tuple[ArrayF, ArrayF]:
    """(epoch in days since 1970-01-01 UTC, geometric mean semi-major axis in km) per set."""
    t = np.array([(es.epoch_utc - _EPOCH0) / timedelta(days=1) for es in history], dtype=float)
    a = np.array([mean_orbit_from_element_set(es).a_km[0] for es in history], dtype=float)
    return t, a


def reference_density_kg_m3(alt_km: npt.ArrayLike) -> ArrayF:
    """Vallado (2013) Table 8-4 exponential-atmosphere density at ``alt_km`` (clipped to the
    table's 150-1000 km); only its variation with height is used here."""
    h = np.clip(np.asarray(alt_km, dtype=float), 150.0, 1000.0)
    k = np.clip(np.searchsorted(_VALLADO_TABLE[:, 0], h, side="right") - 1, 0, None)
    base, rho0, scale = _VALLADO_TABLE[k].T
    return rho0 * np.exp(-(h - base) / scale)


# -- robust local lines ----------------------------------------------------------------------


def _windows(x: ArrayF, lo: int, hi: int) -> ArrayF:
    """Rows i of x[i + lo : i + hi + 1] (NaN beyond the ends), shape (n, hi - lo + 1)."""
    n = x.size
    pad_l, pad_r = max(0, -lo), max(0, hi)
    xp = np.concatenate([np.full(pad_l, np.nan), x, np.full(pad_r, np.nan)])
    w = sliding_window_view(xp, hi - lo + 1)
    start = lo + pad_l
    return w[start : start + n]


def _theil_sen(tw: ArrayF, aw: ArrayF, min_dt_days: float = 0.02) -> ArrayF:
    """Median of pairwise slopes in each row (NaN entries ignored), km/day."""
    iu, ju = np.triu_indices(tw.shape[1], k=1)
    dt = tw[:, ju] - tw[:, iu]
    da = aw[:, ju] - aw[:, iu]
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(dt > min_dt_days, da / dt, np.nan)
    out = np.full(tw.shape[0], np.nan)
    ok = np.any(np.isfinite(s), axis=1)
    if np.any(ok):
        out[ok] = np.nanmedian(s[ok], axis=1)
    return out


def _line_at(tw: ArrayF, aw: ArrayF, t_eval: ArrayF) -> tuple[ArrayF, ArrayF, ArrayF]:
    """Robust line through each row evaluated at ``t_eval``: (value, slope, variance factor).

    The variance factor f = 1/m + (t_eval - mean t)^2 / sum (t - mean t)^2 is the least-squares
    extrapolation variance in units of one set's noise variance (times ~1.57 for the median's
    efficiency): far extrapolations from short windows are uncertain, and treated so.
    """
    s = _theil_sen(tw, aw)
    s0 = np.where(np.isfinite(s), s, 0.0)
    vals = aw + s0[:, None] * (t_eval[:, None] - tw)
    out = np.full(tw.shape[0], np.nan)
    ok = np.any(np.isfinite(vals), axis=1)
    if np.any(ok):
        out[ok] = np.nanmedian(vals[ok], axis=1)
    cnt = np.sum(np.isfinite(tw), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        tbar = np.nansum(tw, axis=1) / cnt
        sxx = np.nansum((tw - tbar[:, None]) ** 2, axis=1)
        f = 1.0 / cnt + (t_eval - tbar) ** 2 / sxx
    f = np.where(np.isfinite(f) & (cnt >= 2), f, np.inf)
    return out, s, f


def _noise(t: ArrayF, a: ArrayF, m: int, half_window: int = 25) -> ArrayF:
    """Local TLE noise of a (km) about a smooth trend (see the module docstring)."""
    n = t.size
    if n < 3:
        return np.full(n, 1e-3)
    tw = np.concatenate([_windows(t, -m, -1), _windows(t, 1, m)], axis=1)
    aw = np.concatenate([_windows(a, -m, -1), _windows(a, 1, m)], axis=1)
    trend, _, _ = _line_at(tw, aw, t)
    r = np.abs(a - trend)
    r = np.where(np.isfinite(r), r, np.nanmedian(r))
    inflate = np.sqrt(1.0 + 1.57 / (2 * m))  # the trend's own noise (median of 2m points)
    glob = _MAD_TO_SIGMA * float(np.median(r)) / inflate
    local = _MAD_TO_SIGMA * np.nanmedian(_windows(r, -half_window, half_window), axis=1)
    local = local / inflate
    return np.maximum(np.maximum(local, 0.5 * glob), 1e-3)


def _runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    if not mask.any():
        return []
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1) - 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _to_datetime(t_days: float) -> datetime:
    return _EPOCH0 + timedelta(days=float(t_days))


# -- detection -------------------------------------------------------------------------------


def _check_history(history: Sequence[ElementSet]) -> None:
    if len(history) == 0:
        raise InputError("empty element history: no sets to analyse")
    ids = {es.norad_id for es in history}
    if len(ids) > 1:
        raise InputError(
            f"element history mixes objects {sorted(ids)}: give one object's sets at a time"
        )
    epochs = [es.epoch_utc for es in history]
    if any(b < c for b, c in zip(epochs[1:], epochs[:-1], strict=True)):
        raise InputError("element history is not sorted by epoch")


def detect_manoeuvres(
    history: Sequence[ElementSet],
    *,
    window_sets: int = 4,
    k_outlier: float = 5.0,
    k_step: float = 6.0,
    k_rate: float = 5.0,
    lowering_factor: float = 4.0,
    min_excess_rate_km_per_day: float = 0.1,
    trend_window_days: float = 60.0,
    min_delta_a_km: float = 0.1,
    series: tuple[ArrayF, ArrayF] | None = None,
) -> ManoeuvreAnalysis:
    """Find outliers, manoeuvres and manoeuvre-free arcs in one object's sorted history.

    ``window_sets`` (m) is the number of sets in each one-sided robust line; ``k_*`` are the
    detection thresholds in noise sigmas; ``lowering_factor`` how many times the local drag
    trend a decay must be to count as propulsive; manoeuvres changing a by less than
    ``min_delta_a_km`` are not reported (the multi-day wander of TLE-derived a reaches a few
    tens of metres, and 0.1 km biases a 30-day ISS BC fit by < 5 %).  ``series`` may pass a precomputed
    :func:`mean_sma_series` of ``history``.  See the module docstring for the method.
    Raises :class:`InputError` for an empty, unsorted or mixed history.
    """
    _check_history(history)
    t_all, a_all = series if series is not None else mean_sma_series(history)
    n = t_all.size
    epochs = [es.epoch_utc for es in history]
    m = max(2, min(window_sets, (n - 1) // 2))
    sigma_all = _noise(t_all, a_all, m)
    outlier = np.zeros(n, dtype=bool)
    if n >= 5:
        # outliers: compare with robust lines of the m sets on each side (two passes)
        for _ in range(2):
            keep = np.flatnonzero(~outlier)
            t, a = t_all[keep], a_all[keep]
            lv, _, fl = _line_at(_windows(t, -m, -1), _windows(a, -m, -1), t)
            rv, _, fr = _line_at(_windows(t, 1, m), _windows(a, 1, m), t)
            dl, dr = a - lv, a - rv
            both = np.isfinite(dl) & np.isfinite(dr) & (np.sign(dl) == np.sign(dr))
            sk = sigma_all[keep]
            big = (np.abs(dl) > k_outlier * sk * np.sqrt(1.0 + 1.57 * fl)) & (
                np.abs(dr) > k_outlier * sk * np.sqrt(1.0 + 1.57 * fr)
            )
            # an end point has one side only: it must disagree with that side by much more
            one = ~np.isfinite(dl) | ~np.isfinite(dr)
            dev = np.where(np.isfinite(dl), np.abs(dl), np.abs(dr))
            end_bad = one & (dev > 3.0 * k_outlier * sigma_all[keep])
            new = (both & big) | end_bad
            outlier[keep[new]] = True
            sigma_all = _noise(t_all[~outlier], a_all[~outlier], m)
            full = np.empty(n)
            full[~outlier] = sigma_all
            full[outlier] = np.interp(t_all[outlier], t_all[~outlier], sigma_all)
            sigma_all = full
    keep = np.flatnonzero(~outlier)
    t, a, sig = t_all[keep], a_all[keep], sigma_all[keep]
    nk = t.size
    manoeuvres: list[Manoeuvre] = []
    cut_after = np.zeros(nk, dtype=bool)  # a step between kept sets j and j + 1
    in_man = np.zeros(nk, dtype=bool)
    if nk >= 2 * m:
        # impulsive steps across each gap j | j+1
        t_gap = 0.5 * (t[:-1] + t[1:])
        lv, ls, fl = _line_at(_windows(t, -m + 1, 0)[:-1], _windows(a, -m + 1, 0)[:-1], t_gap)
        rv, rs, fr = _line_at(_windows(t, 1, m)[:-1], _windows(a, 1, m)[:-1], t_gap)
        jump = rv - lv
        # a curving decay (slope changing across the gap) biases the extrapolations
        reach = 0.5 * (
            t[np.minimum(np.arange(1, nk) + m - 1, nk - 1)]
            - t[np.maximum(np.arange(nk - 1) - m + 1, 0)]
        )
        bend = np.abs(np.where(np.isfinite(rs - ls), rs - ls, 0.0)) * 0.5 * reach
        sig_gap = np.maximum(sig[:-1], sig[1:])
        sig_j = 1.25 * sig_gap * np.sqrt(fl + fr)
        gap_days = np.maximum(t[1:] - t[:-1], 0.5)
        drag_drop = np.abs(np.where(np.isfinite(ls), ls, 0.0)) * gap_days
        up = (jump > k_step * sig_j + bend) & (jump > min_delta_a_km)
        down = (-jump > k_step * sig_j + bend) & (-jump > lowering_factor * drag_drop)
        down &= -jump > min_delta_a_km
        # the last m gaps see fewer than m sets after them: a drop there may be the drag decay
        # accelerating (density grows as exp(-dh/H)), so a lowering needs two-sided evidence
        down[max(nk - 1 - m, 0) :] = False
        flagged = np.where(np.isfinite(jump), up | down, False)
        for s, e in _runs(flagged):
            j = s + int(np.argmax(np.abs(jump[s : e + 1])))
            cut_after[j] = True
            kind: Literal["raise", "lower"] = "raise" if jump[j] > 0 else "lower"
            manoeuvres.append(
                Manoeuvre(
                    _to_datetime(t_gap[j]),
                    float(jump[j]),
                    kind,
                    epochs[keep[j]],
                    epochs[keep[j + 1]],
                )
            )
        # sustained manoeuvres: robust rate within step-free segments
        seg = np.concatenate([[0], np.cumsum(cut_after[:-1])]).astype(float)
        tw, aw, sw = _windows(t, -m, m), _windows(a, -m, m), _windows(seg, -m, m)
        other = sw != seg[:, None]
        tw = np.where(other, np.nan, tw)
        aw = np.where(other, np.nan, aw)
        rate = _theil_sen(tw, aw)
        span = np.nanmax(tw, axis=1) - np.nanmin(tw, axis=1)
        npts = np.sum(np.isfinite(tw), axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            sig_rate = (
                1.25 * sig * np.sqrt(12.0 / np.maximum(npts, 2)) / np.where(span > 0, span, np.nan)
            )
        valid = np.isfinite(rate) & np.isfinite(sig_rate) & (npts >= 3)
        rho = reference_density_kg_m3(a - EARTH_RADIUS_KM)
        q = np.where(valid, -rate / rho, np.nan)
        trend_q = np.full(nk, np.nan)
        lo = np.searchsorted(t, t - trend_window_days)
        hi = np.searchsorted(t, t + trend_window_days, side="right")
        for i in range(nk):
            w = q[lo[i] : hi[i]]
            w = w[np.isfinite(w)]
            if w.size:
                trend_q[i] = np.median(w)
        trend_rate = np.maximum(np.where(np.isfinite(trend_q), trend_q, 0.0), 0.0) * rho
        rising = valid & (rate > k_rate * sig_rate)
        excess = -rate - trend_rate
        lowering = (
            valid
            & (-rate > lowering_factor * trend_rate)
            & (excess > k_rate * sig_rate)
            & (excess > min_excess_rate_km_per_day)
        )
        # One-sided evidence at the end of a (truncated) history: the rate window of the last
        # m sets holds only sets before them, and the drag trend there is a one-sided median of
        # an accelerating decay.  A lowering is declared there only if it is also seen by sets
        # with full two-sided windows (its run reaches back before the last m sets).
        tail = nk - m
        for s_, e_ in _runs(lowering):
            if s_ >= tail:
                lowering[s_ : e_ + 1] = False
        for mask, kind in ((rising, "raise"), (lowering, "lower")):
            for s, e in _runs(mask):
                i0, i1 = max(s - 1, 0), min(e + 1, nk - 1)
                if seg[i0] != seg[i1]:  # never across a detected step
                    i0 = s if seg[s] == seg[i1] else i0
                    i1 = e if seg[e] == seg[i0] else i1
                da = float(a[i1] - a[i0])
                if abs(da) < min_delta_a_km:
                    continue
                if kind == "raise" and da <= k_step * sig[s]:
                    continue
                expected = float(np.mean(trend_rate[s : e + 1])) * (t[i1] - t[i0])
                if kind == "lower" and -da <= max(k_step * sig[s], lowering_factor * expected):
                    continue
                in_man[s : e + 1] = True
                manoeuvres.append(
                    Manoeuvre(
                        epochs[keep[i0]],
                        da,
                        kind,  # type: ignore[arg-type]
                        epochs[keep[i0]],
                        epochs[keep[i1]],
                        sustained=True,
                    )
                )
    manoeuvres.sort(key=lambda mv: mv.epoch_utc)
    # arcs: kept sets, cut at steps and at sustained manoeuvres, mapped back to all indices
    arcs: list[Arc] = []
    boundary = cut_after[:-1] | in_man[:-1] | in_man[1:]
    group = np.concatenate([[0], np.cumsum(boundary)])
    for g in np.unique(group[~in_man]):
        idx = np.flatnonzero((group == g) & ~in_man)
        if idx.size >= 2:
            i0, i1 = int(keep[idx[0]]), int(keep[idx[-1]])
            arcs.append(Arc(i0, i1, epochs[i0], epochs[i1]))
    in_man_all = np.zeros(n, dtype=bool)
    in_man_all[keep[in_man]] = True
    return ManoeuvreAnalysis(epochs, t_all, a_all, sigma_all, outlier, in_man_all, manoeuvres, arcs)


def manoeuvre_free_arcs(history: Sequence[ElementSet], *, min_days: float = 0.0) -> list[Arc]:
    """The manoeuvre-free arcs of at least ``min_days``; :class:`InputError` if there is none
    at all (a history that is all manoeuvres)."""
    found = detect_manoeuvres(history)
    if not found.arcs:
        raise InputError(
            f"no manoeuvre-free arc in the {len(history)} element sets of "
            f"{history[0].name} [{history[0].norad_id}]: every stretch contains a manoeuvre "
            f"({len(found.manoeuvres)} detected)"
        )
    return [arc for arc in found.arcs if arc.duration_days >= min_days]


def last_free_arc(
    history: Sequence[ElementSet],
    *,
    min_days: float = 0.0,
    analysis: ManoeuvreAnalysis | None = None,
) -> Arc:
    """The latest manoeuvre-free arc lasting at least ``min_days`` days.

    Raises :class:`InputError` when there is none (the message says how long the longest
    arc is).  ``analysis`` reuses a :func:`detect_manoeuvres` result of the same history.
    """
    found = analysis if analysis is not None else detect_manoeuvres(history)
    name = f"{history[0].name} [{history[0].norad_id}]"
    if not found.arcs:
        raise InputError(
            f"no manoeuvre-free arc in the {len(history)} element sets of {name}: every "
            f"stretch contains a manoeuvre ({len(found.manoeuvres)} detected)"
        )
    for arc in reversed(found.arcs):
        if arc.duration_days >= min_days:
            return arc
    longest = max(arc.duration_days for arc in found.arcs)
    raise InputError(
        f"no manoeuvre-free arc of {min_days:g} days or more in the history of {name} "
        f"(longest: {longest:.1f} days, {len(found.manoeuvres)} manoeuvres detected)"
    )


__all__ = [
    "Arc",
    "Manoeuvre",
    "ManoeuvreAnalysis",
    "detect_manoeuvres",
    "last_free_arc",
    "manoeuvre_free_arcs",
    "mean_sma_series",
    "reference_density_kg_m3",
]
