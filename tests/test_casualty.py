"""Casualty area, casualty expectation and the long-run E_c per m^2 of casualty area."""

from __future__ import annotations

import numpy as np
import pytest

from deorbit.casualty import (
    EC_LIMIT,
    band_ec_per_m2,
    casualty_area_m2,
    casualty_area_per_class_m2,
    expected_casualties,
    long_run_ec_per_m2,
    probability_of_casualty,
)
from deorbit.errors import InputError
from deorbit.footprint import breakup_states, footprint, long_run_breakup_states
from deorbit.fragments import Fragment, FragmentList, default_fragments
from deorbit.geography import load_countries, load_population


@pytest.fixture(scope="module")
def pop():
    return load_population(2020)


def test_casualty_area_follows_the_das_formula():
    fl = FragmentList.from_fragments(
        [
            Fragment("a", 10.0, 0.64, count=3),  # (0.6 + 0.8)^2 = 1.96 m^2 each
            Fragment("b", 1.0, 0.01),  # (0.6 + 0.1)^2 = 0.49
            Fragment("c", 5.0, 4.0, count=7, demise=True),  # burns up: none
        ]
    )
    np.testing.assert_allclose(casualty_area_per_class_m2(fl), [3 * 1.96, 0.49, 0.0])
    assert casualty_area_m2(fl) == pytest.approx(3 * 1.96 + 0.49)


def test_poisson_probability():
    assert probability_of_casualty(1e-6) == pytest.approx(1e-6, rel=1e-6)
    assert probability_of_casualty(1.0) == pytest.approx(1 - np.exp(-1.0))
    with pytest.raises(InputError):
        probability_of_casualty(-1e-3)


def test_expected_casualties_of_known_points(pop):
    countries = load_countries()
    frags = FragmentList.from_fragments([Fragment("x", 50.0, 0.25, count=4)])
    # One sample over the Indo-Gangetic plain, one mid-Pacific; no dispersion.
    st = breakup_states([25.0, 0.0], [80.0, -150.0], [90.0, 90.0])
    fp = footprint(st, frags, countries, rng=0, beta_sigma_ln=0.0, cross_track_sigma_km=0.0)
    res = expected_casualties(fp, pop)
    ac = 4 * (0.6 + 0.5) ** 2
    rho = pop.at(fp.points.lat_deg[:, 0], fp.points.lon_deg[:, 0]) * 1e-6
    np.testing.assert_allclose(res.ec_per_sample, ac * rho)
    assert res.ec == pytest.approx(ac * rho.mean())
    assert res.ec_per_country.sum() + res.ec_ocean == pytest.approx(res.ec)
    assert res.ratio_to_limit == pytest.approx(res.ec / EC_LIMIT)
    assert res.p_casualty == pytest.approx(1 - np.exp(-res.ec))
    assert res.ec_per_sample[0] > 100 * res.ec_per_sample[1]


@pytest.mark.parametrize("inc", [0.0, 6.0, 30.0, 51.64, 82.0, 98.0])
def test_long_run_matches_the_direct_band_computation(inc, pop):
    a = long_run_ec_per_m2(inc, 400.0, pop)
    b = band_ec_per_m2(inc, 400.0, pop)
    assert a == pytest.approx(b, rel=0.02)


def test_population_growth_and_published_uars_rosat_figures(pop):
    p2005 = load_population(2005)
    assert long_run_ec_per_m2(57.0, 400.0, p2005) < long_run_ec_per_m2(57.0, 400.0, pop)
    # UARS: 22.5 m^2, 57 deg, NASA 2011: 1 in 3,200.  ROSAT: ~30 m^2, 53 deg, DLR: 1 in 2,000.
    for area_m2, inc, published in ((22.5, 57.0, 1 / 3200), (30.0, 53.0, 1 / 2000)):
        ec = area_m2 * long_run_ec_per_m2(inc, 300.0, pop)
        assert 1 / 1.5 < ec / published < 1.5


def test_footprint_ec_converges_to_the_long_run_value(pop):
    countries = load_countries()
    frags = default_fragments(5668.0, 0.094)
    st = long_run_breakup_states(57.0, 1 << 14, rng=4, sampling="sobol")
    res = expected_casualties(footprint(st, frags, countries, rng=5), pop)
    expected = casualty_area_m2(frags) * long_run_ec_per_m2(57.0, 78.0, pop)
    assert res.ec == pytest.approx(expected, rel=0.05)
    # Jensen: the mean per-sample probability is below 1 - exp(-mean E_c).
    assert res.p_casualty_sample_mean <= res.p_casualty
