"""Physical properties of well-known objects, with their sources.

A re-entry prediction needs the ballistic coefficient BC = Cd A / m.  For most objects it is
estimated from the element history (:mod:`deorbit.bcfit`).  For a few objects whose mass and
size are published, and whose history cannot give it (the ISS is reboosted every few weeks, so
its recent history has no long drag-only arc), deorbit uses these published properties and
says so.  Every value carries its source and an uncertainty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["KNOWN_SPACECRAFT", "Spacecraft", "known_spacecraft"]


@dataclass(frozen=True)
class Spacecraft:
    """Published properties of one object."""

    norad_id: int
    name: str
    mass_kg: float
    mass_source: str
    area_m2: float
    area_source: str
    cd: float
    cd_source: str
    #: 1-sigma spread of ln(BC) that the published values leave (attitude, arrays, Cd).
    bc_sigma_ln: float
    bc_sigma_source: str
    #: True for objects kept in orbit by reboosts (their predictions assume reboosts stop).
    maintained: bool = False

    @property
    def bc_m2_per_kg(self) -> float:
        """Cd A / m in m^2/kg."""
        return self.cd * self.area_m2 / self.mass_kg

    def bc_range_m2_per_kg(self, k: float = 1.645) -> tuple[float, float]:
        """The central 90% range (k = 1.645 sigma) of BC under the lognormal spread."""
        bc = self.bc_m2_per_kg
        return bc * math.exp(-k * self.bc_sigma_ln), bc * math.exp(k * self.bc_sigma_ln)


KNOWN_SPACECRAFT: dict[int, Spacecraft] = {
    25544: Spacecraft(
        norad_id=25544,
        name="ISS (ZARYA)",
        mass_kg=420_000.0,
        mass_source=(
            "NASA, International Space Station Facts and Figures: about 420,000 kg "
            "(925,335 lb) in 2021-2025"
        ),
        area_m2=1_600.0,
        area_source=(
            "representative mean drag area in the usual flight attitude with the solar arrays "
            "tracking the Sun; the projected area ranges from about 700 to 2,500 m^2 with array "
            "orientation (the value used by the project's Orekit/satkit peer cross-check)"
        ),
        cd=2.2,
        cd_source="the customary free-molecular flat-plate value for LEO (Vallado 2013, sec. 8.6)",
        bc_sigma_ln=0.3,
        bc_sigma_source=(
            "covers the 700-2,500 m^2 area range at about +/-1.7 sigma and Cd 2.0-2.4; "
            "an assumption, not a fit"
        ),
        maintained=True,
    ),
}


def known_spacecraft(norad_id: int) -> Spacecraft | None:
    """Published properties of ``norad_id``, or None."""
    return KNOWN_SPACECRAFT.get(norad_id)
