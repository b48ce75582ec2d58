"""Screening: a fast lifetime estimate for every object, to find the few that need a full
Monte Carlo prediction.

Model: King-Hele's orbit-averaged decay in one density profile
    For an atmosphere whose density falls exponentially with scale height H around the
    perigee height h_p, the mean rates of a and e over one revolution are (King-Hele 1987,
    *Satellite Orbits in an Atmosphere*, eqs. 5.8-5.9, to first order in e)::

        da/dt = -F BC rho_p sqrt(mu a) exp(-x) [I0(x) + 2 e I1(x)]
        de/dt = -F BC rho_p sqrt(mu / a) exp(-x) [I1(x) + e/2 (I0(x) + I2(x))]

    with x = a e / H, I_k the modified Bessel functions (``scipy.special.i0e``/``i1e`` give
    exp(-x) I_k(x) without overflow, I2 by recurrence), BC = Cd A / m and F = (1 - r_p w_E cos i / v_p)^2 the
    atmosphere's co-rotation factor.  These are integrated for all objects at once (numpy
    arrays over objects; each object has its own step, RK2 midpoint with |da| <= 0.1 H per
    step), until the perigee reaches :data:`STOP_PERIGEE_KM` or ``max_days`` pass.  Cost:
    ~1.2 s CPU for the 30,000-object benchmark catalogue in the watch's chunks, most of it
    per-step numpy overhead (each step is ~60 array operations), which is why the watch
    keeps objects of similar perigee together (:func:`deorbit.catalogue.watch.screen_plan`).

    rho(h) is :class:`ScreenAtmosphere`: the NRLMSIS 2.1 orbit- and local-time-mean density of
    :mod:`deorbit.atmosphere` for ONE representative space weather -- the F10.7, 81-day
    F10.7A and Ap known at the as-of time (observations before it, persistence after;
    :mod:`deorbit.spaceweather`) -- at a 50 deg inclination, tabulated every 5 km; H is its
    local logarithmic slope.

Ballistic coefficient (per object, vectorised)
    1. *decay*: from the growth of the mean motion between the latest set and one 1-10 days
       older (:meth:`~deorbit.store.ElementStore.catalogue_rows`): da/dt = -(2/3) a (dn/dt) / n,
       then BC = -(da/dt) / (the bracket above for BC = 1).  This BC is *calibrated* against
       the same density profile that then predicts, so errors of the profile at the current
       height cancel -- the main reason screening works at all.
    2. *ndot*: the same from the TLE's first derivative field (dn/dt = 2 * ndot/2) when the
       history gives no positive decay.
    3. *bstar*: BC = 12.741621 B* (the SGP4 relation B* = BC rho0 / 2, rho0 = 0.15696615
       kg/m^2/earth radius) when B* > 0; B* absorbs SGP4's crude density, so this is a
       factor-of-a-few estimate.
    4. *default*: 0.02 m^2/kg (a typical small satellite) when nothing else is usable.

Accuracy (measured in ``tests/test_screen.py`` and ``docs/notes/catalogue.md``): against
:func:`deorbit.decay.propagate_decay` with the *same* density profile, the screen is
10-15 % *shorter* for near-circular orbits at 250-500 km (the table's altitude is r - R_eq, an
orbit mean that already includes the ~7 km the ellipsoid lowers the mean height at 50 deg;
the propagator feeds geodetic heights to the same profile), within 1 % at e = 0.05 and ~70 %
*longer* at e = 0.2 (first order in e).  Far larger than these is the space-weather error,
which screening holds constant.  That is why
objects due within ``margin`` times the horizon are handed to the Monte Carlo, not only those
due within the horizon.

Flags (not predicted):
``decayed``  perigee below 100 km in the last set (:data:`deorbit.elements.DECAYED_PERIGEE_KM`);
``stale``    the last set is more than ``stale_days`` older than the as-of time;
``presumed_decayed``  the screen lifetime from the last epoch ends before the as-of time.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
from scipy.special import i0e, i1e

from deorbit.elements import DECAYED_PERIGEE_KM, EARTH_RADIUS_KM, MU_EARTH_KM3_S2
from deorbit.gravity import OMEGA_EARTH_RAD_S

__all__ = [
    "BC_DEFAULT_M2_PER_KG",
    "BC_METHODS",
    "STATUS",
    "STOP_PERIGEE_KM",
    "ScreenAtmosphere",
    "ScreenInput",
    "ScreenOptions",
    "ScreenOutput",
    "estimate_bc",
    "king_hele_lifetime_days",
    "screen_atmosphere",
    "screen_chunk",
    "screen_input_from_rows",
]

ArrayF = npt.NDArray[np.float64]
#: The screen follows each orbit until its perigee is this low (a few hours from re-entry).
STOP_PERIGEE_KM = 120.0
BC_DEFAULT_M2_PER_KG = 0.02
BSTAR_TO_BC = 12.741621  # 2 / rho0, rho0 = 0.15696615 kg/m^2/earth radius
#: BC method codes stored in :attr:`ScreenOutput.bc_method`.
BC_METHODS = ("decay", "ndot", "bstar", "default")
#: Status codes stored in :attr:`ScreenOutput.status`.
STATUS = ("ok", "candidate", "decayed", "stale", "presumed_decayed")
_US_PER_DAY = 86_400_000_000
_DAY_S = 86400.0


@dataclass(frozen=True)
class ScreenAtmosphere:
    """A density profile rho(h) for one representative space weather (see module doc)."""

    alt_km: ArrayF
    ln_rho: ArrayF
    f107_sfu: float
    f107a_sfu: float
    ap: float
    #: What the indices are and where they came from, for the prediction record.
    description: str
    #: Identifies the model: table version, inclination, indices.
    version: str

    def rho_kg_m3(self, alt_km: npt.ArrayLike) -> ArrayF:
        """Density at ``alt_km`` (log-linear interpolation; exponential beyond the grid)."""
        h = np.asarray(alt_km, dtype=float)
        return np.exp(self._ln(h))

    @functools.cached_property
    def _tables(self) -> tuple[float, float, ArrayF]:
        """(slope below the grid, slope above it, scale height per grid interval): computed
        once, not on every one of the screen's thousands of density calls."""
        x, y = self.alt_km, self.ln_rho
        slope = np.diff(y) / np.diff(x)
        lo_slope = (y[1] - y[0]) / (x[1] - x[0])
        hi_slope = (y[-1] - y[-2]) / (x[-1] - x[-2])
        return lo_slope, hi_slope, -1.0 / np.minimum(slope, -1e-6)

    def _ln(self, h: ArrayF) -> ArrayF:
        x, y = self.alt_km, self.ln_rho
        inside = np.interp(h, x, y)
        if h.size == 0 or (h.min() >= x[0] and h.max() <= x[-1]):
            return inside  # the usual case: no extrapolation to blend in
        lo_slope, hi_slope, _ = self._tables
        return np.where(
            h < x[0],
            y[0] + lo_slope * (h - x[0]),
            np.where(h > x[-1], y[-1] + hi_slope * (h - x[-1]), inside),
        )

    def scale_height_km(self, alt_km: npt.ArrayLike) -> ArrayF:
        """Local density scale height -1 / (d ln rho / dh) in km (the grid interval's slope,
        held constant beyond the grid)."""
        h = np.asarray(alt_km, dtype=float)
        table = self._tables[2]
        return table[np.clip(np.searchsorted(self.alt_km, h) - 1, 0, table.size - 1)]

    def __call__(
        self,
        t_utc: np.ndarray,
        lat_deg: np.ndarray,
        lon_deg: np.ndarray,
        alt_km: np.ndarray,
        sample: np.ndarray | None = None,
    ) -> np.ndarray:
        """The profile as a :class:`~deorbit.drag.DensityProvider` (height only), so the full
        decay propagator can be run on the same atmosphere for accuracy checks."""
        h = np.asarray(alt_km, dtype=float)
        shape = np.broadcast_shapes(np.shape(t_utc), np.shape(lat_deg), np.shape(lon_deg), h.shape)
        return np.broadcast_to(self.rho_kg_m3(h), shape)


