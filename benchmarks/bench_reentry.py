"""Time of the deterministic ISS re-entry run, its comparison with the reference, Monte Carlo.

Run: ``.venv/bin/python benchmarks/bench_reentry.py``.  Prints three tables:

1. the deterministic ISS run (N = 1) per density model and stop altitude: day, phase times,
   wall and CPU time (best of ``--repeat``: the machine is shared, CPU time is the steadier);
2. side by side with the plain reference integration (``reference_integration.py``: DOP853,
   pymsis at every force evaluation), whose day and CPU seconds are given with
   ``--reference-days/--reference-seconds`` (or ``--run-reference``, minutes), plus the peers'
   figures quoted from the issue (Orekit, satkit: not measured here);
3. Monte Carlo throughput of the whole pipeline, N = 1, 100, 1000, with and without
   ``workers=2`` (``--mc-sizes ''`` skips it; N = 1000 with MSIS takes about a minute);
4. an eccentric CZ-5B-like orbit (mean 153 x 305 km, e = 0.0116, NRLMSISE-00): handover by
   the validity criterion vs Cowell from the start (ABM, and DOP853 with ``--eccentric-dop``),
   CPU seconds and epochs (``--no-eccentric`` skips it).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from deorbit.cowell import osculating_from_mean, propagate_to_altitude
from deorbit.decay import mean_orbit_from_element_set, propagate_decay
from deorbit.drag import ExponentialDensity, MsisDensity
from deorbit.formats import load_elements
from deorbit.reentry import predict_reentry

#: The issue's peer cross-check element set (ISS, 2024-01-01 12:00 UTC), shared test data.
ISS = load_elements(
    Path(__file__).resolve().parents[1] / "tests" / "data" / "predict" / "iss_2024.tle"
).elements[0]
BC_ISS = 2.2 * 1600.0 / 420000.0


def best(fn, repeat):
    """Best-of-``repeat`` (wall s, CPU s of this process, result); the machine is shared."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        c, t = time.process_time(), time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus), out


def iss_table(repeat: int) -> tuple[float, float, float]:
    """Per model and stop altitude; returns (wall s, CPU s, day) of NRLMSISE-00 to 120 km."""
    print("Deterministic ISS run (F10.7 = F10.7A = 150, Ap = 15, BC = 0.00838 m^2/kg), N = 1")
    print(
        f"{'model':<12}{'stop km':>8}{'day':>10}{'decay s':>9}{'cowell s':>9}"
        f"{'total s':>9}{'total CPU s':>12}"
    )
    mo = mean_orbit_from_element_set(ISS)
    headline = (np.nan, np.nan, np.nan)
    models = (
        (MsisDensity(150.0, 150.0, 15.0, version=0), "NRLMSISE-00"),
        (MsisDensity(150.0, 150.0, 15.0, version=2.1), "NRLMSIS2.1"),
        (ExponentialDensity(), "exponential"),
    )
    for dens, name in models:
        for stop in (120.0, 80.0):
            total, cpu, res = best(
                lambda d=dens, s=stop: predict_reentry(ISS, None, BC_ISS, d, stop_alt_km=s), repeat
            )
            t_dec, _, dec = best(
                lambda d=dens: propagate_decay(
                    mo, BC_ISS, d, handover_alt_km=160.0, max_step_days=2.0, max_da_km=4.0
                ),
                repeat,
            )
            r, v = osculating_from_mean(dec.orbit)
            t_cw, _, _ = best(
                lambda d=dens, s=stop, r=r, v=v, e=dec.orbit.epoch_utc: propagate_to_altitude(
                    r, v, e, BC_ISS, d, stop_alt_km=s, abm_step_s=120.0
                ),
                repeat,
            )
            day = res.days_after_start[0]
            print(
                f"{name:<12}{stop:>8.0f}{day:>10.3f}{t_dec:>9.2f}{t_cw:>9.2f}{total:>9.2f}"
                f"{cpu:>12.2f}"
            )
            if name == "NRLMSISE-00" and stop == 120.0:
                headline = (total, cpu, day)
    return headline


def run_reference() -> tuple[float, float]:
    """Run benchmarks/reference_integration.py (minutes) and parse its REFERENCE line."""
    script = Path(__file__).with_name("reference_integration.py")
    out = subprocess.run(
        [sys.executable, str(script)], check=True, capture_output=True, text=True
    ).stdout
    print(out)
    line = next(ln for ln in out.splitlines() if ln.startswith("REFERENCE "))
    fields = dict(kv.split("=") for kv in line.split()[1:])
    return float(fields["days"]), float(fields["cpu_s"])


