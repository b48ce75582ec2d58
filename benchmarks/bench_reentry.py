"""Wall time of the deterministic ISS re-entry run and throughput of the vectorised decay.

Run: ``.venv/bin/python benchmarks/bench_reentry.py``.  Prints two tables.  The machine is
shared, so take the minimum of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import numpy as np

from deorbit.cowell import osculating_from_mean, propagate_to_altitude
from deorbit.decay import MeanOrbit, mean_orbit_from_element_set, propagate_decay
from deorbit.drag import ExponentialDensity, MsisDensity
from deorbit.elements import ElementSet
from deorbit.gravity import R_EQ_KM
from deorbit.reentry import predict_reentry

ISS = ElementSet(
    25544,
    "ISS (ZARYA)",
    "98067A",
    datetime(2024, 1, 1, 12, tzinfo=UTC),
    15.50377579,
    0.0006703,
    51.6416,
    247.4627,
    130.5360,
    325.0288,
    0.30074e-3,
)
BC_ISS = 2.2 * 1600.0 / 420000.0


def best(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def iss_table(repeat: int) -> None:
    print("Deterministic ISS run (F10.7 = F10.7A = 150, Ap = 15, BC = 0.00838 m^2/kg)")
    print(f"{'model':<12}{'stop km':>8}{'day':>10}{'decay s':>9}{'cowell s':>9}{'total s':>9}")
    mo = mean_orbit_from_element_set(ISS)
    for version, name in ((0, "NRLMSISE-00"), (2.1, "NRLMSIS2.1")):
        dens = MsisDensity(150.0, 150.0, 15.0, version=version)
        for stop in (120.0, 80.0):
            total, res = best(
                lambda d=dens, s=stop: predict_reentry(ISS, None, BC_ISS, d, stop_alt_km=s), repeat
            )
            t_dec, dec = best(
                lambda d=dens: propagate_decay(
                    mo, BC_ISS, d, handover_alt_km=160.0, max_step_days=2.0, max_da_km=4.0
                ),
                repeat,
            )
            r, v = osculating_from_mean(dec.orbit)
            t_cw, _ = best(
                lambda d=dens, s=stop, r=r, v=v, e=dec.orbit.epoch_utc: propagate_to_altitude(
                    r, v, e, BC_ISS, d, stop_alt_km=s
                ),
                repeat,
            )
            print(
                f"{name:<12}{stop:>8.0f}{res.days_after_start[0]:>10.2f}{t_dec:>9.2f}"
                f"{t_cw:>9.2f}{total:>9.2f}"
            )


def throughput_table(repeat: int) -> None:
    print("\nVectorised long-term decay, 400 km -> 160 km, BC 0.005..0.02 m^2/kg")
    print(f"{'density':<12}{'N':>6}{'wall s':>9}{'samples/s':>11}{'vs N=1':>8}")
    for name, dens, sizes in (
        ("exponential", ExponentialDensity(3.7e-12, 400.0, 58.5), (1, 100, 1000)),
        ("NRLMSISE-00", MsisDensity(150.0, 150.0, 15.0, version=0), (1, 100, 1000)),
    ):
        base = None
        for n in sizes:
            rng = np.random.default_rng(0)
            mo = MeanOrbit.make(
                np.datetime64("2024-01-01T12:00"),
                R_EQ_KM + 400.0,
                0.0007,
                51.6,
                rng.uniform(0, 360, n),
                90.0,
                0.0,
            )
            bc = rng.uniform(0.005, 0.02, n) * 5.0  # x5: months rather than years
            wall, _ = best(
                lambda mo=mo, bc=bc, d=dens: propagate_decay(
                    mo,
                    bc,
                    d,
                    handover_alt_km=160.0,
                    max_step_days=2.0,
                    max_da_km=4.0,
                    record_history=False,
                ),
                1 if n >= 1000 else repeat,
            )
            rate = n / wall
            base = base or rate
            print(f"{name:<12}{n:>6}{wall:>9.2f}{rate:>11.1f}{rate / base:>8.1f}")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    iss_table(args.repeat)
    throughput_table(args.repeat)
