"""Station-keeping budget: how much delta-v and propellant keep a station inside an altitude band.

What
    :func:`plan_reboosts` flies the station's decay forward from an element set with the same
    orbit-averaged drag model as the re-entry prediction (:func:`deorbit.decay.propagate_decay`,
    NRLMSIS through the density provider, space weather observed or as known at a date) and
    reboosts it to the top of the band ``[band_low_km, band_high_km]`` (mean altitude
    a - R_eq) every time it decays to the bottom.  It returns every burn and the yearly delta-v
    and propellant (rocket equation on the station's mass, :mod:`deorbit.vehicles`).

Method
    * The orbit is taken as circular at the element set's geometric mean semi-major axis
      (:func:`deorbit.decay.mean_orbit_from_element_set`; ISS e ~ 0.0005-0.001, +-3-7 km
      between perigee and apogee, which changes the decay rate by well under the density
      model's ~15 % error).  Each decay leg is one ``propagate_decay`` call that stops when the
      (mean) altitude reaches ``band_low_km`` (its handover criterion, located by linear
      interpolation inside the step), with 2-day / 4 km step caps, the re-entry prediction's
      converged settings (docs/notes/decay.md).
    * Impulsive reboost: the Hohmann transfer between circular orbits r1 -> r2:
      dv1 = sqrt(mu/r1) (sqrt(2 r2/(r1+r2)) - 1), dv2 = sqrt(mu/r2) (1 - sqrt(2 r1/(r1+r2)))
      (Vallado 2013, alg. 36).  For a small change dv ~ (v / 2a) da.
    * ``finite_burns=True``: constant tangential thrust from the vehicle, spread over as long
      as it takes.  On a near-circular orbit tangential thrust gives d(a^-1/2)/dt = -F/(m sqrt mu),
      so the delta-v is exactly sqrt(mu/r1) - sqrt(mu/r2) (the low-thrust spiral, Edelbaum
      1961) whatever the arc; it exceeds Hohmann only at third order (1.5e-6 m/s for
      400 -> 420 km).  The burn durations are reported (m_p g0 Isp / F).
    * Node, perigee and phase carry on through a reboost (only a changes); the decay leg after
      it starts from the raised circular orbit.

Accuracy
    The delta-v per year scales with the density: NRLMSIS's ~15 % (1-sigma) model error and the
    ballistic coefficient (the ISS's published 1,600 m^2 x 2.2 / 420 t is +-30 %) dominate.
    See docs/notes/station_keeping.md for the validation against the ISS element history.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from deorbit.decay import MeanOrbit, mean_orbit_from_element_set, propagate_decay
from deorbit.elements import ElementSet, format_utc
from deorbit.errors import InputError
from deorbit.gravity import MU_KM3_S2, R_EQ_KM
from deorbit.vehicles import Vehicle, burn_duration_s, propellant_for_delta_v_kg

if TYPE_CHECKING:
    from deorbit.drag import DensityProvider
    from deorbit.objects import ResolvedObject
    from deorbit.predict import Prediction, PredictOptions

__all__ = [
    "MIN_BAND_KM",
    "Reboost",
    "ReboostPlan",
    "hohmann_delta_v_m_s",
    "plan_reboosts",
    "reboost_json",
    "spiral_delta_v_m_s",
    "stop_reboost_prediction",
]

#: Lowest band edge accepted (km): below it the orbit-averaged theory fails (decay per
#: revolution > 10 % of the scale height, docs/notes/decay.md).
MIN_BAND_KM = 150.0
_DAY_S = 86400.0


def hohmann_delta_v_m_s(from_alt_km: float, to_alt_km: float) -> tuple[float, float]:
    """The two impulses (m/s, both >= 0) of a Hohmann transfer between circular orbits at
    mean altitudes ``from_alt_km`` and ``to_alt_km`` above the equatorial radius."""
    r1, r2 = R_EQ_KM + from_alt_km, R_EQ_KM + to_alt_km
    s = math.sqrt(2.0 * r2 / (r1 + r2))
    dv1 = math.sqrt(MU_KM3_S2 / r1) * abs(s - 1.0)
    dv2 = math.sqrt(MU_KM3_S2 / r2) * abs(1.0 - math.sqrt(2.0 * r1 / (r1 + r2)))
    return 1e3 * dv1, 1e3 * dv2


def spiral_delta_v_m_s(from_alt_km: float, to_alt_km: float) -> float:
    """|sqrt(mu/r1) - sqrt(mu/r2)| (m/s): tangential continuous thrust between circular orbits."""
    r1, r2 = R_EQ_KM + from_alt_km, R_EQ_KM + to_alt_km
    return 1e3 * abs(math.sqrt(MU_KM3_S2 / r1) - math.sqrt(MU_KM3_S2 / r2))


@dataclass(frozen=True)
class Reboost:
    """One reboost (both impulses of the transfer, or the finite burn)."""

    epoch_utc: datetime
    delta_v_m_s: float
    from_alt_km: float
    to_alt_km: float
    propellant_kg: float
    #: Total firing time with the vehicle's thrust (s).
    duration_s: float

    def __iter__(self):  # (epoch_utc, delta_v_m_s, from_alt_km, to_alt_km), as in the issue
        return iter((self.epoch_utc, self.delta_v_m_s, self.from_alt_km, self.to_alt_km))


@dataclass(frozen=True)
class ReboostPlan:
    """The result of :func:`plan_reboosts`."""

    burns: list[Reboost]
    start_utc: datetime
    end_utc: datetime
    years: float
    band_low_km: float
    band_high_km: float
    vehicle: Vehicle
    mass_kg: float
    bc_m2_per_kg: float
    finite_burns: bool
    delta_v_total_m_s: float
    propellant_total_kg: float
    #: Mean altitude (km) at the end of the simulation.
    end_alt_km: float
    #: Decay curve: days since start and mean altitude (km), reboosts included.
    t_days: np.ndarray = field(repr=False)
    alt_km: np.ndarray = field(repr=False)
    warnings: list[str] = field(default_factory=list)

    @property
    def n_burns(self) -> int:
        return len(self.burns)

    @property
    def delta_v_m_s_per_year(self) -> float:
        return self.delta_v_total_m_s / self.years

    @property
    def propellant_kg_per_year(self) -> float:
        return self.propellant_total_kg / self.years

    @property
    def vehicle_loads_per_year(self) -> float:
        """Propellant per year in units of the vehicle's usable propellant."""
        return self.propellant_kg_per_year / self.vehicle.propellant_kg


