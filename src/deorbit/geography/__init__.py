"""Countries, ocean, population and big cities: who and what is under a ground track.

- :mod:`deorbit.geography.countries` - exact, vectorised point -> country lookup on Natural
  Earth admin-0 (:func:`load_countries`), country areas, and per-cell country coverage of
  lat/lon grids;
- :mod:`deorbit.geography.population` - the GPW v4 population grid, per country and per
  latitude band (:func:`load_population`);
- :mod:`deorbit.geography.cities` - cities of a million people or more (:func:`load_cities`).

Nothing is read at import time; every data file is loaded on first use and cached.  The
submodules themselves are imported on first use of a name (``from deorbit.geography import
load_countries`` imports :mod:`~deorbit.geography.countries`, and so shapely, then), so that
``deorbit.geography.cities`` alone does not load the polygon machinery.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deorbit.geography.cities import CITY_DTYPE, cities_under_band, load_cities
    from deorbit.geography.countries import (
        NO_POSITION,
        OCEAN,
        Country,
        CountryMap,
        Coverage,
        cell_area_km2,
        country_coverage,
        load_countries,
        load_gpw_coverage,
    )
    from deorbit.geography.population import (
        PopulationGrid,
        load_population,
        per_country,
        unassigned_population,
    )

__all__ = [
    "CITY_DTYPE",
    "NO_POSITION",
    "OCEAN",
    "Country",
    "CountryMap",
    "Coverage",
    "PopulationGrid",
    "cell_area_km2",
    "cities_under_band",
    "country_coverage",
    "load_cities",
    "load_countries",
    "load_gpw_coverage",
    "load_population",
    "per_country",
    "unassigned_population",
]

#: Where each public name lives (the submodule is imported on first access).
_HOME: dict[str, str] = {
    "CITY_DTYPE": "cities",
    "cities_under_band": "cities",
    "load_cities": "cities",
    "NO_POSITION": "countries",
    "OCEAN": "countries",
    "Country": "countries",
    "CountryMap": "countries",
    "Coverage": "countries",
    "cell_area_km2": "countries",
    "country_coverage": "countries",
    "load_countries": "countries",
    "load_gpw_coverage": "countries",
    "PopulationGrid": "population",
    "load_population": "population",
    "per_country": "population",
    "unassigned_population": "population",
}
_SUBMODULES = frozenset(_HOME.values())


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        if name in _SUBMODULES:
            return importlib.import_module(f"{__name__}.{name}")
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
