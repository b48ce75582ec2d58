"""Re-entry validation: the common yardstick, and the measured arc-to-arc spread of the BC.

Two jobs (docs/notes/bcfit.md explains why both matter):

``yardstick`` (default)
    Runs ``../shared/validation/score_reentry.py`` with the installed ``deorbit`` CLI
    (``deorbit predict FILE --json --samples 100 --seed 1`` on the element sets available 30, 10,
    3 and 1 days before each real re-entry), captures its per-run table and summary line, and
    writes them as a Markdown section, with the date and the git commit, to
    ``docs/validation-reentry.md``.  ``--horizons`` and ``--skip`` (NORAD ids) shorten a run
    while iterating; the written page says when the run was partial.

``bc-spread``
    Measures how much the *model-consistent* ballistic coefficient (the one
    :func:`deorbit.bcfit.fit_ballistic_coefficient` fits through the prediction's own density
    model, here with OBSERVED space weather) changes from one stretch of passive decay to the
    next: each manoeuvre-free arc is cut into consecutive windows of ``--window-days``, the BC
    is fitted in each, and the differences d = ln BC(k+1) - ln BC(k) of neighbouring windows are
    collected.  A prediction that fits the BC on one window and flies it through the next makes
    exactly the error d, so the robust standard deviation of d (minus the part explained by the
    fits' own statistical sigma) is the floor the fit's ``sigma_ln`` should carry
    (:data:`deorbit.bcfit.SIGMA_LN_FLOOR`).  Data: ISS 2021-22 and 2024-25 (between reboosts),
    GeneSat-1 and the four passive Starlinks (their last ``--passive-days`` days, ending
    ``--end-gap-days`` before the last set so no re-entry scoring data is used).

Usage::

    python benchmarks/validate_reentry.py [--horizons 30,10,3,1] [--skip 45601] [--out PATH]
    python benchmarks/validate_reentry.py bc-spread [--window-days 10]

The yardstick takes ~2 min without the CZ-5B (45601) runs; each CZ-5B run took 200-650 s with
the engine of 2026-11 (hence ``--timeout 900``).
"""

from __future__ import annotations

import argparse
import csv
import math
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared" / "validation"


# -- yardstick -------------------------------------------------------------------------------