@functools.lru_cache(maxsize=8)
def _profile(f107: float, f107a: float, ap: float, doy: float, inc: float) -> ArrayF:
    from deorbit.atmosphere import load_density_model

    model = load_density_model(2.1)
    alt = np.arange(80.0, 1505.0, 5.0)
    rho = model.orbit_mean_density_kg_m3(alt, f107, f107a, ap, doy, inc)
    return np.log(rho)


def screen_atmosphere(
    as_of_utc: datetime,
    *,
    f107_sfu: float | None = None,
    ap: float | None = None,
    inclination_deg: float = 50.0,
) -> ScreenAtmosphere:
    """The screening atmosphere for ``as_of_utc``: indices known then, or the given constants.

    Indices come from the bundled/user ``SW-All.csv`` (:func:`deorbit.spaceweather.
    load_space_weather`) as known at ``as_of_utc`` (the 81-day mean centred on it uses
    persistence for days not yet observed).  If no file is usable, F10.7 = F10.7A = 150 sfu and
    Ap = 15 (moderate activity) are used and the description says so.
    """
    if as_of_utc.tzinfo is None:
        raise ValueError("as_of_utc must be timezone-aware (UTC)")
    note = "given"
    f, fa, a = f107_sfu, f107_sfu, ap
    if f107_sfu is None or ap is None:
        try:
            from deorbit.spaceweather import load_space_weather

            sw = load_space_weather()
            t = np.datetime64(as_of_utc.astimezone(UTC).replace(tzinfo=None), "ns")
            idx = sw.indices(np.array([t]), as_of_utc=t, mode="asof")
            f = f if f is not None else float(idx.f107_sfu[0])
            fa = fa if f107_sfu is not None else float(idx.f107a_sfu[0])
            a = a if a is not None else float(idx.ap_daily[0])
            note = f"{sw.source} as known at {as_of_utc:%Y-%m-%d}"
        except Exception as exc:  # noqa: BLE001 - any trouble with the file: documented default
            f = 150.0 if f is None else f
            fa = 150.0 if fa is None else fa
            a = 15.0 if a is None else a
            note = f"default moderate activity (space weather unavailable: {exc})"
    doy = as_of_utc.timetuple().tm_yday + 0.5
    assert f is not None and fa is not None and a is not None
    ln_rho = _profile(round(f, 1), round(fa, 1), round(a, 1), float(doy), inclination_deg)
    return ScreenAtmosphere(
        alt_km=np.arange(80.0, 1505.0, 5.0),
        ln_rho=ln_rho,
        f107_sfu=f,
        f107a_sfu=fa,
        ap=a,
        description=f"F10.7 {f:.1f} sfu, F10.7A {fa:.1f} sfu, Ap {a:.1f} ({note})",
        version=f"msis21-orbit-mean-table/inc{inclination_deg:g}/F{f:.1f}/FA{fa:.1f}/Ap{a:.1f}",
    )


