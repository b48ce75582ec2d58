"""Points per second of the density providers at the orbit-average shape, in the same run.

The call that ``drag.orbit_averaged_drag_rates`` makes: (N, K) = (1000 samples, 24 nodes),
``sample = arange(N)[:, None]``, each sample one ISS-like revolution (300-450 km, +-51.6 deg)
lasting ~92 min from its own epoch.  Cases:
- ``common``: all samples at one epoch (start of a Monte Carlo);
- ``spread``: sample epochs spread over 60 days (late in a Monte Carlo, samples diverge);
- ``years``: sample epochs spread over 3 years with per-sample solar forecast errors (a long
  ISS Monte Carlo: every sample on its own day of year);
- ``perturbed``: common epoch, per-sample solar forecast errors (PerturbedIndices).
Compared: ``drag.MsisDensity`` (direct pymsis, constant indices), ``MsisPointDensity`` and
``ZonalMeanDensity``, NRLMSIS 2.1 and NRLMSISE-00.  Best of ``--repeat`` runs; the cold first
call of the fast provider (building day-of-year slices, and the per-sample windows that
per-sample windows) is reported separately; timed calls start with the per-sample caches
emptied (slices kept), as a Monte Carlo call whose samples moved to new days.

``--forecast-skill`` instead prints the error of this package's persistence forecast (81-day
mean F10.7, 27-day mean Ap before T; ``deorbit.spaceweather``) against the bundled record
1958-2025, the basis of ``deorbit.density.SolarForecastError``'s defaults.

Usage: .venv/bin/python benchmarks/bench_density.py [--samples 1000] [--nodes 24] [--repeat 5]
       .venv/bin/python benchmarks/bench_density.py --forecast-skill
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from deorbit.density import ConstantIndices, SolarForecastError, ZonalMeanDensity
from deorbit.drag import MsisDensity


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _cold_samples(fast: ZonalMeanDensity, g: tuple, sample: np.ndarray) -> np.ndarray:
    """One call with the per-sample caches emptied (a Monte Carlo call sees new days)."""
    fast.forget_samples()
    return fast(*g, sample=sample)


def _orbit_points(n: int, k: int, spread_days: float, rng: np.random.Generator):
    """(t, lat, lon, alt) of shape (n, k) along circular 51.6-deg orbits."""
    u = np.linspace(0.0, 2.0 * np.pi, k, endpoint=False)
    alt0 = rng.uniform(300.0, 450.0, n)[:, None]
    lat = np.degrees(np.arcsin(np.sin(np.radians(51.6)) * np.sin(u)))[None, :] + 0 * alt0
    lon = (rng.uniform(-180, 180, n)[:, None] + np.degrees(u)[None, :] * 0.94) % 360 - 180
    alt = alt0 + 10.0 * np.sin(u)[None, :] ** 2
    t0 = np.datetime64("2025-03-01T00", "ns")
    start = (rng.uniform(0.0, spread_days, n) * 86400e9).astype(np.int64)
    dt = (u / (2 * np.pi) * 5520e9).astype(np.int64)
    t = t0 + (start[:, None] + dt[None, :]).astype("timedelta64[ns]")
    return t, lat, lon, alt


def forecast_skill() -> None:
    """rms of ln(observed / persistence) for single days and for the mean over the lead."""
    from deorbit.spaceweather import load_space_weather

    sw = load_space_weather()
    days, f, ap, _ = sw._daily_series()
    obs = days <= sw.last_observed_date
    f, ap = f[obs], ap[obs]
    cf = np.concatenate([[0.0], np.cumsum(f)])
    ca = np.concatenate([[0.0], np.cumsum(ap)])
    t = np.arange(400, f.size - 400, 7)  # weekly forecast epochs
    pf = (cf[t] - cf[t - 81]) / 81.0
    pa = (ca[t] - ca[t - 27]) / 27.0
    print("lead d | F10.7 day, mean-to-lead | Ap day, mean-to-lead (rms of ln ratio; Ap+1)")
    for lead in (1, 3, 10, 27, 45, 90, 180, 365):
        e_fd = np.log(f[t + lead - 1] / pf).std()
        e_fm = np.log((cf[t + lead] - cf[t]) / lead / pf).std()
        e_ad = np.log((ap[t + lead - 1] + 1.0) / (pa + 1.0)).std()
        e_am = np.log(((ca[t + lead] - ca[t]) / lead + 1.0) / (pa + 1.0)).std()
        print(f"{lead:6d} | {e_fd:.3f}, {e_fm:.3f} | {e_ad:.3f}, {e_am:.3f}")


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--nodes", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--forecast-skill", action="store_true")
    args = parser.parse_args(argv)
    if args.forecast_skill:
        forecast_skill()
        return {}
    n, k = args.samples, args.nodes
    rng = np.random.default_rng(0)
    sample = np.arange(n)[:, None]
    pts = n * k
    const = ConstantIndices(150.0, 150.0, 15.0, as_of_utc=np.datetime64("2025-03-01", "ns"))
    draw = SolarForecastError().draw(np.random.default_rng(1), n)
    pert = const.perturbed(draw)
    cases = {
        "common": (_orbit_points(n, k, 0.0, rng), const),
        "spread": (_orbit_points(n, k, 60.0, rng), const),
        "years": (_orbit_points(n, k, 1100.0, rng), pert),
        "perturbed": (_orbit_points(n, k, 0.0, rng), pert),
    }
    results: dict[str, float] = {}
    for version in (2.1, 0):
        tag = "2.1" if version == 2.1 else "00"
        geo = cases["common"][0]
        msis = MsisDensity(150.0, 150.0, 15.0, version=version)
        t_msis = _best(lambda m=msis, g=geo: m(*g, sample=sample), max(1, args.repeat // 2))
        results[f"msis{tag}_points_per_s"] = pts / t_msis
        print(f"MSIS {tag}: direct pymsis {pts / t_msis:,.0f} points/s ({t_msis * 1e3:.0f} ms)")
        for name, (g, src) in cases.items():
            fast = ZonalMeanDensity(src, model_version=version)
            t0 = time.perf_counter()
            fast(*g, sample=sample)
            cold = time.perf_counter() - t0
            t_fast = _best(lambda f=fast, g=g: _cold_samples(f, g, sample), args.repeat)
            results[f"fast{tag}_{name}_points_per_s"] = pts / t_fast
            print(
                f"  ZonalMeanDensity {name:9s}: {pts / t_fast:,.0f} points/s "
                f"({t_fast * 1e3:.1f} ms, cold {cold * 1e3:.0f} ms) x{t_msis / t_fast:.1f} vs pymsis"
            )
    return results


if __name__ == "__main__":
    main()
