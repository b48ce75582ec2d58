"""Validation numbers of the risk core (quoted in docs/notes/risk.md).

    .venv/bin/python benchmarks/validate_risk.py [--log2-samples 18]

1. Long-run per-country impact probabilities from Monte Carlo footprints (ISS default fragment
   model, break-up states uniform in argument of latitude and node) against the analytic
   exposure (exposure.long_run_exposure) for every country above 0.5 %.
2. Long-run E_c per m^2 of casualty area, latitude-CDF method against the direct band method,
   inclinations 0-98 deg every degree.
3. Published casualty expectations from their casualty areas and inclinations: UARS and ROSAT.
4. The ISS through the default fragment model.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from deorbit.casualty import (
    EC_LIMIT,
    band_ec_per_m2,
    casualty_area_m2,
    expected_casualties,
    long_run_ec_per_m2,
)
from deorbit.exposure import long_run_exposure
from deorbit.footprint import footprint, long_run_breakup_states
from deorbit.fragments import SURVIVING_FRACTION_RANGE, default_fragments
from deorbit.geography import load_countries, load_population


def per_country(log2_n: int) -> None:
    countries = load_countries()
    frags = default_fragments(420_000.0)
    print("\n## 1. Long-run per-country probability: Monte Carlo footprint vs analytic exposure")
    print("| inclination | sampling | samples | points | countries > 0.5 % | max rel. err | "
          "median | ocean MC / exact | s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for inc in (51.64, 97.4):
        exact = long_run_exposure(countries, inc, 78.0)
        big = exact.fraction > 0.005
        for sampling in ("sobol", "random"):
            t0 = time.perf_counter()
            st = long_run_breakup_states(inc, 1 << log2_n, rng=1, sampling=sampling)
            cp = footprint(st, frags, countries, rng=2).country_probabilities()
            dt = time.perf_counter() - t0
            rel = np.abs(cp.fall[big] - exact.fraction[big]) / exact.fraction[big]
            print(f"| {inc} | {sampling} | {1 << log2_n:,} | {(1 << log2_n) * len(frags):,} | "
                  f"{big.sum()} | {rel.max():.2%} | {np.median(rel):.2%} | "
                  f"{cp.fall_ocean:.4f} / {exact.ocean_fraction:.4f} | {dt:.1f} |")  # fmt: skip


def band_check() -> None:
    pop = load_population(2020)
    print("\n## 2. Long-run E_c per m^2: latitude-CDF method vs direct bands (GPW 2020)")
    incs = np.arange(0.0, 99.0, 1.0)
    a = np.array([long_run_ec_per_m2(i, 400.0, pop) for i in incs])
    b = np.array([band_ec_per_m2(i, 400.0, pop) for i in incs])
    rel = a / b - 1
    k = int(np.argmax(np.abs(rel)))
    print(f"inclinations 0-98 deg every 1 deg: max |diff| {abs(rel[k]):.2%} at {incs[k]:.0f} deg; "
          f"median {np.median(np.abs(rel)):.3%}")  # fmt: skip
    print("| inclination | CDF method (1/m^2) | band method | diff |")
    print("|---|---|---|---|")
    for i in (0, 10, 20, 30, 40, 50, 51.64, 53, 57, 60, 70, 80, 90, 98):
        x, y = long_run_ec_per_m2(i, 400.0, pop), band_ec_per_m2(i, 400.0, pop)
        print(f"| {i} | {x:.4g} | {y:.4g} | {x / y - 1:+.2%} |")


def published() -> None:
    p20, p05 = load_population(2020), load_population(2005)
    print("\n## 3. Published casualty expectations from published casualty areas")
    print("| object | A_c m^2 | incl. | published | GPW 2005 | GPW 2020 | 2011 (interp.) | "
          "ratio 2011 / published |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for name, area, inc, alt, pub in (
        ("UARS", 22.5, 57.0, 250.0, 3200),
        ("ROSAT", 30.0, 53.0, 250.0, 2000),
    ):
        e05 = area * long_run_ec_per_m2(inc, alt, p05)
        e20 = area * long_run_ec_per_m2(inc, alt, p20)
        e11 = e05 + (e20 - e05) * (2011 - 2005) / 15
        print(f"| {name} | {area} | {inc} | 1:{pub:,} | 1:{1 / e05:,.0f} | 1:{1 / e20:,.0f} | "
              f"1:{1 / e11:,.0f} | {e11 * pub:.2f} |")  # fmt: skip


def iss() -> None:
    pop = load_population(2020)
    countries = load_countries()
    print("\n## 4. ISS (420 t, 51.64 deg) through the default fragment model, GPW 2020")
    print("| surviving fraction | pieces | A_c m^2 | long-run E_c | 1 in | x 1e-4 limit | MC E_c |")
    print("|---|---|---|---|---|---|---|")
    ec_m2 = long_run_ec_per_m2(51.64, 78.0, pop)
    st = long_run_breakup_states(51.64, 1 << 15, rng=3, sampling="sobol")
    lo, hi = SURVIVING_FRACTION_RANGE
    for f in (lo, 0.25, hi):
        frags = default_fragments(420_000.0, f)
        ac = casualty_area_m2(frags)
        mc = expected_casualties(footprint(st, frags, countries, rng=4), pop).ec
        print(f"| {f:.2f} | {frags.n_pieces:,} | {ac:,.0f} | {ac * ec_m2:.3g} | {1 / (ac * ec_m2):,.0f} | "
              f"{ac * ec_m2 / EC_LIMIT:,.0f} | {mc:.3g} |")  # fmt: skip
    uars = default_fragments(5668.0, 532 / 5668)
    print(
        f"\nDefault model on UARS (5,668 kg, 532 kg surviving): {uars.n_pieces} pieces, "
        f"A_c {casualty_area_m2(uars):.1f} m^2 (NASA: 26 objects, 22.5 m^2)"
    )
    rosat = default_fragments(2426.0, 1600 / 2426)
    print(
        f"Default model on ROSAT (2,426 kg, 1.6 t surviving): {rosat.n_pieces} pieces, "
        f"A_c {casualty_area_m2(rosat):.1f} m^2 (DLR: 30 pieces, mirror up to 1.7 t)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--log2-samples", type=int, default=18)
    a = ap.parse_args()
    per_country(a.log2_samples)
    band_check()
    published()
    iss()


if __name__ == "__main__":
    main()
