"""Does the predicted 90 % footprint of the 2020 CZ-5B re-entry follow its real final track?

From the last element set before the re-entry (and only the sets up to it), deorbit predicts
the re-entry window and disperses the debris (`deorbit risk FILE` in prediction mode).  The
"real final track" is the SGP4 ground track of that last element set over the hours around
the true re-entry (2020-05-11 15:33 UTC, 18th Space Control Squadron; debris reported in Côte
d'Ivoire).  Printed: the re-entry window against the truth, the share of impact points within
50/100/200 km of the real track, and the along-track distance from the track point at the
true re-entry time to the nearest impact points.

    .venv/bin/python benchmarks/validate_cz5b_footprint.py [--samples 500]
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from deorbit.groundtrack import ground_track
from deorbit.jobs import resolve
from deorbit.risk import RiskOptions, run_risk

SHARED = Path(__file__).resolve().parents[2] / "shared" / "validation"
TRUTH_UTC = datetime(2020, 5, 11, 15, 33, tzinfo=UTC)
EARTH_RADIUS_KM = 6371.0


def _distance_km(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    c = np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(dl)
    return EARTH_RADIUS_KM * np.arccos(np.clip(c, -1, 1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--file", default=str(SHARED / "tles" / "45601.tle"))
    a = ap.parse_args()
    obj = resolve(a.file)
    last = obj.latest
    run = run_risk(obj, RiskOptions(mode="prediction", samples=a.samples, casualty_area_m2=50))
    q05, q50, q95 = run.prediction.quantiles_utc()
    print(f"last element epoch {last.epoch_utc:%Y-%m-%d %H:%M}Z, truth {TRUTH_UTC:%H:%M}Z")
    print(
        f"predicted median {q50:%Y-%m-%d %H:%M}Z, 90 % window {q05:%H:%M} to {q95:%H:%M}Z; "
        f"truth inside: {q05 <= TRUTH_UTC <= q95}; median error "
        f"{(q50 - TRUTH_UTC).total_seconds() / 60:+.0f} min"
    )
    # The real final track: SGP4 of the last set, from 2 h before to 1 h after the truth, 10 s.
    track = ground_track(last, TRUTH_UTC - timedelta(hours=2), TRUTH_UTC + timedelta(hours=1), 10)
    ok = np.isfinite(track.lat_deg)
    tlat, tlon = track.lat_deg[ok], track.lon_deg[ok]
    pts = run.footprint.points
    valid = pts.valid[:, None] & np.isfinite(pts.lat_deg)
    plat, plon = pts.lat_deg[valid], pts.lon_deg[valid]
    d = np.min(_distance_km(plat[:, None], plon[:, None], tlat[None, :], tlon[None, :]), axis=1)
    for km in (50, 100, 200):
        print(f"impact points within {km:3d} km of the real final track: {np.mean(d <= km):.1%}")
    k = int(np.argmin(np.abs(track.times_utc - np.datetime64(TRUTH_UTC.replace(tzinfo=None)))))
    at_truth = (track.lat_deg[k], track.lon_deg[k])
    d_truth = _distance_km(plat, plon, *at_truth)
    print(
        f"track point at the true re-entry time: {at_truth[0]:.1f}, {at_truth[1]:.1f}; "
        f"impact points within 1,000 km of it: {np.mean(d_truth <= 1000):.1%}; "
        f"nearest {d_truth.min():.0f} km"
    )
    civ = run.countries.by_adm0("CIV").index
    print(
        f"impact probability on Côte d'Ivoire (debris reported there): "
        f"{run.probabilities.fall[civ]:.2%}"
    )


if __name__ == "__main__":
    main()
