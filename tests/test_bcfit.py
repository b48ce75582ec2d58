"""Ballistic-coefficient fitting: recovery of a known BC from synthetic histories made with the
decay model itself, the as-of rule, and the B* fallbacks."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from deorbit.bcfit import (
    BSTAR_RHO0_KG_M2_PER_ER,
    SIGMA_LN_NDOT,
    bc_from_bstar,
    bc_from_decay_rate,
    fit_ballistic_coefficient,
)
from deorbit.decay import mean_orbit_from_element_set, propagate_decay
from deorbit.drag import ExponentialDensity
from deorbit.gravity import R_EQ_KM
from test_manoeuvres import BASE, T0, _n_for_a, make_history

DENSITY = ExponentialDensity()  # Vallado 400-450 km row


def decayed_history(bc, n_days=20.0, per_day=2.0, noise=0.02, alt0=400.0, seed=0, boost=None):
    """Sets every 1/per_day days whose geometric a follows propagate_decay with ``bc``."""
    start = replace(BASE, mean_motion_rev_per_day=_n_for_a(R_EQ_KM + alt0 + 0.25))
    orbit = mean_orbit_from_element_set(start)
    res = propagate_decay(orbit, bc, DENSITY, max_days=n_days + 1, max_step_days=0.25)
    t_rec = (res.history.t_utc[:, 0] - res.history.t_utc[0, 0]).astype(np.int64) / 86400e9
    a_rec = res.history.mean_alt_km[:, 0] + R_EQ_KM
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, n_days, 1.0 / per_day) + rng.uniform(0, 0.1, int(n_days * per_day))
    a = np.interp(t, t_rec, a_rec) + rng.normal(0, noise, t.size)
    a[0] = orbit.a_km[0]
    if boost is not None:
        a = a + np.where(t > boost[0], boost[1], 0.0)
    return make_history(t, a)


@pytest.mark.parametrize(("bc", "seed"), [(0.01, 0), (0.004, 1), (0.03, 2)])
def test_recovers_known_bc_within_its_uncertainty(bc, seed):
    hist = decayed_history(bc, seed=seed)
    est = fit_ballistic_coefficient(hist, DENSITY)
    assert est.method == "arc-fit"
    assert est.sigma_ln < 0.2
    assert abs(np.log(est.bc_m2_per_kg / bc)) < 2.5 * est.sigma_ln
    assert abs(np.log(est.bc_m2_per_kg / bc)) < 0.1
    assert est.residual_rms_km == pytest.approx(0.02, rel=0.5)
    assert est.warnings == ()


def test_fit_uses_only_the_arc_after_the_last_reboost_and_only_sets_before_as_of():
    hist = decayed_history(0.01, n_days=30, boost=(12.2, 2.0), seed=3)
    est = fit_ballistic_coefficient(hist, DENSITY)
    assert est.arc_start_utc > T0 + timedelta(days=12.2)
    assert abs(np.log(est.bc_m2_per_kg / 0.01)) < 2.5 * est.sigma_ln
    as_of = T0 + timedelta(days=11)
    early = fit_ballistic_coefficient(hist, DENSITY, as_of_utc=as_of)
    assert early.arc_end_utc <= as_of
    assert early.arc_start_utc == hist[0].epoch_utc
    assert abs(np.log(early.bc_m2_per_kg / 0.01)) < 2.5 * early.sigma_ln


def test_more_noise_means_more_uncertainty():
    quiet = fit_ballistic_coefficient(decayed_history(0.01, noise=0.01, seed=4), DENSITY)
    noisy = fit_ballistic_coefficient(decayed_history(0.01, noise=0.08, seed=4), DENSITY)
    assert noisy.sigma_ln > quiet.sigma_ln


def test_single_set_falls_back_to_bstar():
    es = replace(BASE, bstar_per_earth_radii=3.3e-4)
    est = fit_ballistic_coefficient([es], DENSITY)
    assert est.method == "bstar"
    assert est.bc_m2_per_kg == pytest.approx(2 * 3.3e-4 / 0.15696615, rel=1e-5)
    assert pytest.approx(0.15696615, rel=1e-5) == BSTAR_RHO0_KG_M2_PER_ER
    assert est.sigma_ln == pytest.approx(0.7)
    assert est.n_sets == 1 and est.warnings


def _with_decay_rate(es, bc, days=1.0):
    """``es`` with the ndot/2 field that the decay model's own loss over ``days`` implies."""
    orbit = mean_orbit_from_element_set(es)
    res = propagate_decay(
        orbit, bc, DENSITY, max_days=days, max_step_days=0.25, handover_alt_km=120.0
    )
    a = orbit.a_km[0]
    da_dt = (res.orbit.a_km[0] - a) / days
    ndot = -1.5 * es.mean_motion_rev_per_day * da_dt / a  # rev/day^2
    return replace(es, mean_motion_dot_rev_per_day2=ndot / 2.0)


