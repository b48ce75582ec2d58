"""The Earth as the decay and re-entry integrators see it: mass, shape, rotation, zonal gravity.

What is here
    * WGS-84 / EGM2008 constants, each with its source;
    * :func:`zonal_acceleration_km_s2`: point mass plus the J2, J3 and J4 zonal harmonics;
    * :func:`j2_secular_rates_rad_s`: the secular drift of the node and of perigee caused by J2;
    * :func:`gmst_rad`: Greenwich mean sidereal time (IAU 1982), to turn inertial positions
      into longitudes;
    * :func:`geodetic_from_ecef`: latitude and altitude above the WGS-84 ellipsoid.

Frames
    Positions are treated as inertial in TEME/ECI.  Over the day or so of a final re-entry
    phase, precession and nutation move the true equator by well under an arcsecond, far below
    what drag uncertainty allows, so the frame is not rotated further.  Longitudes come from
    GMST alone (no equation of the equinoxes: <= 1.2 s of time, i.e. < 0.005 deg).

Sources
    * NIMA TR8350.2 (2000), *Department of Defense World Geodetic System 1984*, Table 3.1
      (a, 1/f, omega_E) and Table 3.4 (GM).
    * Pavlis et al. (2012), *The development and evaluation of the Earth Gravitational Model
      2008 (EGM2008)*, JGR 117, B04406: fully normalised C(n,0) below.
    * Vallado (2013), *Fundamentals of Astrodynamics and Applications*, 4th ed.: eq. 8-30
      (zonal accelerations), eq. 9-41 (J2 secular rates), eq. 3-47 (GMST, IAU 1982).
    * Bowring (1976), *Transformation from spatial to geographical coordinates*, Survey
      Review 23(181): the one-step geodetic latitude used here (error < 1 mm below 1000 km).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

ArrayF = npt.NDArray[np.float64]

#: Earth's gravitational parameter GM (km^3/s^2), WGS-84 / EGM2008.
MU_KM3_S2 = 398600.4418
#: WGS-84 equatorial radius (km); also the EGM2008 reference radius to 0.3 mm.
R_EQ_KM = 6378.137
#: WGS-84 flattening.
FLATTENING = 1.0 / 298.257223563
#: First eccentricity squared of the WGS-84 ellipsoid.
E2 = FLATTENING * (2.0 - FLATTENING)
#: WGS-84 polar radius (km).
R_POL_KM = R_EQ_KM * (1.0 - FLATTENING)
#: Second eccentricity squared, e'^2 = e^2 / (1 - e^2).
_EP2 = E2 / (1.0 - E2)
#: Earth's rotation rate (rad/s), WGS-84.
OMEGA_EARTH_RAD_S = 7.292115e-5

#: EGM2008 fully normalised zonal coefficients C(n,0), n = 2, 3, 4 (Pavlis et al. 2012).
_C_BAR_N0 = {2: -4.84165143790815e-4, 3: 9.57161207093473e-7, 4: 5.39965866638991e-7}
#: Unnormalised zonal harmonics J_n = -sqrt(2n+1) * C(n,0).
J2 = -np.sqrt(5.0) * _C_BAR_N0[2]  # 1.0826262e-3
J3 = -np.sqrt(7.0) * _C_BAR_N0[3]  # -2.5324e-6
J4 = -np.sqrt(9.0) * _C_BAR_N0[4]  # -1.6199e-6

_UNIX_EPOCH_JD = 2440587.5


def zonal_acceleration_km_s2(r_km: npt.ArrayLike, *, max_degree: int = 4) -> ArrayF:
    """Gravitational acceleration (km/s^2) of the point mass plus zonals J2..J``max_degree``.

    ``r_km`` has shape (..., 3) in an Earth-centred frame whose z axis is the rotation axis.
    The terms are the gradient of U = mu/r [1 - sum J_n (R/r)^n P_n(z/r)] written out in
    Cartesian form (Vallado 2013, eq. 8-30).  J2 is ~1e-3 of the central term, J3 and J4 a
    further thousandth; higher zonals and all tesserals change a re-entry epoch by far less than
    the atmosphere's uncertainty.  ``max_degree`` 0 gives the point mass only.
    """
    r = np.asarray(r_km, dtype=float)
    out = np.empty(r.shape)
    out[..., 0], out[..., 1], out[..., 2] = zonal_acceleration_xyz(
        r[..., 0], r[..., 1], r[..., 2], max_degree=max_degree
    )
    return out


def zonal_acceleration_xyz(
    x: ArrayF, y: ArrayF, z: ArrayF, *, max_degree: int = 4
) -> tuple[ArrayF, ArrayF, ArrayF]:
    """:func:`zonal_acceleration_km_s2` on separate x, y, z arrays (km): (ax, ay, az) km/s^2.

    The integrators' inner loop uses this form: no (..., 3) array is built or taken apart,
    which at N = 1 (numpy's per-call overhead, ~1 us per operation, dominating) saves a third.
    """
    r2 = x * x + y * y + z * z
    rn = np.sqrt(r2)
    k = -MU_KM3_S2 / (r2 * rn)
    if max_degree < 2:
        return k * x, k * y, k * z
    # a = -mu/r^3 [x (1 + fxy), y (1 + fxy), z (1 + fz) + r gz], the f's and gz dimensionless
    # series in s = z/r (sine of geocentric latitude) and q = R/r, from Vallado eq. 8-30.
    inv = 1.0 / rn
    s = z * inv
    s2 = s * s
    q2 = (R_EQ_KM * inv) ** 2
    c2 = 1.5 * J2 * q2
    fxy = c2 * (1.0 - 5.0 * s2)
    fz = c2 * (3.0 - 5.0 * s2)
    gz = 0.0  # J3's z-term part that is not proportional to z, in units of r
    if max_degree >= 3:
        c3 = 2.5 * J3 * R_EQ_KM * inv * q2
        fxy = fxy + c3 * s * (3.0 - 7.0 * s2)
        gz = c3 * (s2 * (6.0 - 7.0 * s2) - 0.6)
    if max_degree >= 4:
        c4 = -1.875 * J4 * q2 * q2
        poly = 21.0 * s2 * s2
        fxy = fxy + c4 * (1.0 - 14.0 * s2 + poly)
        fz = fz + c4 * (5.0 - 70.0 / 3.0 * s2 + poly)
    kxy = k * (1.0 + fxy)
    return kxy * x, kxy * y, k * (z * (1.0 + fz) + gz * rn)


def zonal_potential_km2_s2(r_km: npt.ArrayLike, *, max_degree: int = 4) -> ArrayF:
    """The potential U (km^2/s^2, positive convention, a = +grad U) of the same field.

    U = mu/r [1 - sum_{n=2}^{max_degree} J_n (R/r)^n P_n(sin phi)], phi geocentric latitude.
    Used by the tests to check :func:`zonal_acceleration_km_s2` by finite differences.
    """
    r = np.asarray(r_km, dtype=float)
    rn = np.linalg.norm(r, axis=-1)
    s = r[..., 2] / rn
    legendre = {
        2: 0.5 * (3.0 * s**2 - 1.0),
        3: 0.5 * (5.0 * s**3 - 3.0 * s),
        4: 0.125 * (35.0 * s**4 - 30.0 * s**2 + 3.0),
    }
    jn = {2: J2, 3: J3, 4: J4}
    total = np.ones_like(rn)
    for n in range(2, max_degree + 1):
        total -= jn[n] * (R_EQ_KM / rn) ** n * legendre[n]
    return MU_KM3_S2 / rn * total


def j2_secular_rates_rad_s(
    a_km: npt.ArrayLike, e: npt.ArrayLike, inc_rad: npt.ArrayLike
) -> tuple[ArrayF, ArrayF, ArrayF]:
    """Secular J2 rates (rad/s) of the node, the argument of perigee and the mean anomaly.

    First-order mean-element theory (Vallado 2013, eq. 9-41), with n = sqrt(mu/a^3) and
    p = a (1 - e^2)::

        dOmega/dt = -3/2 n J2 (R/p)^2 cos i
        domega/dt =  3/4 n J2 (R/p)^2 (5 cos^2 i - 1)
        dM/dt     =  n [1 + 3/4 J2 (R/p)^2 sqrt(1 - e^2) (3 cos^2 i - 1)]

    For the ISS (i = 51.6 deg, 415 km) the node regresses by about 5.0 deg/day.
    """
    a = np.asarray(a_km, dtype=float)
    ecc = np.asarray(e, dtype=float)
    c = np.cos(np.asarray(inc_rad, dtype=float))
    n = np.sqrt(MU_KM3_S2 / a**3)
    p = a * (1.0 - ecc * ecc)
    k = n * J2 * (R_EQ_KM / p) ** 2
    raan_dot = -1.5 * k * c
    argp_dot = 0.75 * k * (5.0 * c * c - 1.0)
    m_dot = n + 0.75 * k * np.sqrt(1.0 - ecc * ecc) * (3.0 * c * c - 1.0)
    return raan_dot, argp_dot, m_dot


def gmst_rad(t_utc: npt.ArrayLike) -> ArrayF:
    """Greenwich mean sidereal time (rad, in [0, 2 pi)) for UTC instants (datetime64).

    IAU 1982 expression (Vallado 2013, eq. 3-47), computed by :func:`deorbit.frames.gmst82_rad`
    from the Julian date split into whole days and fraction (precision ~1e-13 rad), with
    UT1 = UTC: |UT1 - UTC| < 0.9 s makes a longitude error below 0.004 deg, negligible against
    re-entry uncertainty.
    """
    from deorbit.frames import gmst82_rad

    ns = np.asarray(t_utc, dtype="datetime64[ns]").astype(np.int64)
    days, rem = np.divmod(ns, 86_400_000_000_000)
    return np.asarray(gmst82_rad(days + _UNIX_EPOCH_JD, rem / 86400e9))


def gmst_rate_rad_s(t_utc: npt.ArrayLike) -> ArrayF:
    """d(GMST)/dt (rad/s) at UTC instants: 7.2921158553e-5 plus a ~4e-15 trend per century.

    With :func:`gmst_rad` at an origin it gives GMST at t seconds later as
    ``gmst0 + rate * t`` without any datetime arithmetic; the neglected quadratic term of the
    IAU 1982 series is 0.5 * 1.4e-24 rad/s^2 * t^2: 2e-11 rad after 60 days, 3e-9 rad (2 cm at
    LEO) after two years, 7e-8 rad (0.5 m) after ten.
    """
    from deorbit.frames import gmst82_rate_rad_s

    ns = np.asarray(t_utc, dtype="datetime64[ns]").astype(np.int64)
    days, rem = np.divmod(ns, 86_400_000_000_000)
    return np.asarray(gmst82_rate_rad_s(days + _UNIX_EPOCH_JD, rem / 86400e9))


def geodetic_from_ecef(r_ecef_km: npt.ArrayLike) -> tuple[ArrayF, ArrayF, ArrayF]:
    """Geodetic latitude (deg), longitude (deg, [-180, 180)) and WGS-84 altitude (km).

    Bowring's (1976) single-step formula: error below 1 mm for altitudes under 1000 km,
    which is what MSIS (geodetic inputs) and the re-entry event need.
    """
    r = np.asarray(r_ecef_km, dtype=float)
    return geodetic_from_xyz(r[..., 0], r[..., 1], r[..., 2])


def geodetic_from_xyz(x: ArrayF, y: ArrayF, z: ArrayF) -> tuple[ArrayF, ArrayF, ArrayF]:
    """:func:`geodetic_from_ecef` on separate Earth-fixed x, y, z arrays (km).

    Bowring: the parametric latitude beta, tan(beta) = (R_eq z) / (R_pol p) with p the
    distance from the axis, seeds one step of the geodetic latitude

        tan(lat) = (z + e'^2 R_pol sin^3 beta) / (p - e^2 R_eq cos^3 beta),

    and h = p cos(lat) + z sin(lat) - R_eq sqrt(1 - e^2 sin^2 lat).  The sines and cosines of
    beta and lat are taken as ratios of the two legs to their hypotenuse rather than through
    arctan2 then sin/cos: the same numbers to rounding, four transcendental calls fewer.
    """
    p = np.hypot(x, y)
    zb, pb = z * R_EQ_KM, p * R_POL_KM
    d = np.hypot(zb, pb)
    sb, cb = zb / d, pb / d
    num = z + _EP2 * R_POL_KM * sb * sb * sb
    den = p - E2 * R_EQ_KM * cb * cb * cb
    hyp = np.hypot(num, den)
    sl, cl = num / hyp, den / hyp
    alt = p * cl + z * sl - R_EQ_KM * np.sqrt(1.0 - E2 * sl * sl)
    return np.degrees(np.arctan2(num, den)), np.degrees(np.arctan2(y, x)), alt


def geodetic_from_eci_gmst(
    x: ArrayF, y: ArrayF, z: ArrayF, gmst: npt.ArrayLike
) -> tuple[ArrayF, ArrayF, ArrayF]:
    """Geodetic latitude (deg), longitude (deg) and altitude (km) of inertial x, y, z (km)
    given the Greenwich sidereal angle ``gmst`` (rad) of each point: the rotation into the
    Earth frame and :func:`geodetic_from_xyz` without datetime arithmetic."""
    c, s = np.cos(gmst), np.sin(gmst)
    return geodetic_from_xyz(c * x + s * y, c * y - s * x, z)


def eci_to_ecef(r_eci_km: npt.ArrayLike, gmst: npt.ArrayLike) -> ArrayF:
    """Rotate inertial (TEME/ECI) positions (..., 3) by -GMST about z into the Earth frame."""
    r = np.asarray(r_eci_km, dtype=float)
    c, s = np.cos(gmst), np.sin(gmst)
    return np.stack([c * r[..., 0] + s * r[..., 1], -s * r[..., 0] + c * r[..., 1], r[..., 2]], -1)


def geodetic_from_eci(
    r_eci_km: npt.ArrayLike, t_utc: npt.ArrayLike
) -> tuple[ArrayF, ArrayF, ArrayF]:
    """Geodetic latitude (deg), longitude (deg) and altitude (km) of inertial positions.

    ``t_utc`` (datetime64) broadcasts against ``r_eci_km[..., 0]``.
    """
    return geodetic_from_ecef(eci_to_ecef(r_eci_km, gmst_rad(t_utc)))


@dataclass(frozen=True)
class EarthClock:
    """Per-sample time origins, and the Earth's rotation angle as a linear function of time.

    The integrators carry each sample's time as float seconds ``t_s`` since its *own* origin
    (its start epoch), so a sample's arithmetic never depends on which other samples share
    the batch (Monte Carlo results do not change with how samples are split).  From those
    seconds this gives GMST = gmst0 + rate * t_s (see :func:`gmst_rate_rad_s`: the error grows
    as t^2, 3e-9 rad after two years) and the UTC instant as datetime64[ns] for density
    models, with no per-call datetime or Julian-date arithmetic.

    ``t_s`` may have shape (N,) or (N, K) (K points per sample, e.g. quadrature nodes).
    """

    origin_ns: np.ndarray  # int64 ns since 1970 (UTC), (N,)
    gmst0_rad: ArrayF
    rate_rad_s: ArrayF

    @classmethod
    def at(cls, origin_utc: npt.ArrayLike) -> EarthClock:
        """Clock with origins at the given datetime64 instants (shape (N,))."""
        t = np.atleast_1d(np.asarray(origin_utc, dtype="datetime64[ns]"))
        return cls(t.astype(np.int64), gmst_rad(t), gmst_rate_rad_s(t))

    def take(self, idx: np.ndarray) -> EarthClock:
        """The clock of the samples ``idx``."""
        return EarthClock(self.origin_ns[idx], self.gmst0_rad[idx], self.rate_rad_s[idx])

    def _col(self, values: np.ndarray, t_s: np.ndarray) -> np.ndarray:
        return values[:, None] if np.ndim(t_s) == 2 else values

    def gmst_rad(self, t_s: npt.ArrayLike) -> ArrayF:
        """GMST (rad, not reduced to [0, 2 pi)) at ``t_s`` seconds after each origin."""
        return self._col(self.gmst0_rad, t_s) + self._col(self.rate_rad_s, t_s) * t_s

    def utc(self, t_s: npt.ArrayLike) -> np.ndarray:
        """datetime64[ns] instants ``t_s`` seconds after each origin (rounded to 1 ns)."""
        ns = self._col(self.origin_ns, t_s) + np.rint(np.asarray(t_s) * 1e9).astype(np.int64)
        return ns.view("datetime64[ns]")
