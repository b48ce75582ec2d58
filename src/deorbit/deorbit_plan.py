"""Controlled deorbit: perigee-lowering burns, a timed final burn, and where the debris falls.

What
    :func:`plan_deorbit` plans the disposal of a station from its current (circular) orbit into
    a target ocean zone, by default the South Pacific Ocean Uninhabited Area (SPOUA) around
    Point Nemo (``data/zones/spoua.geojson``, a documented approximation: see
    docs/notes/station_keeping.md).  It reports the burns and their delta-v, the propellant for
    a vehicle (:mod:`deorbit.vehicles`), the debris footprint (:mod:`deorbit.footprint` with the
    default fragment model), the probability that debris falls outside the zone, the casualty
    expectation (:mod:`deorbit.casualty`) and NASA-STD-8719.14's controlled re-entry rule
    (impact footprint >= 370 km from foreign landmasses, Requirement 4.7-1b).

Method
    1. Lowering: ``n_lowering_burns`` retrograde burns at the same point (apogee stays at the
       start altitude h0) bring the perigee from h0 to ``lowering_perigee_km`` (150 km);
       each costs v_apo(before) - v_apo(after) (vis-viva).  Drag between burns is neglected
       (it lowers the apogee, which makes the final burn cheaper: an upper bound).
    2. Final burn at apogee: perigee ``lowering_perigee_km`` -> ``final_perigee_km`` (default
       40 km: a steep entry, the kind planned for Mir in 2001 and for the ISS).
    3. Timing: candidate final-burn times over one day (the burn point moves along the orbit,
       the node drifts by J2, the Earth turns).  Each candidate's post-burn state
       (:func:`deorbit.cowell.kepler_to_state`) is flown by Cowell integration with J2-J4 and
       drag (:func:`deorbit.cowell.propagate_to_altitude`) to 80 km; break-up states
       (:func:`deorbit.footprint.breakup_states_from_track`) and the nominal fragment ranges
       give the footprint centre (middle of the shortest and longest fragment range).  Three
       grid passes (P/8 over a day, then finer around the best) pick the time whose centre
       is nearest the zone's centre.
    4. Monte Carlo at that time: final-burn execution error (normal, ``dv_sigma_frac`` of the
       burn), ballistic coefficient (lognormal, ``bc_sigma_ln``) and density (lognormal 0.15,
       NRLMSIS vs measured densities) per sample; footprint with fragment dispersion; the
       outside probability is the share of samples with at least one fragment-class point
       outside the zone (each class is one point per sample: its pieces' own spread is not
       resolved, so this is an approximation of "any fragment").

Accuracy
    The orbit is treated as circular at the start; the two-body lowering arithmetic is exact
    for impulsive burns; the final trajectory is the re-entry engine's own.  Footprint length
    and position carry the fragment model's factor ~2 in ranges (see :mod:`deorbit.fragments`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from shapely.geometry import shape

from deorbit.cowell import kepler_to_state, propagate_to_altitude
from deorbit.decay import mean_orbit_from_element_set, to_datetime64
from deorbit.elements import ElementSet, format_utc
from deorbit.errors import InputError
from deorbit.footprint import (
    R_EARTH_KM,
    breakup_states_from_track,
    descent_range_km,
    footprint,
    move_on_sphere,
)
from deorbit.fragments import FragmentList, default_fragments
from deorbit.gravity import MU_KM3_S2, R_EQ_KM, j2_secular_rates_rad_s
from deorbit.vehicles import Vehicle, propellant_for_delta_v_kg

if TYPE_CHECKING:
    from deorbit.drag import DensityProvider
    from deorbit.geography import CountryMap, PopulationGrid

__all__ = [
    "NASA_STD_LAND_DISTANCE_KM",
    "POINT_NEMO",
    "DeorbitBurn",
    "DeorbitPlan",
    "TargetZone",
    "deorbit_plan_json",
    "load_zone",
    "plan_deorbit",
]

#: Point Nemo, the oceanic pole of inaccessibility (lat, lon deg; Lukatela 1992/2002).
POINT_NEMO = (-48.8767, -123.3933)
#: NASA-STD-8719.14 Req. 4.7-1b: controlled re-entry footprint at least 370 km (200 nmi)
#: from foreign landmasses.
NASA_STD_LAND_DISTANCE_KM = 370.0


@dataclass(frozen=True)
class TargetZone:
    """A target ocean zone: polygon (lon, lat degrees) and its aim point."""

    name: str
    polygon: Any  # shapely Polygon in (lon, lat)
    center_lat_deg: float
    center_lon_deg: float
    source: str

    def contains(self, lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
        return shapely.contains_xy(self.polygon, np.asarray(lon_deg), np.asarray(lat_deg))


def load_zone(path: str | None = None) -> TargetZone:
    """A zone from a GeoJSON file (first Polygon feature), or the shipped SPOUA by default.

    The aim point is ``center_lat_deg``/``center_lon_deg`` from the feature's properties or
    the polygon's representative point.  Zones crossing the antimeridian are not supported.
    (This is the one function here that reads a file: the CLI edge passes a path.)
    """
    if path is None:
        text = (resources.files("deorbit.data") / "zones" / "spoua.geojson").read_text()
        src = "deorbit/data/zones/spoua.geojson"
    else:
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise InputError(f"cannot read zone file: {exc}", source=str(path)) from None
        src = str(path)
    try:
        doc = json.loads(text)
        feat = doc["features"][0] if doc.get("type") == "FeatureCollection" else doc
        geom = shape(feat.get("geometry", feat))
        props = feat.get("properties") or {}
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise InputError(f"not a GeoJSON polygon: {exc}", source=src) from None
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty or not geom.is_valid:
        raise InputError("the zone must be one valid Polygon", source=src)
    if "center_lat_deg" in props:
        clat, clon = float(props["center_lat_deg"]), float(props["center_lon_deg"])
    else:
        p = geom.representative_point()
        clat, clon = p.y, p.x
    shapely.prepare(geom)
    return TargetZone(props.get("name", src), geom, clat, clon, src)


@dataclass(frozen=True)
class DeorbitBurn:
    """One impulsive burn of the campaign (retrograde)."""

    kind: str  # "lowering" or "final"
    epoch_utc: datetime | None  # the final burn's time; lowering burns are untimed
    delta_v_m_s: float
    perigee_before_km: float
    perigee_after_km: float
    apogee_km: float
    propellant_kg: float


@dataclass(frozen=True)
class DeorbitPlan:
    """The result of :func:`plan_deorbit`."""

    burns: list[DeorbitBurn]
    start_alt_km: float
    delta_v_total_m_s: float
    propellant_total_kg: float
    vehicle: Vehicle
    vehicle_sufficient: bool
    zone: TargetZone
    final_burn_utc: datetime
    #: Share of the fall weight of all fragment points that lands inside the zone.
    footprint_inside_probability: float
    #: Share of samples with at least one fragment-class point outside the zone.
    p_any_outside: float
    #: Footprint extent along track (km, nominal: shortest to longest fragment range).
    footprint_length_km: float
    impact_centre_lat_deg: float
    impact_centre_lon_deg: float
    aim_miss_km: float
    min_land_distance_km: float
    meets_nasa_std_370km: bool
    casualty_expectation: float | None
    n_samples: int
    samples_reentered: int
    footprint: Any = field(repr=False)
    warnings: list[str] = field(default_factory=list)


def _gc_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(np.asarray(lon2, float) - np.asarray(lon1, float))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * R_EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _apo_speed_km_s(r_apo: float, r_per: float) -> float:
    a = 0.5 * (r_apo + r_per)
    return math.sqrt(MU_KM3_S2 * (2.0 / r_apo - 1.0 / a))


def _min_land_distance_km(lat, lon, countries: CountryMap) -> float:
    """Smallest great-circle distance (km) from the points to any country boundary vertex
    (Natural Earth 1:50m; vertex spacing of a few km bounds the error) or 0 if a point is
    on land."""
    lat, lon = np.ravel(lat), np.ravel(lon)
    ok = np.isfinite(lat) & np.isfinite(lon)
    lat, lon = lat[ok], lon[ok]
    if lat.size == 0:
        return float("nan")
    if np.any(countries.lookup(lat, lon) >= 0):
        return 0.0
    blon = np.concatenate([b[0] for b in countries.boundaries()])
    blat = np.concatenate([b[1] for b in countries.boundaries()])
    keep = np.abs(blat) < 89.9
    blat, blon = blat[keep], blon[keep]
    # only the points' outline matters: thin them to their convex hull plus a sample
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([lon, lat])))
    hc = shapely.get_coordinates(hull)
    pts = np.vstack([hc, np.column_stack([lon, lat])[:: max(1, lat.size // 200)]])
    best = np.inf
    for px, py in pts:
        best = min(best, float(_gc_km(py, px, blat, blon).min()))
    return best


def plan_deorbit(
    es: ElementSet,
    *,
    vehicle: Vehicle,
    density: DensityProvider,
    mass_kg: float,
    bc_m2_per_kg: float,
    zone: TargetZone | None = None,
    start_utc: datetime | None = None,
    lowering_perigee_km: float = 150.0,
    final_perigee_km: float = 40.0,
    n_lowering_burns: int = 2,
    samples: int = 50,
    dv_sigma_frac: float = 0.02,
    bc_sigma_ln: float = 0.3,
    density_sigma_ln: float = 0.15,
    fragments: FragmentList | None = None,
    countries: CountryMap | None = None,
    population: PopulationGrid | None = None,
    seed: int = 1,
    search_days: float = 1.0,
) -> DeorbitPlan:
    """Plan a controlled deorbit of ``es`` into ``zone`` (default SPOUA); see the module doc.

    ``mass_kg`` is the stack mass (station + vehicle, the vehicle's ``added_mass_kg`` is
    added); ``density`` a provider covering ``start_utc`` + ``search_days`` (e.g.
    ``predict.build_density(...).nominal_provider``).  ``countries``/``population`` default to
    :func:`deorbit.geography.load_countries` / ``load_population``.  InputError when the zone
    is out of the orbit's reach (its aim latitude beyond the inclination) or the inputs are
    impossible.
    """
    from deorbit.geography import load_countries

    zone = zone or load_zone()
    m0 = mean_orbit_from_element_set(es)
    inc = float(m0.inc_deg[0])
    max_lat = inc if inc <= 90 else 180 - inc
    if abs(zone.center_lat_deg) > max_lat - 0.5:
        raise InputError(
            f"target zone {zone.name!r} is centred at latitude {zone.center_lat_deg:.1f} deg, "
            f"beyond the reach of an orbit inclined {inc:.1f} deg (ground track within "
            f"+-{max_lat:.1f} deg)",
            field="zone",
        )
    h0 = float(m0.a_km[0] - R_EQ_KM)
    if not (100.0 < lowering_perigee_km < h0):
        raise InputError(
            f"lowering perigee {lowering_perigee_km:g} km must lie between 100 km and the "
            f"start altitude {h0:.1f} km",
            field="lowering_perigee_km",
        )
    if not (-200.0 <= final_perigee_km < min(lowering_perigee_km, 80.0)):
        raise InputError(
            f"final perigee {final_perigee_km:g} km must be below 80 km (and >= -200 km)",
            field="final_perigee_km",
        )
    if not 1 <= samples <= 10_000 or n_lowering_burns < 1:
        raise InputError("samples must be 1..10000 and n_lowering_burns >= 1", field="samples")
    if not (mass_kg > 0 and 1e-6 <= bc_m2_per_kg <= 1.0):
        raise InputError("mass must be > 0 and BC in [1e-6, 1] m^2/kg", field="mass_kg")
    vehicle.check()
    start = es.epoch_utc if start_utc is None else start_utc
    countries = countries or load_countries()
    frags = fragments or default_fragments(mass_kg)
    surv = frags.surviving()

    # 1-2. burns (impulsive, at apogee = start altitude)
    r_apo = R_EQ_KM + h0
    perigees = np.linspace(h0, lowering_perigee_km, n_lowering_burns + 1)
    stack = mass_kg + vehicle.added_mass_kg
    burns: list[DeorbitBurn] = []
    mass = stack
    for hp_a, hp_b, kind in [
        *[(perigees[k], perigees[k + 1], "lowering") for k in range(n_lowering_burns)],
        (lowering_perigee_km, final_perigee_km, "final"),
    ]:
        dv = 1e3 * (_apo_speed_km_s(r_apo, R_EQ_KM + hp_a) - _apo_speed_km_s(r_apo, R_EQ_KM + hp_b))
        mp = propellant_for_delta_v_kg(dv, mass, vehicle.isp_s)
        mass -= mp
        burns.append(DeorbitBurn(kind, None, dv, float(hp_a), float(hp_b), h0, mp))
    dv_final = burns[-1].delta_v_m_s
    n_rad_s = math.sqrt(MU_KM3_S2 / r_apo**3)
    raan_dot, _, _ = j2_secular_rates_rad_s(np.array([r_apo]), np.array([0.0]), np.radians([inc]))
    t0_64 = to_datetime64(start)
    u0 = float(m0.mean_arg_lat_deg[0]) + math.degrees(
        n_rad_s * (start - es.epoch_utc).total_seconds()
    )
    raan0 = float(m0.raan_deg[0]) + math.degrees(
        float(raan_dot[0]) * (start - es.epoch_utc).total_seconds()
    )
    beta_min, beta_max = float(surv.beta_kg_m2.min()), float(surv.beta_kg_m2.max())

    def fly(t_s: np.ndarray, dv_scale: np.ndarray, bc: np.ndarray, scale: np.ndarray):
        """Post-burn Cowell flights for burn times t_s (s after start)."""
        u_b = u0 + np.degrees(n_rad_s * t_s)
        raan = raan0 + np.degrees(float(raan_dot[0]) * t_s)
        # the burn delta-v error changes the perigee: v_apo after = v_apo(before) - dv
        v_before = _apo_speed_km_s(r_apo, R_EQ_KM + lowering_perigee_km)
        v_after = v_before - 1e-3 * dv_final * dv_scale
        a = 1.0 / (2.0 / r_apo - v_after**2 / MU_KM3_S2)
        e = (r_apo - a) / a
        r, v = kepler_to_state(a, e, inc, raan, u_b + 180.0, 180.0)
        ep = t0_64 + np.round(t_s * 1e9).astype("timedelta64[ns]")
        res = propagate_to_altitude(
            r, v, ep, bc, density, density_scale=scale, stop_alt_km=80.0,
            max_days=0.2, abm_step_s=60.0, track_every=1,
        )  # fmt: skip
        return res, breakup_states_from_track(res.track)

    def centres(states) -> tuple[np.ndarray, np.ndarray]:
        ok = states.valid
        g = np.where(ok, states.gamma_deg, -1.0)
        s = np.where(ok, states.speed_km_s, 7.4)
        mid = 0.5 * (descent_range_km(beta_min, g, s) + descent_range_km(beta_max, g, s))
        la, lo = move_on_sphere(
            np.where(ok, states.lat_deg, 0.0),
            np.where(ok, states.lon_deg, 0.0),
            np.where(ok, states.heading_deg, 0.0),
            mid,
        )
        return np.where(ok, la, np.nan), np.where(ok, lo, np.nan)

    period_s = 2 * math.pi / n_rad_s
    ones = np.ones(1)
    t_grid = np.arange(0.0, search_days * 86400.0, period_s / 8.0)
    best_t = 0.0
    for span, count in ((None, None), (period_s / 8.0, 25), (period_s / 8.0 / 12.0, 21)):
        if span is not None:
            t_grid = best_t + np.linspace(-span, span, count)
            t_grid = t_grid[t_grid >= 0.0]
        _, st = fly(t_grid, np.ones(t_grid.size), np.full(t_grid.size, bc_m2_per_kg),
                    np.ones(t_grid.size))  # fmt: skip
        la, lo = centres(st)
        miss = _gc_km(la, lo, zone.center_lat_deg, zone.center_lon_deg)
        miss = np.where(np.isfinite(miss), miss, np.inf)
        best_t = float(t_grid[int(np.argmin(miss))])
    _, st1 = fly(np.array([best_t]), ones, ones * bc_m2_per_kg, ones)
    cla, clo = centres(st1)
    aim_miss = float(_gc_km(cla, clo, zone.center_lat_deg, zone.center_lon_deg)[0])

    # 4. Monte Carlo at the chosen time
    rng = np.random.default_rng(seed)
    r_dv, r_bc, r_rho, r_fp = (
        np.random.default_rng(s) for s in rng.bit_generator.seed_seq.spawn(4)
    )
    n = samples
    dv_scale = 1.0 + dv_sigma_frac * r_dv.standard_normal(n)
    bc = bc_m2_per_kg * np.exp(bc_sigma_ln * r_bc.standard_normal(n))
    scale = np.exp(density_sigma_ln * r_rho.standard_normal(n))
    res, states = fly(np.full(n, best_t), dv_scale, bc, scale)
    warnings: list[str] = []
    if not states.valid.any():
        raise InputError(
            "no Monte Carlo sample re-entered: check the final perigee", field="final_perigee_km"
        )
    fp = footprint(states, frags, countries, rng=r_fp)
    pts = fp.points
    inside = np.zeros(pts.lat_deg.shape, dtype=bool)
    okp = pts.valid
    inside[okp] = zone.contains(pts.lat_deg[okp], pts.lon_deg[okp])
    inside_prob = float(fp.weight_fall[inside].sum())
    any_out = ~okp | ~inside.all(axis=1)
    p_out = float(any_out.mean())
    nominal_pts_len = float(
        descent_range_km(beta_max, st1.gamma_deg, st1.speed_km_s)[0]
        - descent_range_km(beta_min, st1.gamma_deg, st1.speed_km_s)[0]
    )
    land_km = _min_land_distance_km(pts.lat_deg[okp], pts.lon_deg[okp], countries)
    ec = None
    try:
        from deorbit.geography.population import load_population

        pop = population or load_population()
        from deorbit.casualty import expected_casualties

        ec = expected_casualties(fp, pop).ec
    except (OSError, FileNotFoundError) as exc:  # population grid not installed
        warnings.append(f"population grid unavailable, no casualty expectation: {exc}")
    dv_total = float(sum(b.delta_v_m_s for b in burns))
    mp_total = float(sum(b.propellant_kg for b in burns))
    if mp_total > vehicle.propellant_kg:
        warnings.append(
            f"{vehicle.name} carries {vehicle.propellant_kg:,.0f} kg but the plan needs "
            f"{mp_total:,.0f} kg"
        )
    final_utc = start + timedelta(seconds=best_t)
    burns[-1] = DeorbitBurn(**{**burns[-1].__dict__, "epoch_utc": final_utc})
    return DeorbitPlan(
        burns=burns,
        start_alt_km=h0,
        delta_v_total_m_s=dv_total,
        propellant_total_kg=mp_total,
        vehicle=vehicle,
        vehicle_sufficient=mp_total <= vehicle.propellant_kg,
        zone=zone,
        final_burn_utc=final_utc.astimezone(UTC),
        footprint_inside_probability=inside_prob,
        p_any_outside=p_out,
        footprint_length_km=nominal_pts_len,
        impact_centre_lat_deg=float(cla[0]),
        impact_centre_lon_deg=float(clo[0]),
        aim_miss_km=aim_miss,
        min_land_distance_km=land_km,
        meets_nasa_std_370km=bool(land_km >= NASA_STD_LAND_DISTANCE_KM),
        casualty_expectation=ec,
        n_samples=n,
        samples_reentered=int(res.reentered.sum()),
        footprint=fp,
        warnings=warnings,
    )


def deorbit_plan_json(plan: DeorbitPlan) -> dict[str, Any]:
    """The JSON answer of ``deorbit deorbit-plan``."""
    v = plan.vehicle
    return {
        "start_alt_km": round(plan.start_alt_km, 3),
        "delta_v_total_m_s": round(plan.delta_v_total_m_s, 3),
        "propellant_total_kg": round(plan.propellant_total_kg, 1),
        "vehicle": {
            "key": v.key,
            "name": v.name,
            "propellant_kg": v.propellant_kg,
            "isp_s": v.isp_s,
            "source": v.source,
        },  # fmt: skip
        "vehicle_sufficient": plan.vehicle_sufficient,
        "burns": [
            {
                "kind": b.kind,
                "epoch_utc": format_utc(b.epoch_utc) if b.epoch_utc else None,
                "delta_v_m_s": round(b.delta_v_m_s, 3),
                "perigee_before_km": round(b.perigee_before_km, 2),
                "perigee_after_km": round(b.perigee_after_km, 2),
                "apogee_km": round(b.apogee_km, 2),
                "propellant_kg": round(b.propellant_kg, 1),
            }
            for b in plan.burns
        ],
        "zone": {"name": plan.zone.name, "source": plan.zone.source},
        "impact_centre": {
            "lat_deg": round(plan.impact_centre_lat_deg, 3),
            "lon_deg": round(plan.impact_centre_lon_deg, 3),
        },  # fmt: skip
        "aim_miss_km": round(plan.aim_miss_km, 1),
        "footprint_length_km": round(plan.footprint_length_km, 1),
        "footprint_inside_probability": round(plan.footprint_inside_probability, 4),
        "p_any_fragment_outside": round(plan.p_any_outside, 4),
        "min_land_distance_km": round(plan.min_land_distance_km, 1),
        "meets_nasa_std_8719_14_370km": plan.meets_nasa_std_370km,
        "casualty_expectation": plan.casualty_expectation,
        "samples": plan.n_samples,
        "samples_reentered": plan.samples_reentered,
        "warnings": plan.warnings,
    }


def after_natural_decay(es: ElementSet, alt_km: float) -> ElementSet:
    """The element set of ``es``'s orbit once drag has lowered it to a circular ``alt_km``.

    Plans such as NASA's for the ISS let the atmosphere do the first part of the lowering (to
    about 330 km) before the deorbit vehicle burns.  The returned set keeps the epoch, the
    orientation and the drag terms of ``es`` and sets the mean motion of a circular orbit whose
    semi-major axis is ``R_eq + alt_km`` (eccentricity zero): a starting orbit for
    :func:`plan_deorbit`, not a prediction of when that altitude is reached.
    """
    from dataclasses import replace

    current = es.semi_major_axis_km - R_EQ_KM
    if not 150.0 <= alt_km < current:
        raise InputError(
            f"--decay-to-km {alt_km:g} must lie between 150 km and the orbit's mean altitude "
            f"({current:.0f} km)",
            field="--decay-to-km",
        )
    a_km = R_EQ_KM + alt_km
    n_rev_day = math.sqrt(MU_KM3_S2 / a_km**3) * 86400.0 / (2.0 * math.pi)
    return replace(es, mean_motion_rev_per_day=n_rev_day, eccentricity=0.0)


def require_enough_propellant(plan: DeorbitPlan) -> DeorbitPlan:
    """Raise InputError (with what would work) when the vehicle cannot fly the plan."""
    if plan.propellant_total_kg <= plan.vehicle.propellant_kg:
        return plan
    raise InputError(
        f"{plan.vehicle.name} carries {plan.vehicle.propellant_kg:,.0f} kg of propellant but "
        f"this plan needs {plan.propellant_total_kg:,.0f} kg ({plan.delta_v_total_m_s:.1f} m/s "
        f"from {plan.start_alt_km:.0f} km): let drag lower the orbit first (--decay-to-km, "
        "e.g. 330 as NASA's ISS plan does) or choose a bigger vehicle",
        field="--vehicle",
    )
