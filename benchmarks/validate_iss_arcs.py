"""Measure BC fitting and decay prediction on real element histories (docs/notes/iss-arcs.md,
docs/notes/bcfit.md).

1. ISS (25544) reboost-free arcs of >= 30 days in ../shared/validation/iss/, OBSERVED space
   weather: predict the loss of mean altitude over the arc from its first set with
   (a) the physical BC of the assembled station (Cd 2.2 x 1,600 m^2 / 420,000 kg =
       0.00838 m^2/kg, docs/notes/decay.md);
   (b) a dated configuration table of the station during assembly (1998-2004: mass by stage
       from NASA and other sources, area from element dimensions by an ASSUMED
       random-orientation rule; docs/notes/iss-arcs.md), physical BC afterwards;
   (c) the BC fitted on the drag-only data BEFORE the arc (the last >= 10 days of free arcs,
       across reboosts, each arc its own offset): what an operator has when the arc starts;
   (d) = (c) scaled by the configuration-table ratio between the fit window and the arc;
   (e) the BC fitted on the first half of the arc, predicting the second half.
   Nothing is fitted to the arc being predicted except in (e), which predicts the other half.
2. Re-entry events in ../shared/validation/tles/: fitted BC at 30/10/3/1 days before the
   truth with only the sets available then, and the manoeuvres detected in each history.

Usage: python benchmarks/validate_iss_arcs.py [--version 0|2.1] [--shared PATH]
       [--skip-iss] [--skip-reentry]
Prints Markdown tables.  Takes several minutes (NRLMSISE-00).
"""

from __future__ import annotations

import argparse
import csv
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from deorbit.bcfit import fit_ballistic_coefficient, simulate_arc
from deorbit.drag import MsisDensity
from deorbit.formats import load_elements
from deorbit.manoeuvres import ManoeuvreAnalysis, detect_manoeuvres
from deorbit.spaceweather import load_space_weather

ISS_BC_M2_PER_KG = 2.2 * 1600.0 / 420000.0
CD = 2.2
_EPOCH0 = datetime(1970, 1, 1, tzinfo=UTC)


def _days(t: datetime) -> float:
    return (t - _EPOCH0) / timedelta(days=1)


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


# -- ISS configuration by assembly stage, 1998-2004 (this benchmark only) ---------------------
# Drag area rule (ASSUMED, chosen before any comparison and not adjusted): the mean projected
# area over random orientations (Cauchy's theorem): a closed convex body shows on average a
# quarter of its surface; a flat array (two faces) half of its one-sided area.  Elements are
# counted separately (mutual shadowing ignored); docked Soyuz/Progress/Shuttle areas ignored.
# Sources: docs/notes/iss-arcs.md.  Anything not sourced there is marked ASSUMED.


@dataclass(frozen=True)
class Element:
    shape: str  # "cylinder" (length, diameter), "box" (l, w, h), "plate" (one-sided area)
    dims: tuple[float, ...]
    source: str

    @property
    def area_m2(self) -> float:
        """Mean projected area over random orientations (m^2)."""
        if self.shape == "cylinder":
            length, d = self.dims
            return (math.pi * d * length + math.pi * d**2 / 2.0) / 4.0
        if self.shape == "box":
            x, y, z = self.dims
            return 2.0 * (x * y + x * z + y * z) / 4.0
        return self.dims[0] / 2.0


