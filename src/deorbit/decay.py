"""Long-term orbital decay by orbit-averaged (semi-analytic) integration of mean elements.

What it does
    Integrates the mean elements (a, e-vector, i, Omega, mean argument of latitude) of N
    samples at once under orbit-averaged drag (:func:`deorbit.drag.orbit_averaged_drag_rates`)
    and the J2 secular drift of node, perigee and mean anomaly
    (:func:`deorbit.gravity.j2_secular_rates_rad_s`), from the start epoch until the perigee
    of each sample reaches the handover altitude where the final, numerically integrated
    phase (:mod:`deorbit.cowell`) takes over.

Method
    Classical RK4 with a per-sample step: dt = min(``max_step_days``, ``max_da_km`` / |da/dt|,
    ``max_da_km`` / |a d(e-vector)/dt|), the rates taken from the step's first stage.  At 400 km
    the ISS loses ~0.1 km/day, so the one-day cap rules; below ~250 km the 2 km cap (a fraction
    of the 25-40 km scale height) shortens steps to a few revolutions.  The RK4 local error in a
    is then ~(dt / tau)^5 with tau = H / |da/dt| the density e-folding time: the ISS lifetime
    changes by < 0.1 % when both caps are halved (tests/test_decay.py).  Where the density
    provider promises inputs that do not change from day to day, the day cap may grow to
    ``max_steady_step_days`` (see :func:`propagate_decay`).  Samples step independently (each
    has its own time), so one slow sample costs no accuracy elsewhere.

    J2 moves the node (~ -5 deg/day for the ISS) and the perigee, which sweeps the orbit
    through local solar time and moves the perigee latitude: both enter the density through
    the quadrature points' positions.  J3 long-period eccentricity oscillations and lunisolar
    perturbations are not modelled (they change a near-circular orbit's lifetime by well under
    the density uncertainty; a 150 x 2000 km orbit's perigee by ~1 km over a month).

Elements
    ``a_km`` here is the *geometric* mean semi-major axis: the radius whose Kepler ellipse has
    the same time-averaged radius <r> = a (1 + e^2 / 2) as the real (J2-perturbed) motion, so
    that the altitudes the density sees are the ones the object flies at.  See
    :func:`mean_orbit_from_element_set`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from deorbit.drag import (
    DensityProvider,
    averaged_drag_rates,
    nodes_for_each,
    reference_scale_height_km,
)
from deorbit.elements import EARTH_RADIUS_WGS72_KM, ElementSet
from deorbit.gravity import MU_KM3_S2, R_EQ_KM, EarthClock, j2_secular_rates_rad_s

ArrayF = npt.NDArray[np.float64]
_DAY_S = 86400.0
_DAY_NS = 86_400 * 10**9


def to_datetime64(t: datetime | np.datetime64 | npt.ArrayLike) -> np.ndarray:
    """A tz-aware ``datetime`` (any zone) or datetime64 (UTC) as ``datetime64[ns]``."""
    if isinstance(t, datetime):
        if t.tzinfo is None:
            raise ValueError("naive datetime: give a tz-aware UTC instant")
        t = np.datetime64(int(round(t.timestamp() * 1e6)), "us")
    return np.asarray(t, dtype="datetime64[ns]")


def _add_seconds(t0: np.ndarray, seconds: npt.ArrayLike) -> np.ndarray:
    return t0 + np.round(np.asarray(seconds, dtype=float) * 1e9).astype("timedelta64[ns]")


@dataclass(frozen=True)
class MeanOrbit:
    """Mean elements of N samples, each at its own epoch (arrays of shape (N,)).

    ``mean_arg_lat_deg`` is the mean argument of latitude u_M = omega + M: it stays defined for
    circular orbits and carries the along-track phase that fixes *where* a re-entry happens.
    """

    epoch_utc: np.ndarray  # datetime64[ns], (N,)
    a_km: ArrayF
    e: ArrayF
    inc_deg: ArrayF
    raan_deg: ArrayF
    argp_deg: ArrayF
    mean_arg_lat_deg: ArrayF

    @classmethod
    def make(
        cls,
        epoch_utc: datetime | np.datetime64 | npt.ArrayLike,
        a_km: npt.ArrayLike,
        e: npt.ArrayLike,
        inc_deg: npt.ArrayLike,
        raan_deg: npt.ArrayLike = 0.0,
        argp_deg: npt.ArrayLike = 0.0,
        mean_arg_lat_deg: npt.ArrayLike = 0.0,
        n: int | None = None,
    ) -> MeanOrbit:
        """Broadcast scalars or arrays to N samples (N from the arrays, or ``n``)."""
        vals = [
            np.atleast_1d(np.asarray(x, dtype=float))
            for x in (a_km, e, inc_deg, raan_deg, argp_deg, mean_arg_lat_deg)
        ]
        t = np.atleast_1d(to_datetime64(epoch_utc))
        shape = np.broadcast_shapes(t.shape, *(v.shape for v in vals), (n or 1,))
        return cls(
            np.broadcast_to(t, shape).copy(), *(np.broadcast_to(v, shape).copy() for v in vals)
        )

    @property
    def n_samples(self) -> int:
        return int(self.a_km.shape[0])

    @property
    def perigee_alt_km(self) -> ArrayF:
        """a (1 - e) - R_eq (km), the conventional perigee height."""
        return self.a_km * (1.0 - self.e) - R_EQ_KM

    @property
    def apogee_alt_km(self) -> ArrayF:
        """a (1 + e) - R_eq (km)."""
        return self.a_km * (1.0 + self.e) - R_EQ_KM

    @property
    def period_s(self) -> ArrayF:
        return 2.0 * np.pi * np.sqrt(self.a_km**3 / MU_KM3_S2)


def mean_orbit_from_element_set(es: ElementSet, *, n_points: int = 72) -> MeanOrbit:
    """The starting mean orbit of an SGP4 element set.

    e, i, Omega, omega and M are the SGP4 (Brouwer) mean elements as published.  The semi-major
    axis is *not* taken from Kepler's law on the Kozai mean motion, nor even from SGP4's
    un-Kozai'd Brouwer mean a ("aodp", ``satrec.a``): both are theory-internal quantities that
    differ from the radius the object flies at by the constant (secular) part of the J2
    short-period terms.  Instead SGP4 is run over one revolution centred on the epoch and
    a = <r>_t / (1 + e^2 / 2), the radius whose Kepler ellipse has the same mean radius as
    SGP4's osculating motion.  For the ISS the three differ by a few km; the first is what
    drag feels (3 km of altitude is ~5 % of density at 400 km).
    """
    sat = es.to_satrec()
    period_min = 2.0 * math.pi / sat.no  # no: the un-Kozai (Brouwer) mean motion, rad/min
    frac = (np.arange(n_points) / n_points - 0.5) * period_min / 1440.0
    jd = np.full(n_points, sat.jdsatepoch)
    fr = sat.jdsatepochF + frac
    err, r, _ = sat.sgp4_array(jd, fr)
    if np.any(err):
        raise ValueError(f"SGP4 failed for {es.label()} (error codes {set(err.tolist())})")
    mean_r = float(np.mean(np.linalg.norm(r, axis=1)))
    e = float(sat.ecco)
    return MeanOrbit.make(
        es.epoch_utc,
        mean_r / (1.0 + 0.5 * e * e),
        e,
        math.degrees(sat.inclo),
        math.degrees(sat.nodeo),
        math.degrees(sat.argpo),
        math.degrees(sat.argpo + sat.mo),
    )


def brouwer_mean_a_km(es: ElementSet) -> float:
    """SGP4's Brouwer mean semi-major axis (km): the Kozai mean motion 'un-Kozai'd' by SGP4.

    Given for comparison with :func:`mean_orbit_from_element_set` (WGS-72 radius, as SGP4).
    """
    return float(es.to_satrec().a * EARTH_RADIUS_WGS72_KM)  # satrec.a is in Earth radii


@dataclass(frozen=True)
class DecayHistory:
    """The decay curve, one row per integration step, one column per sample."""

    t_utc: np.ndarray  # datetime64[ns], (n_rec, N)
    perigee_alt_km: ArrayF
    apogee_alt_km: ArrayF
    mean_alt_km: ArrayF  # a - R_eq


@dataclass(frozen=True)
class DecayResult:
    """State of every sample where the long-term phase stopped.

    ``handed_over`` is True where the perigee reached the handover altitude (or the decay
    per revolution the threshold); False where ``max_days`` ran out first.
    """

    orbit: MeanOrbit
    handed_over: np.ndarray
    history: DecayHistory
    n_steps: int
    n_density_points: int


def _rates(
    t_s: ArrayF,
    y: ArrayF,
    clock: EarthClock,
    bc: ArrayF,
    scale: ArrayF,
    density: DensityProvider,
    k_nodes: np.ndarray,
    sample: np.ndarray,
) -> ArrayF:
    """d/dt of the state rows (a, e cos w, e sin w, i, Omega, u_M), shape (6, N).

    Samples are grouped by their node count ``k_nodes`` (N,) so that each sample's rates
    depend on its own state only (not on which samples share the batch).
    """
    a, ex, ey, inc = y[0], y[1], y[2], y[3]
    e = np.hypot(ex, ey)
    argp = np.arctan2(ey, ex)
    out = np.empty_like(y)
    groups = np.unique(k_nodes)
    for k in groups:
        sel = slice(None) if groups.size == 1 else np.flatnonzero(k_nodes == k)
        dr = averaged_drag_rates(
            a[sel],
            e[sel],
            inc[sel],
            y[4][sel],
            argp[sel],
            bc[sel],
            scale[sel],
            clock if groups.size == 1 else clock.take(sel),
            t_s[sel],
            density,
            int(k),
            sample[sel],
        )
        out[0, sel] = dr.da_dt_km_s
        out[1, sel] = dr.dex_dt_per_s
        out[2, sel] = dr.dey_dt_per_s
        out[3, sel] = dr.dinc_dt_rad_s
        out[4, sel] = dr.draan_dt_rad_s
    raan_j2, argp_j2, m_dot = j2_secular_rates_rad_s(a, e, inc)
    out[1] -= ey * argp_j2
    out[2] += ex * argp_j2
    out[4] += raan_j2
    out[5] = m_dot + argp_j2
    return out


def propagate_decay(
    orbit: MeanOrbit,
    bc_m2_per_kg: npt.ArrayLike,
    density: DensityProvider,
    *,
    density_scale: npt.ArrayLike = 1.0,
    handover_alt_km: float = 180.0,
    max_decay_per_rev_km: float | None = None,
    max_perigee_drop_per_rev: float | None = None,
    handover_min_alt_km: float | None = None,
    max_days: float = 3650.0,
    max_step_days: float = 1.0,
    max_da_km: float = 2.0,
    n_nodes: int | None = None,
    record_history: bool = True,
    sample_index: npt.ArrayLike | None = None,
    max_steady_step_days: float | None = None,
) -> DecayResult:
    """Integrate N samples' mean elements until each perigee reaches ``handover_alt_km``.

    ``bc_m2_per_kg`` (Cd A / m) and ``density_scale`` broadcast to (N,).  A sample stops at the
    first of: perigee height a (1 - e) - R_eq <= ``handover_alt_km`` (the crossing is located
    by linear interpolation inside the step, error < 0.1 % of the step), decay per revolution
    >= ``max_decay_per_rev_km`` (if given), or ``max_days`` elapsed.  See the module docstring
    for the step control.  The returned orbit holds each sample's own stop epoch.

    Validity criterion for eccentric orbits (``max_perigee_drop_per_rev`` = f given)
        Then a perigee below ``handover_alt_km`` no longer stops a sample by itself: it stops
        when the averaged theory's assumption fails, i.e. when the perigee falls by more than
        f H(r_p) per revolution (H: :func:`deorbit.drag.reference_scale_height_km` at the
        perigee height), or when the perigee reaches ``handover_min_alt_km`` (a floor where the
        perigee pass itself removes a large part of the orbital energy).  The orbit average
        freezes the elements over one revolution; the drag per revolution depends on them
        mainly through the perigee density ~ exp(-r_p / H), so the averaged rates are good
        while r_p changes by a small fraction of H per revolution.  A near-circular orbit at
        160 km loses ~2.5 km (0.11 H) per revolution (ISS, NRLMSISE-00), so with f = 0.1 it
        still hands over at ~160 km; a 150 x 300 km orbit loses ~0.1 km of perigee per
        revolution and keeps averaging (correctly) for days.  If the step that crosses
        ``handover_alt_km`` ends with the criterion met, the handover is put at
        ``handover_alt_km`` exactly (interpolated), as without the criterion.

    Steady inputs (``max_steady_step_days``, default None: off)
        The day cap ``max_step_days`` keeps every UTC day's space-weather indices in the
        integration (RK4 stages every half step).  Where the density provider promises that
        its inputs do not change -- a method ``steady_through_day(day, sample)`` returning the
        last day number through which the density stays a smooth function of time (the
        zonal-mean :class:`deorbit.density.ZonalMeanDensity` with constant indices, or past
        the as-of window of a persistence forecast) -- the day cap grows to the end of that
        run, at most ``max_steady_step_days``.  Nothing is then skipped: the density varies
        only with the slow day-of-year terms.  Providers without the method (direct MSIS,
        whose longitude/UT structure the 2-day cap samples) are stepped as before.

    ``n_nodes`` fixes the quadrature nodes per revolution (default: :func:`nodes_for` of each
    sample's current a and e).  ``sample_index`` (N,) names the samples for the density
    provider (default 0..N-1; a caller that splits a Monte Carlo run into chunks passes the
    global indices).  Each sample's time runs from its own epoch and its steps, node count and
    rates depend on its own state only, so splitting the samples differently gives the same
    numbers.
    """
    n = orbit.n_samples
    bc = np.broadcast_to(np.asarray(bc_m2_per_kg, dtype=float), (n,)).copy()
    scale = np.broadcast_to(np.asarray(density_scale, dtype=float), (n,)).copy()
    sample = np.arange(n) if sample_index is None else np.asarray(sample_index).reshape(n)
    clock = EarthClock.at(orbit.epoch_utc)
    t = np.zeros(n)  # seconds since each sample's own epoch
    t_end = np.full(n, max_days * _DAY_S)
    argp = np.radians(orbit.argp_deg)
    y = np.stack(
        [
            orbit.a_km,
            orbit.e * np.cos(argp),
            orbit.e * np.sin(argp),
            np.radians(orbit.inc_deg),
            np.radians(orbit.raan_deg),
            np.radians(orbit.mean_arg_lat_deg),
        ]
    )
    active = np.ones(n, dtype=bool)
    handed = np.zeros(n, dtype=bool)
    hist: list[tuple[ArrayF, ...]] = []
    n_steps = 0
    n_points = 0

    def perigee(yy: ArrayF) -> ArrayF:
        return yy[0] * (1.0 - np.hypot(yy[1], yy[2])) - R_EQ_KM

    def record() -> None:
        if record_history:
            e = np.hypot(y[1], y[2])
            hist.append(
                (t.copy(), y[0] * (1 - e) - R_EQ_KM, y[0] * (1 + e) - R_EQ_KM, y[0] - R_EQ_KM)
            )

    relaxed = max_perigee_drop_per_rev is not None
    floor_km = handover_alt_km if handover_min_alt_km is None else handover_min_alt_km

    def averaging_fails(yy: ArrayF, rates: ArrayF) -> np.ndarray:
        # perigee drop per revolution >= f H(r_p); d r_p/dt = (1 - e) da/dt - a de/dt
        e = np.hypot(yy[1], yy[2])
        de = (yy[1] * rates[1] + yy[2] * rates[2]) / np.maximum(e, 1e-12)
        drop = -((1.0 - e) * rates[0] - yy[0] * de) * 2.0 * np.pi * np.sqrt(yy[0] ** 3 / MU_KM3_S2)
        return drop >= max_perigee_drop_per_rev * reference_scale_height_km(perigee(yy))

    steady = getattr(density, "steady_through_day", None) if max_steady_step_days else None
    day_cap_s = max_step_days * _DAY_S

    def day_cap(ta: ArrayF, c: EarthClock, sma: np.ndarray) -> ArrayF | float:
        if steady is None:
            return day_cap_s
        # seconds from each sample's time to the end of its run of steady days
        now_ns = c.origin_ns + np.rint(ta * 1e9).astype(np.int64)
        until = np.asarray(steady(now_ns // _DAY_NS, sample=sma), dtype=np.int64)
        room = (until + 1 - now_ns // _DAY_NS) * _DAY_S - (now_ns % _DAY_NS) * 1e-9
        return np.maximum(day_cap_s, np.minimum(room, max_steady_step_days * _DAY_S))

    already = perigee(y) <= (floor_km if relaxed else handover_alt_km)
    handed[already] = True
    active[already] = False
    record()
    idx = np.flatnonzero(active)
    clk = clock.take(idx)
    while idx.size:
        ya, ta = y[:, idx], t[idx]
        bca, sca, sma = bc[idx], scale[idx], sample[idx]
        if n_nodes:
            k_nodes = np.full(idx.size, n_nodes)
        else:
            k_nodes = nodes_for_each(ya[0], np.hypot(ya[1], ya[2]))
        n_points += 4 * int(k_nodes.sum())

        def f(tt: ArrayF, yy: ArrayF, bca=bca, sca=sca, sma=sma, k=k_nodes, c=clk) -> ArrayF:
            return _rates(tt, yy, c, bca, sca, density, k, sma)

        k1 = f(ta, ya)
        stop_now = np.zeros(idx.size, dtype=bool)
        if max_decay_per_rev_km is not None:
            period = 2.0 * np.pi * np.sqrt(ya[0] ** 3 / MU_KM3_S2)
            stop_now = np.abs(k1[0]) * period >= max_decay_per_rev_km
        if relaxed:
            stop_now |= (perigee(ya) <= handover_alt_km) & averaging_fails(ya, k1)
        de_abs = ya[0] * np.hypot(k1[1], k1[2])
        dt = np.minimum(day_cap(ta, clk, sma), max_da_km / np.maximum(np.abs(k1[0]), 1e-30))
        dt = np.minimum(dt, max_da_km / np.maximum(de_abs, 1e-30))
        dt = np.minimum(dt, np.maximum(t_end[idx] - ta, 0.0))
        half = 0.5 * dt
        k2 = f(ta + half, ya + k1 * half)
        k3 = f(ta + half, ya + k2 * half)
        k4 = f(ta + dt, ya + k3 * dt)
        y_new = ya + dt / 6.0 * (k1 + 2.0 * (k2 + k3) + k4)
        t_new = ta + dt
        rp_old, rp_new = perigee(ya), perigee(y_new)
        if relaxed:
            # crossing handover_alt_km with the criterion met at the step's end (k4: the rates
            # there), or crossing the floor: hand over at that altitude
            at_top = (rp_old > handover_alt_km) & (rp_new <= handover_alt_km)
            at_top &= averaging_fails(y_new, k4)
            level = np.where(at_top, handover_alt_km, floor_km)
            crossed = (at_top | (rp_new <= floor_km)) & ~stop_now
        else:
            level = np.full(idx.size, handover_alt_km)
            crossed = (rp_new <= handover_alt_km) & ~stop_now
        if np.any(crossed) or np.any(stop_now):
            frac = np.ones(idx.size)
            frac[crossed] = np.clip(
                (rp_old[crossed] - level[crossed]) / (rp_old[crossed] - rp_new[crossed]),
                0.0,
                1.0,
            )
            frac[stop_now] = 0.0
            y_new = ya + frac * (y_new - ya)
            t_new = ta + frac * dt
        y[:, idx] = y_new
        t[idx] = t_new
        done_ho = crossed | stop_now
        done = done_ho | (t_new >= t_end[idx])
        n_steps += 1
        record()
        if np.any(done):
            handed[idx[done_ho]] = True
            active[idx[done]] = False
            keep = ~done
            idx = idx[keep]
            clk = clk.take(keep)

    e = np.hypot(y[1], y[2])
    final = MeanOrbit(
        clock.utc(t),
        y[0].copy(),
        e,
        np.degrees(y[3]),
        np.mod(np.degrees(y[4]), 360.0),
        np.mod(np.degrees(np.arctan2(y[2], y[1])), 360.0),
        np.degrees(y[5]),
    )
    if hist:
        cols = [np.array(c) for c in zip(*hist, strict=True)]
        t_hist = (clock.origin_ns[None, :] + np.rint(cols[0] * 1e9).astype(np.int64)).view(
            "datetime64[ns]"
        )
        history = DecayHistory(t_hist, cols[1], cols[2], cols[3])
    else:
        empty = np.empty((0, n))
        history = DecayHistory(empty.astype("datetime64[ns]"), empty, empty, empty)
    return DecayResult(final, handed, history, n_steps, n_points)


def lifetime_days(result: DecayResult, start: MeanOrbit) -> ArrayF:
    """Days from each sample's start epoch to its handover (NaN where not handed over)."""
    days = (result.orbit.epoch_utc - start.epoch_utc).astype(np.int64) / 86400e9
    return np.where(result.handed_over, days, np.nan)


__all__ = [
    "DecayHistory",
    "DecayResult",
    "MeanOrbit",
    "brouwer_mean_a_km",
    "lifetime_days",
    "mean_orbit_from_element_set",
    "propagate_decay",
    "to_datetime64",
]
