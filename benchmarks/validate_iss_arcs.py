"""Measure BC fitting and decay prediction on real element histories (docs/notes/bcfit.md).

1. ISS (25544) reboost-free arcs of >= 30 days in ../shared/validation/iss/: with OBSERVED
   space weather, predict the altitude loss over the arc from its first set with the ISS's
   physical BC (Cd 2.2 x 1,600 m^2 / 420,000 kg = 0.00838 m^2/kg, an assumption: NASA ISS
   reference figures, as in docs/notes/decay.md), and fit the BC on the first half of the arc
   and predict the second half with it.
2. Re-entry events in ../shared/validation/tles/: fitted BC at 30/10/3/1 days before the
   truth with only the sets available then, and the manoeuvres detected in each history.

Usage: python benchmarks/validate_iss_arcs.py [--version 0|2.1] [--shared PATH]
Prints Markdown tables.  Takes a few minutes (NRLMSISE-00).
"""

from __future__ import annotations

import argparse
import csv
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from deorbit.bcfit import fit_ballistic_coefficient, simulate_arc
from deorbit.drag import MsisDensity
from deorbit.formats import load_elements
from deorbit.manoeuvres import detect_manoeuvres
from deorbit.spaceweather import load_space_weather

ISS_BC_M2_PER_KG = 2.2 * 1600.0 / 420000.0


def observed_density(version: float) -> MsisDensity:
    sw = load_space_weather()

    def idx(t: np.ndarray):
        return sw.indices(t, mode="observed")

    return MsisDensity(
        lambda t: idx(t).f107_sfu,
        lambda t: idx(t).f107a_sfu,
        lambda t: idx(t).ap_daily,
        version=version,
    )


def iss_arcs(shared: Path, density: MsisDensity) -> None:
    print(
        "| file | arc start | arc end | days | observed loss km | predicted km (BC 0.00838) "
        "| error % | fitted BC (1st half) | sigma_ln | 2nd half obs km | 2nd half pred km "
        "| 2nd half error % |"
    )
    print("|" + "---|" * 13)
    errs, errs2, bcs = [], [], []
    for path in sorted((shared / "iss").glob("25544_*.tle")):
        sets = load_elements(path, on_conflict="latest").elements
        if len(sets) < 10:
            continue
        an = detect_manoeuvres(sets)
        for arc in an.arcs:
            if arc.duration_days < 30.0:
                continue
            idx = np.arange(arc.start_index, arc.end_index + 1)
            idx = idx[~an.outlier[idx]]
            t, a = an.t_days[idx], an.a_km[idx]
            # observed loss: robust level at each end (median of the first/last 3 sets,
            # corrected to the end epochs with the arc's mean rate)
            sim = simulate_arc(sets[idx[0]], t, np.array([ISS_BC_M2_PER_KG]), density)[:, 0]
            obs_loss = float(np.median(a[:3]) - np.median(a[-3:]))
            pred_loss = float(np.median(sim[:3]) - np.median(sim[-3:]))
            err = 100.0 * (pred_loss - obs_loss) / obs_loss
            # fit on the first half, predict the second half
            half_t = t[0] + 0.5 * (t[-1] - t[0])
            as_of = sets[idx[np.searchsorted(t, half_t) - 1]].epoch_utc
            sub = sets[arc.start_index : arc.end_index + 1]
            est = fit_ballistic_coefficient(
                sub, density, as_of_utc=as_of, max_arc_days=60.0, max_decay_km=1e9
            )
            second = idx[t >= half_t]
            t2, a2 = an.t_days[second], an.a_km[second]
            sim2 = simulate_arc(sets[second[0]], t2, np.array([est.bc_m2_per_kg]), density)[:, 0]
            obs2 = float(np.median(a2[:3]) - np.median(a2[-3:]))
            pred2 = float(np.median(sim2[:3]) - np.median(sim2[-3:]))
            err2 = 100.0 * (pred2 - obs2) / obs2
            errs.append(err)
            errs2.append(err2)
            bcs.append(est.bc_m2_per_kg)
            print(
                f"| {path.name} | {arc.start_utc:%Y-%m-%d} | {arc.end_utc:%Y-%m-%d} | "
                f"{arc.duration_days:.0f} | {obs_loss:.2f} | {pred_loss:.2f} | {err:+.0f} | "
                f"{est.bc_m2_per_kg:.5f} | {est.sigma_ln:.2f} | {obs2:.2f} | {pred2:.2f} | "
                f"{err2:+.0f} |",
                flush=True,
            )
    e, e2 = np.abs(errs), np.abs(errs2)
    print(
        f"\nISS arcs: {len(errs)}; physical BC: median |error| {np.median(e):.0f} %, "
        f"mean error {np.mean(errs):+.0f} %, within 20 %: {np.mean(e <= 20) * 100:.0f} %; "
        f"fitted BC (1st half -> 2nd half): median |error| {np.median(e2):.0f} %, within "
        f"20 %: {np.mean(e2 <= 20) * 100:.0f} %; fitted BC median {np.median(bcs):.5f}, "
        f"spread (std ln) {np.std(np.log(bcs)):.2f}\n"
    )


