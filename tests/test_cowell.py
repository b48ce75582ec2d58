"""Cowell final phase: Kepler states, handover, RK4 vs DOP853, agreement with the averaged
decay, and the re-entry event."""

from __future__ import annotations

import numpy as np
import pytest

from deorbit.cowell import (
    _rk4_gravity_mean_radius,
    _rk4_gravity_radius_harmonics,
    kepler_to_state,
    osculating_from_mean,
    propagate_to_altitude,
)
from deorbit.decay import MeanOrbit, propagate_decay
from deorbit.drag import ExponentialDensity, MsisDensity
from deorbit.gravity import MU_KM3_S2, R_EQ_KM, geodetic_from_eci

T0 = np.datetime64("2024-01-01T12:00:00", "ns")


def test_kepler_state_energy_and_angular_momentum():
    a, e = np.array([7000.0, 8000.0]), np.array([0.0, 0.3])
    r, v = kepler_to_state(a, e, 51.6, 20.0, 40.0, [10.0, 200.0])
    energy = 0.5 * np.sum(v * v, 1) - MU_KM3_S2 / np.linalg.norm(r, axis=1)
    np.testing.assert_allclose(-MU_KM3_S2 / (2 * energy), a, rtol=1e-12)
    h = np.cross(r, v)
    np.testing.assert_allclose(np.sum(h * h, 1) / MU_KM3_S2, a * (1 - e * e), rtol=1e-12)
    np.testing.assert_allclose(np.degrees(np.arccos(h[:, 2] / np.linalg.norm(h, axis=1))), 51.6)


def test_handover_state_has_the_mean_orbit_radius():
    mo = MeanOrbit.make(T0, R_EQ_KM + 200.0, 0.001, 51.6, 10.0, 20.0, 30.0)
    r, v = osculating_from_mean(mo)
    mean_r = _rk4_gravity_mean_radius(r, v, mo.period_s, 240)
    assert mean_r[0] == pytest.approx(mo.a_km[0] * (1 + 0.5e-6), abs=0.02)
    # without the correction the Kepler state would be off by kilometres
    r0, v0 = kepler_to_state(mo.a_km, mo.e, mo.inc_deg, mo.raan_deg, mo.argp_deg, 10.0)
    assert abs(_rk4_gravity_mean_radius(r0, v0, mo.period_s, 240)[0] - mo.a_km[0]) > 0.5


@pytest.mark.parametrize("method", ["abm", "rk4"])
def test_fixed_step_methods_agree_with_dop853_with_drag(method):
    dens = ExponentialDensity(6e-11, 250.0, 40.0)
    r, v = kepler_to_state(R_EQ_KM + 250.0, 0.001, 51.6, 0.0, 0.0, 0.0)
    kw = dict(max_days=0.125, stop_alt_km=80.0)
    rk4 = propagate_to_altitude(r, v, T0, 0.01, dens, method=method, **kw)
    ref = propagate_to_altitude(r, v, T0, 0.01, dens, method="dop853", **kw)
    assert np.linalg.norm(rk4.r_km - ref.r_km) < 0.01  # km after 2 revolutions
    assert not rk4.reentered[0]


def test_cowell_and_orbit_averaged_decay_agree_at_250_km():
    dens = MsisDensity(150.0, 150.0, 15.0, version=0)
    mo = MeanOrbit.make(T0, R_EQ_KM + 250.0, 0.0005, 51.6, 30.0, 0.0, 0.0)
    days = 2.0
    avg = propagate_decay(mo, 0.01, dens, max_days=days, handover_alt_km=100.0)
    r, v = osculating_from_mean(mo)
    cw = propagate_to_altitude(r, v, T0, 0.01, dens, max_days=days)
    drop_cowell = mo.a_km[0] - _rk4_gravity_mean_radius(cw.r_km, cw.v_km_s, mo.period_s, 240)[0]
    drop_avg = mo.a_km[0] - avg.orbit.a_km[0]
    assert drop_avg > 5.0  # km: a real decay
    assert drop_cowell == pytest.approx(drop_avg, rel=0.03)


