"""A readable summary of an object's exposure: the main job of ``deorbit summary ISS``.

It turns the exposure answer (see :func:`deorbit.jobs.exposure_job`) into a few sentences and
two short tables, and answers the question behind the 2022 claim that "the ISS doesn't fly
over Russia": the share of time over Russia and how many Russians live under the track.
Every figure is read from the computed answer; nothing here computes physics.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["EU27_ADM0", "FOCUS_ADM0", "summarise"]

#: EU member states (2020 onwards) by Natural Earth ADM0_A3 code.
EU27_ADM0 = [
    "AUT",
    "BEL",
    "BGR",
    "HRV",
    "CYP",
    "CZE",
    "DNK",
    "EST",
    "FIN",
    "FRA",
    "DEU",
    "GRC",
    "HUN",
    "IRL",
    "ITA",
    "LVA",
    "LTU",
    "LUX",
    "MLT",
    "NLD",
    "POL",
    "PRT",
    "ROU",
    "SVK",
    "SVN",
    "ESP",
    "SWE",
]
#: The countries named in the 2022 claims, in that order.
FOCUS_ADM0 = ("RUS", "USA", "IND", "CHN")


def _pct(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{100.0 * x:.{digits}f}%"


def _people(x: float) -> str:
    if x >= 1e9:
        return f"{x / 1e9:.2f} billion"
    if x >= 1e6:
        return f"{x / 1e6:.1f} million"
    return f"{x:,.0f}"


def summarise(exposure: dict[str, Any], top: int = 10) -> dict[str, Any]:
    """Summary lines (``text``) plus the key figures as data, from an exposure answer."""
    o = exposure["object"]
    rows = exposure["countries"]
    by_code = {r["adm0_a3"]: r for r in rows}
    max_lat = exposure["max_lat_deg"]
    pop = exposure["population"]
    band_area_share = math.sin(math.radians(max_lat))  # spherical approximation, for context

    lines = [
        f"[bold]{o['name']}[/bold], NORAD {o['norad_id']} ({o['intl_designator']})",
        f"Orbit: {o['perigee_alt_km']:.0f} x {o['apogee_alt_km']:.0f} km, inclination "
        f"{o['inclination_deg']:.2f} deg, period {o['period_min']:.1f} min; elements of "
        f"{o['epoch_utc']} ({o['source']}).",
        f"Its ground track covers {max_lat:.1f} S to {max_lat:.1f} N: about "
        f"{_pct(band_area_share, 0)} of the Earth's surface, home to {_people(pop['under_band'])} "
        f"people ({_pct(pop['share_under_band'], 1)} of the world, GPW v4 {pop['year']}).",
        f"Over the long run it spends {_pct(exposure['land_fraction'], 1)} of its time over land "
        f"and {_pct(exposure['ocean_fraction'], 1)} over the ocean; an uncontrolled re-entry at "
        "an unknown time falls on each region with that probability.",
        "",
        f"Top {top} countries by share of time overhead (re-entry probability, long run):",
    ]
    by_area = sorted(rows, key=lambda r: -r["fraction"])[:top]
    for k, r in enumerate(by_area, 1):
        lines.append(f"  {k:2d}. {r['name']:<28} {_pct(r['fraction']):>7}")
    lines.append("")
    lines.append(f"Top {top} countries by people living under the track:")
    by_pop = sorted(rows, key=lambda r: -r["population_under_band"])[:top]
    for k, r in enumerate(by_pop, 1):
        share = r["population_share_under_band"]
        lines.append(
            f"  {k:2d}. {r['name']:<28} {_people(r['population_under_band']):>16}"
            f"  ({_pct(share, 0)} of its people)"
        )

    overflown = sorted((r for r in rows if r["fraction"] > 0), key=lambda r: -r["fraction"])
    rank = {r["adm0_a3"]: k for k, r in enumerate(overflown, 1)}
    focus = {}
    for code in FOCUS_ADM0:
        r = by_code.get(code)
        focus[code] = {
            "name": r["name"] if r else code,
            "fraction": r["fraction"] if r else 0.0,
            "rank": rank.get(code),
            "population_under_band": r["population_under_band"] if r else 0,
            "population_share_under_band": r["population_share_under_band"] if r else 0.0,
        }
    eu = [by_code[c] for c in EU27_ADM0 if c in by_code]
    eu_fraction = sum(r["fraction"] for r in eu)
    eu_people = sum(r["population_under_band"] for r in eu)
    eu_pop = sum(r["population"] for r in eu)
    focus["EU27"] = {
        "name": "European Union (27)",
        "fraction": eu_fraction,
        "rank": None,
        "population_under_band": eu_people,
        "population_share_under_band": eu_people / eu_pop if eu_pop else None,
    }

    rus = focus["RUS"]
    lines.append("")
    if rus["fraction"] > 0:
        answer = (
            f"Does it fly over Russia?  [bold]Yes.[/bold]  It spends {_pct(rus['fraction'])} of "
            f"its time over Russia (rank {rus['rank']} of {len(rank)} countries it overflies), "
            f"and {_people(rus['population_under_band'])} people in Russia "
            f"({_pct(rus['population_share_under_band'], 0)} of its population) live under the "
            "track."
        )
    else:
        answer = "Does it fly over Russia?  [bold]No[/bold]: Russia lies entirely outside its band."
    lines.append(answer)
    lines.append("The countries named in the 2022 claims, long-run share of time overhead:")
    for code in ("RUS", "USA", "EU27", "IND", "CHN"):
        f = focus[code]
        lines.append(
            f"  {f['name']:<28} {_pct(f['fraction']):>7}   people under the track: "
            f"{_people(f['population_under_band'])}"
        )
    return {
        "object": o,
        "max_lat_deg": max_lat,
        "land_fraction": exposure["land_fraction"],
        "ocean_fraction": exposure["ocean_fraction"],
        "top_by_share": [
            {"adm0_a3": r["adm0_a3"], "name": r["name"], "fraction": r["fraction"]} for r in by_area
        ],
        "top_by_population_under_band": [
            {
                "adm0_a3": r["adm0_a3"],
                "name": r["name"],
                "population_under_band": r["population_under_band"],
            }
            for r in by_pop
        ],
        "flies_over_russia": rus["fraction"] > 0,
        "focus": focus,
        "text": lines,
        "warnings": exposure["warnings"],
    }
