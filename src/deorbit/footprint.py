"""Where the pieces land: impact points of every sample x fragment, probability grids, countries.

What
    From each Monte Carlo re-entry sample's state at break-up (position, heading, flight-path
    angle, speed; :class:`BreakupStates`) and a fragment list (:mod:`deorbit.fragments`),
    :func:`impact_points` places every surviving fragment class of every sample on the ground.
    :func:`footprint` adds the weights and the country of every point; :meth:`Footprint.grid`
    bins them on a lat/lon grid (0.25 deg by default) and :meth:`Footprint.country_probabilities`
    sums them per country and ocean.

Break-up state
    :func:`breakup_states_from_track` takes the last two valid points of each sample's
    :class:`~deorbit.cowell.FinalTrack` (about a minute apart, the last at the stop altitude,
    80 km by default).  Heading: the great-circle bearing at the last point (the reverse of the
    bearing towards the previous point, plus 180 deg; spherical trigonometry has no
    antimeridian seam).  Flight-path angle and Earth-relative speed: the mean over that last
    interval, from the height drop and the ground distance scaled to the flight altitude
    (the instantaneous angle at the end is steeper by up to a factor ~2; this is the main
    approximation of the along-track distance).  The state is then moved along the flight path
    from the track's last altitude to ``breakup_alt_km`` (default 78 km, the break-up altitude
    of large spacecraft in NASA DAS / ESA DRAMA; 2 km at -1 deg is 115 km downrange).

Along track: ballistic descent from break-up
    Each fragment flies a planar point-mass trajectory over a spherical Earth with inverse-
    square gravity and drag ``rho v^2 / (2 beta)``, ``beta = m / (Cd A)``
    (= 1 / ``bc_m2_per_kg``), in the US Standard Atmosphere 1976 (densities tabulated every
    10 km, log-linear in between; NOAA/NASA/USAF 1976, Table I), from the break-up state down
    to the ground; Earth rotation during the few minutes of flight is neglected (a Coriolis
    drift of order 10 km, inside the cross-track spread).  The ground range is tabulated once
    per break-up altitude on a grid of beta (0.3 to 3e4 kg/m^2), flight-path angle (-0.2 to
    -10 deg) and speed (6 to 7.9 km/s) by RK4 integration (step 2 % of the drag time scale,
    at most 1 s: the ranges equal those with steps of at most 0.25 s to 1 km), and
    interpolated linearly in (log beta, log -gamma, v) for log range (interpolation error,
    measured against direct integration at 300 random points: < 1 % for gamma <= -0.4 deg and
    v in 7-7.8 km/s, up to 5 % for grazing, near-orbital states); inputs beyond the grid are
    clamped to it.
    Trajectories still flying after 20 min (near-circular speed, grazing angle, negligible
    drag: they would skip) are stopped there.  Tabulating costs ~1.3 s, once per process.
    Results from 78 km, -1 deg, 7.4 km/s: beta 1 kg/m^2 (foil, insulation) 144 km;
    10 kg/m^2: 430 km; 100: 870 km; 1,000: 1,360 km; 10,000: 1,760 km.  A UARS-like list
    (beta ~100-300 kg/m^2, +-35 %) spreads over ~600-1,300 km, the footprint length NASA gave
    for UARS in 2011 (500 miles, 800 km).

Dispersion (random, per sample and fragment class)
    * beta is multiplied by a log-normal factor, ``sigma_ln`` = 0.3 by default (tumbling
      attitude, shape and mass uncertainty of a class: +-35 % at 1 sigma);
    * cross-track offset: normal, ``cross_track_sigma_km`` = 20 km by default, for break-up
      separation velocities, lift of tumbling plates, winds and the neglected Coriolis drift
      (DLR gave ROSAT's debris swath as 80 km wide, i.e. +-2 sigma here).
    Points move along the great circle of the break-up heading by the ground range, then
    perpendicular to it by the cross-track offset: rotations of unit vectors on a sphere of
    radius 6371 km (geodetic latitudes are used as spherical ones: < 0.2 deg, inside the
    cross-track spread).  All arrays are (N samples, K fragment classes); no loop over samples.

Weights: the two grids
    Every valid (re-entered) sample weighs 1/N.  Within a sample, the K points carry either
    ``count_k / sum(count)`` -- **"where fragments fall"**: the probability that a randomly
    chosen surviving piece lands in a cell -- or ``A_c,k / sum(A_c)`` -- **casualty-area
    weighted**: the share of the casualty area (hence of the casualty expectation at uniform
    population density) landing in a cell.  Both grids sum to 1; demised fragments are
    excluded from both.  Per-country probabilities use the exact country lookup of every point
    (:meth:`deorbit.geography.CountryMap.lookup`), not the grid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from scipy.interpolate import RegularGridInterpolator

from deorbit.errors import InputError
from deorbit.fragments import FragmentList

if TYPE_CHECKING:
    from deorbit.cowell import FinalTrack
    from deorbit.geography import CountryMap

__all__ = [
    "BREAKUP_ALT_KM",
    "CROSS_TRACK_SIGMA_KM",
    "BETA_SIGMA_LN",
    "BreakupStates",
    "CountryProbabilities",
    "Footprint",
    "ImpactGrid",
    "ImpactPoints",
    "breakup_states",
    "breakup_states_from_track",
    "descent_range_km",
    "footprint",
    "impact_points",
    "initial_bearing_deg",
    "long_run_breakup_states",
    "move_on_sphere",
]

ArrayF = npt.NDArray[np.float64]

#: Default break-up altitude (km).
BREAKUP_ALT_KM = 78.0
#: Default 1-sigma cross-track dispersion (km).
CROSS_TRACK_SIGMA_KM = 20.0
#: Default 1-sigma of ln(beta) dispersion per sample and fragment class.
BETA_SIGMA_LN = 0.3
#: Mean Earth radius for the spherical geometry of the footprint (km, IUGG).
R_EARTH_KM = 6371.0088
_MU_M3_S2 = 3.986004418e14

# US Standard Atmosphere 1976, density (kg/m^3) at 0, 10, ..., 100 km geometric altitude.
_US76_ALT_KM = np.arange(0.0, 101.0, 10.0)
_US76_LN_RHO = np.log(
    [1.225, 4.1351e-1, 8.8910e-2, 1.8410e-2, 3.9957e-3, 1.0269e-3,
     3.0968e-4, 8.2829e-5, 1.8458e-5, 3.416e-6, 5.604e-7]
)  # fmt: skip

# Tabulation grid of the descent ranges.
_BETA_GRID = np.geomspace(0.3, 3e4, 26)  # kg/m^2, 5 per decade
_GAMMA_GRID = -np.array([0.2, 0.3, 0.45, 0.65, 1.0, 1.5, 2.2, 3.3, 5.0, 7.0, 10.0])  # deg
_SPEED_GRID = np.array([6.0, 6.5, 7.0, 7.2, 7.4, 7.6, 7.75, 7.9])  # km/s
#: Flight time after which a (near-orbital, skipping) trajectory is stopped (s).
_MAX_FLIGHT_S = 1200.0


# -- descent ------------------------------------------------------------------------------------


def _rho(h_m: np.ndarray) -> np.ndarray:
    return np.exp(np.interp(h_m * 1e-3, _US76_ALT_KM, _US76_LN_RHO))


def _derivs(h, v, g, beta):
    r = R_EARTH_KM * 1e3 + h
    grav = _MU_M3_S2 / (r * r)
    cg, sg = np.cos(g), np.sin(g)
    return (
        v * sg,
        -_rho(h) * v * v / (2.0 * beta) - grav * sg,
        (v / r - grav / v) * cg,
        R_EARTH_KM * 1e3 * v * cg / r,
    )


def _integrate_descent(beta, gamma_rad, speed_m_s, h0_m: float) -> np.ndarray:
    """Ground range (km) to impact; RK4, step 2 % of the drag time scale, all arrays (n,)."""
    n = beta.size
    h = np.full(n, h0_m)
    v = speed_m_s.astype(float).copy()
    g = gamma_rad.astype(float).copy()
    s = np.zeros(n)
    t = np.zeros(n)
    active = np.ones(n, dtype=bool)
    steep = np.radians(-89.0)  # from here on the fall is vertical: < 1 km of range remains
    for _ in range(200_000):
        i = np.flatnonzero(active)
        if i.size == 0:
            break
        hh, vv, gg, bb = h[i], v[i], g[i], beta[i]
        dt = np.clip(0.02 * 2.0 * bb / (_rho(hh) * vv), 0.005, 1.0)
        k1 = _derivs(hh, vv, gg, bb)
        k2 = _derivs(*(x + 0.5 * dt * k for x, k in zip((hh, vv, gg), k1, strict=False)), bb)
        k3 = _derivs(*(x + 0.5 * dt * k for x, k in zip((hh, vv, gg), k2, strict=False)), bb)
        k4 = _derivs(*(x + dt * k for x, k in zip((hh, vv, gg), k3, strict=False)), bb)
        inc = [
            dt / 6.0 * (a + 2 * b + 2 * c + d) for a, b, c, d in zip(k1, k2, k3, k4, strict=True)
        ]
        h[i] = hh + inc[0]
        v[i] = vv + inc[1]
        g[i] = gg + inc[2]
        s[i] += inc[3]
        t[i] += dt
        done = (h[i] <= 0.0) | (g[i] < steep) | (t[i] > _MAX_FLIGHT_S)
        active[i[done]] = False
    # Undo the overshoot below the ground along the last direction of flight.
    below = h < 0
    s[below] += h[below] / np.tan(np.minimum(g[below], -1e-6))
    return s * 1e-3


@lru_cache(maxsize=8)
def _range_table(breakup_alt_km: float) -> RegularGridInterpolator:
    lb, gm, sp = np.meshgrid(
        np.log(_BETA_GRID), np.radians(_GAMMA_GRID), _SPEED_GRID * 1e3, indexing="ij"
    )
    rng_km = _integrate_descent(np.exp(lb).ravel(), gm.ravel(), sp.ravel(), breakup_alt_km * 1e3)
    return RegularGridInterpolator(
        (np.log(_BETA_GRID), np.log(-_GAMMA_GRID), _SPEED_GRID), np.log(rng_km.reshape(lb.shape))
    )


def descent_range_km(
    beta_kg_m2: npt.ArrayLike,
    gamma_deg: npt.ArrayLike = -1.0,
    speed_km_s: npt.ArrayLike = 7.4,
    breakup_alt_km: float = BREAKUP_ALT_KM,
) -> ArrayF:
    """Ground range (km) from break-up to impact of a fragment of mass-to-drag ratio ``beta``.

    Broadcasts its arguments; values outside the table (beta 0.3-3e4 kg/m^2, gamma -0.2 to
    -10 deg, speed 6-7.9 km/s) are clamped to its edges.  See the module docstring.
    """
    if not 20.0 <= breakup_alt_km <= 100.0:
        raise InputError(
            f"break-up altitude {breakup_alt_km} km is outside [20, 100]", field="breakup_alt_km"
        )
    interp = _range_table(float(breakup_alt_km))
    b, g, v = np.broadcast_arrays(
        np.asarray(beta_kg_m2, float), np.asarray(gamma_deg, float), np.asarray(speed_km_s, float)
    )
    pts = np.stack(
        [
            np.clip(np.log(b), np.log(_BETA_GRID[0]), np.log(_BETA_GRID[-1])),
            np.log(np.clip(-g, -_GAMMA_GRID[0], -_GAMMA_GRID[-1])),
            np.clip(v, _SPEED_GRID[0], _SPEED_GRID[-1]),
        ],
        axis=-1,
    )
    return np.exp(interp(pts.reshape(-1, 3))).reshape(b.shape)


# -- spherical geometry -------------------------------------------------------------------------


def initial_bearing_deg(lat1_deg, lon1_deg, lat2_deg, lon2_deg) -> ArrayF:
    """Great-circle bearing at point 1 towards point 2 (degrees clockwise from north, [0, 360))."""
    p1, p2 = np.radians(lat1_deg), np.radians(lat2_deg)
    dl = np.radians(np.asarray(lon2_deg, float) - np.asarray(lon1_deg, float))
    y = np.sin(dl) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return np.degrees(np.arctan2(y, x)) % 360.0


def _great_circle_km(lat1_deg, lon1_deg, lat2_deg, lon2_deg) -> ArrayF:
    p1, p2 = np.radians(lat1_deg), np.radians(lat2_deg)
    dl = np.radians(np.asarray(lon2_deg, float) - np.asarray(lon1_deg, float))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2.0 * R_EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def move_on_sphere(
    lat_deg: npt.ArrayLike,
    lon_deg: npt.ArrayLike,
    heading_deg: npt.ArrayLike,
    along_km: npt.ArrayLike,
    cross_km: npt.ArrayLike = 0.0,
) -> tuple[ArrayF, ArrayF]:
    """Move ``along_km`` along the great circle of ``heading_deg``, then ``cross_km`` at right
    angles to it (positive = to the left of the direction of travel).  Broadcasts; returns
    (lat_deg, lon_deg in [-180, 180)).  Exact on a sphere of radius :data:`R_EARTH_KM`."""
    phi = np.radians(np.asarray(lat_deg, float))
    lam = np.radians(np.asarray(lon_deg, float))
    th = np.radians(np.asarray(heading_deg, float))
    cp, sp, cl, sl = np.cos(phi), np.sin(phi), np.cos(lam), np.sin(lam)
    p = np.stack([cp * cl, cp * sl, sp])
    north = np.stack([-sp * cl, -sp * sl, cp])
    east = np.stack([-sl, cl, np.zeros_like(sl)])
    t = np.cos(th) * north + np.sin(th) * east  # unit tangent along the heading
    left = np.cross(p, t, axis=0)  # unit normal of the great circle, left of travel
    d = np.asarray(along_km, float) / R_EARTH_KM
    c = np.asarray(cross_km, float) / R_EARTH_KM
    cd, sd, cc, sc = np.cos(d), np.sin(d), np.cos(c), np.sin(c)
    # q = cos d p + sin d t (in the plane of the great circle), then tilt towards 'left' by c.
    out = []
    for axis in range(3):
        pa, ta, la = p[axis], t[axis], left[axis]
        extra = max(np.ndim(d), np.ndim(c)) - np.ndim(pa)
        if extra > 0:  # (N,) states against (N, K) distances
            pa, ta, la = (a.reshape(a.shape + (1,) * extra) for a in (pa, ta, la))
        out.append(cc * (cd * pa + sd * ta) + sc * la)
    x, y, z = out
    lat = np.degrees(np.arcsin(np.clip(z, -1.0, 1.0)))
    lon = np.degrees(np.arctan2(y, x))
    lon = np.where(lon >= 180.0, lon - 360.0, lon)
    return lat, lon


# -- break-up states ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BreakupStates:
    """State of each sample at break-up (arrays (N,); NaN where ``valid`` is False).

    ``heading_deg`` clockwise from north; ``gamma_deg`` flight-path angle (negative = down);
    ``speed_km_s`` Earth-relative; ``t_utc`` datetime64[ns] (NaT if unknown).
    """

    lat_deg: ArrayF
    lon_deg: ArrayF
    heading_deg: ArrayF
    gamma_deg: ArrayF
    speed_km_s: ArrayF
    alt_km: float
    valid: npt.NDArray[np.bool_]
    t_utc: np.ndarray = field(default_factory=lambda: np.array([], dtype="datetime64[ns]"))

    def __len__(self) -> int:
        return int(self.lat_deg.shape[0])


def breakup_states(
    lat_deg: npt.ArrayLike,
    lon_deg: npt.ArrayLike,
    heading_deg: npt.ArrayLike,
    *,
    gamma_deg: npt.ArrayLike = -1.0,
    speed_km_s: npt.ArrayLike = 7.4,
    alt_km: float = BREAKUP_ALT_KM,
) -> BreakupStates:
    """Break-up states given directly (synthetic cases, tests); arrays broadcast to (N,).

    Non-finite positions or headings mark a sample invalid; a latitude beyond +-90 deg, a
    non-negative flight-path angle or a speed outside (0, 12] km/s raises InputError.
    """
    lat, lon, hd, gm, sp = (
        np.atleast_1d(np.asarray(a, float)).copy()
        for a in np.broadcast_arrays(lat_deg, lon_deg, heading_deg, gamma_deg, speed_km_s)
    )
    valid = np.isfinite(lat) & np.isfinite(lon) & np.isfinite(hd)
    if np.any(np.abs(lat[valid]) > 90.0):
        raise InputError("latitude outside [-90, 90] deg", field="lat_deg")
    if np.any(~(gm[valid] < 0.0)):
        raise InputError("flight-path angle must be negative (descending)", field="gamma_deg")
    if np.any(~((sp[valid] > 0.0) & (sp[valid] <= 12.0))):
        raise InputError("speed outside (0, 12] km/s", field="speed_km_s")
    for a in (lat, lon, hd, gm, sp):
        a[~valid] = np.nan
    return BreakupStates(lat, lon, hd % 360.0, gm, sp, float(alt_km), valid)


def breakup_states_from_track(
    track: FinalTrack,
    breakup_alt_km: float = BREAKUP_ALT_KM,
    *,
    gamma_limits_deg: tuple[float, float] = (-10.0, -0.2),
) -> BreakupStates:
    """Break-up states from the last two valid points of each column of a final track.

    ``track`` arrays are (M, N), padded with NaN after each sample's last point.  Samples with
    fewer than two valid points are invalid.  The mean flight-path angle of the last interval is
    clipped to ``gamma_limits_deg``.  See the module docstring for the method.
    """
    lat = np.asarray(track.lat_deg, float)
    lon = np.asarray(track.lon_deg, float)
    alt = np.asarray(track.alt_km, float)
    if lat.ndim != 2 or lat.shape != lon.shape or lat.shape != alt.shape:
        raise InputError("final track arrays must share one (M, N) shape", field="final_track")
    ok = np.isfinite(lat) & np.isfinite(lon) & np.isfinite(alt)
    n_ok = ok.sum(axis=0)
    m = lat.shape[0]
    # Index of the last valid row of each column (padding is at the end).
    last = m - 1 - np.argmax(ok[::-1], axis=0)
    valid = n_ok >= 2
    prev = np.where(valid, last - 1, last)
    cols = np.arange(lat.shape[1])
    la1, lo1, h1 = lat[prev, cols], lon[prev, cols], alt[prev, cols]
    la2, lo2, h2 = lat[last, cols], lon[last, cols], alt[last, cols]
    t = np.asarray(track.t_utc)
    t2 = t[last, cols] if t.ndim == 2 else np.full(lat.shape[1], np.datetime64("NaT", "ns"))
    dt_s = (
        (t2 - t[prev, cols]).astype("timedelta64[ns]").astype(np.int64) * 1e-9
        if t.ndim == 2
        else None
    )
    valid &= ok[prev, cols] & ok[last, cols]
    ground = _great_circle_km(la1, lo1, la2, lo2)
    valid &= ground > 0.0
    heading = (initial_bearing_deg(la2, lo2, la1, lo1) + 180.0) % 360.0
    h_mid = 0.5 * (h1 + h2)
    horiz = np.where(valid, ground, 1.0) * (R_EARTH_KM + h_mid) / R_EARTH_KM
    gamma = np.degrees(np.arctan2(h2 - h1, horiz))
    gamma = np.clip(gamma, *gamma_limits_deg)
    if dt_s is not None:
        speed = np.hypot(horiz, h2 - h1) / np.where(dt_s > 0, dt_s, np.nan)
        valid &= np.isfinite(speed)
    else:
        speed = np.full(lat.shape[1], 7.4)
    # Extend along the flight path from the track's last altitude to the break-up altitude.
    extra = (h2 - breakup_alt_km) / np.tan(np.radians(-gamma))
    la, lo = move_on_sphere(la2, lo2, heading, np.where(valid, extra, 0.0))
    for a in (la, lo, heading, gamma, speed):
        a[~valid] = np.nan
    return BreakupStates(
        la, lo, heading, gamma, np.clip(speed, 0.5, 12.0), float(breakup_alt_km), valid, t2
    )


def long_run_breakup_states(
    inclination_deg: float,
    n_samples: int,
    *,
    rng: np.random.Generator | int | None = None,
    alt_km: float = BREAKUP_ALT_KM,
    gamma_deg: float = -1.0,
    speed_km_s: float = 7.4,
    sampling: str = "random",
) -> BreakupStates:
    """Break-up states of a re-entry at an unknown time on a circular orbit of inclination i.

    The argument of latitude and the longitude of the node are uniform (the long-run
    distribution of :mod:`deorbit.exposure`); latitude is geodetic (exact mapping through
    :func:`deorbit.frames.itrs_to_geodetic` at ``alt_km``), the heading is that of the
    inertial great circle (the few-tenths-of-a-degree effect of Earth rotation on the heading
    is neglected).  Used for long-run risk and for validating footprints against the analytic
    exposure.  ``sampling="sobol"`` draws (u, node) from a scrambled Sobol sequence (seeded by
    ``rng``; best with a power of 2 samples): the Monte Carlo error of per-country shares then
    falls faster than 1/sqrt(N).
    """
    from deorbit.elements import EARTH_RADIUS_KM
    from deorbit.frames import itrs_to_geodetic

    if not 0.0 <= inclination_deg <= 180.0:
        raise InputError(f"inclination {inclination_deg} is not in [0, 180]", field="inclination")
    if n_samples < 1:
        raise InputError("n_samples must be >= 1", field="n_samples")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    if sampling == "random":
        unit = gen.random((n_samples, 2))
    elif sampling == "sobol":
        from scipy.stats import qmc

        m = int(np.ceil(np.log2(n_samples)))
        unit = qmc.Sobol(d=2, scramble=True, seed=gen).random_base2(m)[:n_samples]
    else:
        raise InputError(f"unknown sampling {sampling!r} (random or sobol)", field="sampling")
    u = 2.0 * np.pi * unit[:, 0]
    node = np.pi * (2.0 * unit[:, 1] - 1.0)
    inc = np.radians(inclination_deg)
    cu, su, ci, si = np.cos(u), np.sin(u), np.cos(inc), np.sin(inc)
    lat_c = np.arcsin(si * su)
    lon = node + np.arctan2(ci * su, cu)
    xyz = (EARTH_RADIUS_KM + alt_km) * np.stack(
        [np.cos(lat_c) * np.cos(lon), np.cos(lat_c) * np.sin(lon), np.sin(lat_c)], axis=-1
    )
    lat_d = np.asarray(itrs_to_geodetic(xyz)[0], dtype=float)
    # Heading from north: sin(az) cos(lat) = cos(i) (Clairaut), cos(az) cos(lat) = sin(i) cos(u).
    heading = np.degrees(np.arctan2(ci, si * cu))
    lon_deg = (np.degrees(lon) + 180.0) % 360.0 - 180.0
    return breakup_states(
        lat_d, lon_deg, heading, gamma_deg=gamma_deg, speed_km_s=speed_km_s, alt_km=alt_km
    )


# -- impact points, weights, grids --------------------------------------------------------------


@dataclass(frozen=True)
class ImpactPoints:
    """Impact point of every sample x surviving fragment class (arrays (N, K))."""

    lat_deg: ArrayF
    lon_deg: ArrayF
    #: Ground range from break-up (km) and cross-track offset (km, + = left).
    downrange_km: ArrayF
    crosstrack_km: ArrayF
    #: Valid samples (N,).
    valid: npt.NDArray[np.bool_]


def impact_points(
    states: BreakupStates,
    fragments: FragmentList,
    *,
    rng: np.random.Generator | int | None = None,
    beta_sigma_ln: float = BETA_SIGMA_LN,
    cross_track_sigma_km: float = CROSS_TRACK_SIGMA_KM,
) -> ImpactPoints:
    """Place every surviving fragment class of every sample on the ground (see module doc).

    ``fragments`` should hold survivors only (:meth:`FragmentList.surviving`).  ``rng`` seeds the
    dispersion; ``beta_sigma_ln = cross_track_sigma_km = 0`` gives the nominal points.
    """
    if beta_sigma_ln < 0 or cross_track_sigma_km < 0:
        raise InputError("dispersions must be >= 0", field="beta_sigma_ln/cross_track_sigma_km")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    n, k = len(states), len(fragments)
    beta = np.broadcast_to(fragments.beta_kg_m2, (n, k))
    if beta_sigma_ln > 0:
        beta = beta * np.exp(beta_sigma_ln * gen.standard_normal((n, k)))
    ok = states.valid
    gamma = np.where(ok, states.gamma_deg, -1.0)[:, None]
    speed = np.where(ok, states.speed_km_s, 7.4)[:, None]
    along = descent_range_km(beta, gamma, speed, states.alt_km)
    cross = (
        cross_track_sigma_km * gen.standard_normal((n, k))
        if cross_track_sigma_km > 0
        else np.zeros((n, k))
    )
    lat0 = np.where(ok, states.lat_deg, 0.0)
    lon0 = np.where(ok, states.lon_deg, 0.0)
    hd0 = np.where(ok, states.heading_deg, 0.0)
    lat, lon = move_on_sphere(lat0, lon0, hd0, along, cross)
    lat[~ok] = np.nan
    lon[~ok] = np.nan
    return ImpactPoints(lat, lon, along, cross, ok.copy())


@dataclass(frozen=True)
class ImpactGrid:
    """Impact probability per cell (row 0 at the North Pole, column 0 at 180 W), summing to 1.

    ``fall``: where a randomly chosen surviving piece lands; ``casualty_weighted``: share of
    the casualty area.  Divide by :attr:`area_km2` for a probability density per km^2.
    """

    resolution_deg: float
    lat_edges_deg: ArrayF
    lon_edges_deg: ArrayF
    fall: ArrayF
    casualty_weighted: ArrayF

    @property
    def area_km2(self) -> ArrayF:
        from deorbit.geography import cell_area_km2

        return cell_area_km2(self.lat_edges_deg, self.lon_edges_deg)


@dataclass(frozen=True)
class CountryProbabilities:
    """Impact probability per country (indexed like ``CountryMap.countries``) and the ocean."""

    fall: ArrayF
    fall_ocean: float
    casualty_weighted: ArrayF
    casualty_weighted_ocean: float

    def ranked(self, minimum: float = 0.0, *, weighted: bool = False) -> list[tuple[int, float]]:
        """(country index, probability) by decreasing probability, above ``minimum``."""
        p = self.casualty_weighted if weighted else self.fall
        order = np.argsort(-p, kind="stable")
        return [(int(i), float(p[i])) for i in order if p[i] > minimum]


@dataclass(frozen=True)
class Footprint:
    """Impact points with their weights and countries: the input of grids, tables and E_c.

    ``weight_fall``/``weight_casualty`` (N, K) each sum to 1 over valid samples;
    ``casualty_area_m2`` (K,) per fragment class (all its pieces);
    ``country`` (N, K) int16 country index, OCEAN (-1) or NO_POSITION (-2) for invalid samples.
    """

    points: ImpactPoints
    fragments: FragmentList
    casualty_area_m2: ArrayF
    weight_fall: ArrayF
    weight_casualty: ArrayF
    country: npt.NDArray[np.int16]
    n_countries: int

    @property
    def n_valid(self) -> int:
        return int(self.points.valid.sum())

    def grid(self, resolution_deg: float = 0.25) -> ImpactGrid:
        """Bin the weights on a regular lat/lon grid (``180 / resolution_deg`` must be whole)."""
        n_lat = round(180.0 / resolution_deg)
        if resolution_deg <= 0 or abs(n_lat * resolution_deg - 180.0) > 1e-9:
            raise InputError("180 / resolution must be a whole number", field="resolution_deg")
        n_lon = 2 * n_lat
        ok = self.points.valid
        lat = self.points.lat_deg[ok].ravel()
        lon = self.points.lon_deg[ok].ravel()
        row = np.clip(((90.0 - lat) / resolution_deg).astype(np.int64), 0, n_lat - 1)
        col = np.floor((lon + 180.0) / resolution_deg).astype(np.int64) % n_lon
        flat = row * n_lon + col
        size = n_lat * n_lon

        def binned(w: ArrayF) -> ArrayF:
            return np.bincount(flat, weights=w[ok].ravel(), minlength=size).reshape(n_lat, n_lon)

        return ImpactGrid(
            float(resolution_deg),
            np.linspace(90.0, -90.0, n_lat + 1),
            np.linspace(-180.0, 180.0, n_lon + 1),
            binned(self.weight_fall),
            binned(self.weight_casualty),
        )

    def country_probabilities(self) -> CountryProbabilities:
        """Sum of the weights per country and over the ocean (exact point lookup)."""
        land = self.country >= 0
        idx = self.country[land].astype(np.int64)
        fall = np.bincount(idx, weights=self.weight_fall[land], minlength=self.n_countries)
        cas = np.bincount(idx, weights=self.weight_casualty[land], minlength=self.n_countries)
        sea = self.country == -1
        return CountryProbabilities(
            fall, float(self.weight_fall[sea].sum()), cas, float(self.weight_casualty[sea].sum())
        )


def footprint(
    states: BreakupStates,
    fragments: FragmentList,
    countries: CountryMap,
    *,
    rng: np.random.Generator | int | None = None,
    beta_sigma_ln: float = BETA_SIGMA_LN,
    cross_track_sigma_km: float = CROSS_TRACK_SIGMA_KM,
) -> Footprint:
    """Impact points of the surviving fragments of every sample, their weights and countries."""
    from deorbit.casualty import casualty_area_per_class_m2

    surv = fragments.surviving()
    if not states.valid.any():
        raise InputError("no sample re-entered: no footprint", field="reentered")
    pts = impact_points(
        states,
        surv,
        rng=rng,
        beta_sigma_ln=beta_sigma_ln,
        cross_track_sigma_km=cross_track_sigma_km,
    )
    ac = casualty_area_per_class_m2(surv)
    per_sample = pts.valid.astype(float) / pts.valid.sum()
    w_fall = per_sample[:, None] * (surv.count / surv.count.sum())[None, :]
    w_cas = per_sample[:, None] * (ac / ac.sum())[None, :]
    country = countries.lookup(pts.lat_deg, pts.lon_deg)
    return Footprint(pts, surv, ac, w_fall, w_cas, country, len(countries.countries))