def test_reentry_event_at_80_km_inside_the_inclination_band():
    dens = MsisDensity(150.0, 150.0, 15.0, version=0)
    mo = MeanOrbit.make(T0, R_EQ_KM + 140.0, 0.0, 51.6, 30.0, 0.0, [0.0, 120.0])
    r, v = osculating_from_mean(mo)
    res = propagate_to_altitude(r, v, mo.epoch_utc, 0.01, dens, max_days=3.0)
    assert np.all(res.reentered)
    assert np.all(np.abs(res.lat_deg) <= 51.7)
    _, _, alt = geodetic_from_eci(res.r_km, res.epoch_utc)
    np.testing.assert_allclose(alt, 80.0, atol=0.01)
    hours = (res.epoch_utc - T0).astype(np.int64) / 3.6e12
    assert np.all((hours > 0.5) & (hours < 24.0))
    # the final track ends at the event for each sample
    tr = res.track
    last = [np.flatnonzero(~np.isnan(tr.alt_km[:, i]))[-1] for i in range(2)]
    np.testing.assert_allclose([tr.alt_km[j, i] for i, j in enumerate(last)], 80.0)
    np.testing.assert_allclose([tr.lat_deg[j, i] for i, j in enumerate(last)], res.lat_deg)
    assert np.all(np.diff(tr.t_utc[: last[0] + 1, 0]) > np.timedelta64(0, "ns"))


def test_handover_state_of_an_eccentric_orbit_flies_at_the_mean_perigee_and_apogee():
    """The J2 short-period terms move the osculating a e by kilometres: the corrected state's
    one-revolution mean radius and first harmonic (a e) match the mean ellipse's."""
    rp, ra = R_EQ_KM + 153.0, R_EQ_KM + 305.0
    mo = MeanOrbit.make(T0, (rp + ra) / 2, (ra - rp) / (ra + rp), 41.1, 310.9, 191.0, 0.0)
    r, v = osculating_from_mean(mo)
    r0, v0 = kepler_to_state(mo.a_km, mo.e, mo.inc_deg, mo.raan_deg, mo.argp_deg, -191.0)
    mean_r, aex, aey = _rk4_gravity_radius_harmonics(
        r, v, mo.period_s, 240, np.radians(mo.mean_arg_lat_deg)
    )
    ae = np.hypot(aex, aey)[0]
    assert ae == pytest.approx(mo.a_km[0] * mo.e[0], abs=0.3)
    assert mean_r[0] == pytest.approx(mo.a_km[0] * (1 + 0.5 * mo.e[0] ** 2), abs=0.05)
    # the uncorrected Kepler state is kilometres off in a e
    _, bx, by = _rk4_gravity_radius_harmonics(
        r0, v0, mo.period_s, 240, np.radians(mo.mean_arg_lat_deg)
    )
    assert abs(np.hypot(bx, by)[0] - mo.a_km[0] * mo.e[0]) > 2.0


def test_abm_on_an_eccentric_orbit_agrees_with_dop853_and_stays_on_abm():
    """150 x 2000 km: the perigee density pulse (~140 s wide) gives ABM 60 s steps (not RK4
    steps of seconds); position after 0.2 days within metres of DOP853."""
    dens = MsisDensity(150.0, 150.0, 15.0, version=0)
    rp, ra = R_EQ_KM + 150.0, R_EQ_KM + 2000.0
    r, v = kepler_to_state((rp + ra) / 2, (ra - rp) / (ra + rp), 63.4, 10.0, 300.0, 180.0)
    kw = dict(max_days=0.2, stop_alt_km=80.0)
    abm = propagate_to_altitude(r, v, T0, 0.01, dens, method="abm", abm_step_s=120.0, **kw)
    ref = propagate_to_altitude(r, v, T0, 0.01, dens, method="dop853", **kw)
    assert np.linalg.norm(abm.r_km - ref.r_km) < 0.01  # km
    # 288 ABM steps of 60 s, RK4 for the last minutes (RK4 all the way: ~10 000 steps)
    assert abm.n_steps < 400
