"""How many people live where: the GPW v4 population grid, by cell, country and latitude band.

What
    :func:`load_population` returns a :class:`PopulationGrid`: persons per cell of CIESIN's
    Gridded Population of the World v4.11 (UN WPP-adjusted counts, 2020 or 2005) at 0.5 or
    1 degree, with each cell's area and density.  :func:`per_country` splits it over the
    Natural Earth countries; :meth:`PopulationGrid.under_band` tells who lives under an orbit
    of inclination i (|lat| <= i).

Units
    Persons, km2 (on the WGS-84 ellipsoid, exact for cells bounded by meridians and
    parallels), persons per km2, degrees.

Method
    Cells with no data (NaN: sea, ice) hold 0 people.  Country totals share each cell among the
    countries that cover it in proportion to their *land* area in the cell
    (:func:`~deorbit.geography.countries.load_gpw_coverage`, ellipsoidal area ratios): the sea
    part of a coastal cell holds nobody, so a coastal cell's people all go to the land in it.
    People in cells that no 1:50m polygon touches (small islands and coasts below the 1:50m
    generalisation) cannot be placed in a country; they are reported by
    :func:`unassigned_population` (2.75 million people, 0.04 % of the world, in 2020) and
    counted as "ocean".  Latitude bands split a cell by the share of its area inside the band,
    assuming people spread evenly over the cell.

Accuracy
    The world total is the grid sum (7.758e9 for 2020, within 0.1 % of UN WPP 2015's 7.76e9).
    Country totals differ from national figures by the GPW allocation of border cells: a
    few % for large countries, more for small ones sharing cells with big neighbours.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from deorbit.data import data_file
from deorbit.errors import InputError
from deorbit.geography.countries import (
    CountryMap,
    authalic_sine,
    cell_area_km2,
    load_countries,
    load_gpw_coverage,
)

__all__ = [
    "PopulationGrid",
    "load_population",
    "per_country",
    "unassigned_population",
]

_FILES = {0.5: "gpw_v4_popcount_unwpp_30min.npz", 1.0: "gpw_v4_popcount_unwpp_1deg.npz"}
_YEARS = (2005, 2020)


@dataclass(frozen=True, eq=False)
class PopulationGrid:
    """Persons per cell on a regular global grid (row 0 at the North Pole, col 0 at 180 W).

    ``lat_edges_deg`` runs 90 -> -90 (n_lat + 1 values), ``lon_edges_deg`` -180 -> 180;
    ``lat_deg``/``lon_deg`` are cell centres; ``count`` (n_lat, n_lon) persons, 0 where GPW has
    no data; ``area_km2`` cell areas on the WGS-84 ellipsoid.
    """

    year: int
    resolution_deg: float
    lat_edges_deg: NDArray[np.float64]
    lon_edges_deg: NDArray[np.float64]
    count: NDArray[np.float64]
    area_km2: NDArray[np.float64]
    source: str

    @property
    def lat_deg(self) -> NDArray[np.float64]:
        """Latitude of the cell centres (degrees, north first)."""
        return 0.5 * (self.lat_edges_deg[:-1] + self.lat_edges_deg[1:])

    @property
    def lon_deg(self) -> NDArray[np.float64]:
        """Longitude of the cell centres (degrees, west first)."""
        return 0.5 * (self.lon_edges_deg[:-1] + self.lon_edges_deg[1:])

    @property
    def density_per_km2(self) -> NDArray[np.float64]:
        """Mean population density of each cell (persons per km2)."""
        return self.count / self.area_km2

    @property
    def total(self) -> float:
        """World population in the grid (persons)."""
        return float(self.count.sum())

    def at(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> NDArray[np.float64]:
        """Density (persons/km2) of the cell containing each point; vectorised, broadcasts.

        Longitudes wrap; a latitude outside [-90, 90] or a non-finite coordinate raises
        :class:`~deorbit.errors.InputError`.  Points on a cell edge go to the cell to their
        south / east (the poles and 180 E to the last row / first column).
        """
        lat, lon = np.broadcast_arrays(np.asarray(lat_deg, float), np.asarray(lon_deg, float))
        if not (np.all(np.isfinite(lat)) and np.all(np.isfinite(lon))):
            raise InputError("lat_deg/lon_deg must be finite", field="lat_deg/lon_deg")
        if np.any(np.abs(lat) > 90):
            raise InputError("latitude outside [-90, 90] degrees", field="lat_deg")
        n_lat, n_lon = self.count.shape
        row = np.minimum(((90.0 - lat) / self.resolution_deg).astype(np.int64), n_lat - 1)
        col = (np.floor((lon + 180.0) / self.resolution_deg).astype(np.int64)) % n_lon
        return self.density_per_km2[row, col]

    def band_fraction(self, south_deg: float, north_deg: float) -> NDArray[np.float64]:
        """Share of each grid *row*'s area lying between two latitudes (ellipsoidal)."""
        s_n = authalic_sine(self.lat_edges_deg[:-1])
        s_s = authalic_sine(self.lat_edges_deg[1:])
        lo, hi = authalic_sine(min(south_deg, north_deg)), authalic_sine(max(south_deg, north_deg))
        overlap = np.clip(np.minimum(s_n, hi) - np.maximum(s_s, lo), 0.0, None)
        return overlap / (s_n - s_s)

    def per_latitude_band(self, edges_deg: ArrayLike) -> NDArray[np.float64]:
        """People in each latitude band between consecutive ``edges_deg`` (any order of bands).

        A cell straddling a band edge is split by area.  If the edges cover [-90, 90] the bands
        sum to :attr:`total`.
        """
        e = np.asarray(edges_deg, dtype=float)
        if e.ndim != 1 or len(e) < 2 or np.any(np.abs(e) > 90) or np.any(np.isnan(e)):
            raise InputError("band edges must be >= 2 latitudes in [-90, 90]", field="edges_deg")
        rows = self.count.sum(axis=1)
        return np.array(
            [rows @ self.band_fraction(a, b) for a, b in zip(e[:-1], e[1:], strict=True)]
        )

    def under_band(
        self, max_abs_lat_deg: float, countries: CountryMap | str = "50m"
    ) -> tuple[float, NDArray[np.float64]]:
        """People living at |lat| <= ``max_abs_lat_deg``: (world total, per country index).

        That is who can ever be under an orbit of that inclination (51.64 deg for the ISS).
        ``countries`` is a :class:`~deorbit.geography.countries.CountryMap` or its resolution
        ("50m", "110m"); the per-country array is indexed like its ``countries`` and sums to
        the total minus the unplaceable people of :func:`unassigned_population`.
        """
        if not 0 <= max_abs_lat_deg <= 90:
            raise InputError("max_abs_lat_deg must be in [0, 90]", field="max_abs_lat_deg")
        f = self.band_fraction(-max_abs_lat_deg, max_abs_lat_deg)
        weighted = self.count * f[:, None]
        return float(weighted.sum()), _split_by_country(self, weighted, _resolution(countries))

    def per_country(self, countries: CountryMap | str = "50m") -> tuple[float, NDArray[np.float64]]:
        """(world total, people per country index): :meth:`under_band` for the whole globe,
        i.e. ``(self.total, per_country(self))``."""
        return self.total, per_country(self, resolution=_resolution(countries))

    @cached_property
    def _cache(self) -> dict:
        return {}