def _check_inputs(band_low_km, band_high_km, years, mass_kg, bc_m2_per_kg) -> None:
    if not (math.isfinite(band_low_km) and math.isfinite(band_high_km)):
        raise InputError("band edges must be finite", field="band")
    if band_low_km >= band_high_km:
        raise InputError(
            f"the band's lower edge {band_low_km:g} km must be below its upper edge "
            f"{band_high_km:g} km",
            field="band_low_km",
        )
    if band_low_km < MIN_BAND_KM:
        raise InputError(
            f"the band's lower edge {band_low_km:g} km is below {MIN_BAND_KM:g} km: no orbit "
            "can be kept there (it decays within a day)",
            field="band_low_km",
        )
    if band_high_km > 2000.0:
        raise InputError(
            f"band upper edge {band_high_km:g} km is not low Earth orbit", field="band"
        )
    if not (math.isfinite(years) and 0 < years <= 30):
        raise InputError(f"years must be in (0, 30], got {years:g}", field="years")
    if not (math.isfinite(mass_kg) and mass_kg > 0):
        raise InputError(f"mass must be positive, got {mass_kg:g} kg", field="mass_kg")
    if not (math.isfinite(bc_m2_per_kg) and 1e-6 <= bc_m2_per_kg <= 1.0):
        raise InputError(
            f"ballistic coefficient {bc_m2_per_kg:g} m^2/kg is outside [1e-6, 1]",
            field="bc_m2_per_kg",
        )


