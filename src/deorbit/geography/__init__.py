"""Countries, ocean, population and big cities: who and what is under a ground track.

- :mod:`deorbit.geography.countries` - exact, vectorised point -> country lookup on Natural
  Earth admin-0 (:func:`load_countries`), country areas, and per-cell country coverage of
  lat/lon grids;
- :mod:`deorbit.geography.population` - the GPW v4 population grid, per country and per
  latitude band (:func:`load_population`);
- :mod:`deorbit.geography.cities` - cities of a million people or more (:func:`load_cities`).

Nothing is read at import time; every data file is loaded on first use and cached.
"""

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
