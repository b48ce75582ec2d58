"""From SGP4's TEME frame to the Earth-fixed ITRS, and to WGS-84 latitude, longitude, height.

TEME -> ITRS
------------
SGP4 produces positions in TEME ("True Equator, Mean Equinox"): its z axis is the true
(nutating) pole of date and its x axis points at the *mean* equinox of date.  Rotating TEME
about z by the IAU-1982 Greenwich **mean** sidereal time gives the pseudo-Earth-fixed frame
(PEF); a polar-motion rotation by (xp, yp) then gives the ITRS.  This is Vallado's
``teme2ecef`` (Vallado, Crawford, Hujsak & Kelso 2006, "Revisiting Spacetrack Report #3",
AIAA 2006-6753, sec. IV-B), and exactly what Skyfield's ``sgp4lib.TEME_to_ITRF`` does.

Velocities are rotated and get the Earth-rotation term: ``v_PEF = R v_TEME - omega x r_PEF``,
where ``omega`` is the rate of GMST (7.2921158553e-5 rad/s), the derivative of the same
formula (as Skyfield does; Vallado uses the constant 7.29211514670698e-5 rad/s, which differs
by < 0.1 mm/s at LEO).

Accuracy: the rotation is exact for the formula; what limits it is UT1.  ``dut1_s=0`` (UT1 =
UTC) costs up to 0.9 s of Earth rotation, ~0.004 deg or ~420 m of longitude at the equator;
neglecting polar motion (|xp|, |yp| < 0.6 arcsec, ~20 m at the surface) costs up to ~20 m.
Both are far below SGP4's own km-level error; pass IERS values to match other software.

ITRS -> geodetic
----------------
:func:`itrs_to_geodetic` uses **Bowring's method** (1976) with two refinements of the
parametric latitude, written with square roots only (no trigonometric calls inside the
iteration) so it vectorises cheaply.  One Bowring step is accurate to ~1e-11 deg at the
surface but only ~5e-8 deg at 1000 km and ~5e-7 deg at 40000 km (measured), not enough for
the 1e-9 deg target; the second step brings the latitude error to float64 rounding (measured
max 2e-14 deg over 2e6 random points from -10 km to 40000 km, height error < 1e-4 mm),
including the poles (where the iteration is exactly stable) and the equator.  Only the
Earth's centre (0, 0, 0) is undefined (gives NaN).  The height is ``p cos(lat) + z sin(lat) - a sqrt(1 - e^2 sin^2 lat)``, which is
well conditioned everywhere (no division by cos(lat) near the poles).  The closed forms of
Vermeille (2002) or Zhu (1993) are exact too but need cube roots and careful branch handling
for points near the centre; Bowring's iteration is simpler and as accurate for every point
deorbit meets (tests: round trip < 1e-9 deg and < 1 mm at -10 km..40000 km, poles,
antimeridian).
"""

from __future__ import annotations

import numpy as np

from deorbit.timescales import JD_J2000, TimesLike, jd_ut1_split

#: WGS-84 ellipsoid: equatorial radius (km) and flattening.
WGS84_A_KM = 6378.137
WGS84_F = 1.0 / 298.257223563
WGS84_B_KM = WGS84_A_KM * (1.0 - WGS84_F)
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
WGS84_EP2 = WGS84_E2 / (1.0 - WGS84_E2)

_TAU = 2.0 * np.pi
_ARCSEC_RAD = np.pi / (180.0 * 3600.0)
_SECOND_DAY = 1.0 / 86400.0


def gmst82_rad(
    jd_ut1_whole: np.ndarray | float, jd_ut1_frac: np.ndarray | float = 0.0
) -> np.ndarray:
    """Greenwich mean sidereal time, IAU 1982 (Aoki et al. 1982), in radians in [0, 2 pi).

    Takes the UT1 Julian date split as ``(whole, fraction)`` (see
    :func:`deorbit.timescales.jd_ut1_split`).  Formula as in Vallado's ``gstime``::

        GMST = 67310.54841 s + (876600 h + 8640184.812866 s) T + 0.093104 s T^2 - 6.2e-6 s T^3

    with ``T`` in Julian centuries of UT1 from J2000.  The big term ``876600 h * T`` is exactly
    one turn per day, so it is reduced modulo one turn from the split date *before* adding,
    which keeps ~1e-13 rad (sub-micrometre at LEO) for any date (the single-float formula loses
    ~1e-9 rad).  This is the angle SGP4's TEME frame is defined with; it is not the modern
    Earth rotation angle (the two differ by ~arcseconds, irrelevant inside TEME).
    """
    turns = _gmst82_turns(jd_ut1_whole, jd_ut1_frac)
    turns -= np.floor(turns)
    turns *= _TAU
    return turns