# -- King-Hele decay --------------------------------------------------------------------------
def _bracket(
    a_km: ArrayF, e: ArrayF, inc_deg: ArrayF, atm: ScreenAtmosphere
) -> tuple[ArrayF, ArrayF]:
    """(da/dt, de/dt) per unit BC and unit density scale: km/s and 1/s per (m^2/kg)."""
    da, de, _, _ = _rates(a_km, e, np.cos(np.radians(inc_deg)), atm)
    return da, de


def _rates(
    a_km: ArrayF, e: ArrayF, cos_inc: ArrayF, atm: ScreenAtmosphere
) -> tuple[ArrayF, ArrayF, ArrayF, ArrayF]:
    """:func:`_bracket` from cos(i), also returning the perigee height and its scale height
    (the integrator's step control needs both)."""
    hp = a_km * (1.0 - e) - EARTH_RADIUS_KM
    rho = atm.rho_kg_m3(hp) * 1e3  # kg/m^3 -> kg/(m^2 km): BC rho in 1/km
    h_scale = atm.scale_height_km(hp)
    x = a_km * e / h_scale
    i0, i1 = i0e(x), i1e(x)  # exp(-x) I_k(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        # I2 = I0 - (2 / x) I1 (recurrence); its series x^2 / 8 where that cancels badly
        i2 = np.where(x > 1e-2, i0 - 2.0 * i1 / x, np.exp(-x) * x * x / 8.0)
    rp = a_km * (1.0 - e)
    vp = np.sqrt(MU_EARTH_KM3_S2 * (1.0 + e) / rp)
    rot = (1.0 - rp * OMEGA_EARTH_RAD_S * cos_inc / vp) ** 2
    da = -rot * rho * np.sqrt(MU_EARTH_KM3_S2 * a_km) * (i0 + 2.0 * e * i1)
    de = -rot * rho * np.sqrt(MU_EARTH_KM3_S2 / a_km) * (i1 + 0.5 * e * (i0 + i2))
    return da, de, hp, h_scale