def _commit() -> str:
    """Short commit hash of the working tree, with ``+dirty`` when it has local changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return head + ("+dirty" if dirty else "") if head else "unknown"


def run_yardstick(
    horizons: str, skip: set[str], samples: int, jobs: int, timeout: float
) -> tuple[list[str], str, int, float]:
    """Run score_reentry.py; return (table lines, summary line, exit code, seconds)."""
    events = SHARED / "events.csv"
    with tempfile.TemporaryDirectory(prefix="validate-reentry-") as tmp:
        if skip:  # a filtered copy of the event list
            rows = list(csv.DictReader(events.open()))
            kept = Path(tmp) / "events.csv"
            with kept.open("w", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=list(rows[0]))
                w.writeheader()
                w.writerows(r for r in rows if r["norad_id"] not in skip)
            events = kept
        cmd = [
            sys.executable,
            str(SHARED / "score_reentry.py"),
            str(events),
            str(SHARED / "tles"),
            str(REPO / ".venv" / "bin" / "deorbit"),
            "--samples",
            str(samples),
            "--jobs",
            str(jobs),
            "--timeout",
            f"{timeout:g}",
            "--horizons",
            horizons,
        ]
        t0 = time.time()
        p = subprocess.run(cmd, capture_output=True, text=True)
        sec = time.time() - t0
    lines = [ln for ln in p.stdout.splitlines() if ln.strip()]
    summary = next((ln for ln in lines if ln.startswith("median relative error")), "")
    table = [ln for ln in lines if ln != summary]
    if p.returncode not in (0, 1):
        table.append(f"(score_reentry.py exited {p.returncode}: {p.stderr.strip()[-300:]})")
    return table, summary, p.returncode, sec


def _markdown(table: list[str], summary: str, args: argparse.Namespace, sec: float) -> str:
    """The per-run table as Markdown, with the summary and how the run was made."""
    head = "| NORAD | horizon d | lead d | error h | rel. error | in 90 % | s | name |"
    rows = [head, "|---|---|---|---|---|---|---|---|"]
    for ln in table[1:]:
        parts = ln.split(None, 7)
        if len(parts) >= 4 and parts[3] == "FAILED:":
            rows.append(f"| {parts[0]} | {parts[1]} | {parts[2]} | FAILED | | | | {ln[40:]} |")
        elif len(parts) == 8:
            rows.append("| " + " | ".join(parts) + " |")
        else:
            rows.append(f"| {ln} |||||||")
    partial = []
    if args.horizons != "30,10,3,1":
        partial.append(f"horizons {args.horizons} only")
    if args.skip:
        partial.append(f"events {args.skip} skipped")
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            "# Re-entry validation (common yardstick)",
            "",
            "Written by `benchmarks/validate_reentry.py`: `../shared/validation/score_reentry.py`"
            f" with `deorbit predict FILE --json --samples {args.samples} --seed 1` on the sets"
            " available H days before each real re-entry.  Relative error = |error| less the"
            ' truth\'s own uncertainty, over the lead time; "in 90 %" = truth inside the'
            " p05-p95 window (widened by that uncertainty).",
            "",
            f"Run {when}, commit `{_commit()}`, {sec:.0f} s on the shared 2-core machine"
            + (f"; PARTIAL run: {', '.join(partial)}" if partial else "")
            + ".",
            "",
            *rows,
            "",
            f"**Summary:** {summary or '(no summary line: see the table)'}",
            "",
        ]
    )


def yardstick(args: argparse.Namespace) -> int:
    skip = {s for s in args.skip.split(",") if s} if args.skip else set()
    table, summary, rc, sec = run_yardstick(
        args.horizons, skip, args.samples, args.jobs, args.timeout
    )
    print("\n".join(table))
    print(summary)
    md = _markdown(table, summary, args, sec)
    args.out.write_text(md)
    print(f"wrote {args.out}", file=sys.stderr)
    return rc


# -- arc-to-arc BC spread --------------------------------------------------------------------


def _windows(
    sets: list, t_days: np.ndarray, arcs: list, window_days: float, t_lo: float, t_hi: float
) -> list[tuple[int, int, int]]:
    """(arc number, first index, last index) of consecutive windows inside each arc."""
    out = []
    for k, arc in enumerate(arcs):
        s = max(t_days[arc.start_index], t_lo)
        e = min(t_days[arc.end_index], t_hi)
        while s + window_days <= e + 1e-9:
            i0 = int(np.searchsorted(t_days, s))
            i1 = int(np.searchsorted(t_days, s + window_days, side="right")) - 1
            if i1 - i0 >= 5:
                out.append((k, i0, i1))
            s += window_days
    return out


def bc_spread(args: argparse.Namespace) -> int:
    from deorbit.bcfit import SIGMA_LN_FLOOR, fit_ballistic_coefficient

    sources = _study_sources(args)
    print(
        f"window {args.window_days:g} d; d = ln BC(k+1) - ln BC(k) of neighbouring windows; "
        "observed space weather, MSIS 2.1 (zonal mean), as predict uses"
    )
    print("| history | windows | pairs | median BC | robust sd(d) | sd(d) | median fit sigma |")
    print("|---|---|---|---|---|---|---|")
    all_d, all_stat = [], []
    for label, sets, an, t_lo, t_hi, density in _study_histories(sources, args):
        t = an.t_days
        fits: list[tuple[int, float, float]] = []
        for k, i0, i1 in _windows(sets, t, an.arcs, args.window_days, t_lo, t_hi):
            est = fit_ballistic_coefficient(
                sets[i0 : i1 + 1],
                density,
                max_arc_days=args.window_days + 1.0,
                max_decay_km=1e9,
                min_arc_days=0.5 * args.window_days,
            )
            if est.method == "arc-fit" and not est.warnings:
                # the fit's own part of sigma_ln: the floor taken out again
                own = math.sqrt(max(est.sigma_ln**2 - SIGMA_LN_FLOOR**2, 0.0))
                fits.append((k, math.log(est.bc_m2_per_kg), own))
            else:
                fits.append((k, math.nan, math.nan))
        d = [
            b[1] - a[1]
            for a, b in zip(fits[:-1], fits[1:], strict=True)
            if a[0] == b[0] and math.isfinite(a[1]) and math.isfinite(b[1])
        ]
        stat = [f[2] for f in fits if math.isfinite(f[2])]
        all_d += d
        all_stat += stat
        if d:
            dd = np.array(d)
            rsd = 1.4826 * float(np.median(np.abs(dd - np.median(dd))))
            bc_med = math.exp(float(np.nanmedian([f[1] for f in fits])))
            print(
                f"| {label} | {len(fits)} | {len(d)} | {bc_med:.4g} | {rsd:.3f} | "
                f"{float(np.std(dd)):.3f} | {float(np.median(stat)):.3f} |"
            )
        else:
            print(f"| {label} | {len(fits)} | 0 | | | | |")
        sys.stdout.flush()
    dd = np.array(all_d)
    rsd = 1.4826 * float(np.median(np.abs(dd - np.median(dd))))
    st = float(np.median(all_stat))
    floor = math.sqrt(max(rsd**2 - st**2, 0.0))
    print(
        f"| all | | {dd.size} | | {rsd:.3f} | {float(np.std(dd)):.3f} | {st:.3f} |\n\n"
        f"floor = sqrt(robust sd(d)^2 - median fit sigma^2) = {floor:.3f}; "
        f"68 % of |d| below {float(np.quantile(np.abs(dd), 0.68)):.3f}, "
        f"95 % below {float(np.quantile(np.abs(dd), 0.95)):.3f}"
    )
    return 0


def _fit_window(sets: list, density, i0: int, i1: int, days: float, decay_km: float):
    from deorbit.bcfit import fit_ballistic_coefficient

    if i1 - i0 < 4:
        return math.nan
    est = fit_ballistic_coefficient(
        sets[i0 : i1 + 1],
        density,
        max_arc_days=days + 1e-6,
        max_decay_km=decay_km,
        min_arc_days=min(1.0, 0.5 * days),
    )
    return math.log(est.bc_m2_per_kg) if est.method == "arc-fit" else math.nan


def bc_lookback(args: argparse.Namespace) -> int:
    """Which look-back arc predicts the BC of the next ``--window-days`` best?"""

    lookbacks = [float(x) for x in args.lookbacks.split(",")]
    sources = _study_sources(args)
    print(
        f"target: ln BC fitted on the next {args.window_days:g} d; predictor: ln BC fitted on "
        f"the last L days before the as-of time (every {args.step_days:g} d, inside one free "
        f"arc); passive histories end {args.end_gap_days:g} d before their last set; observed "
        "space weather, MSIS 2.1 zonal mean.  d = ln BC(predictor) - ln BC(target)."
    )
    rows: dict[str, list[list[float]]] = {}
    for label, sets, an, t_lo, t_hi, density in _study_histories(sources, args):
        t = an.t_days
        out = rows.setdefault(label, [])
        for arc in an.arcs:
            a0, a1 = max(t[arc.start_index], t_lo), min(t[arc.end_index], t_hi)
            s = a0 + min(lookbacks)
            while s + args.window_days <= a1 + 1e-9:
                j1 = int(np.searchsorted(t, s, side="right")) - 1
                k1 = int(np.searchsorted(t, s + args.window_days, side="right")) - 1
                target = _fit_window(sets, density, j1, k1, args.window_days, 1e9)
                preds = []
                for lb in lookbacks:
                    if s - lb < a0 - 1e-9:
                        preds.append(math.nan)
                        continue
                    j0 = int(np.searchsorted(t, s - lb))
                    preds.append(_fit_window(sets, density, j0, j1, lb, 1e9) - target)
                out.append(preds)
                s += args.step_days
        sys.stdout.flush()
    head = " | ".join(f"L={lb:g} d" for lb in lookbacks)
    print(f"\nmedian |d| (n) by look-back L\n\n| history | {head} |")
    print("|---|" + "---|" * len(lookbacks))
    everything = []
    for label, rr in rows.items():
        arr = np.array(rr, dtype=float).reshape(-1, len(lookbacks))
        everything.append(arr)
        cells = []
        for j in range(len(lookbacks)):
            col = arr[np.isfinite(arr[:, j]), j]
            cells.append(f"{np.median(np.abs(col)):.3f} ({col.size})" if col.size else "-")
        print(f"| {label} | " + " | ".join(cells) + " |")
    arr = np.vstack(everything)
    both = np.all(np.isfinite(arr), axis=1)
    cells = [f"{np.median(np.abs(arr[both, j])):.3f}" for j in range(len(lookbacks))]
    rms = [f"{np.sqrt(np.mean(arr[both, j] ** 2)):.3f}" for j in range(len(lookbacks))]
    print(f"| all, same cases (n={int(both.sum())}), median | " + " | ".join(cells) + " |")
    print("| all, same cases, rms | " + " | ".join(rms) + " |")
    return 0


def single_set(args: argparse.Namespace) -> int:
    """How well does one set give the BC?  B* and the set's decay rate (ndot) against the BC
    fitted on the 10-day arc centred on the set (observed space weather)."""
    from deorbit.bcfit import bc_from_bstar, bc_from_decay_rate, fit_ballistic_coefficient

    half = 0.5 * args.window_days
    print(
        f"ln(BC_estimate / BC of the {args.window_days:g}-day arc fit centred on the set), one "
        f"set every {args.step_days:g} d of each free arc; passive histories: their last "
        f"{args.passive_days:g} d ending {args.end_gap_days:g} d before the last set\n"
    )
    print("| history | estimator | n | median | robust sd | p05 | p95 | unusable |")
    print("|---|---|---|---|---|---|---|---|")
    every: dict[str, list[float]] = {"B*": [], "ndot": []}

    def line(label: str, name: str, x: np.ndarray) -> None:
        ok = x[np.isfinite(x)]
        rsd = 1.4826 * float(np.median(np.abs(ok - np.median(ok))))
        print(
            f"| {label} | {name} | {ok.size} | {np.median(ok):+.2f} | {rsd:.2f} | "
            f"{np.quantile(ok, 0.05):+.2f} | {np.quantile(ok, 0.95):+.2f} | {x.size - ok.size} |"
        )

    for label, sets, an, t_lo, t_hi, density in _study_histories(_study_sources(args), args):
        t = an.t_days
        got: dict[str, list[float]] = {"B*": [], "ndot": []}
        for arc in an.arcs:
            a0, a1 = max(t[arc.start_index], t_lo), min(t[arc.end_index], t_hi)
            s = a0 + half
            while s + half <= a1 + 1e-9:
                j0 = int(np.searchsorted(t, s - half))
                j1 = int(np.searchsorted(t, s + half, side="right")) - 1
                es = sets[int(np.searchsorted(t, s))]
                s += args.step_days
                if j1 - j0 < 4:
                    continue
                est = fit_ballistic_coefficient(
                    sets[j0 : j1 + 1],
                    density,
                    max_arc_days=args.window_days + 1e-6,
                    max_decay_km=1e9,
                    min_arc_days=half,
                )
                if est.method != "arc-fit" or est.warnings:
                    continue
                ref = math.log(est.bc_m2_per_kg)
                b = bc_from_bstar(es.bstar_per_earth_radii)
                v = bc_from_decay_rate(es, density)
                got["B*"].append(math.log(b) - ref if b > 0 else math.nan)
                got["ndot"].append(math.log(v) - ref if v > 0 else math.nan)
        for name, vals in got.items():
            line(label, name, np.array(vals))
            every[name] += vals
        sys.stdout.flush()
    for name, vals in every.items():
        line("all", name, np.array(vals))
    return 0


def _study_sources(args: argparse.Namespace) -> list[tuple[str, Path, float | None]]:
    return [
        ("ISS 2021-22", SHARED / "iss" / "25544_2021-2022.tle", None),
        ("ISS 2024-25", SHARED / "iss" / "25544_2024-2025_from_omm.tle", None),
    ] + [
        (f"{nid}", SHARED / "tles" / f"{nid}.tle", args.passive_days)
        for nid in ("29655", "44238", "44240", "44249", "44252")
    ]


def _study_histories(sources: list, args: argparse.Namespace):
    """(label, sets, manoeuvre analysis, t_lo, t_hi, observed density) per history: the
    passive ones cut to their last ``--passive-days`` ending ``--end-gap-days`` before the
    last set (days since 1970)."""
    from deorbit.formats import load_elements
    from deorbit.manoeuvres import detect_manoeuvres
    from deorbit.predict import build_density

    for label, path, passive in sources:
        sets = load_elements(path, on_conflict="latest").elements
        an = detect_manoeuvres(sets)
        t = an.t_days
        t_hi = t[-1] - (args.end_gap_days if passive else 0.0)
        t_lo = t_hi - passive if passive else t[0]
        yield label, sets, an, t_lo, t_hi, _observed_density(sets, build_density)


def _observed_density(sets: list, build_density) -> object:
    return build_density(
        version=2.1,
        as_of_utc=sets[-1].epoch_utc,
        mode="observed",
        f107_sfu=None,
        ap=None,
        first_utc=sets[0].epoch_utc - timedelta(days=2),
        last_utc=sets[-1].epoch_utc + timedelta(days=2),
        samples=1,
        rng=np.random.default_rng(0),
    ).nominal_provider


def main() -> int:
    jobs = {
        "yardstick": yardstick,
        "bc-spread": bc_spread,
        "bc-lookback": bc_lookback,
        "single-set": single_set,
    }
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("job", nargs="?", default="yardstick", choices=list(jobs))
    ap.add_argument("--horizons", default="30,10,3,1")
    ap.add_argument("--skip", default="", help="comma-separated NORAD ids to leave out")
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "validation-reentry.md")
    ap.add_argument("--window-days", type=float, default=10.0)
    ap.add_argument("--passive-days", type=float, default=200.0)
    ap.add_argument("--end-gap-days", type=float, default=5.0)
    ap.add_argument("--lookbacks", default="3,5,10,20,30,60")
    ap.add_argument("--step-days", type=float, default=5.0)
    args = ap.parse_args()
    return jobs[args.job](args)


if __name__ == "__main__":
    sys.exit(main())
