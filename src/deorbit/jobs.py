"""The jobs behind each command, shared by the CLI and the web service.

A job takes what a user typed (an object name, number or file, and options), resolves it,
runs the computation and returns a plain, JSON-ready ``dict``.  The CLI renders that dict as
a table or prints it as JSON; the service returns it as is.  So both speak one schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from deorbit.elements import ElementSet, check_in_orbit, format_utc
from deorbit.errors import InputError
from deorbit.objects import ResolvedObject, resolve_object

# The exposure job's modules (shapely, the geography data, SGP4 ground tracks) are imported by
# run_exposure itself, so that predict, risk and the other jobs that only need resolve() and
# parse_time() do not pay for them at start-up.
if TYPE_CHECKING:
    from deorbit.exposure import Exposure
    from deorbit.geography import CountryMap
    from deorbit.groundtrack import GroundTrack

__all__ = [
    "ExposureRun",
    "ObjectOptions",
    "exposure_job",
    "object_summary",
    "parse_time",
    "nominal_density",
    "resolve",
    "run_exposure",
    "station_properties",
]

#: Longest window the exposure command propagates (SGP4 from one set degrades beyond that).
MAX_WINDOW_DAYS = 366.0
#: Eccentricity above which the circular-orbit latitude density is only an approximation.
NEAR_CIRCULAR_MAX_E = 0.01


#: An element set older than this (at the time of the analysis) earns a warning.
STALE_ELEMENTS_DAYS = 30.0


@dataclass(frozen=True)
class ObjectOptions:
    """How to find an object: the options every command shares."""

    online: bool = False
    norad_id: int | None = None
    db: Path | None = None
    lenient: bool = False
    now_utc: datetime | None = field(default=None, compare=False)


def resolve(spec: str, options: ObjectOptions = ObjectOptions()) -> ResolvedObject:
    """Resolve OBJECT with the shared options, and warn when its newest elements are stale."""
    from deorbit.store import ElementStore

    kwargs = dict(
        online=options.online,
        norad_id=options.norad_id,
        lenient=options.lenient,
        now_utc=options.now_utc,
    )
    if options.db is not None:
        with ElementStore(options.db) as store:
            obj = resolve_object(spec, store=store, **kwargs)
    else:
        obj = resolve_object(spec, **kwargs)
    now = options.now_utc or datetime.now(UTC)
    age_days = (now - obj.latest.epoch_utc) / timedelta(days=1)
    if age_days > STALE_ELEMENTS_DAYS:
        obj.warnings.append(
            f"the newest element set is {age_days:.0f} days old ({obj.provenance}); "
            "positions along the track are no longer current (refresh with --online)"
        )
    return obj


@dataclass(frozen=True)
class ExposureRun:
    """Everything the exposure command computed, before it is rendered."""

    obj: ResolvedObject
    countries: CountryMap
    analytic: Exposure
    window: Exposure
    track: GroundTrack
    max_lat_deg: float
    population_total: float
    population_under_band: float
    population_by_country: np.ndarray
    population_under_band_by_country: np.ndarray
    cities: list[dict[str, Any]]
    warnings: list[str]


def parse_time(text: str, option: str) -> datetime:
    """An ISO 8601 time (UTC when no offset is given) or 'now', for option ``option``."""
    value = text.strip()
    if value.lower() == "now":
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"cannot read time {text!r}: use ISO 8601 (2026-01-31T12:00Z) or 'now'",
            field=option,
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_start(start: str | datetime | None, es: ElementSet) -> datetime:
    if start is None or (isinstance(start, str) and start.strip().lower() == "epoch"):
        return es.epoch_utc
    if isinstance(start, datetime):
        return start if start.tzinfo else start.replace(tzinfo=UTC)
    return parse_time(start, "--start")


def run_exposure(
    spec: str,
    *,
    start: str | datetime | None = None,
    days: float = 30.0,
    step_s: float = 30.0,
    options: ObjectOptions = ObjectOptions(),
    year: int = 2020,
) -> ExposureRun:
    """Resolve ``spec`` and compute its long-run and windowed exposure and the people under it."""
    from deorbit.exposure import latitude_distribution, long_run_exposure, window_exposure
    from deorbit.geography import load_countries
    from deorbit.geography.cities import cities_under_band
    from deorbit.geography.population import load_population
    from deorbit.groundtrack import ground_track

    if not 0.0 < days <= MAX_WINDOW_DAYS:
        raise InputError(
            f"--days must be in (0, {MAX_WINDOW_DAYS:g}], got {days:g}", field="--days"
        )
    if not 1.0 <= step_s <= 3600.0:
        raise InputError(f"--step must be between 1 s and 3600 s, got {step_s:g}", field="--step")
    obj = resolve(spec, options)
    es = check_in_orbit(obj.latest)
    warnings = list(obj.warnings)
    if es.eccentricity > NEAR_CIRCULAR_MAX_E:
        warnings.append(
            f"eccentricity {es.eccentricity:.3f} > {NEAR_CIRCULAR_MAX_E}: the analytic share uses "
            "the circular-orbit latitude density; trust the propagated window more"
        )
    countries = load_countries()
    mean_alt_km = 0.5 * (es.perigee_alt_km + es.apogee_alt_km)
    analytic = long_run_exposure(countries, es.inclination_deg, mean_alt_km)
    max_lat = latitude_distribution(es.inclination_deg, mean_alt_km).max_lat_deg

    start_utc = _parse_start(start, es)
    end_utc = start_utc + timedelta(days=days)
    offset_days = abs((start_utc - es.epoch_utc) / timedelta(days=1))
    if offset_days > 30:
        warnings.append(
            f"the window starts {offset_days:.0f} days from the element epoch: SGP4 from one set "
            "drifts by many km along track, so the windowed share is only indicative"
        )
    track = ground_track(obj.history, start_utc, end_utc, step_s)
    n_bad = int(np.count_nonzero(~np.isfinite(track.lat_deg)))
    if n_bad:
        warnings.append(f"SGP4 failed for {n_bad} of {track.lat_deg.size} track points (decay?)")
    window = window_exposure(countries, track.lat_deg, track.lon_deg)

    pop = load_population(year=year)
    total, by_country = pop.per_country(countries)
    under_total, under_by_country = pop.under_band(max_lat, countries)
    cities = [
        {
            "name": str(c["name"]),
            "iso_a3": str(c["iso_a3"]),
            "lat_deg": float(c["lat_deg"]),
            "lon_deg": float(c["lon_deg"]),
            "population": int(c["population"]),
        }
        for c in np.sort(cities_under_band(max_lat), order="population")[::-1]
    ]
    return ExposureRun(
        obj=obj,
        countries=countries,
        analytic=analytic,
        window=window,
        track=track,
        max_lat_deg=max_lat,
        population_total=float(total),
        population_under_band=float(under_total),
        population_by_country=np.asarray(by_country, dtype=float),
        population_under_band_by_country=np.asarray(under_by_country, dtype=float),
        cities=cities,
        warnings=warnings,
    )


def object_summary(obj: ResolvedObject) -> dict[str, Any]:
    """The ``object`` block every JSON answer starts with."""
    es = obj.latest
    return {
        "norad_id": es.norad_id,
        "name": es.name,
        "intl_designator": es.intl_designator,
        "epoch_utc": format_utc(es.epoch_utc),
        "inclination_deg": round(es.inclination_deg, 4),
        "eccentricity": es.eccentricity,
        "period_min": round(es.period_min, 3),
        "perigee_alt_km": round(es.perigee_alt_km, 2),
        "apogee_alt_km": round(es.apogee_alt_km, 2),
        "bstar_per_earth_radii": es.bstar_per_earth_radii,
        "element_age_days": round((datetime.now(UTC) - es.epoch_utc) / timedelta(days=1), 2),
        "element_sets": len(obj.history),
        "source": obj.provenance,
    }


def exposure_job(run: ExposureRun) -> dict[str, Any]:
    """The JSON answer of ``deorbit exposure``."""
    c = run.countries
    rows = []
    show = np.flatnonzero(
        (run.analytic.fraction > 0)
        | (run.window.fraction > 0)
        | (run.population_under_band_by_country > 0)
    )
    for k in sorted(show, key=lambda k: (-run.analytic.fraction[k], -run.window.fraction[k])):
        country = c.countries[k]
        pop_k = run.population_by_country[k]
        under_k = run.population_under_band_by_country[k]
        rows.append(
            {
                "adm0_a3": country.adm0_a3,
                "iso_a3": country.iso_a3,
                "name": country.name,
                "fraction": float(run.analytic.fraction[k]),
                "window_fraction": float(run.window.fraction[k]),
                "population": round(float(pop_k)),
                "population_under_band": round(float(under_k)),
                "population_share_under_band": float(under_k / pop_k) if pop_k > 0 else None,
            }
        )
    diff = np.abs(run.analytic.fraction - run.window.fraction)
    big = run.analytic.fraction > 0.005
    rel = diff[big] / run.analytic.fraction[big]
    t = run.track.times_utc
    return {
        "object": object_summary(run.obj),
        "method": "analytic",
        "method_note": (
            "long-run share of time overhead for a circular orbit: latitude density of the "
            "inclination, uniform in longitude, integrated exactly over the Natural Earth 1:50m "
            "polygons; equals the probability that a re-entry at an unknown time falls there"
        ),
        "max_lat_deg": round(run.max_lat_deg, 4),
        "land_fraction": run.analytic.land_fraction,
        "ocean_fraction": run.analytic.ocean_fraction,
        "window": {
            "method": "propagated",
            "start_utc": format_utc(_to_datetime(t[0])),
            "end_utc": format_utc(_to_datetime(t[-1])),
            "step_s": float((t[1] - t[0]) / np.timedelta64(1, "s")) if t.size > 1 else None,
            "samples": run.window.n_samples,
            "land_fraction": run.window.land_fraction,
            "ocean_fraction": run.window.ocean_fraction,
            "max_abs_difference": float(diff.max()),
            "max_rel_difference_above_0.5pct": float(rel.max()) if rel.size else None,
        },
        "population": {
            "year": 2020,
            "world": round(run.population_total),
            "under_band": round(run.population_under_band),
            "share_under_band": run.population_under_band / run.population_total,
        },
        "countries": rows,
        "cities_under_band": run.cities,
        "warnings": run.warnings,
    }


def _to_datetime(t64: np.datetime64) -> datetime:
    micros = int(np.datetime64(t64, "us").astype(np.int64))
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)


def station_properties(
    obj: ResolvedObject,
    mass_kg: float | None,
    area_m2: float | None,
    cd: float | None,
    bc_m2_per_kg: float | None,
) -> tuple[float, float]:
    """(mass kg, BC m^2/kg) from the options, or the published properties of known objects."""
    from deorbit.spacecraft import known_spacecraft

    craft = known_spacecraft(obj.norad_id)
    if mass_kg is None and craft is not None:
        mass_kg = craft.mass_kg
    if mass_kg is None:
        raise InputError(
            f"no published mass for {obj.name} [{obj.norad_id}]: give --mass-kg and "
            "--area-m2 (or --bc-m2-per-kg)"
        )
    if bc_m2_per_kg is None:
        if area_m2 is None and craft is None:
            raise InputError("give --area-m2 or --bc-m2-per-kg", field="--area-m2")
        area = area_m2 if area_m2 is not None else craft.area_m2
        coeff = cd if cd is not None else (craft.cd if craft is not None else 2.2)
        bc_m2_per_kg = coeff * area / mass_kg
    for name, value in (("--mass-kg", mass_kg), ("--bc-m2-per-kg", bc_m2_per_kg)):
        if not (value > 0):
            raise InputError(f"{name} must be positive", field=name)
    return mass_kg, bc_m2_per_kg


def nominal_density(es: ElementSet, as_of: datetime | None, space_weather: str, days: float):
    """The unperturbed NRLMSIS 2.1 provider with space weather as known at ``as_of``."""
    from deorbit.predict import build_density

    start = as_of or es.epoch_utc
    return build_density(
        version=2.1,
        as_of_utc=start,
        mode=space_weather,
        f107_sfu=None,
        ap=None,
        first_utc=min(es.epoch_utc, start) - timedelta(days=2),
        last_utc=start + timedelta(days=days + 2),
        samples=1,
        rng=np.random.default_rng(0),
    ).nominal_provider