ELEMENTS: dict[str, Element] = {
    "Zarya": Element("cylinder", (12.56, 4.11), "Wikipedia, Zarya (ISS module)"),
    "Zarya arrays": Element("plate", (2 * 10.67 * 3.35,), "2 x 10.67 x 3.35 m, Wikipedia, Zarya"),
    "Unity": Element("cylinder", (5.47, 4.57), "Wikipedia, Unity (ISS module)"),
    "Zvezda": Element(
        "cylinder", (13.1, 4.15), "NASA Zvezda overview (13.1 m); 4.15 m cs.wikipedia"
    ),
    "Zvezda arrays": Element(
        "plate",
        (2 * (29.7 - 4.15) / 2 * 3.35,),
        "span 29.7 m (NASA) less the body; width 3.35 m ASSUMED (as Zarya's)",
    ),
    "Z1": Element("box", (4.6, 4.6, 4.6), "ASSUMED 4.6 m cube"),
    "P6 arrays": Element(
        "plate", (892.0,), "two wings, 9,600 sq ft per pair (NASA via SpaceRef 2009)"
    ),
    "P6 body+radiator": Element("box", (10.0, 5.0, 5.0), "ASSUMED 10 x 5 x 5 m"),
    "Destiny": Element("cylinder", (8.5, 4.3), "NASA: 28 ft x 14 ft"),
    "Quest": Element(
        "cylinder", (5.5, 4.0), "5.5 m x 4.0 m (de.wikipedia STS-104; length 5.5-6.1 m in sources)"
    ),
    "Pirs": Element("cylinder", (4.91, 2.55), "RSC Energia: 4.91 m x 2.55 m"),
    "S0": Element("box", (13.4, 4.6, 4.0), "NASA STS-110: 13.4 x 4.6 m; height 4.0 m ASSUMED"),
    "S1": Element("box", (13.7, 4.6, 3.0), "NASA KSC release 83-02: 45 x 15 x 10 ft"),
    "P1": Element("box", (13.7, 4.6, 4.0), "NASA STS-113: 13.7 x 4.6 x 4 m"),
}


@dataclass(frozen=True)
class Stage:
    start_utc: datetime
    label: str
    elements: tuple[str, ...]
    mass_kg: float
    mass_source: str

    @property
    def area_m2(self) -> float:
        return sum(ELEMENTS[e].area_m2 for e in self.elements)

    @property
    def bc_m2_per_kg(self) -> float:
        return CD * self.area_m2 / self.mass_kg


