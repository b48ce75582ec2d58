"""Propulsion presets for station keeping and controlled deorbit, and the rocket equation.

What
    A :class:`Vehicle` is what pushes the station: thrust (N), specific impulse (s) and the
    propellant usable for pushing the station (kg), each with the source it comes from or the
    word *assumed*.  :func:`propellant_for_delta_v_kg` and :func:`delta_v_for_propellant_m_s`
    are Tsiolkovsky's rocket equation applied to the *whole stack* (station + docked vehicles):
    a reboost of the ISS moves ~420 t, so a vehicle's own dry mass is irrelevant next to it,
    except for the deorbit vehicle, whose wet mass is added when it is given.

Rocket equation
    dv = g0 Isp ln(m0 / m1), g0 = 9.80665 m/s^2 (standard gravity, CGPM 1901).  The propellant
    for dv from a stack of initial mass m0 is m0 (1 - exp(-dv / (g0 Isp))).  Exact for an
    impulsive or a finite burn along the velocity (no gravity or steering losses: near-circular
    orbit-raising and lowering burns lose nothing to first order, see :mod:`deorbit.reboost`).

Presets and their sources (every number carries one; 'assumed' says when it is not public)
    * ``progress-ms``: Progress MS's integrated propulsion system (KTDU-80), SKD main engine
      2.95 kN, Isp 302 s (RSC Energia, Progress MS description; also Wikipedia "Progress MS").
      Routine ISS reboosts from Zvezda's aft port are flown on Progress's DPO thrusters or the
      SKD; both burn the same UDMH/N2O4 at Isp ~ 300 s.  Reboost propellant 705 kg: the
      propellant manifest of Progress MS-06 (Wikipedia "Progress MS-06"; Spaceflight Insider,
      June 2017), taken as what one Progress makes available to the station per flight.
    * ``zvezda``: the two main engines of the Zvezda service module, 2 x 3.07 kN, Isp 305 s
      (Khrunichev / RSC Energia Zvezda fact sheets as quoted by NASA's ISS assembly press kit,
      2000).  Usable propellant: *assumed* 860 kg (Zvezda's tanks are refilled from Progress;
      the figure is the order of one Progress delivery and is not a published number).
    * ``cygnus``: the enhanced Cygnus reboost capability (first full use NG-17, June 2022):
      the delta-velocity engine (IHI BT-4 class), thrust 450 N, Isp 310 s (Northrop Grumman
      Cygnus fact sheet; IHI Aerospace BT-4 data).  Cross-check from public burn reports: NG-17
      fired 301 s and raised perigee 0.8 km, apogee 0.2 km (Universe Today, 28 June 2022) i.e.
      dv ~ 0.28 m/s on ~440 t -> ~410 N; NG-19 fired 22 min 48 s for +4.5 km perigee,
      +0.5 km apogee (Aviation Week, Aug 2023) -> ~460 N.  Reboost propellant *assumed*
      300 kg (NASA has not published the reboost allocation).
    * ``dragon-boost-trunk``: the Cargo Dragon trunk boost kit (first burn 3 Sept 2025 on CRS-33:
      two Draco engines, independent propellant system, 5 min 3 s burn, perigee +1 mile; NASA
      space station blog, 3 Sept 2025).  Draco: 400 N, Isp 300 s (SpaceX Dragon fact sheet).
      Capacity: "about 20 mph" (8.9 m/s) to the station, ~1.5 Progress-equivalents
      (NASA/SpaceX pre-launch briefing, Aug 2025, as reported); propellant derived from it by
      the rocket equation on 450 t: ~1,360 kg.  (CRS-31, Nov 2024, made the first Dragon
      reboost test with the capsule's own Dracos; the trunk kit is the CRS-33-era hardware.)
    * ``usdv``: NASA's US Deorbit Vehicle (SpaceX contract of 26 June 2024, up to $843 M; NASA
      release "NASA Selects International Space Station US Deorbit Vehicle").  Public: based
      on Dragon heritage with a new, larger trunk (NASA ISS program, June 2024).  Reported in
      the press from SpaceX's ISS R&D Conference talk (July 2024): 46 Draco thrusters and about
      16,000 kg of propellant.  *Assumed* here: Isp 300 s (Draco), thrust 46 x 400 N, and a
      wet mass of 30,000 kg (its dry mass is not public).  Treat every USDV number as a
      planning assumption, not a specification.

Custom vehicles: :func:`custom_vehicle` (``--thrust-n/--isp-s/--propellant-kg``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from deorbit.errors import InputError

__all__ = [
    "G0_M_S2",
    "VEHICLES",
    "Vehicle",
    "burn_duration_s",
    "custom_vehicle",
    "delta_v_for_propellant_m_s",
    "get_vehicle",
    "propellant_for_delta_v_kg",
]

#: Standard gravity (m/s^2), the conventional g0 of specific impulse.
G0_M_S2 = 9.80665


@dataclass(frozen=True)
class Vehicle:
    """A propulsion source for the station (see the module docstring for the presets)."""

    key: str
    name: str
    thrust_n: float
    isp_s: float
    #: Propellant usable for pushing the station (kg).
    propellant_kg: float
    #: Mass the vehicle adds to the stack when it is not already counted in it (kg), 0 if it
    #: is (cargo ships docked during station keeping are part of the station's ~420-450 t).
    added_mass_kg: float
    source: str

    @property
    def exhaust_velocity_m_s(self) -> float:
        """g0 Isp (m/s)."""
        return G0_M_S2 * self.isp_s

    def check(self) -> None:
        """Reject non-physical values with InputError."""
        for name, value, lo, hi in (
            ("thrust_n", self.thrust_n, 1e-3, 1e7),
            ("isp_s", self.isp_s, 50.0, 1e4),
            ("propellant_kg", self.propellant_kg, 0.0, 1e7),
            ("added_mass_kg", self.added_mass_kg, 0.0, 1e7),
        ):
            if not (math.isfinite(value) and lo <= value <= hi):
                raise InputError(
                    f"vehicle {self.key}: {name} must be between {lo:g} and {hi:g}, got {value:g}",
                    field=name,
                )

    def max_delta_v_m_s(self, stack_mass_kg: float) -> float:
        """Delta-v all its propellant gives a stack of ``stack_mass_kg`` (+ ``added_mass_kg``)."""
        return delta_v_for_propellant_m_s(
            self.propellant_kg, stack_mass_kg + self.added_mass_kg, self.isp_s
        )


def _check_mass_isp(mass_kg: float, isp_s: float) -> None:
    if not (math.isfinite(mass_kg) and mass_kg > 0):
        raise InputError(f"mass must be positive, got {mass_kg:g} kg", field="mass_kg")
    if not (math.isfinite(isp_s) and isp_s > 0):
        raise InputError(f"Isp must be positive, got {isp_s:g} s", field="isp_s")


def propellant_for_delta_v_kg(delta_v_m_s: float, initial_mass_kg: float, isp_s: float) -> float:
    """Propellant (kg) for ``delta_v_m_s`` from a stack of ``initial_mass_kg``:
    m0 (1 - exp(-dv / (g0 Isp)))."""
    _check_mass_isp(initial_mass_kg, isp_s)
    if not (math.isfinite(delta_v_m_s) and delta_v_m_s >= 0):
        raise InputError(f"delta-v must be >= 0, got {delta_v_m_s:g} m/s", field="delta_v_m_s")
    return initial_mass_kg * -math.expm1(-delta_v_m_s / (G0_M_S2 * isp_s))


def delta_v_for_propellant_m_s(propellant_kg: float, initial_mass_kg: float, isp_s: float) -> float:
    """Delta-v (m/s) of burning ``propellant_kg`` from a stack of ``initial_mass_kg``:
    g0 Isp ln(m0 / (m0 - mp))."""
    _check_mass_isp(initial_mass_kg, isp_s)
    if not (0.0 <= propellant_kg < initial_mass_kg):
        raise InputError(
            f"propellant {propellant_kg:g} kg must be >= 0 and below the stack mass "
            f"{initial_mass_kg:g} kg",
            field="propellant_kg",
        )
    return G0_M_S2 * isp_s * -math.log1p(-propellant_kg / initial_mass_kg)


def burn_duration_s(
    delta_v_m_s: float, initial_mass_kg: float, thrust_n: float, isp_s: float
) -> float:
    """Duration (s) of a constant-thrust burn giving ``delta_v_m_s``: m_p g0 Isp / F."""
    mp = propellant_for_delta_v_kg(delta_v_m_s, initial_mass_kg, isp_s)
    return mp * G0_M_S2 * isp_s / thrust_n


VEHICLES: dict[str, Vehicle] = {
    v.key: v
    for v in (
        Vehicle(
            "progress-ms",
            "Progress MS (KTDU-80 SKD / DPO)",
            2950.0,
            302.0,
            705.0,
            0.0,
            "RSC Energia Progress MS (SKD 2.95 kN, Isp 302 s); propellant: Progress MS-06 "
            "manifest, 705 kg (Wikipedia 'Progress MS-06'; Spaceflight Insider, June 2017)",
        ),
        Vehicle(
            "zvezda",
            "Zvezda service module main engines",
            2 * 3070.0,
            305.0,
            860.0,
            0.0,
            "Zvezda main engines 2 x 3.07 kN, Isp 305 s (NASA ISS assembly press kit, 2000); "
            "usable propellant 860 kg ASSUMED (not published)",
        ),
        Vehicle(
            "cygnus",
            "Cygnus enhanced reboost (delta-velocity engine)",
            450.0,
            310.0,
            300.0,
            0.0,
            "Northrop Grumman Cygnus (BT-4 class DVE, ~450 N, Isp ~310 s); NG-17 301 s burn "
            "+0.8/+0.2 km (Universe Today 2022-06-28) implies ~410 N; propellant 300 kg ASSUMED",
        ),
        Vehicle(
            "dragon-boost-trunk",
            "Cargo Dragon trunk boost kit (2 Draco)",
            2 * 400.0,
            300.0,
            1360.0,
            0.0,
            "NASA ISS blog 2025-09-03 (2 trunk Dracos, 5 min 3 s test burn); Draco 400 N, Isp "
            "300 s (SpaceX); propellant derived from the reported ~8.9 m/s (20 mph) capacity",
        ),
        Vehicle(
            "usdv",
            "US Deorbit Vehicle (SpaceX, planning values)",
            46 * 400.0,
            300.0,
            16000.0,
            30000.0,
            "NASA release 2024-06-26 (SpaceX USDV contract); 46 Dracos and ~16 t propellant as "
            "reported from SpaceX's ISSRDC 2024 talk; Isp 300 s and 30 t wet mass ASSUMED",
        ),
    )
}


def get_vehicle(key: str) -> Vehicle:
    """A preset by key (``progress-ms``, ``zvezda``, ``cygnus``, ``dragon-boost-trunk``,
    ``usdv``); InputError listing the keys otherwise."""
    try:
        return VEHICLES[key.strip().lower()]
    except KeyError:
        raise InputError(
            f"unknown vehicle {key!r}; presets: {', '.join(VEHICLES)} (or give thrust, Isp "
            "and propellant for a custom one)",
            field="vehicle",
        ) from None


def custom_vehicle(
    *,
    thrust_n: float,
    isp_s: float,
    propellant_kg: float,
    added_mass_kg: float = 0.0,
    name: str = "custom",
) -> Vehicle:
    """A vehicle from user parameters (checked: InputError on non-physical values)."""
    v = Vehicle(
        "custom", name, float(thrust_n), float(isp_s), float(propellant_kg),
        float(added_mass_kg), "given by the user",
    )  # fmt: skip
    v.check()
    return v
