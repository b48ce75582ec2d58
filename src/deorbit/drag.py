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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from deorbit.gravity import MU_KM3_S2, OMEGA_EARTH_RAD_S, geodetic_from_eci

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


def nodes_for(a_km: npt.ArrayLike, e: npt.ArrayLike, *, minimum: int = 24) -> int:
    """Trapezoid nodes in E that resolve the perigee density peak of every sample.

    The peak is ~w = sqrt(2 H / (a e)) wide in E (H taken as 15 km, the scale height near
    150 km, so the rule is conservative above); eight nodes per width keep the quadrature error
    below 1e-4 (tested).  Near-circular orbits get ``minimum`` nodes, enough for the
    latitude/local-time structure (harmonics up to order ~4 in the argument of latitude).
    """
    ae = float(np.max(np.asarray(a_km) * np.asarray(e), initial=0.0))
    if ae <= 0.0:
        return minimum
    width = np.sqrt(2.0 * 15.0 / ae)
    k = int(np.ceil(8.0 * 2.0 * np.pi / width / 8.0)) * 8
    return int(np.clip(k, minimum, 512))


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

    with p = a (1 - e^2), h = sqrt(mu p), u = w + nu.
    """
    a = np.atleast_1d(np.asarray(a_km, dtype=float))
    ecc = np.broadcast_to(np.asarray(e, dtype=float), a.shape)
    inc, raan, argp = (
        np.radians(np.asarray(x, dtype=float)) for x in (inc_deg, raan_deg, argp_deg)
    )
    bc = np.asarray(bc_m2_per_kg, dtype=float)
    scale = np.asarray(density_scale, dtype=float)
    t_mid = np.broadcast_to(np.asarray(t_utc, dtype="datetime64[ns]"), a.shape)
    k_nodes = n_nodes or nodes_for(a, ecc)
    big_e = np.linspace(0.0, 2.0 * np.pi, k_nodes, endpoint=False)
    ce, se = np.cos(big_e), np.sin(big_e)
    a2, e2 = a[:, None], ecc[:, None]
    eta = np.sqrt(1.0 - e2 * e2)
    one_m = 1.0 - e2 * ce
    r = a2 * one_m
    n = np.sqrt(MU_KM3_S2 / a**3)[:, None]
    # perifocal coordinates of position and velocity
    xp, yp = a2 * (ce - e2), a2 * eta * se
    vfac = np.sqrt(MU_KM3_S2 * a2) / r
    vxp, vyp = -vfac * se, vfac * eta * ce
    co, so = np.cos(raan), np.sin(raan)
    cw, sw = np.cos(argp), np.sin(argp)
    ci, si = np.cos(inc), np.sin(inc)
    co, so, cw, sw, ci, si = np.broadcast_arrays(co, so, cw, sw, ci, si, a)[:6]
    # perifocal unit vectors P (to perigee), Q and the orbit normal W, each (3, N, 1)
    p_hat = np.array([co * cw - so * sw * ci, so * cw + co * sw * ci, sw * si])[..., None]
    q_hat = np.array([-co * sw - so * cw * ci, -so * sw + co * cw * ci, cw * si])[..., None]
    w_hat = np.array([so * si, -co * si, ci])[..., None]
    pos = xp * p_hat + yp * q_hat  # (3, N, K)
    vel = vxp * p_hat + vyp * q_hat
    # node times: the revolution is centred on t_mid
    mean_anom = big_e - e2 * se
    dt_ns = ((mean_anom - np.pi) / n * 1e9).astype(np.int64).astype("timedelta64[ns]")
    t_nodes = t_mid[:, None] + dt_ns
    lat, lon, alt = geodetic_from_eci(np.moveaxis(pos, 0, -1), t_nodes)
    sample = np.arange(a.shape[0])[:, None]
    rho = density(t_nodes, lat, lon, alt, sample=sample) * np.atleast_1d(scale)[:, None]
    # drag in an atmosphere co-rotating with the Earth (a = -1/2 rho BC |v_rel| v_rel)
    vrel = vel.copy()
    vrel[0] += OMEGA_EARTH_RAD_S * pos[1]
    vrel[1] -= OMEGA_EARTH_RAD_S * pos[0]
    k = -0.5e3 * rho * np.atleast_1d(bc)[:, None] * np.sqrt(np.sum(vrel * vrel, axis=0))
    acc = k * vrel
    # RSW components: R along r, W the orbit normal, S = W x R
    r_hat = pos / r
    s_hat = np.array(
        [
            w_hat[1] * r_hat[2] - w_hat[2] * r_hat[1],
            w_hat[2] * r_hat[0] - w_hat[0] * r_hat[2],
            w_hat[0] * r_hat[1] - w_hat[1] * r_hat[0],
        ]
    )
    fr = np.sum(acc * r_hat, 0)
    fs = np.sum(acc * s_hat, 0)
    fw = np.sum(acc * w_hat, 0)
    p = a2 * eta * eta
    h = np.sqrt(MU_KM3_S2 * p)
    sin_nu, cos_nu = eta * se / one_m, (ce - e2) / one_m
    cw, sw, ci, si = cw[:, None], sw[:, None], ci[:, None], si[:, None]
    cu = cw * cos_nu - sw * sin_nu
    su = sw * cos_nu + cw * sin_nu
    weights = one_m / k_nodes  # time average: dt = (1 - e cos E) dE / n
    da = 2.0 * a2**2 / MU_KM3_S2 * np.sum(vel * acc, 0)
    de = (p * sin_nu * fr + ((p + r) * cos_nu + r * e2) * fs) / h
    e_dw = (-p * cos_nu * fr + (p + r) * sin_nu * fs) / h
    di = r * cu * fw / h
    draan = r * su * fw / (h * np.where(np.abs(si) < 1e-9, 1e-9, si))
    e_dw = e_dw - e2 * ci * draan

    def avg(f: np.ndarray) -> ArrayF:
        return np.sum(f * weights, axis=-1)

    de_m, edw_m = avg(de), avg(e_dw)
    # d(e cos w)/dt = cos w de/dt - sin w (e dw/dt), d(e sin w)/dt = sin w de/dt + cos w e dw/dt
    cw1, sw1 = cw[:, 0], sw[:, 0]
    return AveragedRates(
        da_dt_km_s=avg(da),
        dex_dt_per_s=cw1 * de_m - sw1 * edw_m,
        dey_dt_per_s=sw1 * de_m + cw1 * edw_m,
        dinc_dt_rad_s=avg(di),
        draan_dt_rad_s=avg(draan),
        min_alt_km=alt.min(axis=-1),
    )
