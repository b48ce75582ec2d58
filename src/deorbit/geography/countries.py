"""Which country (or ocean) is under a point: an exact, vectorised lookup on Natural Earth.

What
    :func:`load_countries` returns a :class:`CountryMap` built from the bundled Natural Earth
    admin-0 polygons (1:50m by default).  :meth:`CountryMap.lookup` maps arrays of geodetic
    latitude/longitude (degrees, WGS-84) to a country index (``int16``), with :data:`OCEAN` (-1)
    for points on no country and :data:`NO_POSITION` (-2) for NaN inputs.

Method
    A raster index at 0.1 degree (1800 x 3600 cells, ``data/countries/country_index_50m.npz``,
    built offline by ``tools/build_country_index.py``) says for each cell either "all of this
    cell belongs to country k / to the ocean" or "mixed".  Pure cells answer with one array
    gather.  A mixed cell also records which country owns one fixed *reference point* inside it
    (decided exactly with shapely at build time).  For a query point q in a mixed cell, the
    polygon edges that touch the cell (computed at load time from the geojson, about 0.15 s) are
    tested for crossing the segment q -> reference; for each country, q is inside iff
    ``inside(reference) XOR (number of that country's edges crossed is odd)``.  Because the
    segment never leaves the cell, only the few edges of that cell are ever looked at, and all
    of it is numpy over (point, edge) pairs: no Python loop over points.

Accuracy
    The answer is what the Natural Earth polygons (planar in longitude/latitude, as GEOS and
    shapely read them) say, up to floating-point rounding of the orientation tests: a point
    1e-9 degree (0.1 mm) or more from a border is classified exactly as ``shapely.covers``
    would.  A point *on* a border or coastline goes deterministically to one of its
    neighbours.  Where polygons overlap the lowest index wins (the build found no overlap at
    any of its 6.7 million sample points: cell centres, reference points, random points).  Conventions at the edges of the map:

    * longitudes are normalised to [-180, 180); a point on the antimeridian (+-180) is resolved
      as the limit from the east (lon -> -180 + 1e-9), so Chukotka, Fiji and Antarctica are
      found there although Natural Earth splits them along that line;
    * Natural Earth's Antarctica stops at -89.998926 deg; points south of its southern edge
      (a 120 m cap around the South Pole) are reported as Antarctica, not ocean;
    * NaN latitude or longitude -> :data:`NO_POSITION` (a propagation failure in a ground track
      should not sink a whole exposure run); a finite latitude outside [-90, 90] or an
      infinite coordinate raises :class:`~deorbit.errors.InputError`.

Speed
    About 10-20 million points per second on one core, for random points on the sphere and
    along a 51.6-degree ground track alike (1.9 % of cells are mixed), versus about 0.06 million
    for prepared ``shapely.contains_xy`` over all countries: see
    ``benchmarks/bench_country_lookup.py``.  Loading costs ~0.4 s once (geojson parse, index
    read, edge-to-cell lists); memory ~25 MB.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry import MultiPolygon

from deorbit.data import data_file
from deorbit.errors import InputError

__all__ = [
    "NO_POSITION",
    "OCEAN",
    "WGS84_A_KM",
    "WGS84_F",
    "Country",
    "CountryMap",
    "Coverage",
    "authalic_sine",
    "cell_area_km2",
    "country_coverage",
    "load_countries",
    "load_gpw_coverage",
]

#: Lookup result for a point on no country (sea, ocean, and the Caspian).
OCEAN: int = -1
#: Lookup result for a NaN latitude or longitude.
NO_POSITION: int = -2

#: WGS-84 semi-major axis (km) and flattening.
WGS84_A_KM: float = 6378.137
WGS84_F: float = 1.0 / 298.257223563
_E2 = WGS84_F * (2.0 - WGS84_F)
_E = np.sqrt(_E2)

_GEOJSON = {
    "50m": "ne_50m_admin_0_countries_slim.geojson",
    "110m": "ne_110m_admin_0_countries_slim.geojson",
}
#: Layout version of the shipped index file; bump when the format changes.
INDEX_FORMAT = 1
#: Margin (degrees) by which cells are grown when deciding which edges touch them, so that a
#: point whose cell index is off by floating-point rounding is still handled exactly.
_MARGIN_DEG = 1e-9
#: Where the reference point of a mixed cell sits, as a fraction of the cell from its west
#: (x) and north (y) side: arbitrary numbers chosen so that no reference lies on an edge.
_REF_FX = 0.6135792
_REF_FY = 0.4271836
#: Largest number of (point, edge) pairs evaluated at once (bounds memory to ~0.5 GB).
_MAX_PAIRS = 4_000_000


def index_file_name(resolution: str) -> str:
    """File name of the shipped raster index for ``resolution`` ("50m" or "110m")."""
    return f"country_index_{resolution}.npz"


@dataclass(frozen=True)
class Country:
    """One Natural Earth admin-0 unit.

    ``index`` is its position in :attr:`CountryMap.countries` (countries are sorted by
    ``adm0_a3``), ``adm0_a3`` the Natural Earth key, ``iso_a3`` the ISO 3166-1 alpha-3 code
    (Natural Earth's ``ISO_A3_EH``; ``None`` where it has none, e.g. Kosovo, Somaliland),
    ``pop_est`` Natural Earth's population estimate (persons, mostly for 2019).
    """

    index: int
    adm0_a3: str
    iso_a3: str | None
    name: str
    continent: str
    pop_est: float
    subregion: str = ""
    region_un: str = ""


@dataclass(frozen=True)
class Coverage:
    """Sparse table of which country owns how much of each cell of a regular lat/lon grid.

    Row ``k`` says: country ``country[k]`` covers ``fraction[k]`` of the area of cell
    (``row[k]``, ``col[k]``).  Rows index ``lat_edges_deg`` from its first edge, columns index
    ``lon_edges_deg`` from its first edge.  Fractions are ratios of areas on the WGS-84
    ellipsoid; the sea part of a cell is simply absent, so fractions of a cell sum to <= 1.
    """

    lat_edges_deg: NDArray[np.float64]
    lon_edges_deg: NDArray[np.float64]
    row: NDArray[np.int32]
    col: NDArray[np.int32]
    country: NDArray[np.int16]
    fraction: NDArray[np.float64]

    def land_fraction(self) -> NDArray[np.float64]:
        """Fraction of each cell covered by any country, shape (n_lat, n_lon)."""
        out = np.zeros((len(self.lat_edges_deg) - 1, len(self.lon_edges_deg) - 1))
        np.add.at(out, (self.row, self.col), self.fraction)
        return out


# ----------------------------------------------------------------------------------------------
# Ellipsoid helpers


def authalic_sine(lat_deg: ArrayLike) -> NDArray[np.float64]:
    """Sine of the authalic latitude on WGS-84 for geodetic ``lat_deg`` (degrees).

    The map (lon_rad, sin(authalic lat)) is Lambert's cylindrical equal-area projection of the
    ellipsoid onto a sphere of radius R_q = 6371.007 km: area there times R_q**2 is area on the
    ellipsoid.  Exact (closed form, Snyder 1987 eq. 3-12).
    """
    s = np.sin(np.radians(np.asarray(lat_deg, dtype=float)))

    def q(sin_phi):
        return (1 - _E2) * (
            sin_phi / (1 - _E2 * sin_phi**2)
            - np.log((1 - _E * sin_phi) / (1 + _E * sin_phi)) / (2 * _E)
        )

    return q(s) / q(1.0)


def _authalic_radius_km() -> float:
    qp = (1 - _E2) * (1 / (1 - _E2) - np.log((1 - _E) / (1 + _E)) / (2 * _E))
    return float(WGS84_A_KM * np.sqrt(qp / 2))


#: Radius of the sphere with the same area as the WGS-84 ellipsoid (km).
R_AUTHALIC_KM: float = _authalic_radius_km()


def cell_area_km2(lat_edges_deg: ArrayLike, lon_edges_deg: ArrayLike) -> NDArray[np.float64]:
    """Area (km2) on the WGS-84 ellipsoid of every cell of a lat/lon grid, shape (n_lat, n_lon).

    Exact for cells bounded by meridians and parallels:
    ``R_q**2 * dlon_rad * |sin(beta_north) - sin(beta_south)|`` with beta the authalic latitude.
    """
    s = authalic_sine(lat_edges_deg)
    dlon = np.radians(np.diff(np.asarray(lon_edges_deg, dtype=float)))
    return R_AUTHALIC_KM**2 * np.abs(np.diff(s))[:, None] * np.abs(dlon)[None, :]


def _to_equal_area(geom):
    """Geometry in (lon_rad, sin authalic lat): Lambert cylindrical equal-area on R_q = 1."""
    return shapely.transform(
        geom, lambda xy: np.column_stack([np.radians(xy[:, 0]), authalic_sine(xy[:, 1])])
    )


# ----------------------------------------------------------------------------------------------
# Geometry -> flat edge arrays and edge -> cell lists (shared with tools/build_country_index.py)


def _edges_of(geoms: list) -> tuple[NDArray[np.float64], NDArray[np.int16]]:
    """All ring edges of ``geoms`` as an (n, 4) array x1, y1, x2, y2 and the owning index."""
    parts, owner_of_part = shapely.get_parts(np.asarray(geoms, dtype=object), return_index=True)
    rings, part_of_ring = shapely.get_rings(parts, return_index=True)
    owner_of_ring = owner_of_part[part_of_ring]
    coords, ring_ids = shapely.get_coordinates(rings, return_index=True)
    same = ring_ids[1:] == ring_ids[:-1]
    edges = np.column_stack([coords[:-1][same], coords[1:][same]])
    owner = owner_of_ring[ring_ids[:-1][same]].astype(np.int16)
    return edges, owner


def _edge_cells(
    edges: NDArray[np.float64], cell_deg: float, n_rows: int, n_cols: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Every (cell, edge) pair where the edge touches the cell grown by ``_MARGIN_DEG``.

    Cells are numbered ``row * n_cols + col`` with row 0 at the north pole and col 0 at 180 W.
    Candidates come from each edge's bounding box and are kept when the edge's line does not
    leave all four corners of the grown cell on one side (separating-axis test).  Returned
    sorted by cell, then edge.
    """
    x1, y1, x2, y2 = edges.T
    m = _MARGIN_DEG
    c0 = np.clip(np.floor((np.minimum(x1, x2) - m + 180) / cell_deg), 0, n_cols - 1).astype(int)
    c1 = np.clip(np.floor((np.maximum(x1, x2) + m + 180) / cell_deg), 0, n_cols - 1).astype(int)
    r0 = np.clip(np.floor((90 - np.maximum(y1, y2) - m) / cell_deg), 0, n_rows - 1).astype(int)
    r1 = np.clip(np.floor((90 - np.minimum(y1, y2) + m) / cell_deg), 0, n_rows - 1).astype(int)
    nc = c1 - c0 + 1
    nr = r1 - r0 + 1
    count = nc * nr
    edge = np.repeat(np.arange(len(edges)), count)
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    row = r0[edge] + k // nc[edge]
    col = c0[edge] + k % nc[edge]
    # Separating axis: the edge's own normal.
    west = -180 + col * cell_deg - m
    east = -180 + (col + 1) * cell_deg + m
    north = 90 - row * cell_deg + m
    south = 90 - (row + 1) * cell_deg - m
    dx = (x2 - x1)[edge]
    dy = (y2 - y1)[edge]
    ox = x1[edge]
    oy = y1[edge]
    sides = [dx * (cy - oy) - dy * (cx - ox) for cx in (west, east) for cy in (south, north)]
    pos = np.all([s > 0 for s in sides], axis=0)
    neg = np.all([s < 0 for s in sides], axis=0)
    keep = ~(pos | neg)
    cell = row[keep] * n_cols + col[keep]
    edge = edge[keep]
    order = np.lexsort((edge, cell))
    return cell[order], edge[order]


def _reference_points(cells: NDArray[np.int64], cell_deg: float, n_cols: int):
    """Longitude and latitude (deg) of the fixed reference point inside each of ``cells``."""
    row, col = np.divmod(cells, n_cols)
    return -180 + (col + _REF_FX) * cell_deg, 90 - (row + _REF_FY) * cell_deg


def _resolve_mixed(
    qx: NDArray[np.float64],
    qy: NDArray[np.float64],
    cell: NDArray[np.int64],
    ref_state: NDArray[np.int64],
    cell_deg: float,
    n_cols: int,
    mixed_cells: NDArray[np.int64],
    starts: NDArray[np.int64],
    edges: NDArray[np.float64],
    owner: NDArray[np.int16],
) -> NDArray[np.int16]:
    """Exact answer for points in mixed cells by parity of crossings of the segment to the
    cell's reference point (see the module docstring)."""
    n = len(qx)
    out = np.empty(n, dtype=np.int16)
    slot = np.searchsorted(mixed_cells, cell)
    first = starts[slot]
    count = starts[slot + 1] - first
    done = 0
    while done < n:
        # Take as many points as fit in _MAX_PAIRS (at least one).
        cum = np.cumsum(count[done:])
        stop = done + max(1, int(np.searchsorted(cum, _MAX_PAIRS, side="right")))
        sl = slice(done, stop)
        out[sl] = _resolve_chunk(
            qx[sl], qy[sl], cell[sl], ref_state[sl], first[sl], count[sl], cell_deg, n_cols,
            edges, owner,
        )  # fmt: skip
        done = stop
    return out


def _resolve_chunk(qx, qy, cell, ref_state, first, count, cell_deg, n_cols, edges, owner):
    n = len(qx)
    rx, ry = _reference_points(cell, cell_deg, n_cols)
    p = np.repeat(np.arange(n), count)
    e = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count) + first[p]
    ax, ay, bx, by = (edges[e, k] for k in range(4))
    px, py, sx, sy = qx[p], qy[p], rx[p], ry[p]
    # Orientation signs, with 0 counted as positive (a consistent symbolic perturbation).
    ux, uy = sx - px, sy - py
    side_a = ux * (ay - py) - uy * (ax - px) >= 0
    side_b = ux * (by - py) - uy * (bx - px) >= 0
    vx, vy = bx - ax, by - ay
    side_q = vx * (py - ay) - vy * (px - ax) >= 0
    side_r = vx * (sy - ay) - vy * (sx - ax) >= 0
    cross = (side_a != side_b) & (side_q != side_r)
    n_ids = np.int64(len(owner) and int(owner.max()) + 2)
    keys = p[cross] * n_ids + owner[e[cross]].astype(np.int64) + 1
    has_ref = ref_state >= 0
    ref_keys = np.flatnonzero(has_ref) * n_ids + ref_state[has_ref] + 1
    keys, counts = np.unique(np.concatenate([keys, ref_keys]), return_counts=True)
    inside = keys[counts % 2 == 1]
    out = np.full(n, OCEAN, dtype=np.int16)
    pts, first_key = np.unique(inside // n_ids, return_index=True)  # lowest country wins
    out[pts] = inside[first_key] % n_ids - 1
    return out


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ----------------------------------------------------------------------------------------------


class CountryMap:
    """The Natural Earth admin-0 countries with an exact point lookup.

    Build with :func:`load_countries` (cached).  ``countries[i]`` is the :class:`Country` of
    index ``i``; indices are stable for a given Natural Earth file (sorted by ``adm0_a3``).
    """

    def __init__(self, resolution: str = "50m") -> None:
        if resolution not in _GEOJSON:
            raise InputError(
                f"unknown country resolution {resolution!r}; use one of {sorted(_GEOJSON)}",
                field="resolution",
            )
        self.resolution = resolution
        raw = data_file("countries", _GEOJSON[resolution]).read_bytes()
        self.source_sha256 = _sha256(raw)
        all_features = json.loads(raw)["features"]
        # GEOS reads the whole collection in C (~10x faster than building shapes in Python);
        # its parts come in file order, one per feature.
        all_geoms = shapely.get_parts(shapely.from_geojson(raw))
        if len(all_geoms) != len(all_features):
            raise InputError(
                "geometry count differs from feature count", source=_GEOJSON[resolution]
            )
        order = sorted(
            range(len(all_features)), key=lambda k: all_features[k]["properties"]["ADM0_A3"]
        )
        features = [all_features[k] for k in order]
        codes = [f["properties"]["ADM0_A3"] for f in features]
        if len(set(codes)) != len(codes):
            raise InputError("duplicate ADM0_A3 codes", source=_GEOJSON[resolution])
        self.countries: list[Country] = []
        geoms = []
        for i, f in enumerate(features):
            p = f["properties"]
            iso = p.get("ISO_A3_EH")
            self.countries.append(
                Country(
                    index=i,
                    adm0_a3=p["ADM0_A3"],
                    iso_a3=None if iso in (None, "-99") else iso,
                    name=p["NAME"],
                    continent=p["CONTINENT"],
                    pop_est=float(p["POP_EST"]),
                    subregion=p.get("SUBREGION", ""),
                    region_un=p.get("REGION_UN", ""),
                )
            )
        for k in order:
            g = all_geoms[k]
            geoms.append(g if isinstance(g, MultiPolygon) else MultiPolygon([g]))
        self._geoms = geoms
        self._by_adm0 = {c.adm0_a3: c for c in self.countries}
        self._by_iso = {c.iso_a3: c for c in self.countries if c.iso_a3}
        self._edges, self._owner = _edges_of(geoms)
        ata = self._by_adm0.get("ATA")
        self._ata = -1 if ata is None else ata.index
        self._ata_south = -90.0 if ata is None else float(geoms[ata.index].bounds[1])
        self._index_loaded = False

    # -- the raster index (loaded on first lookup) ---------------------------------------------

    def _load_index(self) -> None:
        name = index_file_name(self.resolution)
        with data_file("countries", name).open("rb") as fh, np.load(fh) as z:
            meta = json.loads(str(z["meta"]))
            raster = z["raster"]
        problems = []
        if meta.get("format") != INDEX_FORMAT:
            problems.append(f"format {meta.get('format')} != {INDEX_FORMAT}")
        if meta.get("source_sha256") != self.source_sha256:
            problems.append("geojson hash differs from the one the index was built from")
        if meta.get("adm0_a3") != [c.adm0_a3 for c in self.countries]:
            problems.append("country list differs")
        if meta.get("n_edges") != len(self._edges):
            problems.append("edge count differs")
        cell_deg = float(meta["cell_deg"])
        n_rows, n_cols = raster.shape
        cells, edge_ids = _edge_cells(self._edges, cell_deg, n_rows, n_cols)
        mixed_cells, starts = np.unique(cells, return_index=True)
        flat = raster.ravel()
        if not problems and not np.all(flat[mixed_cells] <= -2):
            problems.append("cells with edges are not all marked mixed")
        if not problems and int(np.count_nonzero(flat <= -2)) != len(mixed_cells):
            problems.append("mixed-cell count differs")
        if problems:
            raise InputError(
                "shipped country index does not match the shipped Natural Earth file ("
                + "; ".join(problems)
                + "); rebuild with tools/build_country_index.py",
                source=f"deorbit/data/countries/{name}",
            )
        self._cell_deg = cell_deg
        self._n_rows, self._n_cols = n_rows, n_cols
        self._raster = flat
        self._mixed_cells = mixed_cells
        self._starts = np.append(starts, len(cells)).astype(np.int64)
        self._cell_edges = self._edges[edge_ids]
        self._cell_owner = self._owner[edge_ids]
        self._index_loaded = True

    # -- public API -----------------------------------------------------------------------------

    def lookup(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> NDArray[np.int16]:
        """Country index under each point (``int16``, same shape as the broadcast inputs).

        ``lat_deg``, ``lon_deg``: geodetic latitude and longitude in degrees (any longitude is
        wrapped to [-180, 180)).  Returns the index into :attr:`countries`, :data:`OCEAN` (-1)
        for sea and :data:`NO_POSITION` (-2) where either coordinate is NaN.  Raises
        :class:`~deorbit.errors.InputError` for a latitude outside [-90, 90] or an infinite
        coordinate.  Exact with respect to the polygons; see the module docstring.
        """
        if not self._index_loaded:
            self._load_index()
        lat, lon = np.broadcast_arrays(
            np.asarray(lat_deg, dtype=np.float64), np.asarray(lon_deg, dtype=np.float64)
        )
        shape_ = lat.shape
        lat = lat.ravel()
        lon = lon.ravel()
        nan = np.isnan(lat) | np.isnan(lon)
        bad = ~nan & ((np.abs(lat) > 90) | np.isinf(lon))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{int(bad.sum())} point(s) outside the globe, first at index {k}: "
                f"lat_deg={lat[k]!r}, lon_deg={lon[k]!r} (need -90 <= lat <= 90, finite lon)",
                field="lat_deg/lon_deg",
            )
        if nan.any():
            lat = np.where(nan, 0.0, lat)
            lon = np.where(nan, 0.0, lon)
        if np.any((lon < -180) | (lon >= 180)):
            lon = np.mod(lon + 180.0, 360.0) - 180.0
            lon[lon >= 180.0] -= 360.0
        # Antimeridian: the limit from the east.  Poles: the limit from inside the grid.
        lon = np.where(lon == -180.0, -180.0 + 1e-9, lon)
        lat = np.clip(lat, -90.0 + 1e-9, 90.0 - 1e-9)

        inv = 1.0 / self._cell_deg
        row = np.minimum(((90.0 - lat) * inv).astype(np.int64), self._n_rows - 1)
        col = np.minimum(((lon + 180.0) * inv).astype(np.int64), self._n_cols - 1)
        cell = row * self._n_cols + col
        code = self._raster[cell]
        out = code.astype(np.int16)
        mixed = np.flatnonzero(code <= -2)
        if mixed.size:
            out[mixed] = _resolve_mixed(
                lon[mixed], lat[mixed], cell[mixed], -code[mixed].astype(np.int64) - 3,
                self._cell_deg, self._n_cols, self._mixed_cells, self._starts,
                self._cell_edges, self._cell_owner,
            )  # fmt: skip
        if self._ata >= 0:
            out[lat < self._ata_south] = self._ata
        out[nan] = NO_POSITION
        return out.reshape(shape_)

    def geometry(self, index: int) -> MultiPolygon:
        """The country's polygons (lon/lat degrees, split at +-180) as one MultiPolygon."""
        return self._geoms[self._check(index)]

    def by_adm0(self, code: str) -> Country:
        """The country with Natural Earth code ``code`` (e.g. "FRA"); InputError if unknown."""
        try:
            return self._by_adm0[code.upper()]
        except KeyError:
            raise InputError(f"unknown ADM0_A3 country code {code!r}", field="country") from None

    def by_iso(self, code: str) -> Country:
        """The country with ISO 3166-1 alpha-3 ``code``; InputError if none has it."""
        try:
            return self._by_iso[code.upper()]
        except KeyError:
            raise InputError(
                f"unknown ISO alpha-3 country code {code!r}", field="country"
            ) from None

    def name_of(self, index: int) -> str:
        """Display name for a lookup result: the country's name, "ocean" or "no position"."""
        if index == OCEAN:
            return "ocean"
        if index == NO_POSITION:
            return "no position"
        return self.countries[self._check(index)].name

    def area_km2(self) -> NDArray[np.float64]:
        """Area of every country (km2) on the WGS-84 ellipsoid.

        Method: polygons mapped to Lambert cylindrical equal-area with authalic latitude,
        planar area there times R_q**2.  Edges are straight in longitude/latitude in Natural
        Earth and straight in the projection here; the difference is far below the
        generalisation of the 1:50m coastlines (France comes out at ~5.5e5 km2).
        """
        return self._area_km2.copy()

    @cached_property
    def _area_km2(self) -> NDArray[np.float64]:
        ea = _to_equal_area(np.asarray(self._geoms, dtype=object))
        return shapely.area(ea) * R_AUTHALIC_KM**2

    def boundaries(self) -> list[tuple[NDArray[np.float64], NDArray[np.float64]]]:
        """Every polygon ring as a closed (lon_deg, lat_deg) pair of arrays, for drawing.

        Rings include Natural Earth's cuts along +-180 and Antarctica's edge at -90; drop
        segments with |lon| == 180 if they show.
        """
        parts = shapely.get_parts(np.asarray(self._geoms, dtype=object))
        coords, ring_ids = shapely.get_coordinates(shapely.get_rings(parts), return_index=True)
        splits = np.flatnonzero(np.diff(ring_ids)) + 1
        return [(c[:, 0].copy(), c[:, 1].copy()) for c in np.split(coords, splits)]

    def _check(self, index: int) -> int:
        if not 0 <= int(index) < len(self.countries):
            raise InputError(f"no country with index {index}", field="index")
        return int(index)

    @cached_property
    def _tree_pieces(self):
        """Countries cut into <= 5 deg tiles (lon/lat) for fast clipping against small cells."""
        geoms = np.asarray(self._geoms, dtype=object)
        parts, owner = shapely.get_parts(geoms, return_index=True)
        tiles = shapely.box(
            *np.meshgrid(np.arange(-180, 180, 5.0), np.arange(-90, 90, 5.0)),
            *np.meshgrid(np.arange(-175, 185, 5.0), np.arange(-85, 95, 5.0)),
        )
        tiles = tiles.ravel()
        tree = shapely.STRtree(parts)
        t_idx, p_idx = tree.query(tiles, predicate="intersects")
        pieces = shapely.intersection(parts[p_idx], tiles[t_idx])
        ok = ~shapely.is_empty(pieces) & (shapely.area(pieces) > 0)
        return pieces[ok], owner[p_idx][ok].astype(np.int16)


def load_countries(resolution: str = "50m") -> CountryMap:
    """The bundled Natural Earth admin-0 countries ("50m" default, or "110m"), loaded once."""
    return _load_countries(resolution)


@lru_cache(maxsize=4)
def _load_countries(resolution: str) -> CountryMap:
    return CountryMap(resolution)


# ----------------------------------------------------------------------------------------------
# Cell coverage


def country_coverage(
    lat_edges_deg: ArrayLike, lon_edges_deg: ArrayLike, *, resolution: str = "50m"
) -> Coverage:
    """Which country covers how much of each cell of a regular lat/lon grid.

    ``lat_edges_deg`` (monotonic, either direction) and ``lon_edges_deg`` (increasing, within
    [-180, 180]) are the cell edges in degrees.  Method: countries are cut into 5-degree tiles,
    projected to cylindrical equal-area (authalic latitude), clipped to each cell's rectangle
    (which stays a rectangle in that projection) with GEOS, and their areas divided by the
    cell's.  The fractions are therefore ellipsoidal area ratios, good to ~1e-6.  Cost: ~6 s
    for the 0.5-degree world grid; for that grid use :func:`load_gpw_coverage` instead.
    """
    lat_e = np.asarray(lat_edges_deg, dtype=float)
    lon_e = np.asarray(lon_edges_deg, dtype=float)
    if lat_e.ndim != 1 or lon_e.ndim != 1 or len(lat_e) < 2 or len(lon_e) < 2:
        raise InputError("cell edges must be 1-D arrays of at least two values", field="edges")
    if np.any(np.abs(lat_e) > 90) or np.any(np.abs(lon_e) > 180) or np.any(np.diff(lon_e) <= 0):
        raise InputError("lat edges must lie in [-90, 90], lon edges increase within [-180, 180]")
    if not (np.all(np.diff(lat_e) > 0) or np.all(np.diff(lat_e) < 0)):
        raise InputError("lat edges must be strictly monotonic", field="lat_edges_deg")
    cmap = load_countries(resolution)
    pieces, owner = cmap._tree_pieces
    pieces_ea = _to_equal_area(pieces)
    s = authalic_sine(lat_e)
    x = np.radians(lon_e)
    n_lat, n_lon = len(lat_e) - 1, len(lon_e) - 1
    rr, cc = np.meshgrid(np.arange(n_lat), np.arange(n_lon), indexing="ij")
    rr, cc = rr.ravel(), cc.ravel()
    y0 = np.minimum(s[rr], s[rr + 1])
    y1 = np.maximum(s[rr], s[rr + 1])
    boxes = shapely.box(x[cc], y0, x[cc + 1], y1)
    tree = shapely.STRtree(pieces_ea)
    b_idx, p_idx = tree.query(boxes, predicate="intersects")
    clipped = shapely.intersection(pieces_ea[p_idx], boxes[b_idx])
    area = shapely.area(clipped)
    # Sum the pieces of one country in one cell.
    key = b_idx.astype(np.int64) * (len(cmap.countries) + 1) + owner[p_idx]
    ukey, inv = np.unique(key, return_inverse=True)
    total = np.bincount(inv, weights=area)
    cell, country = np.divmod(ukey, len(cmap.countries) + 1)
    frac = total / shapely.area(boxes[cell])
    keep = frac > 0
    return Coverage(
        lat_edges_deg=lat_e,
        lon_edges_deg=lon_e,
        row=rr[cell[keep]].astype(np.int32),
        col=cc[cell[keep]].astype(np.int32),
        country=country[keep].astype(np.int16),
        fraction=np.minimum(frac[keep], 1.0),
    )


GPW_COVERAGE_FILE = "country_coverage_gpw_30min.npz"


@lru_cache(maxsize=2)
def load_gpw_coverage(resolution: str = "50m") -> Coverage:
    """:func:`country_coverage` precomputed for the GPW 0.5-degree grid (90 N -> 90 S rows,
    180 W -> 180 E columns), shipped in ``data/countries/`` and checked against the geojson."""
    if resolution != "50m":
        return country_coverage(np.linspace(90, -90, 361), np.linspace(-180, 180, 721),
                                resolution=resolution)  # fmt: skip
    cmap = load_countries(resolution)
    with data_file("countries", GPW_COVERAGE_FILE).open("rb") as fh, np.load(fh) as z:
        meta = json.loads(str(z["meta"]))
        if meta.get("source_sha256") != cmap.source_sha256:
            raise InputError(
                "shipped GPW coverage table was built from a different Natural Earth file; "
                "rebuild with tools/build_country_index.py",
                source=f"deorbit/data/countries/{GPW_COVERAGE_FILE}",
            )
        return Coverage(
            lat_edges_deg=np.linspace(90, -90, 361),
            lon_edges_deg=np.linspace(-180, 180, 721),
            row=z["row"].astype(np.int32),
            col=z["col"].astype(np.int32),
            country=z["country"].astype(np.int16),
            fraction=z["fraction"].astype(np.float64),
        )