def plan_reboosts(
    es: ElementSet,
    *,
    band_low_km: float,
    band_high_km: float,
    years: float,
    vehicle: Vehicle,
    density: DensityProvider,
    bc_m2_per_kg: float,
    mass_kg: float,
    start_utc: datetime | None = None,
    finite_burns: bool = False,
    max_step_days: float = 2.0,
    max_da_km: float = 4.0,
) -> ReboostPlan:
    """Keep the orbit of ``es`` in the band for ``years``; return every reboost and the budget.

    ``start_utc`` (default: the element set's epoch) must not precede the epoch by more than
    an hour; the orbit is taken at the set's epoch (propagating a TLE forward to ``start_utc``
    first is the caller's business: give the set nearest to it).  If the start altitude is
    above the band the station first decays into it; if it is below, the first reboost
    happens at the start.  ``density`` must cover the span (``predict.build_density`` with
    ``last_utc`` = start + years).  Raises InputError for an impossible band, ``years`` <= 0,
    or a vehicle whose propellant cannot pay for one reboost across the band.
    """
    _check_inputs(band_low_km, band_high_km, years, mass_kg, bc_m2_per_kg)
    vehicle.check()
    dv1, dv2 = hohmann_delta_v_m_s(band_low_km, band_high_km)
    dv_band = spiral_delta_v_m_s(band_low_km, band_high_km) if finite_burns else dv1 + dv2
    mp_band = propellant_for_delta_v_kg(dv_band, mass_kg, vehicle.isp_s)
    if mp_band > vehicle.propellant_kg:
        raise InputError(
            f"{vehicle.name} carries {vehicle.propellant_kg:g} kg of usable propellant, but one "
            f"reboost from {band_low_km:g} to {band_high_km:g} km ({dv_band:.2f} m/s on "
            f"{mass_kg:,.0f} kg) needs {mp_band:,.0f} kg: narrow the band or choose another vehicle",
            field="vehicle",
        )
    start = es.epoch_utc if start_utc is None else start_utc
    if start.tzinfo is None:
        raise InputError("start time must be tz-aware UTC", field="start_utc")
    if start < es.epoch_utc - timedelta(hours=1):
        raise InputError(
            f"start {format_utc(start)} precedes the element set epoch {format_utc(es.epoch_utc)}",
            field="start_utc",
        )
    m0 = mean_orbit_from_element_set(es)
    orbit = MeanOrbit.make(
        start, m0.a_km, 0.0, m0.inc_deg, m0.raan_deg, 0.0, m0.mean_arg_lat_deg
    )  # circular (module docstring)
    end = start + timedelta(days=365.25 * years)
    t_days: list[np.ndarray] = []
    alt: list[np.ndarray] = []
    burns: list[Reboost] = []
    warnings: list[str] = []
    mass = float(mass_kg)

    def elapsed_days(t64: np.datetime64) -> float:
        return (
            float(
                (t64 - np.datetime64(start.astimezone(UTC).replace(tzinfo=None), "ns"))
                / np.timedelta64(1, "s")
            )
            / _DAY_S
        )

    total_days = (end - start) / timedelta(days=1)
    while True:
        now = elapsed_days(orbit.epoch_utc[0])
        alt_now = float(orbit.a_km[0] - R_EQ_KM)
        if alt_now <= band_low_km + 1e-6:
            epoch = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
                microseconds=int(orbit.epoch_utc[0].astype("datetime64[us]").astype(np.int64))
            )
            if finite_burns:
                dv = spiral_delta_v_m_s(alt_now, band_high_km)
            else:
                dv = sum(hohmann_delta_v_m_s(alt_now, band_high_km))
            mp = propellant_for_delta_v_kg(dv, mass, vehicle.isp_s)
            dur = burn_duration_s(dv, mass, vehicle.thrust_n, vehicle.isp_s)
            burns.append(Reboost(epoch, dv, alt_now, band_high_km, mp, dur))
            t_days.append(np.array([now, now]))
            alt.append(np.array([alt_now, band_high_km]))
            orbit = MeanOrbit.make(
                orbit.epoch_utc, R_EQ_KM + band_high_km, 0.0, orbit.inc_deg, orbit.raan_deg,
                0.0, orbit.mean_arg_lat_deg,
            )  # fmt: skip
        remaining = total_days - now
        if remaining <= 1e-9:
            break
        res = propagate_decay(
            orbit,
            bc_m2_per_kg,
            density,
            handover_alt_km=band_low_km,
            max_days=remaining,
            max_step_days=max_step_days,
            max_da_km=max_da_km,
            record_history=True,
        )
        h = res.history
        t_days.append(np.array([elapsed_days(t) for t in h.t_utc[:, 0]]))
        alt.append(h.mean_alt_km[:, 0])
        e = float(res.orbit.e[0])
        if e > 0.01:
            warnings.append(f"eccentricity grew to {e:.3g} during a decay leg")
        # keep it circular at the decayed mean altitude
        orbit = MeanOrbit.make(
            res.orbit.epoch_utc, res.orbit.a_km, 0.0, res.orbit.inc_deg, res.orbit.raan_deg,
            0.0, res.orbit.mean_arg_lat_deg,
        )  # fmt: skip
        if not res.handed_over[0]:
            break
    dv_total = float(sum(b.delta_v_m_s for b in burns))
    mp_total = float(sum(b.propellant_kg for b in burns))
    return ReboostPlan(
        burns=burns,
        start_utc=start,
        end_utc=end,
        years=float(years),
        band_low_km=float(band_low_km),
        band_high_km=float(band_high_km),
        vehicle=vehicle,
        mass_kg=mass,
        bc_m2_per_kg=float(bc_m2_per_kg),
        finite_burns=finite_burns,
        delta_v_total_m_s=dv_total,
        propellant_total_kg=mp_total,
        end_alt_km=float(orbit.a_km[0] - R_EQ_KM),
        t_days=np.concatenate(t_days) if t_days else np.zeros(0),
        alt_km=np.concatenate(alt) if alt else np.zeros(0),
        warnings=warnings,
    )


