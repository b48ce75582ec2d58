"""Analytic long-run exposure against propagated ground tracks of the ISS (docs/validation.md).

For windows of 1, 7, 30 and 90 days from the bundled element epoch, prints the largest
absolute and relative differences between the windowed share (SGP4 track at 20 s steps, exact
country lookup) and the analytic long-run share, and a per-country table for the 30-day window.

    .venv/bin/python benchmarks/validate_exposure.py
"""

from __future__ import annotations

import time
from datetime import timedelta

import numpy as np

from deorbit.exposure import long_run_exposure, window_exposure
from deorbit.geography import load_countries
from deorbit.groundtrack import ground_track
from deorbit.objects import resolve_object


def main() -> None:
    es = resolve_object("ISS").latest
    countries = load_countries()
    alt = 0.5 * (es.perigee_alt_km + es.apogee_alt_km)
    t0 = time.perf_counter()
    analytic = long_run_exposure(countries, es.inclination_deg, alt)
    t_analytic = time.perf_counter() - t0
    big = analytic.fraction > 0.005
    print(
        f"ISS elements {es.epoch_utc:%Y-%m-%d %H:%M}Z, i = {es.inclination_deg:.4f} deg; "
        f"analytic land share {analytic.land_fraction:.4%} ({t_analytic * 1e3:.0f} ms)"
    )
    print(
        f"{'window':>8} {'samples':>8} {'land':>8} {'max |diff|':>11} "
        f"{'max rel (>0.5%)':>16} {'median rel':>11}"
    )
    tables = {}
    for days in (1, 7, 30, 90):
        track = ground_track(es, es.epoch_utc, es.epoch_utc + timedelta(days=days), 20.0)
        w = window_exposure(countries, track.lat_deg, track.lon_deg)
        rel = np.abs(w.fraction[big] - analytic.fraction[big]) / analytic.fraction[big]
        diff = np.abs(w.fraction - analytic.fraction)
        print(
            f"{days:>6} d {w.n_samples:>8} {w.land_fraction:8.3%} {diff.max():11.4%} "
            f"{rel.max():16.1%} {np.median(rel):11.1%}"
        )
        tables[days] = w
    print("\n30-day window, countries above 0.5% long-run share:")
    print(f"{'country':<28} {'analytic':>9} {'30-day':>9} {'rel diff':>9}")
    w = tables[30]
    for k, f in analytic.ranked(0.005):
        c = countries.countries[k]
        print(f"{c.name:<28} {f:9.3%} {w.fraction[k]:9.3%} {(w.fraction[k] - f) / f:+9.1%}")


if __name__ == "__main__":
    main()
