"""Cities of a million people or more, and which of them an orbit can fly over.

What
    :func:`load_cities` reads the bundled ``data/cities/cities_1m.csv`` (564 GeoNames populated
    places with population >= 1,000,000, built by ``tools/build_cities.py``; GeoNames data,
    CC BY 4.0) into a NumPy structured array with fields ``name`` (str), ``iso_a3`` (str, ISO
    3166-1 alpha-3), ``lat_deg``, ``lon_deg`` (WGS-84 degrees), ``population`` (int64, the
    city proper as GeoNames records it, not the metropolitan area) and ``geonameid``.
    :func:`cities_under_band` keeps those with |lat| <= a bound: the cities an orbit of that
    inclination passes directly over at some time (ignoring the Earth's oblateness in the
    relation between inclination and the highest geodetic latitude of the ground track,
    a < 0.2 degree effect for the ISS).

Accuracy
    Coordinates are GeoNames' (5 decimals, a point near the city centre); populations are
    GeoNames' latest figures, of mixed years.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from deorbit.data import data_file
from deorbit.errors import InputError

__all__ = ["CITY_DTYPE", "cities_under_band", "load_cities"]

#: Fields of the arrays returned by :func:`load_cities`.
CITY_DTYPE = np.dtype(
    [
        ("name", "U64"),
        ("iso_a3", "U3"),
        ("lat_deg", "f8"),
        ("lon_deg", "f8"),
        ("population", "i8"),
        ("geonameid", "i8"),
    ]
)
_FILE = ("cities", "cities_1m.csv")
_FILE_MIN_POPULATION = 1_000_000


@lru_cache(maxsize=1)
def _all_cities() -> NDArray:
    text = data_file(*_FILE).read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    expected = list(CITY_DTYPE.names)
    if reader.fieldnames != expected:
        raise InputError(f"header {reader.fieldnames} != {expected}", source="cities_1m.csv")
    rows = []
    for n, r in enumerate(reader, start=2):
        try:
            rows.append(
                (r["name"], r["iso_a3"], float(r["lat_deg"]), float(r["lon_deg"]),
                 int(r["population"]), int(r["geonameid"]))
            )  # fmt: skip
        except (TypeError, ValueError) as exc:
            raise InputError(str(exc), source="cities_1m.csv", line=n) from None
    out = np.array(rows, dtype=CITY_DTYPE)
    out.flags.writeable = False
    return out


def load_cities(min_population: float = 1e6) -> NDArray:
    """Cities with at least ``min_population`` people, most populous first (structured array).

    ``min_population`` must be >= 1e6: the bundled table holds nothing smaller.
    """
    if not min_population >= _FILE_MIN_POPULATION:
        raise InputError(
            f"min_population must be >= {_FILE_MIN_POPULATION:,} (bundled cities table)",
            field="min_population",
        )
    cities = _all_cities()
    return cities[cities["population"] >= min_population]


def cities_under_band(max_abs_lat_deg: float, min_population: float = 1e6) -> NDArray:
    """Cities with |lat_deg| <= ``max_abs_lat_deg`` (e.g. the ISS inclination, 51.64 deg)."""
    if not 0 <= max_abs_lat_deg <= 90:
        raise InputError("max_abs_lat_deg must be in [0, 90]", field="max_abs_lat_deg")
    cities = load_cities(min_population)
    return cities[np.abs(cities["lat_deg"]) <= max_abs_lat_deg]
