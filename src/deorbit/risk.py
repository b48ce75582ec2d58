"""The ``deorbit risk`` job: where the debris of a re-entry can fall, and who could be hurt.

Three ways to say *when* the re-entry happens, each giving break-up states (position, heading,
flight-path angle at ~78 km) for N samples:

``long-run``
    the time is unknown: break-up points spread over the inclination's latitude density,
    uniform in longitude (:func:`deorbit.footprint.long_run_breakup_states`, Sobol sampling);
``window START END``
    re-entry at a uniformly random time in the window, on the SGP4 ground track of the latest
    element set (a window of minutes collapses to a strip of track; a window of weeks
    converges to the long run);
``prediction`` (default)
    the Monte Carlo re-entry samples of :func:`deorbit.predict.run_prediction`, each with its
    own final track.

The surviving fragments (a fragment file, a casualty area, or the default model from a known
mass) are then dispersed along and across track (:func:`deorbit.footprint.footprint`), binned
on a 0.25 deg grid, looked up per country, and turned into the casualty expectation with the
GPW 2020 population (:func:`deorbit.casualty.expected_casualties`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np

from deorbit.elements import check_in_orbit, format_utc
from deorbit.errors import InputError
from deorbit.fileio import atomic_write_text
from deorbit.objects import ResolvedObject
from deorbit.spacecraft import known_spacecraft
from deorbit.summary import EU27_ADM0

__all__ = ["RiskOptions", "RiskRun", "risk_json", "run_risk", "write_geojson"]

Mode = Literal["long-run", "window", "prediction"]
#: m/(Cd A) given to a bare casualty area (mid-range: ~870 km downrange from 78 km).
BARE_AREA_BETA_KG_M2 = 100.0
#: Largest sample count accepted (memory: samples x fragment classes points).
MAX_SAMPLES = 100_000


@dataclass(frozen=True)
class RiskOptions:
    mode: Mode = "prediction"
    window_start_utc: datetime | None = None
    window_end_utc: datetime | None = None
    samples: int = 1000
    seed: int = 1
    fragments_path: Path | None = None
    casualty_area_m2: float | None = None
    mass_kg: float | None = None
    surviving_fraction: float | None = None
    grid_deg: float = 0.25
    #: Altitude of the break-up, where the fragments' own descent begins.
    breakup_alt_km: float = 78.0
    population_year: int = 2020
    no_reboost: bool = False
    #: Prediction mode: predict as of this time (only element sets up to it), e.g. the date
    #: at which a station's reboosts stop.
    as_of_utc: datetime | None = None

    def check(self) -> None:
        if not 1 <= self.samples <= MAX_SAMPLES:
            raise InputError(
                f"--samples must be 1..{MAX_SAMPLES}, got {self.samples}", field="--samples"
            )
        if self.mode == "window":
            if self.window_start_utc is None or self.window_end_utc is None:
                raise InputError("--window needs START and END", field="--window")
            if self.window_end_utc <= self.window_start_utc:
                raise InputError(
                    f"the window ends ({format_utc(self.window_end_utc)}) before it starts "
                    f"({format_utc(self.window_start_utc)})",
                    field="--window",
                )
        if self.casualty_area_m2 is not None and not (0.36 < self.casualty_area_m2 <= 1e5):
            raise InputError(
                f"--casualty-area-m2 must be in (0.36, 1e5], got {self.casualty_area_m2:g}",
                field="--casualty-area-m2",
            )
        if not 40.0 <= self.breakup_alt_km <= 100.0:
            raise InputError(
                f"--breakup-alt-km must be in [40, 100], got {self.breakup_alt_km:g}",
                field="--breakup-alt-km",
            )
        given = [self.fragments_path, self.casualty_area_m2, self.mass_kg]
        if sum(v is not None for v in given) > 1:
            raise InputError("give one of --fragments, --casualty-area-m2 or --mass-kg")


@dataclass(frozen=True)
class RiskRun:
    obj: ResolvedObject
    options: RiskOptions
    fragments: Any
    fragments_note: str
    states: Any
    footprint: Any
    grid: Any
    probabilities: Any
    casualty: Any
    long_run_ec_per_m2: float
    countries: Any
    window: tuple[datetime, datetime] | None
    prediction: Any
    warnings: list[str]


def _fragments(obj: ResolvedObject, options: RiskOptions):
    from deorbit.fragments import Fragment, FragmentList, default_fragments, load_fragments

    if options.fragments_path is not None:
        frags = load_fragments(options.fragments_path)
        return frags, f"fragment file {options.fragments_path}"
    if options.casualty_area_m2 is not None:
        side = math.sqrt(options.casualty_area_m2) - math.sqrt(0.36)
        area = side * side
        frag = Fragment(
            name="given casualty area",
            mass_kg=BARE_AREA_BETA_KG_M2 * 1.2 * area,
            area_m2=area,
            count=1,
        )
        note = (
            f"given casualty area {options.casualty_area_m2:g} m^2 as one piece "
            f"(m/(Cd A) = {BARE_AREA_BETA_KG_M2:g} kg/m^2 for its downrange distance)"
        )
        return FragmentList.from_fragments([frag], source="--casualty-area-m2"), note
    mass = options.mass_kg
    craft = known_spacecraft(obj.norad_id)
    source = "--mass-kg"
    if mass is None and craft is not None:
        mass, source = craft.mass_kg, craft.mass_source
    if mass is None:
        raise InputError(
            f"no fragment data for {obj.name} [{obj.norad_id}]: give --fragments FILE, "
            "--casualty-area-m2 A or --mass-kg M"
        )
    kwargs = {}
    if options.surviving_fraction is not None:
        kwargs["surviving_fraction"] = options.surviving_fraction
    frags = default_fragments(mass, name=obj.name, **kwargs)
    return frags, f"default surviving-debris model from total mass {mass:,.0f} kg ({source})"


def _window_states(
    obj: ResolvedObject, start: datetime, end: datetime, n: int, rng, breakup_alt_km: float
):
    """Break-up states at uniformly random times of the window, on the SGP4 ground track."""
    from deorbit.footprint import breakup_states, initial_bearing_deg
    from deorbit.groundtrack import ground_track_at

    span_ns = int((end - start) / timedelta(microseconds=1)) * 1000
    t0 = np.datetime64(start.replace(tzinfo=None), "ns")
    offsets = (rng.random(n) * span_ns).astype(np.int64)
    times = t0 + offsets.astype("timedelta64[ns]")
    later = times + np.timedelta64(10, "s")
    a = ground_track_at(obj.history, times)
    b = ground_track_at(obj.history, later)
    heading = initial_bearing_deg(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg)
    return breakup_states(a.lat_deg, a.lon_deg, heading, alt_km=breakup_alt_km)


def run_risk(obj: ResolvedObject, options: RiskOptions) -> RiskRun:
    """Resolve when, disperse the fragments, and count the people under the footprint."""
    from deorbit.casualty import expected_casualties, long_run_ec_per_m2
    from deorbit.footprint import (
        breakup_states_from_track,
        footprint,
        long_run_breakup_states,
    )
    from deorbit.geography import load_countries
    from deorbit.geography.population import load_population

    options.check()
    es = check_in_orbit(obj.latest)
    warnings = list(obj.warnings)
    fragments, note = _fragments(obj, options)
    countries = load_countries()
    rng_states, rng_disperse = (
        np.random.default_rng(s) for s in np.random.SeedSequence(options.seed).spawn(2)
    )
    prediction = None
    window = None
    if options.mode == "long-run":
        states = long_run_breakup_states(
            es.inclination_deg,
            options.samples,
            rng=rng_states,
            sampling="sobol",
            alt_km=options.breakup_alt_km,
        )
    elif options.mode == "window":
        assert options.window_start_utc is not None and options.window_end_utc is not None
        window = (options.window_start_utc, options.window_end_utc)
        states = _window_states(obj, *window, options.samples, rng_states, options.breakup_alt_km)
    else:
        from deorbit.predict import PredictOptions, run_prediction

        prediction = run_prediction(
            obj,
            PredictOptions(
                samples=options.samples,
                seed=options.seed,
                no_reboost=options.no_reboost,
                as_of_utc=options.as_of_utc,
            ),
        )
        warnings.extend(w for w in prediction.warnings if w not in warnings)
        states = breakup_states_from_track(
            prediction.result.final_track, breakup_alt_km=options.breakup_alt_km
        )
        q05, _, q95 = prediction.quantiles_utc()
        if q05 is not None:
            window = (q05, q95)
    fp = footprint(states, fragments, countries, rng=rng_disperse)
    population = load_population(year=options.population_year)
    casualty = expected_casualties(fp, population)
    alt = 0.5 * (es.perigee_alt_km + es.apogee_alt_km)
    ec_per_m2 = long_run_ec_per_m2(es.inclination_deg, alt, population)
    return RiskRun(
        obj=obj,
        options=options,
        fragments=fragments,
        fragments_note=note,
        states=states,
        footprint=fp,
        grid=fp.grid(options.grid_deg),
        probabilities=fp.country_probabilities(),
        casualty=casualty,
        long_run_ec_per_m2=ec_per_m2,
        countries=countries,
        window=window,
        prediction=prediction,
        warnings=warnings,
    )


def risk_json(run: RiskRun, top: int | None = None) -> dict[str, Any]:
    """The JSON answer of ``deorbit risk``."""
    from deorbit.jobs import object_summary

    c = run.countries
    p = run.probabilities
    cas = run.casualty
    order = np.lexsort((-cas.ec_per_country, -p.fall))
    rows = [
        {
            "adm0_a3": c.countries[k].adm0_a3,
            "iso_a3": c.countries[k].iso_a3,
            "name": c.countries[k].name,
            "probability": float(p.fall[k]),
            "casualty_weighted_probability": float(p.casualty_weighted[k]),
            "casualty_expectation": float(cas.ec_per_country[k]),
        }
        for k in order
        if p.fall[k] > 0 or cas.ec_per_country[k] > 0
    ]
    if top is not None:
        rows = rows[:top]
    by_code = {r["adm0_a3"]: r for r in rows}
    focus = {}
    for code, label in (
        ("RUS", "Russia"),
        ("USA", "United States"),
        ("IND", "India"),
        ("CHN", "China"),
    ):
        r = by_code.get(code, {})
        focus[code] = {
            "name": label,
            "probability": r.get("probability", 0.0),
            "casualty_expectation": r.get("casualty_expectation", 0.0),
        }
    eu = [by_code[k] for k in EU27_ADM0 if k in by_code]
    focus["EU27"] = {
        "name": "European Union (27)",
        "probability": sum(r["probability"] for r in eu),
        "casualty_expectation": sum(r["casualty_expectation"] for r in eu),
    }
    frags = run.fragments.surviving()
    result = {
        "object": object_summary(run.obj),
        "mode": run.options.mode,
        "window": None
        if run.window is None
        else {"start_utc": format_utc(run.window[0]), "end_utc": format_utc(run.window[1])},
        "samples": len(run.states),
        "samples_valid": int(run.states.valid.sum()),
        "seed": run.options.seed,
        "breakup_alt_km": run.states.alt_km,
        "fragments": {
            "source": run.fragments_note,
            "classes": len(frags),
            "pieces": int(frags.n_pieces),
            "surviving_mass_kg": float(frags.surviving_mass_kg),
        },
        "ocean_probability": p.fall_ocean,
        "land_probability": float(p.fall.sum()),
        "countries": rows,
        "focus": focus,
        "casualty_area_m2": cas.casualty_area_m2,
        "casualty_expectation": cas.ec,
        "probability_of_casualty": cas.p_casualty,
        "ratio_to_limit": cas.ratio_to_limit,
        "limit": 1e-4,
        "one_in": cas.one_in,
        "population_year": cas.population_year,
        "long_run_casualty_expectation_per_m2": run.long_run_ec_per_m2,
        "long_run_casualty_expectation": run.long_run_ec_per_m2 * cas.casualty_area_m2,
        "grid_deg": run.grid.resolution_deg,
        "warnings": run.warnings,
    }
    if run.prediction is not None:
        q05, q50, q95 = run.prediction.quantiles_utc()
        result["reentry"] = {
            "median_utc": format_utc(q50) if q50 else None,
            "p05_utc": format_utc(q05) if q05 else None,
            "p95_utc": format_utc(q95) if q95 else None,
        }
    return result


def write_geojson(run: RiskRun, path: str | Path, minimum: float = 0.0) -> Path:
    """The impact-probability grid as GeoJSON polygons (cells above ``minimum``), atomically."""
    g = run.grid
    rows, cols = np.nonzero(g.fall > minimum)
    features = []
    for r, k in zip(rows.tolist(), cols.tolist(), strict=True):
        n, s = float(g.lat_edges_deg[r]), float(g.lat_edges_deg[r + 1])
        w, e = float(g.lon_edges_deg[k]), float(g.lon_edges_deg[k + 1])
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "probability": float(g.fall[r, k]),
                    "casualty_weighted_probability": float(g.casualty_weighted[r, k]),
                },
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]],
                },
            }
        )
    doc = {
        "type": "FeatureCollection",
        "properties": {
            "object": run.obj.name,
            "norad_id": run.obj.norad_id,
            "mode": run.options.mode,
            "grid_deg": g.resolution_deg,
        },
        "features": features,
    }
    return atomic_write_text(path, json.dumps(doc))