def _d(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


_S1 = ("Zarya", "Zarya arrays")
_S2 = _S1 + ("Unity",)
_S3 = _S2 + ("Zvezda", "Zvezda arrays")
_S4 = _S3 + ("Z1",)
_S5 = _S4 + ("P6 arrays", "P6 body+radiator")
_S6 = _S5 + ("Destiny",)
_S7 = _S6 + ("Quest",)
_S8 = _S7 + ("Pirs",)
_S9 = _S8 + ("S0",)
_S10 = _S9 + ("S1",)
_S11 = _S10 + ("P1",)
LB = 0.45359237
SHORT_TON = 2000 * LB
STAGES: list[Stage] = [
    Stage(_d(1998, 11, 20), "Zarya", _S1, 19_323.0, "Zarya 19,323 kg (Wikipedia)"),
    Stage(
        _d(1998, 12, 7), "+Unity (2A)", _S2, 19_323.0 + 11_612.0, "+ Unity 11,612 kg (Wikipedia)"
    ),
    Stage(
        _d(2000, 7, 26),
        "+Zvezda (1R)",
        _S3,
        19_323.0 + 11_612.0 + 19_051.0,
        "+ Zvezda 19,051 kg (NASA); NASA: 'almost 60 tons' after docking",
    ),
    Stage(
        _d(2000, 10, 14),
        "+Z1, PMA-3 (3A)",
        _S4,
        19_323.0 + 11_612.0 + 19_051.0 + 8_755.0 + 1_156.0,
        "+ Z1 8,755 kg (Gunter's Space Page), PMA-3 1,156 kg (JAXA)",
    ),
    Stage(
        _d(2000, 12, 4),
        "+P6 arrays (4A)",
        _S5,
        112 * SHORT_TON - 32_000 * LB,
        "NASA 112 short tons after 5A less Destiny 32,000 lb (includes docked Soyuz/Progress)",
    ),
    Stage(_d(2001, 2, 10), "+Destiny (5A)", _S6, 112 * SHORT_TON, "NASA release 01-16: '112-ton'"),
    Stage(
        _d(2001, 7, 15),
        "+Quest (7A)",
        _S7,
        130 * SHORT_TON,
        "NASA STS-104 status #07: 'about 130 tons'",
    ),
    Stage(
        _d(2001, 9, 17),
        "+Pirs (4R)",
        _S8,
        130 * SHORT_TON + 3_580.0,
        "+ Pirs 3,580 kg in orbit (RSC Energia)",
    ),
    Stage(
        _d(2002, 4, 11),
        "+S0 (8A)",
        _S9,
        300_000 * LB + 12_247.0,
        "NASA (Holloway): 'now at 300,000 pounds' before 8A, + S0 12,247 kg (NASA)",
    ),
    Stage(_d(2002, 10, 10), "+S1 (9A)", _S10, 166_118.0, "NASA STS-112 status #16: 166,118 kg"),
    Stage(
        _d(2002, 11, 26), "+P1 (11A)", _S11, 166_118.0 + 12_477.0, "+ P1 12,477 kg (NASA STS-113)"
    ),
]
#: the dated table covers the 1998-2004 history; from here on (in practice: the 2021-2025
#: histories, nothing from 2005-2020 is used) the physical BC (420 t, 1,600 m^2) applies
CONFIG_TABLE_END_UTC = _d(2005, 7, 26)  # STS-114, the next assembly-era shuttle visit


def config_bc(t0_days: float, t1_days: float) -> tuple[float, str]:
    """Time-mean configuration BC over [t0, t1] (days since 1970) and the stages it spans."""
    if t0_days >= _days(CONFIG_TABLE_END_UTC):
        return ISS_BC_M2_PER_KG, "assembled (420 t, 1,600 m2)"
    starts = np.array([_days(s.start_utc) for s in STAGES] + [_days(CONFIG_TABLE_END_UTC)])
    total, labels = 0.0, []
    for k, st in enumerate(STAGES):
        lo, hi = max(t0_days, starts[k]), min(t1_days, starts[k + 1])
        if hi > lo:
            total += st.bc_m2_per_kg * (hi - lo)
            labels.append(st.label)
    return total / max(t1_days - t0_days, 1e-9), " -> ".join(labels)


# -- BC fitted on the drag-only data before an arc -------------------------------------------


def previous_window(
    an: ManoeuvreAnalysis,
    arc_index: int,
    *,
    min_days: float = 10.0,
    max_days_per_arc: float = 30.0,
    min_sets: int = 5,
) -> list[np.ndarray]:
    """Set indices (outliers removed) of the free arcs before ``an.arcs[arc_index]``, newest
    first, until they hold ``min_days`` of drag-only data; each arc cut to its last
    ``max_days_per_arc`` days.  Arcs shorter than 1 day or ``min_sets`` sets are skipped."""
    segs, total = [], 0.0
    for arc in reversed(an.arcs[:arc_index]):
        idx = np.arange(arc.start_index, arc.end_index + 1)
        idx = idx[~an.outlier[idx]]
        t = an.t_days[idx]
        idx = idx[t >= t[-1] - max_days_per_arc]
        days = float(an.t_days[idx[-1]] - an.t_days[idx[0]])
        if idx.size < min_sets or days < 1.0:
            continue
        segs.append(idx)
        total += days
        if total >= min_days:
            break
    return segs


def fit_segments(
    sets: list, an: ManoeuvreAnalysis, segs: list[np.ndarray], density: MsisDensity
) -> tuple[float, float, int]:
    """One BC for several free arcs (each with its own free offset), through the same decay
    model (``simulate_arc``), least squares then residuals beyond 4 robust sigma dropped, as
    ``bcfit``.  Returns (BC, robust residual sd in km, sets used)."""
    grid = np.geomspace(1e-3, 0.05, 24)
    sims = [simulate_arc(sets[idx[0]], an.t_days[idx], grid, density) for idx in segs]
    # as bcfit: only grid BCs whose run lasts the whole window (NaN after a sample stops)
    ok = np.all([np.all(np.isfinite(sim), axis=0) for sim in sims], axis=0)
    grid = grid[ok]
    fine = np.geomspace(grid[0], grid[-1], 2000)
    j = np.clip(np.searchsorted(grid, fine) - 1, 0, grid.size - 2)
    w = (fine - grid[j]) / (grid[j + 1] - grid[j])
    models, obs, seg_of = [], [], []
    for s, (idx, sim) in enumerate(zip(segs, sims, strict=True)):
        sim = sim[:, ok]
        models.append(sim[:, j] * (1 - w) + sim[:, j + 1] * w)
        obs.append(an.a_km[idx])
        seg_of.append(np.full(idx.size, s))
    model, a_obs, seg = np.vstack(models), np.concatenate(obs), np.concatenate(seg_of)

    def best_on(use: np.ndarray) -> tuple[int, np.ndarray]:
        resid = a_obs[:, None] - model
        for s in range(len(segs)):
            m = seg == s
            resid[m] -= resid[m & use].mean(axis=0)
        best = int(np.argmin(np.sum(resid[use] ** 2, axis=0)))
        return best, resid[:, best]

    use = np.ones(a_obs.size, dtype=bool)
    best, r = best_on(use)
    scale = 1.4826 * float(np.median(np.abs(r - np.median(r))))
    if scale > 0:
        use = np.abs(r) <= 4.0 * scale
        for s in range(len(segs)):  # keep >= 2 sets per segment
            if np.sum(use & (seg == s)) < 2:
                use[seg == s] = True
        best, r = best_on(use)
    sd = 1.4826 * float(np.median(np.abs(r[use] - np.median(r[use]))))
    return float(fine[best]), sd, int(use.sum())


# -- the ISS arcs ----------------------------------------------------------------------------


def _loss(a: np.ndarray) -> float:
    """Loss of mean a over a series: median of the first 3 minus median of the last 3."""
    return float(np.median(a[:3]) - np.median(a[-3:]))


def _err(pred: float, obs: float) -> float:
    return 100.0 * (pred - obs) / obs


def _fmt(x: float | None, spec: str) -> str:
    return "-" if x is None or not math.isfinite(x) else format(x, spec)


def iss_arcs(shared: Path, density: MsisDensity) -> list[dict]:
    rows: list[dict] = []
    for path in sorted((shared / "iss").glob("25544_*.tle")):
        sets = load_elements(path, on_conflict="latest").elements
        if len(sets) < 10:
            continue
        an = detect_manoeuvres(sets)
        for k, arc in enumerate(an.arcs):
            if arc.duration_days < 30.0:
                continue
            idx = np.arange(arc.start_index, arc.end_index + 1)
            idx = idx[~an.outlier[idx]]
            t, a = an.t_days[idx], an.a_km[idx]
            obs = _loss(a)
            # BCs that do not look at this arc: physical, configuration table, previous data
            cfg_bc, cfg_label = config_bc(t[0], t[-1])
            segs = previous_window(an, k)
            prev_bc = prev_sd = None
            prev_days = prev_gap = math.nan
            prev_from = None
            prev_cfg_bc = None
            if segs:
                prev_bc, prev_sd, _ = fit_segments(sets, an, segs, density)
                t_w0, t_w1 = an.t_days[segs[-1][0]], an.t_days[segs[0][-1]]
                prev_from = an.epochs_utc[segs[-1][0]]
                prev_days = float(sum(an.t_days[s[-1]] - an.t_days[s[0]] for s in segs))
                prev_gap = float(t[0] - t_w1)
                cfg_prev, _ = config_bc(t_w0, t_w1)
                prev_cfg_bc = prev_bc * cfg_bc / cfg_prev
            bcs = [ISS_BC_M2_PER_KG, cfg_bc]
            if prev_bc is not None:
                bcs += [prev_bc, prev_cfg_bc]
            sim = simulate_arc(sets[idx[0]], t, np.array(bcs), density)
            preds = [_loss(sim[:, c]) for c in range(sim.shape[1])]
            # noise: TLE noise of a (manoeuvres' local sigma) and the scatter about the
            # best-scaled model curve a = c + k (sim - sim0) (TLE noise + multi-day wander +
            # what the density model does not follow)
            sig_local = float(np.median(an.sigma_km[idx]))
            x = sim[:, 0] - sim[0, 0]
            coef = np.polyfit(x, a, 1)
            res = a - np.polyval(coef, x)
            sig_fit = 1.4826 * float(np.median(np.abs(res - np.median(res))))
            # fit on the first half, predict the second half (as before)
            half_t = t[0] + 0.5 * (t[-1] - t[0])
            as_of = sets[idx[np.searchsorted(t, half_t) - 1]].epoch_utc
            sub = sets[arc.start_index : arc.end_index + 1]
            est = fit_ballistic_coefficient(
                sub, density, as_of_utc=as_of, max_arc_days=60.0, max_decay_km=1e9
            )
            second = idx[t >= half_t]
            t2, a2 = an.t_days[second], an.a_km[second]
            sim2 = simulate_arc(sets[second[0]], t2, np.array([est.bc_m2_per_kg]), density)[:, 0]
            obs2, pred2 = _loss(a2), _loss(sim2)
            row = {
                "file": path.name,
                "start": arc.start_utc,
                "end": arc.end_utc,
                "days": arc.duration_days,
                "obs": obs,
                "sig_local_m": 1000 * sig_local,
                "sig_fit_m": 1000 * sig_fit,
                "noise_local_pct": 100 * sig_local / obs,
                "noise_pct": 100 * sig_fit / obs,
                "phys_pred": preds[0],
                "phys_err": _err(preds[0], obs),
                "cfg_bc": cfg_bc,
                "cfg_label": cfg_label,
                "cfg_err": _err(preds[1], obs),
                "prev_bc": prev_bc,
                "prev_sd_m": None if prev_sd is None else 1000 * prev_sd,
                "prev_days": prev_days,
                "prev_from": prev_from,
                "prev_gap": prev_gap,
                "prev_segs": len(segs),
                "prev_err": _err(preds[2], obs) if prev_bc is not None else None,
                "prev_cfg_err": _err(preds[3], obs) if prev_bc is not None else None,
                "half_bc": est.bc_m2_per_kg,
                "half_sigma": est.sigma_ln,
                "obs2": obs2,
                "pred2": pred2,
                "half_err": _err(pred2, obs2),
                "noise2_pct": 100 * sig_fit / obs2,
            }
            rows.append(row)
            print(
                f"| {row['file'][6:15]} | {row['start']:%Y-%m-%d} | {row['end']:%Y-%m-%d} | "
                f"{row['days']:.0f} | {obs:.2f} | {row['sig_local_m']:.0f} / "
                f"{row['sig_fit_m']:.0f} | {row['noise_local_pct']:.1f} / {row['noise_pct']:.1f} | "
                f"{preds[0]:.2f} | "
                f"{row['phys_err']:+.0f} | {cfg_bc:.5f} | {row['cfg_err']:+.0f} | "
                f"{_fmt(prev_bc, '.5f')} | "
                f"{'-' if prev_from is None else format(prev_from, '%Y-%m-%d')}, "
                f"{_fmt(prev_days, '.0f')} / {row['prev_segs']} / "
                f"{_fmt(prev_gap, '.0f')} | {_fmt(row['prev_err'], '+.0f')} | "
                f"{_fmt(row['prev_cfg_err'], '+.0f')} | {est.bc_m2_per_kg:.5f} | "
                f"{obs2:.2f} | {pred2:.2f} | {row['half_err']:+.0f} | "
                f"{row['noise2_pct']:.1f} | {cfg_label} |",
                flush=True,
            )
    return rows


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


def print_config_table() -> None:
    print("| from | stage | mass kg | drag area m^2 (rule) | BC m^2/kg (Cd 2.2) |")
    print("|---|---|---|---|---|")
    for st in STAGES:
        print(
            f"| {st.start_utc:%Y-%m-%d} | {st.label} | {st.mass_kg:,.0f} | {st.area_m2:.0f} | "
            f"{st.bc_m2_per_kg:.5f} |"
        )
    print(
        f"| 2021-2025 histories | assembled station (physical BC) | 420,000 | 1,600 | "
        f"{ISS_BC_M2_PER_KG:.5f} |\n"
    )


ISS_HEADER = (
    "| history | arc start | arc end | days | obs loss km | sigma a local / fit m "
    "| noise % local / fit "
    "| phys pred km | phys err % | config BC | config err % | prev BC "
    "| prev window from, days / arcs / gap d | prev err % | prev x cfg err % | 1st-half BC "
    "| 2nd-half obs km | 2nd-half pred km | 2nd-half err % | 2nd-half noise % (fit) "
    "| configuration |"
)

PREDICTORS = [
    ("phys_err", "physical BC 0.00838"),
    ("cfg_err", "configuration table"),
    ("prev_err", "previous-data BC (>= 10 d before the arc)"),
    ("prev_cfg_err", "previous-data BC x configuration ratio"),
    ("half_err", "1st-half BC -> 2nd half"),
]


def summarise(rows: list[dict]) -> None:
    """Median |error|, share within 20 %, worst arc, per predictor and subset."""
    subsets = [
        ("all arcs", lambda r: True),
        ("1998-2004", lambda r: r["file"].startswith("25544_1998")),
        ("  1998-2000 (before Destiny)", lambda r: r["start"] < _d(2001, 2, 10)),
        ("  2001-2004", lambda r: _d(2001, 2, 10) <= r["start"] < _d(2005, 1, 1)),
        ("2021-2022", lambda r: r["file"].startswith("25544_2021")),
        ("2024-2025", lambda r: r["file"].startswith("25544_2024")),
    ]
    print("| subset | predictor | arcs | median abs err % | within 20 % | worst (arc) |")
    print("|---|---|---|---|---|---|")
    for name, keep in subsets:
        for key, label in PREDICTORS:
            sel = [r for r in rows if keep(r) and r[key] is not None]
            if not sel:
                continue
            e = np.array([r[key] for r in sel])
            w = int(np.argmax(np.abs(e)))
            print(
                f"| {name} | {label} | {len(sel)} | {np.median(np.abs(e)):.0f} | "
                f"{int(np.sum(np.abs(e) <= 20))}/{len(sel)} ({np.mean(np.abs(e) <= 20) * 100:.0f} %) | "
                f"{e[w]:+.0f} % ({sel[w]['start']:%Y-%m-%d}) |"
            )
    half = [r for r in rows if r["noise2_pct"] < 5.0]
    e = np.abs([r["half_err"] for r in half])
    print(
        f"\n1st-half BC -> 2nd half on the {len(half)} arcs whose 2nd-half loss is > 20x the "
        f"fit scatter: median abs err {np.median(e):.0f} %, within 20 % "
        f"{np.sum(e <= 20)}/{len(half)}"
    )
    print(
        f"noise share of the whole-arc loss: TLE noise (local sigma) "
        f"{min(r['noise_local_pct'] for r in rows):.1f}-{max(r['noise_local_pct'] for r in rows):.1f} %,"
        f" scatter about the best-scaled model {min(r['noise_pct'] for r in rows):.1f}-"
        f"{max(r['noise_pct'] for r in rows):.1f} %; of the 2nd-half loss (scatter) "
        f"{min(r['noise2_pct'] for r in rows):.1f}-{max(r['noise2_pct'] for r in rows):.1f} %\n"
    )
    # what the first-half fits say about each configuration: implied drag area (Cd 2.2)
    print("| configuration | arcs | median 1st-half BC | table BC | ratio | implied area m^2 |")
    print("|---|---|---|---|---|---|")
    by_stage: dict[str, list[dict]] = {}
    for r in rows:
        if " -> " not in r["cfg_label"]:
            by_stage.setdefault(r["cfg_label"], []).append(r)
    mass = {st.label: st.mass_kg for st in STAGES} | {"assembled (420 t, 1,600 m2)": 420_000.0}
    for label, rs in by_stage.items():
        b = float(np.median([r["half_bc"] for r in rs]))
        print(
            f"| {label} | {len(rs)} | {b:.5f} | {rs[0]['cfg_bc']:.5f} | "
            f"{b / rs[0]['cfg_bc']:.2f} | {b * mass[label] / CD:.0f} |"
        )
    bcs = np.array([r["half_bc"] for r in rows])
    print(
        f"\nfitted BC (1st halves): median {np.median(bcs):.5f}, spread (std ln) "
        f"{np.std(np.log(bcs)):.2f}; previous-data BC vs the arc's own 1st-half BC: "
        f"median |ln ratio| "
        f"{np.median([abs(math.log(r['prev_bc'] / r['half_bc'])) for r in rows if r['prev_bc']]):.2f}\n"
    )


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
        print_config_table()
        print(ISS_HEADER)
        print("|" + "---|" * 21)
        rows = iss_arcs(args.shared, density)
        print(f"\nISS part: {time.perf_counter() - t0:.0f} s\n")
        summarise(rows)
    if not args.skip_reentry:
        reentries(args.shared, density)
    print(f"\nwall time {time.perf_counter() - t0:.0f} s ({datetime.now(UTC):%Y-%m-%d})")


if __name__ == "__main__":
    main()