def _resolution(countries: CountryMap | str) -> str:
    return countries if isinstance(countries, str) else countries.resolution


def _split_by_country(
    grid: PopulationGrid, values: NDArray[np.float64], resolution: str
) -> NDArray[np.float64]:
    cmap = load_countries(resolution)
    row, col, country, weight = _land_weights(grid, resolution)
    return np.bincount(
        country, weights=values[row, col] * weight, minlength=len(cmap.countries)
    ).astype(np.float64)


def _land_weights(grid: PopulationGrid, resolution: str):
    """(row, col, country, weight) with weights summing to 1 over each cell touching land."""
    key = ("weights", resolution)
    if key not in grid._cache:
        cov = load_gpw_coverage(resolution)
        row, col, frac = cov.row, cov.col, cov.fraction
        k = round(grid.resolution_deg / 0.5)
        if k != 1:  # aggregate the 0.5 deg coverage to a coarser grid by land area
            a = cell_area_km2(cov.lat_edges_deg, cov.lon_edges_deg)[row, col]
            n_lon = grid.count.shape[1]
            key2 = ((row // k) * n_lon + col // k).astype(np.int64) * 10_000 + cov.country
            u, inv = np.unique(key2, return_inverse=True)
            land = np.bincount(inv, weights=frac * a)
            cell, country = np.divmod(u, 10_000)
            row, col = np.divmod(cell, n_lon)
            frac = land / grid.area_km2[row, col]
            cov_country = country
        else:
            cov_country = cov.country
        n_lon = grid.count.shape[1]
        flat = row.astype(np.int64) * n_lon + col
        land_per_cell = np.bincount(flat, weights=frac, minlength=grid.count.size)
        weight = frac / land_per_cell[flat]
        grid._cache[key] = (row, col, cov_country.astype(np.int64), weight)
    return grid._cache[key]


def per_country(grid: PopulationGrid, *, resolution: str = "50m") -> NDArray[np.float64]:
    """People per country (persons), indexed like ``load_countries(resolution).countries``.

    Each cell's people are shared among the countries in it by land area (see the module
    docstring).  ``per_country(grid).sum() + unassigned_population(grid) == grid.total``.
    """
    return _split_by_country(grid, grid.count, resolution)


def unassigned_population(grid: PopulationGrid, *, resolution: str = "50m") -> float:
    """People in cells that no Natural Earth polygon touches (counted as ocean), persons."""
    row, col, _, _ = _land_weights(grid, resolution)
    touched = np.zeros(grid.count.shape, dtype=bool)
    touched[row, col] = True
    return float(grid.count[~touched].sum())


@lru_cache(maxsize=4)
def load_population(year: int = 2020, resolution_deg: float = 0.5) -> PopulationGrid:
    """GPW v4.11 UN-adjusted population count for ``year`` (2005 or 2020) at 0.5 or 1 degree.

    Read once from ``deorbit/data/population/`` and cached; NaN (no data) becomes 0.
    """
    if year not in _YEARS:
        raise InputError(f"no population grid for {year}; have {list(_YEARS)}", field="year")
    name = _FILES.get(float(resolution_deg))
    if name is None:
        raise InputError(
            f"no population grid at {resolution_deg} deg; have {sorted(_FILES)}",
            field="resolution_deg",
        )
    with data_file("population", name).open("rb") as fh, np.load(fh) as z:
        raw = z[f"pop{year}"].astype(np.float64)
        meta = json.loads(str(z["meta"])) if "meta" in z.files else {}
    n_lat = round(180 / resolution_deg)
    if raw.shape != (n_lat, 2 * n_lat):
        raise InputError(f"grid shape {raw.shape} != {(n_lat, 2 * n_lat)}", source=name)
    count = np.nan_to_num(raw, nan=0.0)
    if np.any(count < 0):
        raise InputError("negative population counts", source=name)
    lat_e = np.linspace(90.0, -90.0, n_lat + 1)
    lon_e = np.linspace(-180.0, 180.0, 2 * n_lat + 1)
    return PopulationGrid(
        year=year,
        resolution_deg=float(resolution_deg),
        lat_edges_deg=lat_e,
        lon_edges_deg=lon_e,
        count=count,
        area_km2=cell_area_km2(lat_e, lon_e),
        source=meta.get("source", name),
    )