def king_hele_lifetime_days(
    a_km: npt.ArrayLike,
    e: npt.ArrayLike,
    inc_deg: npt.ArrayLike,
    bc_m2_per_kg: npt.ArrayLike,
    atm: ScreenAtmosphere,
    *,
    density_scale: npt.ArrayLike = 1.0,
    max_days: float = 365.0,
    stop_perigee_km: float = STOP_PERIGEE_KM,
    max_step_days: float = 10.0,
    step_fraction: float = 0.1,
) -> ArrayF:
    """Days until each perigee falls to ``stop_perigee_km``; ``inf`` beyond ``max_days``.

    All arguments broadcast to (N,) -- objects, or Monte Carlo samples of one object.  Each
    entry steps on its own clock: dt = min(``max_step_days``, ``step_fraction`` *
    max(H, 0.05 a e) / |da/dt|), RK2 (midpoint); the crossing of the stop height is
    interpolated linearly inside the last step.
    """
    a0, e0, inc, bc, scale = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (a_km, e, inc_deg, bc_m2_per_kg, density_scale))
    )
    a, ecc = a0.ravel(), np.clip(e0.ravel(), 0.0, 0.99)
    k = (bc * scale).ravel()
    life = np.full(a.size, np.inf)
    hp = a * (1.0 - ecc) - EARTH_RADIUS_KM
    done = hp <= stop_perigee_km
    life[done] = 0.0
    # The state of the objects still flying, compacted as they finish: ``idx`` says where
    # each one's lifetime goes.  Every object's arithmetic is the same whichever others share
    # its arrays, so a result does not depend on the chunk or the order (tested).
    idx = np.flatnonzero(~done)
    aa, ee, kk = a[idx], ecc[idx], k[idx]
    cos_inc = np.cos(np.radians(inc.ravel()[idx]))
    tt = np.zeros(idx.size)
    t_max = max_days * _DAY_S
    while idx.size:
        da1, de1, hp_a, h_a = _rates(aa, ee, cos_inc, atm)
        room = step_fraction * np.maximum(h_a, 0.05 * aa * ee)
        dt = np.minimum(max_step_days * _DAY_S, room / np.maximum(np.abs(kk * da1), 1e-30))
        dt = np.minimum(dt, t_max - tt)
        am = aa + 0.5 * dt * kk * da1
        em = np.clip(ee + 0.5 * dt * kk * de1, 0.0, 0.99)
        da2, de2, _, _ = _rates(am, em, cos_inc, atm)
        a_new = aa + dt * kk * da2
        e_new = np.clip(ee + dt * kk * de2, 0.0, 0.99)
        hp_new = a_new * (1.0 - e_new) - EARTH_RADIUS_KM
        crossed = hp_new <= stop_perigee_km
        frac = np.clip((hp_a - stop_perigee_km) / np.maximum(hp_a - hp_new, 1e-12), 0.0, 1.0)
        t_new = tt + np.where(crossed, frac * dt, dt)
        life[idx[crossed]] = t_new[crossed] / _DAY_S
        out = crossed | (t_new >= t_max)
        if out.any():
            keep = ~out
            idx, aa, ee, kk, tt = idx[keep], a_new[keep], e_new[keep], kk[keep], t_new[keep]
            cos_inc = cos_inc[keep]
        else:
            aa, ee, tt = a_new, e_new, t_new
    return life.reshape(a0.shape)


# -- inputs, BC and the chunk task -------------------------------------------------------------
@dataclass(frozen=True)
class ScreenInput:
    """Per-object arrays (shape (N,)) for one chunk of the catalogue, sorted by catalogue number.

    ``prev_*`` describe an older set (1-10 days before the latest) where one exists, else
    NaN / 0.
    """

    norad_id: npt.NDArray[np.int64]
    epoch_utc_us: npt.NDArray[np.int64]
    mean_motion_rev_per_day: ArrayF
    eccentricity: ArrayF
    inclination_deg: ArrayF
    bstar_per_earth_radii: ArrayF
    mean_motion_dot_rev_per_day2: ArrayF
    prev_epoch_utc_us: npt.NDArray[np.int64]
    prev_mean_motion_rev_per_day: ArrayF

    def __len__(self) -> int:
        return int(self.norad_id.size)

    def take(self, index: npt.ArrayLike) -> ScreenInput:
        """A sub-chunk (``index`` a slice, mask or integer array)."""
        return ScreenInput(*(getattr(self, f)[index] for f in self.__dataclass_fields__))


