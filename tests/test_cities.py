"""Cities of a million people or more (GeoNames, bundled CSV)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from deorbit.errors import InputError
from deorbit.geography import OCEAN, cities_under_band, load_cities, load_countries


def city(name: str):
    c = load_cities()
    rows = c[c["name"] == name]
    assert len(rows) == 1, name
    return rows[0]


@pytest.mark.parametrize(
    ("name", "iso", "lat", "lon"),
    [
        ("Tokyo", "JPN", 35.69, 139.69),
        ("Delhi", "IND", 28.65, 77.23),
        ("Moscow", "RUS", 55.75, 37.62),
    ],
)
def test_big_cities_present(name, iso, lat, lon):
    c = city(name)
    assert c["iso_a3"] == iso
    assert c["lat_deg"] == pytest.approx(lat, abs=0.1) and c["lon_deg"] == pytest.approx(
        lon, abs=0.1
    )
    assert c["population"] >= 1_000_000


def test_table_is_sane():
    c = load_cities()
    assert 400 < len(c) < 800
    assert np.all(c["population"] >= 1_000_000)
    assert np.all(np.diff(c["population"]) <= 0)  # most populous first
    assert len(np.unique(c["geonameid"])) == len(c)
    assert np.all(np.abs(c["lat_deg"]) <= 90) and np.all(np.abs(c["lon_deg"]) <= 180)
    assert all(len(s) == 3 and s.isupper() for s in c["iso_a3"])
    big = load_cities(min_population=10e6)
    assert 10 < len(big) < 40 and np.all(big["population"] >= 10e6)


def test_cities_lie_in_their_country():
    """Cross-check with the country lookup: a city's point is in its own country (or in the
    sea just off a coast that 1:50m generalises away)."""
    c = load_cities()
    cmap = load_countries()
    idx = cmap.lookup(c["lat_deg"], c["lon_deg"])
    iso = np.array([cmap.countries[i].iso_a3 if i != OCEAN else "" for i in idx])
    same = iso == c["iso_a3"]
    assert same.mean() > 0.95
    # The others lie at sea just off the coast or across a border (Shenzhen -> Hong Kong):
    # within 0.2 deg of their own country.
    for row in c[~same]:
        own = cmap.geometry(cmap.by_iso(row["iso_a3"]).index)
        assert own.distance(shapely.Point(row["lon_deg"], row["lat_deg"])) < 0.2, row["name"]


def test_iss_band():
    under = cities_under_band(51.64)
    names = set(under["name"])
    assert "Moscow" not in names  # 55.75 N
    assert {"Tokyo", "Delhi", "London"} <= names  # London 51.51 N, just inside
    assert np.all(np.abs(under["lat_deg"]) <= 51.64)
    assert len(under) == np.sum(np.abs(load_cities()["lat_deg"]) <= 51.64)
    assert len(cities_under_band(90.0)) == len(load_cities())


def test_bad_arguments():
    with pytest.raises(InputError):
        load_cities(min_population=5e5)
    with pytest.raises(InputError):
        cities_under_band(-1.0)
