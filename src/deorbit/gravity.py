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
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    r2 = x * x + y * y + z * z
    rn = np.sqrt(r2)
    # a = -mu/r^3 [x (1 + fxy), y (1 + fxy), z (1 + fz) + r gz], the f's and gz dimensionless
    # series in s = z/r (sine of geocentric latitude) and q = R/r, from Vallado eq. 8-30.
    fxy = 0.0
    fz = 0.0
    gz = 0.0  # J3's z-term part that is not proportional to z, in units of r
    if max_degree >= 2:
        q = R_EQ_KM / rn
        s = z / rn
        s2 = s * s
        q2 = q * q
        c2 = 1.5 * J2 * q2
        fxy = c2 * (1.0 - 5.0 * s2)
        fz = c2 * (3.0 - 5.0 * s2)
        if max_degree >= 3:
            c3 = 2.5 * J3 * q2 * q
            fxy = fxy + c3 * (3.0 * s - 7.0 * s * s2)
            gz = c3 * (6.0 * s2 - 7.0 * s2 * s2 - 0.6)
        if max_degree >= 4:
            c4 = -1.875 * J4 * q2 * q2
            poly = 21.0 * s2 * s2
            fxy = fxy + c4 * (1.0 - 14.0 * s2 + poly)
            fz = fz + c4 * (5.0 - 70.0 / 3.0 * s2 + poly)
    k = -MU_KM3_S2 / (r2 * rn)
    out = np.empty(r.shape)
    out[..., 0] = k * x * (1.0 + fxy)
    out[..., 1] = k * y * (1.0 + fxy)
    out[..., 2] = k * (z * (1.0 + fz) + gz * rn)
    return out


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


def geodetic_from_ecef(r_ecef_km: npt.ArrayLike) -> tuple[ArrayF, ArrayF, ArrayF]:
    """Geodetic latitude (deg), longitude (deg, [-180, 180)) and WGS-84 altitude (km).

    Bowring's (1976) single-step formula: error below 1 mm for altitudes under 1000 km,
    which is what MSIS (geodetic inputs) and the re-entry event need.
    """
    r = np.asarray(r_ecef_km, dtype=float)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    p = np.hypot(x, y)
    ep2 = E2 / (1.0 - E2)
    beta = np.arctan2(z * R_EQ_KM, p * R_POL_KM)
    sb, cb = np.sin(beta), np.cos(beta)
    lat = np.arctan2(z + ep2 * R_POL_KM * sb**3, p - E2 * R_EQ_KM * cb**3)
    sl, cl = np.sin(lat), np.cos(lat)
    alt = p * cl + z * sl - R_EQ_KM * np.sqrt(1.0 - E2 * sl * sl)
    lon = np.arctan2(y, x)
    return np.degrees(lat), np.degrees(lon), alt


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
