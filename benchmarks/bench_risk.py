"""Throughput of the risk core: 10,000 samples x 50 fragment classes -> grid + country table.

    .venv/bin/python benchmarks/bench_risk.py [--samples 10000] [--fragments 50] [--naive 200]

Stages timed (best of ``--repeat``): impact points (descent table lookup + spherical moves),
exact country lookup of every point, the two 0.25 deg probability grids, the per-country table
and the casualty expectation (GPW 2020).  The one-off costs (descent table, country index,
population grid) are reported apart.  Baseline in the same run: the same computation sample by
sample in a Python loop (``--naive`` samples), scaled per point; the ratio is reported.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from deorbit.casualty import expected_casualties
from deorbit.footprint import breakup_states, descent_range_km, footprint, long_run_breakup_states
from deorbit.fragments import Fragment, FragmentList
from deorbit.geography import load_countries, load_population


def fragment_list(k: int) -> FragmentList:
    """k classes from 1 kg foil to 2 t compact pieces (beta ~ 5 to 1,500 kg/m^2)."""
    m = np.geomspace(1.0, 2000.0, k)
    area = 1.5 * (m / np.geomspace(100.0, 3000.0, k)) ** (2 / 3)
    return FragmentList.from_fragments(
        [
            Fragment(f"f{i}", float(mi), float(ai), 1 + (k - i) // 10)
            for i, (mi, ai) in enumerate(zip(m, area, strict=True))
        ]
    )


def run(states, frags, countries, pop):
    t = {}
    t0 = time.perf_counter()
    fp = footprint(states, frags, countries, rng=1)
    t["points + lookup"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    grid = fp.grid(0.25)
    t["grids (2 x 0.25 deg)"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    cp = fp.country_probabilities()
    table = cp.ranked(0.001)
    t["country table"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    ec = expected_casualties(fp, pop)
    t["casualty expectation"] = time.perf_counter() - t1
    t["total"] = time.perf_counter() - t0
    return t, grid, table, ec


def naive(states, frags, countries, pop, n: int) -> float:
    """Per-sample loop over the first n samples (same physics, no vectorisation over samples)."""
    t0 = time.perf_counter()
    grid = np.zeros((720, 1440))
    per_country = np.zeros(len(countries.countries))
    for s in range(n):
        one = breakup_states(
            states.lat_deg[s], states.lon_deg[s], states.heading_deg[s],
            gamma_deg=states.gamma_deg[s], speed_km_s=states.speed_km_s[s], alt_km=states.alt_km,
        )  # fmt: skip
        fp = footprint(one, frags, countries, rng=s)
        g = fp.grid(0.25)
        grid += g.fall / n
        per_country += fp.country_probabilities().fall / n
        expected_casualties(fp, pop)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--fragments", type=int, default=50)
    ap.add_argument("--naive", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()

    t0 = time.perf_counter()
    countries = load_countries()
    countries.lookup(0.0, 0.0)
    pop = load_population(2020)
    descent_range_km(100.0)
    print(
        f"one-off loads (country index, GPW grid, descent table): {time.perf_counter() - t0:.2f} s"
    )

    frags = fragment_list(a.fragments)
    states = long_run_breakup_states(51.64, a.samples, rng=0)
    n_points = a.samples * a.fragments
    best = None
    for _ in range(a.repeat):
        t, grid, table, ec = run(states, frags, countries, pop)
        if best is None or t["total"] < best["total"]:
            best = t
    print(f"\n{a.samples} samples x {a.fragments} fragment classes = {n_points:,} impact points")
    print(f"{'stage':<26} {'best s':>8}")
    for k, v in best.items():
        print(f"{k:<26} {v:8.3f}")
    rate = n_points / best["total"]
    print(f"throughput: {rate:,.0f} points/s  (target: whole run <= 10 s)")
    print(f"E_c = {ec.ec:.3g} (1 in {ec.one_in:,.0f}); top countries: "
          + ", ".join(f"{countries.countries[i].adm0_a3} {p:.3f}" for i, p in table[:5]))  # fmt: skip

    tn = naive(states, frags, countries, pop, a.naive)
    naive_rate = a.naive * a.fragments / tn
    print(f"\nbaseline, per-sample Python loop over {a.naive} samples: {tn:.2f} s, "
          f"{naive_rate:,.0f} points/s -> vectorised is {rate / naive_rate:,.0f}x faster "
          f"(10,000 samples would take ~{n_points / naive_rate:,.0f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