def reentries(shared: Path, density: MsisDensity) -> None:
    rows = list(csv.DictReader((shared / "events.csv").open()))
    print(
        "| NORAD | days before | method | BC m^2/kg | sigma_ln | arc | sets | rms km | warnings |"
    )
    print("|" + "---|" * 9)
    manoeuvre_lines = []
    for row in rows:
        truth = datetime.fromisoformat(row["actual_reentry_utc"].replace("Z", "+00:00"))
        sets = load_elements(shared / row["tle_file"], on_conflict="latest").elements
        for days in (30, 10, 3, 1):
            as_of = truth - timedelta(days=days)
            if not any(es.epoch_utc <= as_of for es in sets):
                print(f"| {row['norad_id']} | {days} | - | no sets | | | | | |")
                continue
            est = fit_ballistic_coefficient(sets, density, as_of_utc=as_of)
            w = "; ".join(x[:80] for x in est.warnings)
            print(
                f"| {row['norad_id']} | {days} | {est.method} | {est.bc_m2_per_kg:.4f} | "
                f"{est.sigma_ln:.2f} | {est.arc_start_utc:%Y-%m-%d %H:%M} - "
                f"{est.arc_end_utc:%m-%d %H:%M} | {est.n_sets} | {est.residual_rms_km:.3f} | "
                f"{w} |",
                flush=True,
            )
        if len(sets) >= 4:
            an = detect_manoeuvres(sets)
            mv = ", ".join(
                f"{m.epoch_utc:%Y-%m-%d} {m.kind} {m.delta_a_km:+.2f} km"
                + (" (sustained)" if m.sustained else "")
                for m in an.manoeuvres
            )
            manoeuvre_lines.append(
                f"* {row['norad_id']} ({len(sets)} sets, noise "
                f"{an.noise_km * 1000:.0f} m, {int(an.outlier.sum())} "
                f"outliers): {mv or 'none'}"
            )
    print("\nManoeuvres detected:\n")
    print("\n".join(manoeuvre_lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", type=float, default=0.0)
    ap.add_argument(
        "--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "validation"
    )
    ap.add_argument("--skip-iss", action="store_true")
    ap.add_argument("--skip-reentry", action="store_true")
    args = ap.parse_args()
    density = observed_density(0 if args.version == 0 else args.version)
    t0 = time.perf_counter()
    print(f"MSIS version {args.version:g}, observed space weather\n")
    if not args.skip_iss:
        iss_arcs(args.shared, density)
    if not args.skip_reentry:
        reentries(args.shared, density)
    print(f"\nwall time {time.perf_counter() - t0:.0f} s ({datetime.now(UTC):%Y-%m-%d})")


if __name__ == "__main__":
    main()
