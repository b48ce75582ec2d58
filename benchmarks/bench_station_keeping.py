"""Time one year of reboost planning (target <= 2 s) and one fast deorbit plan."""

from __future__ import annotations

import time
from pathlib import Path

from deorbit.density import ConstantIndices, ZonalMeanDensity
from deorbit.deorbit_plan import plan_deorbit
from deorbit.formats import load_elements
from deorbit.reboost import plan_reboosts
from deorbit.vehicles import get_vehicle

ISS = Path(__file__).resolve().parents[2] / "shared/validation/iss/25544_2024-2025_from_omm.tle"


def main() -> None:
    h = load_elements(ISS, lenient=True).elements
    d = ZonalMeanDensity(ConstantIndices(180.0, 180.0, 15.0), model_version=2.1)
    kw = dict(band_low_km=412.0, band_high_km=418.0, years=1.0, vehicle=get_vehicle("progress-ms"),
              density=d, bc_m2_per_kg=0.00838, mass_kg=420_000.0)  # fmt: skip
    plan_reboosts(h[0], **kw)  # warm the density table
    best = min(_timed(lambda: plan_reboosts(h[0], **kw)) for _ in range(3))
    print(f"plan_reboosts, 1 year, ISS, F10.7 180: best of 3 {best:.2f} s (target <= 2 s)")
    t = _timed(lambda: plan_deorbit(h[-1], vehicle=get_vehicle("usdv"), density=d,
                                    mass_kg=420_000.0, bc_m2_per_kg=0.00838, samples=50))  # fmt: skip
    print(f"plan_deorbit, 50 samples, 1-day search: {t:.2f} s")


def _timed(f) -> float:
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
