"""Throughput of the point -> country lookup, against brute-force shapely, in the same run.

    .venv/bin/python benchmarks/bench_country_lookup.py [--n 2000000] [--n-brute 20000]

Cases: points uniform on the sphere; points along a 51.6-degree ground track (ISS-like: 92.9 min
period, Earth turning underneath, one point per second); and the baseline, prepared
``shapely.contains_xy`` of every country polygon over a smaller uniform sample.  Prints points
per second (best of ``--repeat`` runs, one core: numpy does not thread these operations) and the
speed-up over the baseline.  The lookup's load time (geojson parse + index) is reported apart.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import shapely

from deorbit.geography.countries import OCEAN, CountryMap


def sphere_points(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    lon = rng.uniform(-180.0, 180.0, n)
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    return lat, lon


def ground_track(n: int, inclination_deg: float = 51.6) -> tuple[np.ndarray, np.ndarray]:
    """Circular-orbit ground track on a sphere, 1 s steps (good enough to exercise the index)."""
    t = np.arange(n, dtype=float)
    u = 2 * np.pi * t / (92.9 * 60)  # argument of latitude
    inc = np.radians(inclination_deg)
    lat = np.degrees(np.arcsin(np.sin(inc) * np.sin(u)))
    lon = np.degrees(np.arctan2(np.cos(inc) * np.sin(u), np.cos(u)) - 7.2921159e-5 * t)
    return lat, (lon + 180.0) % 360.0 - 180.0


def best_rate(fn, n: int, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return n / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2_000_000)
    ap.add_argument("--n-brute", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(1)

    t0 = time.perf_counter()
    cmap = CountryMap("50m")
    cmap.lookup(0.0, 0.0)
    load_s = time.perf_counter() - t0

    lat_s, lon_s = sphere_points(args.n, rng)
    lat_t, lon_t = ground_track(args.n)
    lat_b, lon_b = sphere_points(args.n_brute, rng)

    geoms = list(cmap._geoms)
    for g in geoms:
        shapely.prepare(g)

    def brute():
        out = np.full(len(lat_b), OCEAN)
        for i, g in enumerate(geoms):
            out[shapely.contains_xy(g, lon_b, lat_b)] = i
        return out

    rows = [
        ("lookup, uniform on sphere", args.n, best_rate(lambda: cmap.lookup(lat_s, lon_s), args.n, args.repeat)),
        ("lookup, 51.6 deg ground track", args.n, best_rate(lambda: cmap.lookup(lat_t, lon_t), args.n, args.repeat)),
        ("shapely.contains_xy x 242 countries", args.n_brute, best_rate(brute, args.n_brute, args.repeat)),
    ]  # fmt: skip
    assert np.array_equal(brute(), cmap.lookup(lat_b, lon_b)), "lookup disagrees with shapely"
    base = rows[-1][2]
    raster = cmap._raster
    mixed = float(np.mean(raster <= -2))
    cell = np.minimum(((90 - lat_s) / cmap._cell_deg).astype(int), cmap._n_rows - 1) * cmap._n_cols
    cell += np.minimum(((lon_s + 180) / cmap._cell_deg).astype(int), cmap._n_cols - 1)
    print(f"country index: {cmap._cell_deg} deg cells, {100 * mixed:.2f} % mixed cells, "
          f"{100 * np.mean(raster[cell] <= -2):.2f} % of sphere points in mixed cells; "
          f"load {load_s:.2f} s")  # fmt: skip
    print(f"{'case':<38} {'points':>10} {'points/s':>14} {'vs brute':>9}")
    for name, n, rate in rows:
        print(f"{name:<38} {n:>10,} {rate:>14,.0f} {rate / base:>8.0f}x")


if __name__ == "__main__":
    main()
