"""Reboost delta-v per year: planner (observed space weather) vs the ISS element history.

History: sum of the positive mean-semi-major-axis jumps found by
:func:`deorbit.manoeuvres.detect_manoeuvres`, each converted by dv = (v / 2a) da, per year of
history.  Planner: :func:`deorbit.reboost.plan_reboosts` over the same span, band = the 5th and
95th percentiles of the history's mean altitude, ISS published BC (spacecraft.py), observed
space weather (hindcast), NRLMSIS 2.1.  Nothing is tuned: the numbers are measured.
"""

from __future__ import annotations

import math
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np

from deorbit.formats import load_elements
from deorbit.gravity import MU_KM3_S2, R_EQ_KM
from deorbit.manoeuvres import detect_manoeuvres, mean_sma_series
from deorbit.predict import build_density
from deorbit.reboost import plan_reboosts
from deorbit.spacecraft import known_spacecraft
from deorbit.vehicles import get_vehicle

SHARED = Path(__file__).resolve().parents[2] / "shared/validation/iss"


def history_dv(history) -> tuple[float, float, float, np.ndarray]:
    t, a = mean_sma_series(history)
    an = detect_manoeuvres(history, series=(t, a))
    years = (t[-1] - t[0]) / 365.25
    dv = 0.0
    for m in an.manoeuvres:
        if m.kind == "raise":
            a0 = float(np.interp((m.epoch_utc.timestamp() / 86400.0), t, a))
            dv += 1e3 * math.sqrt(MU_KM3_S2 / a0) / (2 * a0) * m.delta_a_km
    n_raise = sum(m.kind == "raise" for m in an.manoeuvres)
    return dv / years, years, n_raise, a - R_EQ_KM


def main(names: list[str]) -> None:
    iss = known_spacecraft(25544)
    for name in names:
        hist = load_elements(SHARED / name, lenient=True).elements
        dv_hist, years, n_raise, alt = history_dv(hist)
        lo, hi = np.percentile(alt, [5, 95])
        start, end = hist[0].epoch_utc, hist[-1].epoch_utc
        dens = build_density(
            version=2.1, as_of_utc=end, mode="observed", f107_sfu=None, ap=None,
            first_utc=start - timedelta(days=2), last_utc=end + timedelta(days=5), samples=1,
            rng=np.random.default_rng(1),
        )  # fmt: skip
        vals = []
        for scale_bc in (1.0,):
            plan = plan_reboosts(
                hist[0], band_low_km=float(lo), band_high_km=float(hi), years=years,
                vehicle=get_vehicle("usdv"), density=dens.nominal_provider,
                bc_m2_per_kg=iss.bc_m2_per_kg * scale_bc, mass_kg=iss.mass_kg,
            )  # fmt: skip
            vals.append(plan.delta_v_m_s_per_year)
        print(
            f"{name}: {years:.2f} yr, band {lo:.1f}-{hi:.1f} km; history {n_raise} raises, "
            f"{dv_hist:.2f} m/s/yr; planner {vals[0]:.2f} m/s/yr ({plan.n_burns} reboosts), "
            f"ratio {vals[0] / dv_hist:.2f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:] or ["25544_2021-2022.tle", "25544_2024-2025_from_omm.tle"])