def _gmst82_turns(jd_ut1_whole, jd_ut1_frac) -> np.ndarray:
    """GMST in turns, in [0, 3): the sum of three reduced parts, not reduced again.

    ``x - floor(x)`` rather than ``np.mod`` (which is ~10x slower, handling signs we do not
    need: the result is the same for floats, in [0, 1)).
    """
    whole = np.asarray(jd_ut1_whole, dtype=np.float64)
    frac = np.asarray(jd_ut1_frac, dtype=np.float64)
    d = whole - JD_J2000
    t = d + frac
    t *= 1.0 / 36525.0
    # 67310.54841 s + (8640184.812866 + (0.093104 - 6.2e-6 T) T) T, in days of 86400 s
    g = t * (-6.2e-6 * _SECOND_DAY)
    g += 0.093104 * _SECOND_DAY
    g *= t
    g += 8640184.812866 * _SECOND_DAY
    g *= t
    g += 67310.54841 * _SECOND_DAY
    turns = d - np.floor(d)
    turns += frac
    turns += g
    turns -= np.floor(g)
    return turns


def gmst82_rate_rad_s(jd_ut1_whole: np.ndarray | float, jd_ut1_frac: np.ndarray | float = 0.0):
    """Rate of :func:`gmst82_rad` (rad/s): 7.2921158553e-5 rad/s plus a 1e-15 trend per century."""
    t = (np.asarray(jd_ut1_whole, dtype=np.float64) - JD_J2000 + jd_ut1_frac) / 36525.0
    dg = 8640184.812866 + (2 * 0.093104 + (3 * -6.2e-6) * t) * t  # sidereal s per century
    return (1.0 + dg * _SECOND_DAY / 36525.0) * _TAU / 86400.0


