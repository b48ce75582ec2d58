"""Zonal gravity (J2-J4), J2 secular rates, GMST and geodetic conversion."""

from __future__ import annotations

import numpy as np
import pytest

from deorbit import gravity as g
from deorbit.cowell import kepler_to_state, propagate_to_altitude
from deorbit.drag import ExponentialDensity


def _fd_gradient(fun, r, h=1e-2):
    return np.stack([(fun(r + h * e) - fun(r - h * e)) / (2 * h) for e in np.eye(3)], -1)


@pytest.mark.parametrize("degree", [2, 3, 4])
def test_each_zonal_term_is_the_gradient_of_its_potential(degree):
    rng = np.random.default_rng(degree)
    r = rng.normal(size=(200, 3))
    r *= rng.uniform(6500.0, 8000.0, size=(200, 1)) / np.linalg.norm(r, axis=1, keepdims=True)
    r[0, 2] = 0.0  # the equator, where a careless J3 form divides by zero
    lower = 0 if degree == 2 else degree - 1

    def term_u(x):
        return g.zonal_potential_km2_s2(x, max_degree=degree) - g.zonal_potential_km2_s2(
            x, max_degree=lower
        )

    term_a = g.zonal_acceleration_km_s2(r, max_degree=degree) - g.zonal_acceleration_km_s2(
        r, max_degree=lower
    )
    fd = _fd_gradient(term_u, r)
    assert np.max(np.abs(term_a - fd)) < 1e-3 * np.max(np.abs(term_a))


def test_constants_match_published_values():
    values = {"J2": g.J2, "J3": g.J3, "J4": g.J4, "R_pol": g.R_POL_KM}
    assert values["J2"] == pytest.approx(1.08262617e-3, rel=1e-7)
    assert values["J3"] == pytest.approx(-2.5324e-6, rel=1e-4)
    assert values["J4"] == pytest.approx(-1.6199e-6, rel=1e-4)
    assert values["R_pol"] == pytest.approx(6356.752, abs=1e-3)


def test_gmst_at_j2000_noon():
    # GMST at 2000-01-01 12:00 UT1 is 280.46061837 deg (Vallado 2013, eq. 3-47 constant term)
    theta = g.gmst_rad(np.datetime64("2000-01-01T12:00:00"))
    assert np.degrees(theta) == pytest.approx(280.46061837, abs=1e-6)


def test_geodetic_altitude_on_the_ellipsoid_and_poles():
    lat = np.radians([0.0, 45.0, 89.9])
    # points 400 km above the ellipsoid along the ellipsoid normal
    n = g.R_EQ_KM / np.sqrt(1 - g.E2 * np.sin(lat) ** 2)
    h = 400.0
    r = np.stack([(n + h) * np.cos(lat), np.zeros(3), (n * (1 - g.E2) + h) * np.sin(lat)], -1)
    la, lo, alt = g.geodetic_from_ecef(r)
    np.testing.assert_allclose(alt, h, atol=1e-6)
    np.testing.assert_allclose(la, np.degrees(lat), atol=1e-9)


def test_cowell_reproduces_the_j2_nodal_regression_of_the_iss():
    """Cowell over one day (J2 only, no drag) vs dOmega/dt = -3/2 n J2 (R/p)^2 cos i."""
    a, e, inc = 6795.0, 0.0005, 51.64
    phases = np.arange(8) * 45.0  # 8 samples around the orbit average out short-period terms
    r0, v0 = kepler_to_state(a, e, inc, 100.0, 30.0, phases)
    no_air = ExponentialDensity(rho_ref_kg_m3=0.0)
    res = propagate_to_altitude(
        r0, v0, np.datetime64("2024-01-01T00:00"), 0.01, no_air, max_days=1.0, max_degree=2
    )

    def raan(r, v):
        h = np.cross(r, v)
        return np.unwrap(np.arctan2(h[:, 0], -h[:, 1]))

    dt_days = (res.epoch_utc - np.datetime64("2024-01-01T00:00")).astype(np.int64) / 86400e9
    drift = np.degrees(np.mean((raan(res.r_km, res.v_km_s) - raan(r0, v0)) / dt_days))
    expected = np.degrees(g.j2_secular_rates_rad_s(a, e, np.radians(inc))[0]) * 86400.0
    assert -5.5 < expected < -4.5
    assert drift == pytest.approx(expected, rel=0.01)


def test_earth_clock_is_gmst_and_utc_without_datetime_arithmetic():
    t0 = np.array(["2024-01-01T12:00:00", "2025-06-09T11:07:00"], dtype="datetime64[ns]")
    clock = g.EarthClock.at(t0)
    for days in (0.0, 0.3, 60.0, 700.0):
        secs = np.full(2, days * 86400.0 + 12.5)
        exact = g.gmst_rad(t0 + np.timedelta64(int(days * 86400e9 + 12.5e9), "ns"))
        diff = np.angle(np.exp(1j * (clock.gmst_rad(secs) - exact)))
        assert np.max(np.abs(diff)) < 5e-9  # rad (3 cm at LEO): the neglected t^2 term
        assert np.all(clock.utc(secs) == t0 + np.timedelta64(int(days * 86400e9 + 12.5e9), "ns"))
    # (N, K) times: one row per sample
    assert clock.utc(np.zeros((2, 3))).shape == (2, 3)
    assert clock.take(np.array([1])).origin_ns[0] == t0[1].astype(np.int64)


def test_component_forms_match_the_array_forms():
    rng = np.random.default_rng(7)
    r = rng.normal(size=(50, 3)) * 4000.0
    r *= rng.uniform(6500.0, 7500.0, (50, 1)) / np.linalg.norm(r, axis=1, keepdims=True)
    np.testing.assert_allclose(
        np.stack(g.zonal_acceleration_xyz(*r.T), -1), g.zonal_acceleration_km_s2(r), rtol=1e-15
    )
    lat, lon, alt = g.geodetic_from_ecef(r)
    theta = rng.uniform(0.0, 6.0, 50)
    la2, lo2, al2 = g.geodetic_from_eci_gmst(*r.T, theta)
    c, s = np.cos(theta), np.sin(theta)
    ecef = np.stack([c * r[:, 0] + s * r[:, 1], c * r[:, 1] - s * r[:, 0], r[:, 2]], -1)
    np.testing.assert_allclose(np.stack([la2, lo2, al2]), g.geodetic_from_ecef(ecef), atol=1e-9)
    assert np.all(np.abs(lat) <= 90.0) and np.all(np.abs(lon) <= 180.0) and np.all(alt > 0.0)
