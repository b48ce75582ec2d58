"""The re-entry driver, and the ISS cross-check against Orekit and satkit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from deorbit.drag import MsisDensity
from deorbit.formats import load_elements
from deorbit.reentry import predict_reentry

#: The issue's peer cross-check element set (ISS, 2024-01-01 12:00 UTC), shared test data.
ISS = load_elements(
    Path(__file__).resolve().parents[1] / "tests" / "data" / "predict" / "iss_2024.tle"
).elements[0]
MSIS00 = MsisDensity(150.0, 150.0, 15.0, version=0)


def test_driver_end_to_end_with_samples():
    # a 40x heavier drag than the ISS's brings it down in ~2 weeks: a quick full pipeline
    bc = 0.00838 * np.array([40.0, 60.0])
    res = predict_reentry(ISS, None, bc, MSIS00)
    assert np.all(res.reentered)
    days = res.days_after_start
    assert days[1] < days[0] < 25.0
    assert np.all(np.abs(res.lat_deg) <= 51.8)
    h = res.history
    mean_alt = h.mean_alt_km[:, 0]
    assert np.all(np.diff(mean_alt) <= 1e-9) and mean_alt[0] > 405.0
    np.testing.assert_allclose(res.handover.perigee_alt_km, 160.0, atol=0.05)
    assert np.all(res.final_track.alt_km[0] > 150.0)
    # a sample that stays up past max_days is reported as such, without a Cowell phase
    part = predict_reentry(ISS, None, [0.00838, 0.00838 * 60.0], MSIS00, max_days=30.0)
    assert list(part.reentered) == [False, True]
    assert np.isnat(part.epoch_utc[0]) and np.isnan(part.lat_deg[0])
    assert part.epoch_utc[1] == res.epoch_utc[1]
    with pytest.raises(ValueError):
        predict_reentry(ISS, None, 0.1, MSIS00, stop_alt_km=200.0)


def test_iss_cross_check_against_peers():
    """Same inputs as the Orekit (day 525) and satkit (day 512) runs; within 5 % of both."""
    res = predict_reentry(ISS, None, 2.2 * 1600.0 / 420000.0, MSIS00, stop_alt_km=120.0)
    day = res.days_after_start[0]
    assert res.reentered[0]
    assert abs(day - 525.0) < 0.05 * 525.0 and abs(day - 512.0) < 0.05 * 512.0


def test_results_do_not_depend_on_how_samples_are_split():
    """workers/chunk_size change nothing, bit for bit: every per-sample input is fixed before
    the split and each sample's arithmetic depends on its own state only."""
    bc = 0.00838 * np.array([40.0, 50.0, 60.0])
    scale = np.array([1.0, 1.2, 0.8])
    whole = predict_reentry(ISS, None, bc, MSIS00, density_scale=scale, stop_alt_km=120.0)
    for kw in ({"workers": 1, "chunk_size": 1}, {"workers": 2, "chunk_size": 2}):
        split = predict_reentry(ISS, None, bc, MSIS00, density_scale=scale, stop_alt_km=120.0, **kw)
        assert np.array_equal(split.epoch_utc, whole.epoch_utc)
        np.testing.assert_array_equal(split.lat_deg, whole.lat_deg)
        np.testing.assert_array_equal(split.lon_deg, whole.lon_deg)
        np.testing.assert_array_equal(split.handover.a_km, whole.handover.a_km)
        np.testing.assert_array_equal(split.history.mean_alt_km, whole.history.mean_alt_km)
        tr, tw = split.final_track, whole.final_track
        np.testing.assert_array_equal(tr.alt_km, tw.alt_km)
        assert np.array_equal(tr.t_utc.astype(np.int64), tw.t_utc.astype(np.int64))
