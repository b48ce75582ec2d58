"""Points per second: direct pymsis vs the tabulated fast path, in the same run.

Two comparisons, 1,000 Monte Carlo samples each with its own altitude and indices:
- local density: pymsis at scattered points (what a per-point propagator would pay);
- orbit mean: the fast path's orbit-mean density per sample vs the same mean by direct pymsis
  calls at 48 points around the revolution (the fast path's own quadrature size).

Usage: .venv/bin/python benchmarks/bench_atmosphere.py [--samples 1000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from deorbit.atmosphere import load_density_model, msis_density_kg_m3


def _best(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    n = parser.parse_args(argv).samples
    rng = np.random.default_rng(0)
    alt = rng.uniform(300, 450, n)
    f107 = rng.uniform(80, 220, n)
    f107a = rng.uniform(80, 220, n)
    ap = rng.uniform(3, 60, n)
    lat = rng.uniform(-51.6, 51.6, n)
    lon = rng.uniform(-180, 180, n)
    t = np.datetime64("2025-06-01T00", "ns") + rng.integers(0, 86400, n).astype("timedelta64[s]")
    results = {}
    for version in (2.1, 0):
        model = load_density_model(version)
        model.orbit_mean_density_kg_m3(alt, f107, f107a, ap, 152.0, 51.64)  # build orbit table
        k = 48
        t_msis = _best(
            lambda v=version: msis_density_kg_m3(t, lat, lon, alt, f107, f107a, ap, version=v), 3
        )
        t_fast = _best(
            lambda m=model: m.orbit_mean_density_kg_m3(alt, f107, f107a, ap, 152.0, 51.64)
        )
        t_fast_doy = _best(
            lambda m=model: m.orbit_mean_density_kg_m3(
                alt, f107, f107a, ap, rng.uniform(1, 365, n), 51.64
            )
        )
        pts_msis = n / t_msis
        orbits_msis = pts_msis / k
        tag = "2.1" if version == 2.1 else "00"
        results[f"msis{tag}_points_per_s"] = pts_msis
        results[f"msis{tag}_orbit_means_per_s"] = orbits_msis
        results[f"fast{tag}_orbit_means_per_s"] = n / t_fast
        results[f"fast{tag}_orbit_means_per_s_doy_per_sample"] = n / t_fast_doy
        print(
            f"MSIS {tag}: pymsis {pts_msis:,.0f} points/s = {orbits_msis:,.0f} orbit means/s "
            f"(48 points each); fast path {n / t_fast:,.0f} orbit means/s "
            f"({n / t_fast_doy:,.0f} with a day of year per sample); "
            f"speed-up per orbit mean x{(n / t_fast) / orbits_msis:,.0f}, per point-equivalent "
            f"x{(n / t_fast) / pts_msis:,.1f}"
        )
    return results


if __name__ == "__main__":
    main()
