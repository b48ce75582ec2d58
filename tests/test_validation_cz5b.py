"""The CZ-5B 2020 re-entry: window and footprint from its last element set follow the truth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from deorbit.groundtrack import ground_track
from deorbit.jobs import resolve
from deorbit.risk import RiskOptions, run_risk

TRUTH_UTC = datetime(2020, 5, 11, 15, 33, tzinfo=UTC)  # 18th Space Control Squadron, +-1 min


def test_cz5b_footprint_follows_the_real_final_track(shared_dir):
    obj = resolve(str(shared_dir / "validation" / "tles" / "45601.tle"))
    run = run_risk(obj, RiskOptions(mode="prediction", samples=200, casualty_area_m2=50))
    q05, _, q95 = run.prediction.quantiles_utc()
    assert q05 <= TRUTH_UTC <= q95
    track = ground_track(
        obj.latest, TRUTH_UTC - timedelta(hours=2), TRUTH_UTC + timedelta(hours=1), 10
    )
    ok = np.isfinite(track.lat_deg)
    tlat, tlon = np.radians(track.lat_deg[ok]), np.radians(track.lon_deg[ok])
    pts = run.footprint.points
    valid = pts.valid[:, None] & np.isfinite(pts.lat_deg)
    plat, plon = np.radians(pts.lat_deg[valid]), np.radians(pts.lon_deg[valid])
    cos_d = np.sin(plat)[:, None] * np.sin(tlat)[None, :] + np.cos(plat)[:, None] * np.cos(tlat)[
        None, :
    ] * np.cos(plon[:, None] - tlon[None, :])
    d_km = 6371.0 * np.arccos(np.clip(cos_d.max(axis=1), -1, 1))
    # The 90 % footprint lies along the real track (cross-track spread ~20 km, 1-sigma).
    assert np.quantile(d_km, 0.9) < 100.0
