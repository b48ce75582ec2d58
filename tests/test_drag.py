"""Drag acceleration, density providers and the orbit-averaged drag rates."""

from __future__ import annotations

import numpy as np
import pytest

from deorbit.drag import (
    ExponentialDensity,
    MsisDensity,
    drag_acceleration_km_s2,
    nodes_for,
    orbit_averaged_drag_rates,
)
from deorbit.gravity import MU_KM3_S2, OMEGA_EARTH_RAD_S, R_EQ_KM, geodetic_from_ecef

T0 = np.datetime64("2024-03-01T00:00:00", "ns")


def test_drag_acceleration_units_and_direction():
    r = np.array([7000.0, 0.0, 0.0])
    v = np.array([0.0, 7.5, 0.0])
    rho, bc = 1e-12, 0.01
    a = drag_acceleration_km_s2(r, v, rho, bc)
    v_rel_m_s = (7.5 - OMEGA_EARTH_RAD_S * 7000.0) * 1e3
    expected_m_s2 = 0.5 * rho * bc * v_rel_m_s**2
    assert a[1] * 1e3 == pytest.approx(-expected_m_s2, rel=1e-12)
    assert a[0] == 0.0 and a[2] == 0.0


def test_drag_on_a_polar_orbit_has_a_cross_track_component():
    # co-rotating air blows across a polar orbit's plane at the equator
    a = drag_acceleration_km_s2([7000.0, 0.0, 0.0], [0.0, 0.0, 7.5], 1e-12, 0.01)
    assert a[1] > 0.0 and a[2] < 0.0
    assert a[1] / a[2] == pytest.approx(-OMEGA_EARTH_RAD_S * 7000.0 / 7.5, rel=1e-12)


def test_exponential_density_broadcasts():
    d = ExponentialDensity(1e-12, 400.0, 50.0)
    rho = d(np.full((3, 1), T0), np.zeros((1, 4)), 0.0, np.array([400.0, 450.0, 500.0, 350.0]))
    assert rho.shape == (3, 4)
    assert rho[0, 1] == pytest.approx(1e-12 * np.exp(-1.0))


def test_msis_density_plausible_and_time_varying_indices():
    const = MsisDensity(150.0, 150.0, 15.0, version=0)
    alt = np.array([150.0, 400.0, 800.0])
    rho = const(np.full(3, T0), np.zeros(3), np.zeros(3), alt)
    assert 1e-9 < rho[0] < 5e-9 and 1e-12 < rho[1] < 1e-11 and rho[2] < 1e-13
    same = MsisDensity(lambda t: np.full(t.shape, 150.0), 150.0, lambda t: 15.0, version=0)
    np.testing.assert_array_equal(same(np.full(3, T0), 0.0, 0.0, alt), rho)
    hot = MsisDensity(250.0, 250.0, 15.0, version=0)(T0, 0.0, 0.0, 400.0)
    assert hot > 2.0 * rho[1]


@pytest.mark.parametrize("inc_deg, sign", [(0.0, -1.0), (180.0, +1.0)])
def test_circular_equatorial_decay_matches_king_hele(inc_deg, sign):
    """da/dt = -sqrt(mu a) BC rho(a) (1 -+ omega a / v)^2 for circular equatorial orbits."""
    dens = ExponentialDensity(3.7e-12, 400.0, 58.5)
    a = R_EQ_KM + np.array([300.0, 400.0, 500.0])
    bc = 0.00838
    rates = orbit_averaged_drag_rates(a, 0.0, inc_deg, 40.0, 0.0, bc, T0, dens)
    v = np.sqrt(MU_KM3_S2 / a)
    corot = (1.0 + sign * OMEGA_EARTH_RAD_S * a / v) ** 2
    rho = dens(T0, 0.0, 0.0, a - R_EQ_KM)
    expected = -np.sqrt(MU_KM3_S2 * 1e9 * a * 1e3) * bc * rho * corot / 1e3  # km/s
    np.testing.assert_allclose(rates.da_dt_km_s, expected, rtol=1e-9)
    np.testing.assert_allclose(rates.dex_dt_per_s, 0.0, atol=1e-20)


def test_inclined_circular_average_matches_brute_force():
    """51.6 deg: the ellipsoid lifts the geodetic altitude at high latitude (less density) and
    the co-rotation factor grows; check against a dense, independent average over u."""
    dens = ExponentialDensity(3.7e-12, 400.0, 58.5)
    a, inc, bc = R_EQ_KM + 400.0, np.radians(51.6), 0.00838
    u = np.linspace(0, 2 * np.pi, 4000, endpoint=False)
    v = np.sqrt(MU_KM3_S2 / a)
    r = a * np.stack([np.cos(u), np.sin(u) * np.cos(inc), np.sin(u) * np.sin(inc)], -1)
    vel = v * np.stack([-np.sin(u), np.cos(u) * np.cos(inc), np.cos(u) * np.sin(inc)], -1)
    lat, _, alt = geodetic_from_ecef(r)
    acc = drag_acceleration_km_s2(r, vel, dens(T0, lat, 0.0, alt), bc)
    brute = np.mean(2 * a**2 / MU_KM3_S2 * np.sum(vel * acc, -1))
    rates = orbit_averaged_drag_rates(a, 0.0, 51.6, 0.0, 0.0, bc, T0, dens)
    assert rates.da_dt_km_s[0] == pytest.approx(brute, rel=1e-6)
    equatorial = orbit_averaged_drag_rates(a, 0.0, 0.0, 0.0, 0.0, bc, T0, dens)
    assert 0.9 < rates.da_dt_km_s[0] / equatorial.da_dt_km_s[0] < 0.97


def test_eccentric_quadrature_converges_and_circularises():
    dens = ExponentialDensity(2.0e-9, 150.0, 22.0)
    rp, ra = R_EQ_KM + 150.0, R_EQ_KM + 2000.0
    a, e = (rp + ra) / 2, (ra - rp) / (ra + rp)
    k = nodes_for(a, e)
    r1 = orbit_averaged_drag_rates(a, e, 60.0, 10.0, 0.0, 0.01, T0, dens, n_nodes=k)
    r2 = orbit_averaged_drag_rates(a, e, 60.0, 10.0, 0.0, 0.01, T0, dens, n_nodes=2 * k)
    assert r1.da_dt_km_s[0] == pytest.approx(r2.da_dt_km_s[0], rel=1e-4)
    assert r1.dex_dt_per_s[0] == pytest.approx(r2.dex_dt_per_s[0], rel=1e-4)
    # perigee at argp = 0: d(e cos w)/dt = de/dt < 0
    assert r1.dex_dt_per_s[0] < 0.0
    assert r1.min_alt_km[0] == pytest.approx(150.0, abs=15.0)


def test_reference_scale_height_follows_the_cira72_table():
    from deorbit.drag import reference_scale_height_km

    np.testing.assert_allclose(
        reference_scale_height_km([120.0, 150.0, 400.0]), [9.473, 22.523, 58.515]
    )
    # linear between band values, constant beyond the table
    assert reference_scale_height_km(135.0) == pytest.approx(0.5 * (12.636 + 16.149))
    assert reference_scale_height_km(2000.0) == pytest.approx(268.0)
