"""Atmospheric drag: the density interface, two density models, the drag acceleration and its
orbit-averaged effect on the mean elements.

Density interface
    Anything callable as ``density(t_utc, lat_deg, lon_deg, alt_km) -> rho_kg_m3`` is a
    :class:`DensityProvider`: ``t_utc`` is ``datetime64[ns]``, latitude and altitude are
    geodetic (WGS-84), all four broadcast against each other and the result has the broadcast
    shape.  :class:`MsisDensity` calls NRLMSIS through ``pymsis``; :class:`ExponentialDensity`
    is the textbook single-scale-height model used by the tests.  A fast tabulated model from
    ``deorbit.atmosphere`` plugs in the same way.

Drag
    a_D = -1/2 rho (Cd A / m) |v_rel| v_rel, with v_rel = v - omega_E x r the velocity relative
    to an atmosphere that co-rotates with the Earth (Vallado 2013, eq. 8-37).  The ballistic
    coefficient is ``bc_m2_per_kg`` = Cd A / m (m^2/kg); ISS: 2.2 * 1600 / 420000 = 0.00838.
    Winds (typically < 5 % of the co-rotation speed) are ignored.

Orbit average
    :func:`orbit_averaged_drag_rates` evaluates the drag acceleration at K points equally spaced
    in eccentric anomaly E around the osculating-Keplerian ellipse built from the mean elements,
    with the density taken at each point's real geodetic latitude, longitude (Earth rotation
    during the revolution included) and altitude above the ellipsoid, projects it on the radial,
    along-track and cross-track axes, and feeds Gauss's variational equations (Vallado 2013,
    eq. 9-24).  The time average over one revolution is

        <f> = (1 / 2 pi) integral_0^{2 pi} f(E) (1 - e cos E) dE

    (dt = (1 - e cos E) dE / n), computed with the trapezoid rule, which converges
    geometrically for smooth periodic integrands (Trefethen & Weideman 2014, SIAM Rev. 56).
    The density peak at perigee of an eccentric orbit is ~sqrt(2 H / (a e)) wide in E, so the
    number of nodes grows with a e (see :func:`nodes_for`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from deorbit.gravity import (
    MU_KM3_S2,
    OMEGA_EARTH_RAD_S,
    EarthClock,
    geodetic_from_eci_gmst,
)

ArrayF = npt.NDArray[np.float64]
#: A space-weather index: a constant, or a function of datetime64[ns] instants.
Index = float | Callable[[np.ndarray], npt.ArrayLike]


class DensityProvider(Protocol):
    """Total mass density of the neutral atmosphere (kg/m^3).

    Arguments broadcast against each other: ``t_utc`` is ``datetime64[ns]``, ``lat_deg`` and
    ``alt_km`` are geodetic on WGS-84, ``lon_deg`` is east longitude in degrees.  ``sample``
    (integer array broadcasting with the points, or None) names the Monte Carlo sample each
    point belongs to, so that a provider can apply per-sample perturbations (a solar-flux
    forecast error, say); providers without such perturbations ignore it.
    """

    def __call__(
        self,
        t_utc: np.ndarray,
        lat_deg: np.ndarray,
        lon_deg: np.ndarray,
        alt_km: np.ndarray,
        sample: np.ndarray | None = None,
    ) -> np.ndarray: ...


@dataclass(frozen=True)
class ExponentialDensity:
    """rho(h) = rho_ref exp(-(h - h_ref) / H): one scale height, no time or position dependence.

    Defaults are the Vallado (2013) Table 8-4 row for 400-450 km (rho = 3.725e-12 kg/m^3 at
    400 km, H = 58.515 km).  Used for analytic checks (King-Hele), tests and benchmarks.
    """

    rho_ref_kg_m3: float = 3.725e-12
    ref_alt_km: float = 400.0
    scale_height_km: float = 58.515

    def __call__(
        self,
        t_utc: np.ndarray,
        lat_deg: np.ndarray,
        lon_deg: np.ndarray,
        alt_km: np.ndarray,
        sample: np.ndarray | None = None,
    ) -> np.ndarray:
        h = np.asarray(alt_km, dtype=float)
        shape = np.broadcast_shapes(np.shape(t_utc), np.shape(lat_deg), np.shape(lon_deg), h.shape)
        rho = self.rho_ref_kg_m3 * np.exp(-(h - self.ref_alt_km) / self.scale_height_km)
        return np.broadcast_to(rho, shape)


class MsisDensity:
    """NRLMSIS density through ``pymsis`` with explicitly given space-weather indices.

    ``f107_sfu`` (daily F10.7 of the previous day), ``f107a_sfu`` (81-day centred mean) and
    ``ap`` (daily Ap) are constants or callables mapping a ``datetime64[ns]`` array to values,
    so time-varying forecasts plug in.  The indices are always passed explicitly: pymsis never
    looks up (or downloads) its own space-weather file.  ``version`` 0 is NRLMSISE-00
    (Picone et al. 2002), 2.1 is NRLMSIS 2.1 (Emmert et al. 2022).  Cost on this machine:
    ~40 us per call plus ~2.5 us (v0) or ~16 us (v2.1) per point.
    """

    def __init__(self, f107_sfu: Index, f107a_sfu: Index, ap: Index, version: float = 2.1) -> None:
        import pymsis  # noqa: F401  (fail early if missing)

        self.f107_sfu = f107_sfu
        self.f107a_sfu = f107a_sfu
        self.ap = ap
        self.version = version

    @staticmethod
    def _index(value: Index, t: np.ndarray) -> np.ndarray:
        if callable(value):
            return np.broadcast_to(np.asarray(value(t), dtype=float), t.shape)
        return np.full(t.shape, float(value))

    def __call__(
        self,
        t_utc: np.ndarray,
        lat_deg: np.ndarray,
        lon_deg: np.ndarray,
        alt_km: np.ndarray,
        sample: np.ndarray | None = None,
    ) -> np.ndarray:
        import pymsis

        t = np.asarray(t_utc, dtype="datetime64[ns]")
        lat = np.asarray(lat_deg, dtype=float)
        lon = np.asarray(lon_deg, dtype=float)
        alt = np.asarray(alt_km, dtype=float)
        shape = np.broadcast_shapes(t.shape, lat.shape, lon.shape, alt.shape)
        if t.shape != shape or lat.shape != shape or lon.shape != shape or alt.shape != shape:
            t, lat, lon, alt = np.broadcast_arrays(t, lat, lon, alt)
        t = t.ravel()
        if t.size == 0:
            return np.zeros(shape)
        f107 = self._index(self.f107_sfu, t)
        f107a = self._index(self.f107a_sfu, t)
        ap = np.zeros((t.size, 7))
        ap[:, 0] = self._index(self.ap, t)
        out = pymsis.calculate(
            t,
            np.mod(lon.ravel() + 180.0, 360.0) - 180.0,
            lat.ravel(),
            alt.ravel(),
            f107,
            f107a,
            ap,
            version=self.version,
        )
        return out[:, 0].reshape(shape)


def relative_velocity_km_s(r_km: npt.ArrayLike, v_km_s: npt.ArrayLike) -> ArrayF:
    """Velocity relative to an atmosphere co-rotating with the Earth: v - omega_E z x r (km/s)."""
    r = np.asarray(r_km, dtype=float)
    v = np.asarray(v_km_s, dtype=float)
    vr = v.copy()
    vr[..., 0] += OMEGA_EARTH_RAD_S * r[..., 1]
    vr[..., 1] -= OMEGA_EARTH_RAD_S * r[..., 0]
    return vr


def drag_acceleration_km_s2(
    r_km: npt.ArrayLike,
    v_km_s: npt.ArrayLike,
    rho_kg_m3: npt.ArrayLike,
    bc_m2_per_kg: npt.ArrayLike,
) -> ArrayF:
    """Drag acceleration (km/s^2) in the inertial frame, shape (..., 3).

    a = -1/2 rho BC |v_rel| v_rel with rho in kg/m^3, BC = Cd A / m in m^2/kg and v_rel in m/s
    gives m/s^2; the factor 1000 below is (1000 m/km)^2 / (1000 m/km).  ISS at 400 km
    (rho ~ 3.7e-12 kg/m^3, BC 0.00838 m^2/kg, v_rel ~ 7.2 km/s): 8.0e-7 m/s^2 = 8.0e-10 km/s^2.
    """
    vr = relative_velocity_km_s(r_km, v_km_s)
    speed = np.linalg.norm(vr, axis=-1, keepdims=True)
    k = -0.5e3 * np.asarray(rho_kg_m3, dtype=float) * np.asarray(bc_m2_per_kg, dtype=float)
    return k[..., None] * speed * vr


#: Scale heights of the CIRA-72 reference atmosphere (Vallado 2013, Table 8-4): base altitude
#: (km) and H (km) of each band.  Used only where a rough, provider-independent H is enough:
#: the handover criterion (:func:`deorbit.decay.propagate_decay`) and the Cowell step control.
_REF_H_ALT_KM = np.array(
    [0, 25, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 180, 200, 250, 300, 350,
     400, 450, 500, 600, 700, 800, 900, 1000],
    dtype=float,
)  # fmt: skip
_REF_H_KM = np.array(
    [7.249, 6.349, 6.682, 7.554, 8.382, 7.714, 6.549, 5.799, 5.382, 5.877, 7.263, 9.473, 12.636,
     16.149, 22.523, 29.740, 37.105, 45.546, 53.628, 53.298, 58.515, 60.828, 63.822, 71.835,
     88.667, 124.64, 181.05, 268.00],
)  # fmt: skip


def reference_scale_height_km(alt_km: npt.ArrayLike) -> ArrayF:
    """Density scale height H (km) of the CIRA-72 reference atmosphere at ``alt_km``.

    Piecewise linear between the Table 8-4 band values (Vallado 2013), constant outside
    0-1000 km.  Real thermospheric H varies by +-30 % with solar activity; this is a yardstick
    for "how far must the altitude change before the drag changes by a factor e", e.g. 9.5 km
    at 120 km, 22.5 km at 150 km, 58.5 km at 400 km.
    """
    return np.interp(np.asarray(alt_km, dtype=float), _REF_H_ALT_KM, _REF_H_KM)


def nodes_for(a_km: npt.ArrayLike, e: npt.ArrayLike, *, minimum: int = 16) -> int:
    """Trapezoid nodes in E that resolve the perigee density peak of every sample (the most
    demanding one's count; :func:`nodes_for_each` gives each sample its own)."""
    return int(np.max(nodes_for_each(a_km, e, minimum=minimum), initial=minimum))


def nodes_for_each(a_km: npt.ArrayLike, e: npt.ArrayLike, *, minimum: int = 16) -> np.ndarray:
    """Trapezoid nodes in E that resolve each sample's perigee density peak, shape (N,).

    The peak is ~w = sqrt(2 H / (a e)) wide in E (H taken as 15 km, the scale height near
    150 km, so the rule is conservative above); eight nodes per width keep the quadrature error
    below 1e-4 (tested).  Near-circular orbits get ``minimum`` nodes: 16 is exact for
    harmonics below 16 in E, while the latitude, ellipsoid-height and local-time structure has
    significant harmonics only up to order ~4 in the argument of latitude.  ISS to 160 km
    (NRLMSISE-00): 16 rather than 24 nodes moves the handover by +0.009 d (0.002 %) and saves
    a third of the density points.  Counts are multiples of 8 between ``minimum`` and 512.
    """
    ae = np.atleast_1d(np.asarray(a_km, dtype=float) * np.asarray(e, dtype=float))
    with np.errstate(divide="ignore"):
        width = np.sqrt(2.0 * 15.0 / np.maximum(ae, 0.0))
        k = np.ceil(8.0 * 2.0 * np.pi / width / 8.0) * 8
    return np.clip(np.nan_to_num(k, nan=0.0), minimum, 512).astype(np.int64)


@dataclass(frozen=True)
class AveragedRates:
    """Orbit-averaged drag rates of the mean elements (shape (N,) each).

    ``de_vec_dt`` is the rate of the eccentricity vector (e cos w, e sin w) in the perifocal
    plane; it is regular at e = 0, where de/dt alone is not.
    """

    da_dt_km_s: ArrayF
    dex_dt_per_s: ArrayF
    dey_dt_per_s: ArrayF
    dinc_dt_rad_s: ArrayF
    draan_dt_rad_s: ArrayF
    #: lowest geodetic altitude among the quadrature points (km)
    min_alt_km: ArrayF


def orbit_averaged_drag_rates(
    a_km: npt.ArrayLike,
    e: npt.ArrayLike,
    inc_deg: npt.ArrayLike,
    raan_deg: npt.ArrayLike,
    argp_deg: npt.ArrayLike,
    bc_m2_per_kg: npt.ArrayLike,
    t_utc: npt.ArrayLike,
    density: DensityProvider,
    *,
    density_scale: npt.ArrayLike = 1.0,
    n_nodes: int | None = None,
) -> AveragedRates:
    """Time-averaged drag rates over one revolution, vectorised over N samples.

    All element arguments have shape (N,) (or broadcast to it); ``t_utc`` (datetime64) is the
    mid-revolution instant of each sample.  The quadrature point at eccentric anomaly E is
    placed at time t + (M(E) - pi) / n, so the Earth turns under the orbit during the
    revolution and the density sees the right longitude and local solar time.
    ``density_scale`` multiplies the density (Monte Carlo density-error factor).

    Gauss's equations (R radial, S along-track, W cross-track components of a_D)::

        da/dt      = 2 a^2 (v . a_D) / mu
        de/dt      = [p sin nu R + ((p + r) cos nu + r e) S] / h
        e dw/dt    = [-p cos nu R + (p + r) sin nu S] / h - e cos i dOmega/dt
        di/dt      = r cos u W / h
        dOmega/dt  = r sin u W / (h sin i)

    with p = a (1 - e^2), h = sqrt(mu p), u = w + nu.  This is the datetime/degree front end
    of :func:`averaged_drag_rates`, which the integrators call directly.
    """
    a = np.atleast_1d(np.asarray(a_km, dtype=float))
    shape = a.shape

    def arr(x: npt.ArrayLike) -> ArrayF:
        return np.broadcast_to(np.asarray(x, dtype=float), shape).copy()

    clock = EarthClock.at(np.broadcast_to(np.asarray(t_utc, dtype="datetime64[ns]"), shape))
    return averaged_drag_rates(
        a.copy(),
        arr(e),
        np.radians(arr(inc_deg)),
        np.radians(arr(raan_deg)),
        np.radians(arr(argp_deg)),
        arr(bc_m2_per_kg),
        arr(density_scale),
        clock,
        np.zeros(shape),
        density,
        n_nodes or nodes_for(a, arr(e)),
        np.arange(shape[0]),
    )


@functools.lru_cache(maxsize=64)
def _trapezoid_nodes(k_nodes: int) -> tuple[ArrayF, ArrayF, ArrayF]:
    """E_j = 2 pi j / K and their cosines and sines (cached: the same K is used every step)."""
    big_e = np.linspace(0.0, 2.0 * np.pi, k_nodes, endpoint=False)
    out = (big_e, np.cos(big_e), np.sin(big_e))
    for x in out:
        x.flags.writeable = False
    return out


def averaged_drag_rates(
    a_km: ArrayF,
    e: ArrayF,
    inc_rad: ArrayF,
    raan_rad: ArrayF,
    argp_rad: ArrayF,
    bc_m2_per_kg: ArrayF,
    density_scale: ArrayF,
    clock: EarthClock,
    t_s: ArrayF,
    density: DensityProvider,
    k_nodes: int,
    sample: np.ndarray,
) -> AveragedRates:
    """:func:`orbit_averaged_drag_rates` on (N,) float arrays, angles in radians, time as
    seconds ``t_s`` after each sample's ``clock`` origin, ``sample`` the samples' indices (for
    the density provider), K = ``k_nodes``.

    How it is evaluated (the same equations, fewer operations)
        Everything but the density is done in the perifocal frame (P to perigee, Q, W the
        orbit normal).  There the position is (a (cos E - e), a eta sin E, 0) and the velocity
        sqrt(mu a) / r (-sin E, eta cos E, 0), eta = sqrt(1 - e^2); the Earth's spin axis z has
        components (P_z, Q_z, W_z) = (sin w sin i, cos w sin i, cos i), so the air's velocity
        omega_E z x r is omega_E (-W_z y_p, W_z x_p, P_z y_p - Q_z x_p).  R and S follow from
        the perifocal components by the rotation through the true anomaly nu.  Only the
        geodetic position for the density needs inertial coordinates.  Per-sample factors
        (1/h, p, 2 a^2/mu) are applied after the sums over nodes.
    """
    big_e, ce, se = _trapezoid_nodes(k_nodes)
    a2 = a_km[:, None]
    e2 = e[:, None]
    eta = np.sqrt(1.0 - e2 * e2)
    one_m = 1.0 - e2 * ce  # r / a
    r = a2 * one_m
    xp = a2 * (ce - e2)
    yp = (a2 * eta) * se
    vfac = np.sqrt(MU_KM3_S2 * a2) / r
    vxp = -vfac * se
    vyp = (vfac * eta) * ce
    co, so = np.cos(raan_rad), np.sin(raan_rad)
    cw, sw = np.cos(argp_rad), np.sin(argp_rad)
    ci, si = np.cos(inc_rad), np.sin(inc_rad)
    # inertial components of P and Q, (N, 1): only needed for the geodetic position
    px, py, pz = co * cw - so * sw * ci, so * cw + co * sw * ci, sw * si
    qx, qy, qz = -co * sw - so * cw * ci, -so * sw + co * cw * ci, cw * si
    x = px[:, None] * xp + qx[:, None] * yp
    y = py[:, None] * xp + qy[:, None] * yp
    z = pz[:, None] * xp + qz[:, None] * yp
    # node times: the revolution is centred on t_s; dt = (M(E) - pi) / n
    n_mean = np.sqrt(MU_KM3_S2 / a_km**3)
    dt_node = (big_e - e2 * se - np.pi) / n_mean[:, None]
    t_node = t_s[:, None] + dt_node
    lat, lon, alt = geodetic_from_eci_gmst(x, y, z, clock.gmst_rad(t_node))
    rho = density(clock.utc(t_node), lat, lon, alt, sample=sample[:, None])
    # velocity relative to the co-rotating air, perifocal (vrp, vrq, vrw)
    wz = OMEGA_EARTH_RAD_S * ci[:, None]
    vrp = vxp + wz * yp
    vrq = vyp - wz * xp
    vrw = -OMEGA_EARTH_RAD_S * (pz[:, None] * yp - qz[:, None] * xp)
    # drag a = kk vrel, kk = -1/2 rho BC |v_rel| (km/s^2 per km/s; 1e3: see drag_acceleration)
    kk = (-0.5e3 * (bc_m2_per_kg * density_scale))[:, None] * rho
    kk *= np.sqrt(vrp * vrp + vrq * vrq + vrw * vrw)
    # time-average weights (1 - e cos E) / K times kk
    w = kk * (one_m / k_nodes)
    cos_nu = (ce - e2) / one_m
    sin_nu = (eta * se) / one_m
    fr = vrp * cos_nu + vrq * sin_nu  # R and S components of v_rel (times kk: of a_D)
    fs = vrq * cos_nu - vrp * sin_nu
    p = a_km * (1.0 - e * e)
    h = np.sqrt(MU_KM3_S2 * p)
    p2 = p[:, None]
    # da/dt = 2 a^2 (v . a_D) / mu
    da = 2.0 * a_km**2 / MU_KM3_S2 * np.sum(w * (vxp * vrp + vyp * vrq), axis=-1)
    de = np.sum(w * (p2 * sin_nu * fr + ((p2 + r) * cos_nu + r * e2) * fs), axis=-1) / h
    e_dw = np.sum(w * (-p2 * cos_nu * fr + (p2 + r) * sin_nu * fs), axis=-1) / h
    # cross-track: W component of v_rel is vrw; cos u, sin u with u = w + nu
    cu = cw[:, None] * cos_nu - sw[:, None] * sin_nu
    su = sw[:, None] * cos_nu + cw[:, None] * sin_nu
    rw = w * r * vrw
    di = np.sum(rw * cu, axis=-1) / h
    draan = np.sum(rw * su, axis=-1) / (h * np.where(np.abs(si) < 1e-9, 1e-9, si))
    e_dw = e_dw - e * ci * draan
    # d(e cos w)/dt = cos w de/dt - sin w (e dw/dt), d(e sin w)/dt = sin w de/dt + cos w e dw/dt
    return AveragedRates(
        da_dt_km_s=da,
        dex_dt_per_s=cw * de - sw * e_dw,
        dey_dt_per_s=sw * de + cw * e_dw,
        dinc_dt_rad_s=di,
        draan_dt_rad_s=draan,
        min_alt_km=alt.min(axis=-1),
    )