def comparison_table(
    wall: float, cpu: float, day: float, ref_days: float | None, ref_seconds: float | None
) -> None:
    """deorbit N = 1 vs the plain every-step-MSIS reference, and the peers' published runs."""
    print("\nISS to 120 km, NRLMSISE-00, same inputs: deorbit vs reference vs peers")
    print(f"{'run':<60}{'day':>9}{'seconds':>9}{'x faster':>10}{'d day':>8}")
    print(f"{'deorbit predict_reentry, N = 1 (CPU; wall ' + f'{wall:.2f} s)':<60}", end="")
    print(f"{day:>9.2f}{cpu:>9.2f}{'1':>10}{'':>8}")
    if ref_days is not None and ref_seconds is not None:
        print(
            f"{'reference: DOP853 rtol 1e-10, MSIS every call (CPU)':<60}{ref_days:>9.2f}"
            f"{ref_seconds:>9.1f}{ref_seconds / cpu:>10.0f}{day - ref_days:>+8.2f}"
        )
        print(
            f"  epoch difference deorbit - reference: {(day - ref_days) * 24:+.1f} h "
            f"({(day - ref_days) / ref_days * 100:+.2f} %)"
        )
    else:
        print("reference: not given (--reference-days/--reference-seconds or --run-reference)")
    for label, d_ext, s_ext in (
        ("Orekit 13.1.9, 4x4+Sun+Moon (from the issue, not run here)", 525.0, 115.0),
        ("satkit 0.24 (from the issue, not run here)", 512.0, 24.0),
    ):
        print(f"{label:<60}{d_ext:>9.0f}{s_ext:>9.0f}{s_ext / cpu:>10.0f}{day - d_ext:>+8.2f}")


def mc_table(sizes: list[int], workers: list[int | None]) -> None:
    """Full predict_reentry of N ISS samples (BC x U(0.9, 1.1), density x lognormal 10 %)."""
    print("\nMonte Carlo: predict_reentry of N ISS samples to 120 km (wall s; CPU of this process)")
    print(f"{'density':<12}{'N':>6}{'workers':>8}{'wall s':>9}{'CPU s':>8}{'ms/sample':>11}")
    for name, dens in (
        ("exponential", ExponentialDensity()),
        ("NRLMSISE-00", MsisDensity(150.0, 150.0, 15.0, version=0)),
    ):
        for n in sizes:
            rng = np.random.default_rng(0)
            bc = BC_ISS * rng.uniform(0.9, 1.1, n)
            scale = np.exp(rng.normal(0.0, 0.1, n))
            for w in workers if n >= 100 else [None]:
                wall, cpu, _ = best(
                    lambda bc=bc, scale=scale, d=dens, w=w: predict_reentry(
                        ISS, None, bc, d, density_scale=scale, stop_alt_km=120.0, workers=w
                    ),
                    1,
                )
                print(
                    f"{name:<12}{n:>6}{str(w or '-'):>8}{wall:>9.2f}{cpu:>8.2f}"
                    f"{wall / n * 1e3:>11.1f}"
                )


def eccentric_table(with_dop853: bool) -> None:
    """CZ-5B-like orbit (its 2020-05-08 mean elements, 3 days before re-entry), N = 1."""
    from deorbit.decay import MeanOrbit
    from deorbit.gravity import R_EQ_KM

    rp, ra = R_EQ_KM + 152.6, R_EQ_KM + 305.4
    mo = MeanOrbit.make(
        np.datetime64("2020-05-08T07:28:22", "ns"), (rp + ra) / 2, (ra - rp) / (ra + rp),
        41.0865, 310.858, 190.956, 359.9,
    )  # fmt: skip
    dens = MsisDensity(70.0, 70.0, 5.0, version=0)
    runs = [
        ("validity criterion (default)", {}),
        ("Cowell from the start, ABM", dict(handover_perigee_drop=None)),
    ]
    if with_dop853:
        runs.append(("Cowell from the start, DOP853", dict(handover_perigee_drop=None,
                                                         cowell_method="dop853")))  # fmt: skip
    print("\nEccentric orbit 153 x 305 km, BC 0.0117, NRLMSISE-00 (F10.7 70, Ap 5), 80 km")
    print(f"{'run':<32}{'handover rp':>12}{'epoch (UTC)':>22}{'CPU s':>8}")
    for name, kw in runs:
        t0 = time.process_time()
        res = predict_reentry(mo, None, 0.0117, dens, **kw)
        cpu = time.process_time() - t0
        ep = str(res.epoch_utc[0].astype("datetime64[s]"))
        print(f"{name:<32}{res.handover.perigee_alt_km[0]:>12.1f}{ep:>22}{cpu:>8.2f}")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--reference-days", type=float, help="day printed by reference_integration")
    p.add_argument("--reference-seconds", type=float, help="its CPU seconds")
    p.add_argument("--run-reference", action="store_true", help="run it now (minutes)")
    p.add_argument("--mc-sizes", default="1,100,1000", help="comma-separated N ('' to skip)")
    p.add_argument("--mc-workers", default="none,2", help="worker counts to try for N >= 100")
    p.add_argument("--no-eccentric", action="store_true", help="skip the eccentric-orbit table")
    p.add_argument("--eccentric-dop", action="store_true", help="add DOP853 to it (~15 s)")
    args = p.parse_args()
    if not args.no_eccentric:
        eccentric_table(args.eccentric_dop)
    wall, cpu, day = iss_table(args.repeat)
    ref_days, ref_s = args.reference_days, args.reference_seconds
    if args.run_reference:
        ref_days, ref_s = run_reference()
    comparison_table(wall, cpu, day, ref_days, ref_s)
    if args.mc_sizes:
        mc_table(
            [int(x) for x in args.mc_sizes.split(",")],
            [None if w == "none" else int(w) for w in args.mc_workers.split(",")],
        )