@pytest.mark.parametrize("bc", [0.002, 0.01, 0.05])
def test_single_set_uses_its_stated_decay_rate_through_the_model(bc):
    es = _with_decay_rate(BASE, bc)
    assert bc_from_decay_rate(es, DENSITY) == pytest.approx(bc, rel=0.01)
    est = fit_ballistic_coefficient([es], DENSITY)
    assert est.method == "ndot"
    assert est.bc_m2_per_kg == pytest.approx(bc, rel=0.01)
    assert est.sigma_ln == SIGMA_LN_NDOT
    assert any("ndot" in w for w in est.warnings)


def test_single_set_near_reentry_shortens_the_span():
    low = replace(BASE, mean_motion_rev_per_day=_n_for_a(R_EQ_KM + 150.0))
    es = _with_decay_rate(low, 0.02, days=0.05)
    assert bc_from_decay_rate(es, DENSITY) == pytest.approx(0.02, rel=0.05)


def test_no_positive_decay_rate_falls_back_to_bstar():
    es = replace(BASE, mean_motion_dot_rev_per_day2=-1e-5)
    est = fit_ballistic_coefficient([es], DENSITY)
    assert est.method == "bstar"
    assert any("decay rate" in w for w in est.warnings)
    assert np.isnan(bc_from_decay_rate(es, DENSITY))


def test_negative_bstar_gives_default_with_warning():
    es = replace(BASE, bstar_per_earth_radii=-2e-4)
    est = fit_ballistic_coefficient([es], DENSITY)
    assert est.method == "default"
    assert any("negative or tiny" in w for w in est.warnings)
    assert bc_from_bstar(-2e-4) < 0


def test_short_recent_arc_near_reentry_is_fitted_not_bstar():
    # 230 km: the last 30 km of decay take about a day; the fit must use that recent arc
    # (extended back to 1 day / 5 sets) rather than fall back to B*
    hist = decayed_history(0.03, n_days=3.0, per_day=8.0, noise=0.03, alt0=235.0, seed=6)
    est = fit_ballistic_coefficient(hist, DENSITY)
    assert est.method == "arc-fit", est.warnings
    assert est.n_sets >= 5
    assert abs(np.log(est.bc_m2_per_kg / 0.03)) < 2.5 * est.sigma_ln
    assert est.sigma_ln >= 0.16  # the measured arc-to-arc floor


def test_short_arc_falls_back_to_bstar_and_no_sets_is_an_error():
    hist = decayed_history(0.01, n_days=0.75, per_day=8.0)
    est = fit_ballistic_coefficient(hist, DENSITY)
    assert est.method == "bstar"
    assert any("too short" in w for w in est.warnings)
    from deorbit.errors import InputError

    with pytest.raises(InputError, match="no element set at or before"):
        fit_ballistic_coefficient(hist, DENSITY, as_of_utc=T0 - timedelta(days=1))