def reboost_json(plan: ReboostPlan) -> dict[str, Any]:
    """The JSON answer of ``deorbit reboost``."""
    v = plan.vehicle
    return {
        "start_utc": format_utc(plan.start_utc),
        "end_utc": format_utc(plan.end_utc),
        "years": plan.years,
        "band_km": [plan.band_low_km, plan.band_high_km],
        "mass_kg": plan.mass_kg,
        "ballistic_coefficient_m2_per_kg": plan.bc_m2_per_kg,
        "finite_burns": plan.finite_burns,
        "vehicle": {
            "key": v.key,
            "name": v.name,
            "thrust_n": v.thrust_n,
            "isp_s": v.isp_s,
            "propellant_kg": v.propellant_kg,
            "source": v.source,
        },
        "n_burns": plan.n_burns,
        "delta_v_total_m_s": round(plan.delta_v_total_m_s, 4),
        "delta_v_m_s_per_year": round(plan.delta_v_m_s_per_year, 4),
        "propellant_kg_per_year": round(plan.propellant_kg_per_year, 2),
        "vehicle_loads_per_year": round(plan.vehicle_loads_per_year, 3),
        "end_alt_km": round(plan.end_alt_km, 3),
        "burns": [
            {
                "epoch_utc": format_utc(b.epoch_utc),
                "delta_v_m_s": round(b.delta_v_m_s, 4),
                "from_alt_km": round(b.from_alt_km, 3),
                "to_alt_km": round(b.to_alt_km, 3),
                "propellant_kg": round(b.propellant_kg, 2),
                "duration_s": round(b.duration_s, 1),
            }
            for b in plan.burns
        ],
        "warnings": plan.warnings,
    }


def stop_reboost_prediction(
    obj: ResolvedObject, stop_utc: datetime, options: PredictOptions | None = None
) -> Prediction:
    """The re-entry prediction if reboosts stop at ``stop_utc``: ``run_prediction`` as of
    ``stop_utc`` with ``no_reboost=True`` (other options from ``options``, default ones
    otherwise).  The lead reports its window (``prediction_json``) and risk from it."""
    from dataclasses import replace

    from deorbit.predict import PredictOptions, run_prediction

    if stop_utc.tzinfo is None:
        raise InputError("the stop date must be tz-aware UTC", field="stop_utc")
    base = options or PredictOptions()
    return run_prediction(obj, replace(base, as_of_utc=stop_utc, no_reboost=True))