def screen_input_from_rows(latest: list[tuple], earlier: list[tuple]) -> ScreenInput:
    """Build :class:`ScreenInput` from :meth:`ElementStore.catalogue_rows` output."""
    n = len(latest)
    if n == 0:
        z = np.zeros(0)
        zi = np.zeros(0, dtype=np.int64)
        return ScreenInput(zi, zi, z, z, z, z, z, zi, z)
    cols = list(zip(*latest, strict=True))
    norad = np.asarray(cols[0], dtype=np.int64)
    prev_epoch = np.zeros(n, dtype=np.int64)
    prev_n = np.full(n, np.nan)
    if earlier:
        e_cols = list(zip(*earlier, strict=True))
        pos = np.searchsorted(norad, np.asarray(e_cols[0], dtype=np.int64))
        prev_epoch[pos] = np.asarray(e_cols[1], dtype=np.int64)
        prev_n[pos] = np.asarray(e_cols[2], dtype=float)
    return ScreenInput(
        norad_id=norad,
        epoch_utc_us=np.asarray(cols[3], dtype=np.int64),
        mean_motion_rev_per_day=np.asarray(cols[4], dtype=float),
        eccentricity=np.asarray(cols[5], dtype=float),
        inclination_deg=np.asarray(cols[6], dtype=float),
        bstar_per_earth_radii=np.asarray(cols[7], dtype=float),
        mean_motion_dot_rev_per_day2=np.asarray(cols[8], dtype=float),
        prev_epoch_utc_us=prev_epoch,
        prev_mean_motion_rev_per_day=prev_n,
    )


def semi_major_axis_km(mean_motion_rev_per_day: npt.ArrayLike) -> ArrayF:
    """Kepler's third law on the (Kozai) mean motion, WGS-72 mu."""
    n_rad_s = np.asarray(mean_motion_rev_per_day, dtype=float) * 2.0 * math.pi / _DAY_S
    return (MU_EARTH_KM3_S2 / n_rad_s**2) ** (1.0 / 3.0)


def estimate_bc(inp: ScreenInput, atm: ScreenAtmosphere) -> tuple[ArrayF, npt.NDArray[np.int8]]:
    """BC (m^2/kg) per object and the method index into :data:`BC_METHODS` (module doc)."""
    n0 = inp.mean_motion_rev_per_day
    a = semi_major_axis_km(n0)
    e = np.clip(inp.eccentricity, 0.0, 0.99)
    da_unit, _ = _bracket(a, e, inp.inclination_deg, atm)  # km/s per unit BC
    dt_days = (inp.epoch_utc_us - inp.prev_epoch_utc_us) / _US_PER_DAY
    with np.errstate(invalid="ignore", divide="ignore"):
        dn_hist = (n0 - inp.prev_mean_motion_rev_per_day) / dt_days  # rev/day^2
        dn_ndot = 2.0 * inp.mean_motion_dot_rev_per_day2

        def bc_from(dn_dt: ArrayF) -> ArrayF:
            da_dt_km_s = -(2.0 / 3.0) * a * dn_dt / n0 / _DAY_S
            return da_dt_km_s / da_unit

        bc_hist = bc_from(dn_hist)
        bc_ndot = bc_from(dn_ndot)
    bc_bstar = BSTAR_TO_BC * inp.bstar_per_earth_radii
    usable_hist = np.isfinite(bc_hist) & (dt_days >= 1.0) & (dn_hist > 0) & (bc_hist > 1e-5)
    usable_ndot = np.isfinite(bc_ndot) & (dn_ndot > 0) & (bc_ndot > 1e-5)
    usable_bstar = bc_bstar > 1e-5
    method = np.full(len(inp), 3, dtype=np.int8)
    bc = np.full(len(inp), BC_DEFAULT_M2_PER_KG)
    for code, usable, value in (
        (2, usable_bstar, bc_bstar),
        (1, usable_ndot, bc_ndot),
        (0, usable_hist, bc_hist),
    ):
        bc = np.where(usable, value, bc)
        method = np.where(usable, code, method).astype(np.int8)
    return np.clip(bc, 1e-4, 2.0), method


