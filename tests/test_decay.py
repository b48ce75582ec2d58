"""Orbit-averaged long-term decay."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import quad

from deorbit.decay import (
    MeanOrbit,
    brouwer_mean_a_km,
    lifetime_days,
    mean_orbit_from_element_set,
    propagate_decay,
)
from deorbit.drag import ExponentialDensity
from deorbit.formats import load_elements
from deorbit.gravity import MU_KM3_S2, OMEGA_EARTH_RAD_S, R_EQ_KM

T0 = np.datetime64("2024-01-01T12:00:00", "ns")
#: The issue's peer cross-check element set (ISS, 2024-01-01 12:00 UTC), shared test data.
ISS = load_elements(
    Path(__file__).resolve().parents[1] / "tests" / "data" / "predict" / "iss_2024.tle"
).elements[0]


def test_circular_equatorial_lifetime_matches_the_analytic_integral():
    dens = ExponentialDensity(3.7e-12, 400.0, 58.5)
    bc = 0.02
    orbit = MeanOrbit.make(T0, R_EQ_KM + 400.0, 0.0, 0.0)
    res = propagate_decay(orbit, bc, dens, handover_alt_km=300.0)

    def dt_da(a):
        v = np.sqrt(MU_KM3_S2 / a)
        rate = (
            np.sqrt(MU_KM3_S2 * a * 1e12)
            * bc
            * dens(T0, 0, 0, a - R_EQ_KM)
            * (1 - OMEGA_EARTH_RAD_S * a / v) ** 2
            / 1e3
        )
        return 1.0 / rate

    expected_days = quad(dt_da, R_EQ_KM + 300.0, R_EQ_KM + 400.0)[0] / 86400.0
    assert lifetime_days(res, orbit)[0] == pytest.approx(expected_days, rel=1e-3)
    assert res.orbit.e[0] < 1e-6


def test_eccentric_orbit_circularises_apogee_first():
    dens = ExponentialDensity(2.0e-9, 150.0, 22.0)
    rp, ra = R_EQ_KM + 150.0, R_EQ_KM + 2000.0
    orbit = MeanOrbit.make(T0, (rp + ra) / 2, (ra - rp) / (ra + rp), 63.4, 10.0, 270.0)
    res = propagate_decay(orbit, 0.01, dens, handover_alt_km=100.0, max_days=3.0)
    h = res.history
    e = (h.apogee_alt_km - h.perigee_alt_km) / (h.apogee_alt_km + h.perigee_alt_km + 2 * R_EQ_KM)
    assert np.all(np.diff(e[:, 0]) < 0.0)
    drop_apogee = h.apogee_alt_km[0, 0] - h.apogee_alt_km[-1, 0]
    drop_perigee = h.perigee_alt_km[0, 0] - h.perigee_alt_km[-1, 0]
    assert drop_apogee > 20.0 * drop_perigee > 0.0
    assert not res.handed_over[0]


def test_samples_are_independent_and_ordered_by_ballistic_coefficient():
    dens = ExponentialDensity(3.7e-12, 400.0, 58.5)
    orbit = MeanOrbit.make(T0, R_EQ_KM + 350.0, 0.001, 51.6, 30.0, 0.0, n=3)
    bc = np.array([0.005, 0.01, 0.02])
    res = propagate_decay(orbit, bc, dens, handover_alt_km=250.0)
    life = lifetime_days(res, orbit)
    assert np.all(np.diff(life) < 0)
    # lifetime ~ 1/BC in a static atmosphere (J2 and the ellipsoid do not depend on BC)
    np.testing.assert_allclose(life * bc, life[0] * bc[0], rtol=0.02)
    single = propagate_decay(
        MeanOrbit.make(T0, R_EQ_KM + 350.0, 0.001, 51.6, 30.0), 0.01, dens, handover_alt_km=250.0
    )
    assert lifetime_days(single, orbit)[0] == pytest.approx(life[1], rel=1e-9)
    # handover happens at the requested perigee height
    np.testing.assert_allclose(res.orbit.perigee_alt_km, 250.0, atol=0.05)


def test_step_size_convergence():
    dens = ExponentialDensity(3.7e-12, 400.0, 58.5)
    orbit = MeanOrbit.make(T0, R_EQ_KM + 300.0, 0.0005, 51.6, 30.0)
    coarse = propagate_decay(orbit, 0.01, dens, handover_alt_km=160.0)
    fine = propagate_decay(
        orbit, 0.01, dens, handover_alt_km=160.0, max_step_days=0.5, max_da_km=1.0
    )
    assert lifetime_days(coarse, orbit)[0] == pytest.approx(lifetime_days(fine, orbit)[0], rel=1e-3)


def test_j2_drift_of_node_and_perigee_is_carried():
    dens = ExponentialDensity(rho_ref_kg_m3=0.0)
    orbit = MeanOrbit.make(T0, 6795.0, 0.001, 51.64, 100.0, 30.0)
    res = propagate_decay(orbit, 0.01, dens, max_days=10.0)
    assert res.orbit.raan_deg[0] == pytest.approx(100.0 - 10 * 4.95, abs=0.5)
    assert res.orbit.argp_deg[0] == pytest.approx(30.0 + 10 * 3.7, abs=0.5)
    assert res.orbit.a_km[0] == 6795.0


def test_iss_starting_orbit_from_sgp4():
    mo = mean_orbit_from_element_set(ISS)
    assert mo.e[0] == pytest.approx(0.0006703, rel=1e-6)
    assert mo.inc_deg[0] == pytest.approx(51.6416)
    # geometric mean a vs Brouwer and Kozai a: all within a few km, not identical
    assert abs(mo.a_km[0] - brouwer_mean_a_km(ISS)) < 3.0
    assert abs(mo.a_km[0] - ISS.semi_major_axis_km) < 3.0
    assert 405.0 < mo.perigee_alt_km[0] < mo.apogee_alt_km[0] < 425.0


def test_validity_criterion_keeps_eccentric_orbits_averaged_below_the_handover_altitude():
    """With the criterion, a 150 x 300 km orbit (perigee drop per revolution << H) averages on
    below 160 km until the floor, while a circular orbit with strong decay still hands over at
    160 km exactly, as without it."""
    dens = ExponentialDensity(2.0e-9, 150.0, 22.0)
    rp, ra = R_EQ_KM + 150.0, R_EQ_KM + 300.0
    ecc = MeanOrbit.make(T0, (rp + ra) / 2, (ra - rp) / (ra + rp), 41.0, 10.0, 190.0)
    kw = dict(handover_alt_km=160.0, max_perigee_drop_per_rev=0.1, handover_min_alt_km=125.0)
    res = propagate_decay(ecc, 0.004, dens, **kw)
    assert res.handed_over[0]
    assert res.orbit.perigee_alt_km[0] < 140.0
    assert lifetime_days(res, ecc)[0] > 1.0
    plain = propagate_decay(ecc, 0.004, dens, handover_alt_km=160.0)
    assert plain.orbit.perigee_alt_km[0] == pytest.approx(150.0, abs=1.0)  # at once
    circ = MeanOrbit.make(T0, R_EQ_KM + 200.0, 0.0005, 51.6, 30.0)
    fast = propagate_decay(circ, 0.05, dens, **kw)
    np.testing.assert_allclose(fast.orbit.perigee_alt_km, 160.0, atol=0.05)


def test_steady_density_inputs_allow_longer_steps():
    """Where the provider promises steady inputs the day cap grows (fewer steps, same lifetime
    to the step choices' own spread); providers without the promise are stepped as before."""
    from deorbit.density import ConstantIndices, SolarForecastError, ZonalMeanDensity

    orbit = MeanOrbit.make(T0, R_EQ_KM + 330.0, 0.0004, 51.6, 30.0)
    src = ConstantIndices(150.0, 150.0, 15.0, as_of_utc=T0)
    fast = ZonalMeanDensity(src, model_version=0)
    kw = {"handover_alt_km": 200.0, "max_step_days": 2.0, "max_da_km": 4.0}
    plain = propagate_decay(orbit, 0.01, fast, **kw)
    steady = propagate_decay(orbit, 0.01, fast, max_steady_step_days=6.0, **kw)
    assert steady.n_steps < 0.7 * plain.n_steps  # measured 32 vs 50
    fine = propagate_decay(orbit, 0.01, fast, handover_alt_km=200.0, max_step_days=0.5)
    life = lifetime_days(fine, orbit)[0]
    assert lifetime_days(steady, orbit)[0] == pytest.approx(life, rel=2e-4)
    assert lifetime_days(plain, orbit)[0] == pytest.approx(life, rel=2e-4)
    # no promise: exponential density (no method), per-sample forecast errors
    dens = ExponentialDensity(3.7e-12, 400.0, 58.5)
    a = propagate_decay(orbit, 0.01, dens, **kw)
    b = propagate_decay(orbit, 0.01, dens, max_steady_step_days=6.0, **kw)
    np.testing.assert_array_equal(a.orbit.a_km, b.orbit.a_km)
    pert = ZonalMeanDensity(src.perturbed(SolarForecastError().draw(np.random.default_rng(1), 1)))
    a = propagate_decay(orbit, 0.01, pert, **kw)
    b = propagate_decay(orbit, 0.01, pert, max_steady_step_days=6.0, **kw)
    assert a.n_steps == b.n_steps
    np.testing.assert_array_equal(a.orbit.a_km, b.orbit.a_km)
