"""Manoeuvre detection: synthetic histories with known reboosts, lowering and bad sets, and
the bundled real ISS history."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from deorbit.data import as_file, data_file
from deorbit.decay import mean_orbit_from_element_set
from deorbit.elements import MU_EARTH_KM3_S2, ElementSet
from deorbit.errors import InputError
from deorbit.formats import load_elements
from deorbit.manoeuvres import (
    detect_manoeuvres,
    last_free_arc,
    manoeuvre_free_arcs,
    mean_sma_series,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)
BASE = ElementSet(
    norad_id=99999,
    name="SYNTH",
    intl_designator="",
    epoch_utc=T0,
    mean_motion_rev_per_day=15.5,
    eccentricity=0.0005,
    inclination_deg=51.6,
    raan_deg=100.0,
    arg_perigee_deg=30.0,
    mean_anomaly_deg=0.0,
    bstar_per_earth_radii=3e-4,
)


def _n_for_a(a_km: float) -> float:
    return float(np.sqrt(MU_EARTH_KM3_S2 / a_km**3) * 86400.0 / (2 * np.pi))


def make_history(t_days: np.ndarray, a_geo_km: np.ndarray) -> list[ElementSet]:
    """Element sets whose *geometric* mean a (decay.mean_orbit_from_element_set) is a_geo.

    The offset between Kepler-on-Kozai a and the geometric a depends only weakly on a; it is
    taken from one set and then corrected once per set (residual < 1 m)."""
    probe = replace(BASE, mean_motion_rev_per_day=_n_for_a(float(a_geo_km[0])))
    offset = mean_orbit_from_element_set(probe).a_km[0] - probe.semi_major_axis_km
    out = []
    for t, a in zip(t_days, a_geo_km, strict=True):
        es = replace(
            BASE,
            epoch_utc=T0 + timedelta(days=float(t)),
            mean_motion_rev_per_day=_n_for_a(a - offset),
        )
        out.append(es)
    return out


def synthetic(n_days=40.0, per_day=3.0, a0=6778.0, rate=-0.08, noise=0.01, seed=0):
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, n_days, int(n_days * per_day)))
    a = a0 + rate * t + rng.normal(0, noise, t.size)
    return t, a


def test_series_matches_decay_definition():
    t, a = synthetic(n_days=5)
    hist = make_history(t, a)
    tt, aa = mean_sma_series(hist)
    np.testing.assert_allclose(aa, a, atol=0.002)
    np.testing.assert_allclose(tt - tt[0], t - t[0], atol=1e-6)


def test_reboost_is_found_with_its_epoch_and_size_and_outlier_is_not():
    t, a = synthetic()
    t_boost, boost = 21.3, 1.5
    a = a + np.where(t > t_boost, boost, 0.0)
    bad = int(np.searchsorted(t, 9.0))
    a[bad] += 0.6  # one bad set, 60 sigma off
    hist = make_history(t, a)
    res = detect_manoeuvres(hist)
    assert len(res.manoeuvres) == 1
    m = res.manoeuvres[0]
    assert m.kind == "raise" and not m.sustained
    true_epoch = T0 + timedelta(days=t_boost)
    assert m.start_utc <= true_epoch <= m.end_utc
    assert m.delta_a_km == pytest.approx(boost, abs=0.05)
    assert res.outlier[bad] and res.outlier.sum() <= 2
    assert res.noise_km == pytest.approx(0.01, rel=0.4)
    # two arcs, split at the reboost; the last one starts right after it
    assert len(res.arcs) == 2
    arc = last_free_arc(hist, min_days=10.0)
    assert arc.start_utc > true_epoch > hist[arc.start_index - 1].epoch_utc
    assert arc.end_index == len(hist) - 1


def test_noise_alone_gives_no_manoeuvre():
    for seed in range(3):
        t, a = synthetic(noise=0.03, seed=seed)
        res = detect_manoeuvres(make_history(t, a))
        assert res.manoeuvres == []
        assert len(res.arcs) == 1


def test_propulsive_lowering_is_found_but_passive_decay_is_not():
    # 520 km, passive 0.02 km/day, then 10 days of 0.6 km/day lowering, then passive again
    t, _ = synthetic(n_days=120, per_day=2.5, noise=0.0)
    rng = np.random.default_rng(3)
    rate = np.where((t > 50) & (t < 60), -0.6, -0.02)
    dt = np.diff(t, prepend=t[0])
    a = 6898.0 + np.cumsum(rate * dt) + rng.normal(0, 0.01, t.size)
    res = detect_manoeuvres(make_history(t, a))
    lows = [m for m in res.manoeuvres if m.kind == "lower"]
    assert len(lows) == 1 and not [m for m in res.manoeuvres if m.kind == "raise"]
    assert lows[0].sustained
    assert lows[0].delta_a_km == pytest.approx(-6.0, abs=1.0)
    assert T0 + timedelta(days=47) <= lows[0].start_utc <= T0 + timedelta(days=51)
    assert T0 + timedelta(days=59) <= lows[0].end_utc <= T0 + timedelta(days=63)


def test_accelerating_passive_decay_is_not_a_manoeuvre():
    # exponential-atmosphere decay: rate grows as the orbit sinks (400 -> ~330 km)
    t = np.arange(0, 60, 0.4)
    h = 400.0 - 58.0 * np.log1p(t / 40.0)
    rng = np.random.default_rng(5)
    a = 6378.137 + h + rng.normal(0, 0.02, t.size)
    res = detect_manoeuvres(make_history(t, a))
    assert res.manoeuvres == []


def test_end_of_truncated_history_near_reentry_is_not_a_lowering():
    # the last days before re-entry: 300 -> ~200 km, the rate growing from ~1 to ~25 km/day,
    # with the history cut at several points (one-sided windows at its end)
    t = np.arange(0, 12, 0.15)

    h = 300.0 + 40.0 * np.log(1.0 - t / 12.5)  # rate 40 / (12.5 - t) km/day
    rng = np.random.default_rng(7)
    a = 6378.137 + h + rng.normal(0, 0.05, t.size)
    for cut in (40, 60, 75, t.size):
        res = detect_manoeuvres(make_history(t[:cut], a[:cut]))
        assert [m for m in res.manoeuvres if m.kind == "lower"] == [], cut
        assert res.arcs[-1].end_index == cut - 1


def test_lowering_under_way_at_the_end_of_a_truncated_history_is_still_found():
    # the synthetic lowering of the test above, history cut 4 days into its 10 days
    t, _ = synthetic(n_days=120, per_day=2.5, noise=0.0)
    rng = np.random.default_rng(3)
    rate = np.where((t > 50) & (t < 60), -0.6, -0.02)
    a = 6898.0 + np.cumsum(rate * np.diff(t, prepend=t[0])) + rng.normal(0, 0.01, t.size)
    cut = int(np.searchsorted(t, 54.0))
    res = detect_manoeuvres(make_history(t[:cut], a[:cut]))
    lows = [m for m in res.manoeuvres if m.kind == "lower"]
    assert len(lows) == 1 and lows[0].start_utc <= T0 + timedelta(days=51)


_STARLINK = str(
    Path(__file__).resolve().parents[2] / "shared" / "validation" / "tles" / "44240.tle"
)


@pytest.mark.skipif(not __import__("os").path.exists(_STARLINK), reason="validation data absent")
def test_real_starlink_lowering_phases_are_still_found():
    # STARLINK-26 (44240): -12.6 km sustained lowering from 2020-01-20, and sustained lowerings
    # in 2020 (docs/notes/bcfit.md); its last days of passive decay hold none
    hist = load_elements(_STARLINK, on_conflict="latest").elements
    res = detect_manoeuvres(hist)
    lows = [m for m in res.manoeuvres if m.kind == "lower" and m.sustained]
    assert any(
        datetime(2020, 1, 15, tzinfo=UTC) < m.epoch_utc < datetime(2020, 1, 25, tzinfo=UTC)
        and m.delta_a_km < -8.0
        for m in lows
    )
    assert len([m for m in lows if m.epoch_utc.year == 2020]) >= 3
    assert not [m for m in res.manoeuvres if m.epoch_utc > datetime(2021, 3, 1, tzinfo=UTC)]


def test_history_of_only_manoeuvres_is_an_error():
    t = np.arange(0, 20, 0.3)
    a = 6720.0 + 3.0 * t  # continuous orbit raising
    hist = make_history(t, a)
    with pytest.raises(InputError, match="no manoeuvre-free arc"):
        last_free_arc(hist)
    with pytest.raises(InputError, match="no manoeuvre-free arc"):
        manoeuvre_free_arcs(hist)


def test_min_days_and_mixed_objects():
    t, a = synthetic(n_days=10)
    hist = make_history(t, a)
    with pytest.raises(InputError, match="longest"):
        last_free_arc(hist, min_days=30.0)
    with pytest.raises(InputError, match="mixes objects"):
        detect_manoeuvres([*hist[:3], replace(hist[3], norad_id=1)])


def test_real_iss_reboosts_2024_2025():
    with as_file(data_file("elements", "25544_2024-2025_from_omm.tle")) as path:
        hist = load_elements(path, on_conflict="latest").elements
    res = detect_manoeuvres(hist)
    raises = [m for m in res.manoeuvres if m.kind == "raise" and m.delta_a_km > 1.0]
    # the large reboosts of the period (e.g. 2025-01-12, ~3 km) are found, not split up
    assert any(
        datetime(2025, 1, 11, tzinfo=UTC) < m.epoch_utc < datetime(2025, 1, 13, tzinfo=UTC)
        and 2.5 < m.delta_a_km < 3.8
        for m in raises
    )
    assert len(raises) >= 5
    # between consecutive arcs there is always a detected manoeuvre
    for left, right in zip(res.arcs[:-1], res.arcs[1:], strict=True):
        assert any(left.end_utc <= m.epoch_utc <= right.start_utc for m in res.manoeuvres) or (
            res.outlier[left.end_index + 1 : right.start_index].any()
        )
