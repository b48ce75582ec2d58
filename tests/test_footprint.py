"""Impact footprints: descent ranges, spherical geometry, break-up states, grids, convergence."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from deorbit.cowell import FinalTrack
from deorbit.errors import InputError
from deorbit.exposure import long_run_exposure
from deorbit.footprint import (
    R_EARTH_KM,
    _integrate_descent,
    breakup_states,
    breakup_states_from_track,
    descent_range_km,
    footprint,
    initial_bearing_deg,
    long_run_breakup_states,
    move_on_sphere,
)
from deorbit.fragments import Fragment, FragmentList, default_fragments
from deorbit.geography import OCEAN, load_countries
from deorbit.groundtrack import ground_track
from deorbit.objects import resolve_object

KM_PER_DEG = np.pi * R_EARTH_KM / 180.0


@pytest.fixture(scope="module")
def countries():
    return load_countries()


@pytest.fixture(scope="module")
def iss_fragments():
    return default_fragments(420_000.0)


def test_descent_range_grows_with_beta_and_shrinks_with_steeper_entry():
    beta = np.geomspace(1.0, 1e4, 9)
    r = descent_range_km(beta, -1.0, 7.4)
    assert np.all(np.diff(r) > 0)
    assert 100 < r[0] < 250  # light debris: ~150 km
    assert 1500 < r[-1] < 2500  # dense pieces: up to ~2,000 km
    steep = descent_range_km(beta, -4.0, 7.4)
    assert np.all(steep < r)
    # The table reproduces a direct integration off its nodes to ~1 %.
    b, g, v = np.array([37.0, 420.0]), np.array([-1.3, -0.6]), np.array([7.45, 7.75])
    direct = _integrate_descent(b, np.radians(g), v * 1e3, 78e3)
    np.testing.assert_allclose(descent_range_km(b, g, v), direct, rtol=0.01)
    with pytest.raises(InputError):
        descent_range_km(10.0, breakup_alt_km=150.0)


def test_move_on_sphere_and_bearing_across_the_antimeridian():
    lat, lon = move_on_sphere(0.0, 179.5, 90.0, KM_PER_DEG)
    assert lat == pytest.approx(0.0, abs=1e-9) and lon == pytest.approx(-179.5, abs=1e-9)
    assert initial_bearing_deg(0.0, 179.5, 0.0, -179.5) == pytest.approx(90.0)
    # Positive cross-track offset is to the left: heading north from (0, 0) -> west.
    lat, lon = move_on_sphere(0.0, 0.0, 0.0, 0.0, 2 * KM_PER_DEG)
    assert lat == pytest.approx(0.0, abs=1e-9) and lon == pytest.approx(-2.0)
    # Round trip: going d along heading h, the bearing back is h + 180 at the far end.
    rng = np.random.default_rng(0)
    la0, lo0, hd = rng.uniform(-60, 60, 50), rng.uniform(-180, 180, 50), rng.uniform(0, 360, 50)
    d = rng.uniform(10, 3000, 50)
    la1, lo1 = move_on_sphere(la0, lo0, hd, d)
    back = initial_bearing_deg(la1, lo1, la0, lo0)
    la2, lo2 = move_on_sphere(la1, lo1, back, d)
    np.testing.assert_allclose(la2, la0, atol=1e-8)
    np.testing.assert_allclose((lo2 - lo0 + 180) % 360 - 180, 0.0, atol=1e-8)


def test_breakup_states_from_a_final_track():
    # Column 0: due east along the equator across the antimeridian, 60 s steps, 95 -> 80 km.
    # Column 1: heading north, one point shorter (NaN padding).  Column 2: one point only.
    step_deg = 7.35 * 60 / KM_PER_DEG
    t0 = np.datetime64("2025-01-01T00:00:00", "ns")
    t = t0 + np.arange(3) * np.timedelta64(60, "s")
    lat = np.array([[0.0, 10.0, 5.0], [0.0, 10.0 + step_deg, np.nan], [0.0, np.nan, np.nan]])
    lon = np.array(
        [[179.0 - step_deg, 20.0, 5.0], [179.0, 20.0, np.nan], [179.0 + step_deg, np.nan, np.nan]]
    )
    lon = (lon + 180) % 360 - 180
    alt = np.array([[110.0, 95.0, 80.0], [95.0, 80.0, np.nan], [80.0, np.nan, np.nan]])
    track = FinalTrack(np.stack([t, t, t], axis=1), lat, lon, alt)
    st = breakup_states_from_track(track, breakup_alt_km=78.0)
    np.testing.assert_array_equal(st.valid, [True, True, False])
    np.testing.assert_allclose(st.heading_deg[:2], [90.0, 0.0], atol=1e-6)
    horiz = 7.35 * 60 * (R_EARTH_KM + 87.5) / R_EARTH_KM
    gamma = np.degrees(np.arctan2(-15.0, horiz))
    np.testing.assert_allclose(st.gamma_deg[:2], gamma, rtol=1e-9)
    np.testing.assert_allclose(st.speed_km_s[:2], np.hypot(horiz, 15.0) / 60.0, rtol=1e-9)
    # Extended 2 km down the flight path: 2 / tan|gamma| further along.
    extra = 2.0 / np.tan(np.radians(-gamma))
    lon_expected = (179.0 + step_deg + extra / KM_PER_DEG + 180) % 360 - 180
    assert st.lon_deg[0] == pytest.approx(lon_expected, abs=1e-6)
    assert st.lat_deg[1] == pytest.approx(10.0 + step_deg + extra / KM_PER_DEG, abs=1e-6)
    assert np.isnan(st.lat_deg[2])


def test_weights_grids_and_demise(countries):
    frags = FragmentList.from_fragments(
        [
            Fragment("light", 2.0, 0.5, count=10),
            Fragment("dense", 200.0, 0.3, count=1),
            Fragment("burns", 50.0, 2.0, count=5, demise=True),
        ]
    )
    st = breakup_states(
        [10.0, 20.0, np.nan, -30.0], [0.0, 100.0, 0.0, -170.0], [45.0, 90.0, 0.0, 300.0]
    )
    fp = footprint(st, frags, countries, rng=3)
    assert fp.fragments.names == ("light", "dense")  # demised class dropped
    assert fp.n_valid == 3
    assert np.all(np.isnan(fp.points.lat_deg[2]))
    assert fp.weight_fall.sum() == pytest.approx(1.0)
    assert fp.weight_casualty.sum() == pytest.approx(1.0)
    # Fall weights follow the counts; casualty weights the casualty areas.
    assert fp.weight_fall[0, 0] / fp.weight_fall[0, 1] == pytest.approx(10.0)
    ac = fp.casualty_area_m2
    assert fp.weight_casualty[0, 0] / fp.weight_casualty[0, 1] == pytest.approx(ac[0] / ac[1])
    g = fp.grid(0.25)
    assert g.fall.shape == (720, 1440)
    assert g.fall.sum() == pytest.approx(1.0) and g.casualty_weighted.sum() == pytest.approx(1.0)
    cp = fp.country_probabilities()
    assert cp.fall.sum() + cp.fall_ocean == pytest.approx(1.0)
    assert cp.casualty_weighted.sum() + cp.casualty_weighted_ocean == pytest.approx(1.0)
    # The dense piece lands farther down range than the light ones.
    assert np.all(fp.points.downrange_km[[0, 1, 3], 1] > fp.points.downrange_km[[0, 1, 3], 0])
    with pytest.raises(InputError):
        fp.grid(0.7)


def test_long_run_samples_converge_to_the_analytic_exposure(countries, iss_fragments):
    inc = 51.64
    st = long_run_breakup_states(inc, 1 << 15, rng=11, sampling="sobol")
    fp = footprint(st, iss_fragments, countries, rng=12)
    cp = fp.country_probabilities()
    exact = long_run_exposure(countries, inc, 78.0)
    assert cp.fall_ocean == pytest.approx(exact.ocean_fraction, abs=0.003)
    big = exact.fraction > 0.005
    assert big.sum() >= 10
    rel = np.abs(cp.fall[big] - exact.fraction[big]) / exact.fraction[big]
    assert rel.max() < 0.03, rel


def test_weeks_of_real_track_converge_and_minutes_collapse_to_a_strip(countries, iss_fragments):
    es = resolve_object("ISS").latest
    track = ground_track(es, es.epoch_utc, es.epoch_utc + timedelta(days=28), 10.0)
    rng = np.random.default_rng(5)

    def states_at(idx):
        hd = initial_bearing_deg(
            track.lat_deg[idx], track.lon_deg[idx], track.lat_deg[idx + 1], track.lon_deg[idx + 1]
        )
        return breakup_states(track.lat_deg[idx], track.lon_deg[idx], hd)

    # Re-entry times uniform over four weeks: per-country shares near the long-run ones.
    idx = rng.integers(0, len(track) - 1, 40_000)
    fp = footprint(states_at(idx), iss_fragments, countries, rng=6)
    cp = fp.country_probabilities()
    alt = 0.5 * (es.perigee_alt_km + es.apogee_alt_km)
    exact = long_run_exposure(countries, es.inclination_deg, alt)
    big = exact.fraction > 0.02
    rel = np.abs(cp.fall[big] - exact.fraction[big]) / exact.fraction[big]
    assert rel.max() < 0.08, rel
    assert np.median(rel) < 0.04
    assert cp.fall_ocean == pytest.approx(exact.ocean_fraction, abs=0.01)

    # Re-entry times within 3 minutes: one strip along the track, tens of km wide.
    start = rng.integers(0, len(track) - 30)
    idx = start + rng.integers(0, 18, 2_000)
    short = footprint(states_at(idx), iss_fragments, countries, rng=7)
    lat0, lon0 = track.lat_deg[start], track.lon_deg[start]
    hd0 = initial_bearing_deg(lat0, lon0, track.lat_deg[start + 1], track.lon_deg[start + 1])
    # Signed distance of every impact point from the great circle through the start point.
    p = _unit(short.points.lat_deg, short.points.lon_deg)
    a = _unit(lat0, lon0)
    b = _unit(*move_on_sphere(lat0, lon0, hd0, 100.0))
    n = np.cross(a, b)
    n /= np.linalg.norm(n)
    off_km = np.degrees(np.arcsin(np.clip(p @ n, -1, 1))) * KM_PER_DEG
    assert np.percentile(np.abs(off_km), 99) < 120.0
    cells_short = np.count_nonzero(short.grid(0.25).fall)
    cells_long = np.count_nonzero(fp.grid(0.25).fall)
    assert cells_short < 0.03 * cells_long
    touched = np.unique(short.country[short.country != OCEAN])
    assert touched.size < 15


def _unit(lat_deg, lon_deg):
    la, lo = np.radians(lat_deg), np.radians(lon_deg)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)