@dataclass(frozen=True)
class ScreenOptions:
    """Screening thresholds (see the module docstring)."""

    horizon_days: float = 30.0
    #: Objects whose screen re-entry falls within margin * horizon go to the Monte Carlo.
    margin: float = 2.0
    stale_days: float = 30.0
    max_days: float = 365.0


@dataclass(frozen=True)
class ScreenOutput:
    """Per-object screening results, aligned with the :class:`ScreenInput` they came from."""

    norad_id: npt.NDArray[np.int64]
    perigee_alt_km: ArrayF
    apogee_alt_km: ArrayF
    bc_m2_per_kg: ArrayF
    bc_method: npt.NDArray[np.int8]
    #: Days from the element epoch to the stop height (inf beyond ``max_days``).
    lifetime_days: ArrayF
    #: Screen re-entry as integer microseconds since 1970 (-1 when beyond ``max_days``).
    reentry_utc_us: npt.NDArray[np.int64]
    status: npt.NDArray[np.int8]
    extra: dict = field(default_factory=dict)

    def take(self, index: npt.ArrayLike) -> ScreenOutput:
        """The results of the objects ``index`` selects (slice, mask or integer array)."""
        names = [f for f in ScreenOutput.__dataclass_fields__ if f != "extra"]
        return ScreenOutput(*(getattr(self, f)[index] for f in names), extra=dict(self.extra))

    @staticmethod
    def concatenate(parts: list[ScreenOutput]) -> ScreenOutput:
        """Join chunk results (in the given order)."""
        names = [f for f in ScreenOutput.__dataclass_fields__ if f != "extra"]
        if not parts:
            z = np.zeros(0)
            return ScreenOutput(*(z.astype(np.int64) if "id" in f else z for f in names))
        return ScreenOutput(*(np.concatenate([getattr(p, f) for p in parts]) for f in names))


def screen_chunk(
    inp: ScreenInput, atm: ScreenAtmosphere, as_of_utc_us: int, options: ScreenOptions
) -> ScreenOutput:
    """Screen one chunk: flags, BC, King-Hele lifetime and the candidate mark.

    A pure function of its arguments (no store, no clock): the Dask task of the watch.
    Objects are independent (each has its own step sequence), so the result for an object
    does not depend on which chunk it is in.
    """
    a = semi_major_axis_km(inp.mean_motion_rev_per_day)
    e = np.clip(inp.eccentricity, 0.0, 0.99)
    hp = a * (1.0 - e) - EARTH_RADIUS_KM
    ha = a * (1.0 + e) - EARTH_RADIUS_KM
    bc, method = estimate_bc(inp, atm)
    status = np.zeros(len(inp), dtype=np.int8)
    decayed = hp < DECAYED_PERIGEE_KM
    age_days = (as_of_utc_us - inp.epoch_utc_us) / _US_PER_DAY
    stale = ~decayed & (age_days > options.stale_days)
    todo = ~decayed & ~stale
    life = np.full(len(inp), np.inf)
    if np.any(todo):
        life[todo] = king_hele_lifetime_days(
            a[todo], e[todo], inp.inclination_deg[todo], bc[todo], atm, max_days=options.max_days
        )
    reentry = np.where(
        np.isfinite(life),
        inp.epoch_utc_us + np.round(np.where(np.isfinite(life), life, 0.0) * _US_PER_DAY),
        -1,
    ).astype(np.int64)
    presumed = todo & np.isfinite(life) & (reentry < as_of_utc_us)
    limit = as_of_utc_us + options.margin * options.horizon_days * _US_PER_DAY
    candidate = todo & ~presumed & np.isfinite(life) & (reentry <= limit)
    status[candidate] = 1
    status[decayed] = 2
    status[stale] = 3
    status[presumed] = 4
    return ScreenOutput(
        norad_id=inp.norad_id,
        perigee_alt_km=hp,
        apogee_alt_km=ha,
        bc_m2_per_kg=bc,
        bc_method=method,
        lifetime_days=life,
        reentry_utc_us=reentry,
        status=status,
    )


def utc_from_us(us: int) -> datetime:
    """Integer microseconds since 1970 as a tz-aware UTC datetime."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(us))