def teme_to_itrs(
    r_teme_km: np.ndarray,
    v_teme_km_s: np.ndarray | None,
    times_utc: TimesLike,
    *,
    dut1_s: float | np.ndarray = 0.0,
    xp_arcsec: float | np.ndarray = 0.0,
    yp_arcsec: float | np.ndarray = 0.0,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Rotate TEME positions (km) and velocities (km/s) into the Earth-fixed ITRS.

    ``r_teme_km`` has shape ``(..., n_times, 3)``: one position per instant, optionally for
    several objects in leading axes (``(n_obj, n_times, 3)`` from
    :func:`deorbit.propagate.propagate_teme`).  ``times_utc`` has shape ``(n_times,)``.
    ``v_teme_km_s`` is the same shape, or ``None`` when only positions are wanted (~1.5x
    faster); the returned velocity is then ``None`` too.

    ``dut1_s`` is UT1 - UTC in seconds; ``xp_arcsec``/``yp_arcsec`` the pole coordinates (IERS
    Bulletin A); each a scalar or ``(n_times,)``.  Defaults (0) and what they cost: see the
    module doc.  NaN inputs (SGP4 errors) stay NaN.  Cost: ~70 ns per point for positions
    alone, ~100 ns with velocities (measured, 1e6 points; GMST is per instant, so with many
    objects per instant the cost per object-instant is lower).

    Method: ``r_PEF = R3(GMST82) r_TEME``, ``v_PEF = R3(GMST82) v_TEME - omega x r_PEF``, then
    (only if a pole coordinate is non-zero) Vallado's IAU-76/FK5 polar-motion matrix.  GMST and
    its sine and cosine are computed once per instant and broadcast over objects.
    """
    r = np.asarray(r_teme_km, dtype=np.float64)
    whole, frac = jd_ut1_split(times_utc, dut1_s)
    theta = _gmst82_turns(whole, frac)  # in [0, 3) turns; sin and cos need no reduction
    theta *= _TAU
    c = np.cos(theta)
    s = np.sin(theta)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    out_r = np.empty(r.shape)
    _rotate_z(x, y, c, s, out_r)
    out_r[..., 2] = z

    out_v = None
    if v_teme_km_s is not None:
        v = np.asarray(v_teme_km_s, dtype=np.float64)
        omega = gmst82_rate_rad_s(whole, frac)
        out_v = np.empty(v.shape)
        _rotate_z(v[..., 0], v[..., 1], c, s, out_v)
        out_v[..., 2] = v[..., 2]
        # - omega x r_PEF = (omega * y_pef, -omega * x_pef, 0)
        out_v[..., 0] += omega * out_r[..., 1]
        out_v[..., 1] -= omega * out_r[..., 0]

    if np.any(xp_arcsec) or np.any(yp_arcsec):
        xp = np.asarray(xp_arcsec, dtype=np.float64) * _ARCSEC_RAD
        yp = np.asarray(yp_arcsec, dtype=np.float64) * _ARCSEC_RAD
        out_r = _polar_motion(out_r, xp, yp)
        if out_v is not None:
            out_v = _polar_motion(out_v, xp, yp)
    return out_r, out_v


def _rotate_z(x: np.ndarray, y: np.ndarray, c: np.ndarray, s: np.ndarray, out: np.ndarray):
    """``out[..., :2] = R3(theta) (x, y)``: x' = c x + s y, y' = c y - s x (in place)."""
    ox = out[..., 0]
    oy = out[..., 1]
    np.multiply(x, c, out=ox)
    ox += y * s
    np.multiply(y, c, out=oy)
    oy -= x * s


def _polar_motion(r: np.ndarray, xp: np.ndarray, yp: np.ndarray) -> np.ndarray:
    """Apply Vallado's ``pm'`` (PEF -> ITRS, IAU-76/FK5 form) to ``(..., n_times, 3)`` vectors.

    First order: x += xp z, y -= yp z, z += -xp x + yp y.  Skyfield's ``TEME_to_ITRF`` uses
    ``R1(yp) R2(xp)``, which agrees to second order (~1e-12 rad).
    """
    cx, sx, cy, sy = np.cos(xp), np.sin(xp), np.cos(yp), np.sin(yp)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    out = np.empty(r.shape)
    out[..., 0] = cx * x + sx * sy * y + sx * cy * z
    out[..., 1] = cy * y - sy * z
    out[..., 2] = -sx * x + cx * sy * y + cx * cy * z
    return out


def itrs_to_geodetic(r_itrs_km: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WGS-84 geodetic latitude and longitude (degrees) and ellipsoidal height (km).

    ``r_itrs_km`` has shape ``(..., 3)``; the three results have shape ``(...)``.  Latitude in
    [-90, 90], longitude in [-180, 180), height above the WGS-84 ellipsoid (not the geoid:
    the two differ by up to ~100 m).  NaN positions give NaN.

    Method: Bowring's iteration on the parametric latitude, two steps, square roots only (see
    the module doc); accuracy is float64 rounding, < 1e-12 deg and < 1 micrometre, for any point
    from the surface to beyond geostationary orbit.  A single ``(3,)`` vector gives scalars.
    """
    r = np.asarray(r_itrs_km, dtype=np.float64)
    if r.ndim == 1:
        lat, lon, alt = itrs_to_geodetic(r[np.newaxis])
        return lat[0], lon[0], alt[0]
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    a, b, e2, ep2 = WGS84_A_KM, WGS84_B_KM, WGS84_E2, WGS84_EP2

    p = np.sqrt(x * x + y * y)
    # Parametric latitude beta as an unnormalised direction (u, w) = (cos, sin) * k.
    u = b * p
    w = a * z
    for _ in range(2):
        k = 1.0 / np.sqrt(u * u + w * w)
        cb = u * k
        sb = w * k
        # Bowring: tan(lat) = (z + e'^2 b sin^3 beta) / (p - e^2 a cos^3 beta)
        ps = sb * sb
        ps *= sb
        ps *= ep2 * b
        ps += z
        pc = cb * cb
        pc *= cb
        pc *= -e2 * a
        pc += p
        # next beta: tan(beta) = (b / a) tan(lat)
        u = a * pc
        w = b * ps
    k = 1.0 / np.sqrt(pc * pc + ps * ps)
    sin_lat = ps * k
    cos_lat = pc * k
    lat_deg = np.degrees(np.arctan2(ps, pc))
    alt_km = p * cos_lat
    alt_km += z * sin_lat
    sin_lat *= sin_lat
    sin_lat *= -e2
    sin_lat += 1.0
    alt_km -= a * np.sqrt(sin_lat)
    lon_deg = np.degrees(np.arctan2(y, x))
    lon_deg[lon_deg >= 180.0] = -180.0
    return lat_deg, lon_deg, alt_km


def geodetic_to_itrs(
    lat_deg: np.ndarray | float, lon_deg: np.ndarray | float, alt_km: np.ndarray | float
) -> np.ndarray:
    """ITRS position (km, shape ``(..., 3)``) of WGS-84 geodetic coordinates; exact formula.

    ``x = (N + h) cos(lat) cos(lon)``, ``y = (N + h) cos(lat) sin(lon)``,
    ``z = (N (1 - e^2) + h) sin(lat)`` with ``N = a / sqrt(1 - e^2 sin^2(lat))``.
    """
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    h = np.asarray(alt_km, dtype=np.float64)
    sl, cl = np.sin(lat), np.cos(lat)
    n = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sl * sl)
    return np.stack(
        np.broadcast_arrays(
            (n + h) * cl * np.cos(lon), (n + h) * cl * np.sin(lon), (n * (1.0 - WGS84_E2) + h) * sl
        ),
        axis=-1,
    )
