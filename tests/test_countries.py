"""Point -> country lookup against the real Natural Earth polygons (shapely as the authority)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from deorbit.errors import InputError
from deorbit.geography import (
    NO_POSITION,
    OCEAN,
    CountryMap,
    cell_area_km2,
    country_coverage,
    load_countries,
    load_gpw_coverage,
)


@pytest.fixture(scope="module")
def cmap() -> CountryMap:
    return load_countries("50m")


def brute_force(cmap: CountryMap, lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """Country covering each point by shapely, and how many countries cover it."""
    tree = shapely.STRtree(cmap._geoms)
    pt_idx, geom_idx = tree.query(shapely.points(lon, lat), predicate="covered_by")
    hits = np.bincount(pt_idx, minlength=len(lat))
    want = np.full(len(lat), OCEAN)
    want[pt_idx] = geom_idx
    return want, hits


def code(cmap, lat, lon) -> str:
    i = int(cmap.lookup(lat, lon))
    return "ocean" if i == OCEAN else cmap.countries[i].adm0_a3


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (48.8566, 2.3522, "FRA"),  # Paris
        (55.7558, 37.6173, "RUS"),  # Moscow
        (40.78, -73.97, "USA"),  # New York, Central Park (Manhattan's tip is sea at 1:50m)
        (35.68, 139.69, "JPN"),  # Tokyo
        (-33.87, 151.2, "AUS"),
        (0.0, -150.0, "ocean"),  # mid-Pacific
        (-80.0, 0.0, "ATA"),
        (-90.0, 0.0, "ATA"),  # South Pole: south of Natural Earth's last vertex
        (90.0, 0.0, "ocean"),  # North Pole
        (42.0, 50.0, "ocean"),  # Caspian Sea: in no admin-0 polygon
    ],
)
def test_known_points(cmap, lat, lon, expected):
    assert code(cmap, lat, lon) == expected


@pytest.mark.parametrize(
    ("lon", "border_lat", "north", "south"),
    [
        # US-Canada 49th parallel: Natural Earth puts it at 48.993066 between vertices
        # at -110.747656 and -110.321289.
        (-110.5, 48.993066, "CAN", "USA"),
        (-100.3, 48.993115, "CAN", "USA"),
        # Egypt-Sudan 22nd parallel, between vertices at 29.564551 and 29.94668.
        (29.75, 21.995117, "EGY", "SDN"),
    ],
)
def test_straight_borders_either_side(cmap, lon, border_lat, north, south):
    lat = np.array([border_lat + 1e-6, border_lat - 1e-6])
    got = cmap.lookup(lat, [lon, lon])
    assert [cmap.countries[i].adm0_a3 for i in got] == [north, south]
    want, hits = brute_force(cmap, lat, np.array([lon, lon]))
    assert np.all(hits == 1)
    np.testing.assert_array_equal(got, want)


def test_points_just_off_random_edges_match_shapely(cmap):
    """2,000 random polygon edges, a point 1e-7 deg off each side: the hardest cases."""
    rng = np.random.default_rng(7)
    edges = cmap._edges
    length = np.hypot(edges[:, 2] - edges[:, 0], edges[:, 3] - edges[:, 1])
    pick = rng.choice(np.flatnonzero(length > 1e-4), 2000, replace=False)
    x1, y1, x2, y2 = edges[pick].T
    t = rng.uniform(0.1, 0.9, len(pick))
    nx, ny = -(y2 - y1) / length[pick], (x2 - x1) / length[pick]
    d = 1e-7
    lon = np.concatenate([x1 + t * (x2 - x1) + d * nx, x1 + t * (x2 - x1) - d * nx])
    lat = np.concatenate([y1 + t * (y2 - y1) + d * ny, y1 + t * (y2 - y1) - d * ny])
    # Skip the documented exception: the 120 m cap south of Antarctica's last vertex.
    ok = (np.abs(lon) < 180) & (lat > -89.998926) & (lat < 90)
    lon, lat = lon[ok], lat[ok]
    want, hits = brute_force(cmap, lat, lon)
    got = cmap.lookup(lat, lon)
    assert np.all(hits <= 1)
    np.testing.assert_array_equal(got, want)
    assert 0.3 < np.mean(got == OCEAN) < 0.7  # coasts: about half the points in the sea


@pytest.mark.parametrize("resolution", ["50m", "110m"])
def test_random_sphere_points_match_shapely(resolution):
    cmap = load_countries(resolution)
    rng = np.random.default_rng(2025)
    n = 20_000
    lon = rng.uniform(-180, 180, n)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    want, hits = brute_force(cmap, lat, lon)
    on_boundary = hits > 1
    assert on_boundary.sum() == 0  # measure zero: none expected
    got = cmap.lookup(lat, lon)
    np.testing.assert_array_equal(got, want)
    assert 0.25 < np.mean(got >= 0) < 0.32  # land is ~29 % of the sphere


@pytest.mark.parametrize("lon", [179.99, -179.99, 180.0, -180.0, 540.0, -540.0])
def test_antimeridian_fiji_and_chukotka(cmap, lon):
    # Natural Earth splits both at +-180; a point on the line goes to the eastern (-180) piece.
    assert code(cmap, -16.8, lon) == "FJI"
    assert code(cmap, 66.0, lon) == "RUS"
    assert code(cmap, -85.0, lon) == "ATA"


def test_antimeridian_convention_matches_eastern_piece(cmap):
    lat = np.linspace(-89.9, 89.9, 3000)
    got = cmap.lookup(lat, np.full_like(lat, 180.0))
    want, _ = brute_force(cmap, lat, np.full_like(lat, -180.0 + 1e-9))
    np.testing.assert_array_equal(got, want)


def test_longitude_wraps_and_shape_is_kept(cmap):
    lat = np.array([[48.8566, 0.0], [55.7558, -80.0]])
    lon = np.array([[2.3522, -150.0], [37.6173, 0.0]])
    got = cmap.lookup(lat, lon)
    assert got.shape == (2, 2) and got.dtype == np.int16
    np.testing.assert_array_equal(cmap.lookup(lat, lon + 360.0), got)
    np.testing.assert_array_equal(cmap.lookup(lat, lon - 720.0), got)
    assert cmap.lookup(48.8566, 2.3522).shape == ()


def test_nan_gives_no_position_and_out_of_range_raises(cmap):
    got = cmap.lookup([np.nan, 48.8566, 10.0], [0.0, 2.3522, np.nan])
    assert got[0] == NO_POSITION and got[2] == NO_POSITION
    assert cmap.countries[got[1]].adm0_a3 == "FRA"
    with pytest.raises(InputError, match="outside the globe"):
        cmap.lookup([0.0, 90.5], [0.0, 0.0])
    with pytest.raises(InputError):
        cmap.lookup(-91.0, 0.0)
    with pytest.raises(InputError):
        cmap.lookup(0.0, np.inf)


def test_country_metadata(cmap):
    fra = cmap.by_adm0("FRA")
    assert fra.iso_a3 == "FRA" and fra.name == "France" and fra.continent == "Europe"
    assert cmap.countries[fra.index] is fra
    assert cmap.by_adm0("KOS").iso_a3 is None  # Natural Earth's "-99"
    assert cmap.by_iso("USA").adm0_a3 == "USA"
    with pytest.raises(InputError):
        cmap.by_adm0("XXX")
    with pytest.raises(InputError):
        cmap.geometry(len(cmap.countries))
    assert cmap.geometry(fra.index).geom_type == "MultiPolygon"
    assert cmap.name_of(OCEAN) == "ocean"
    assert len({c.adm0_a3 for c in cmap.countries}) == len(cmap.countries) == 242


def test_areas_on_the_ellipsoid(cmap):
    area = cmap.area_km2()
    # France with overseas departments ~ 551,695 + 83,534 (Guiana) + small islands.
    assert area[cmap.by_adm0("FRA").index] == pytest.approx(6.4e5, rel=0.02)
    assert area[cmap.by_adm0("RUS").index] == pytest.approx(1.71e7, rel=0.02)
    assert area.sum() == pytest.approx(1.48e8, rel=0.02)  # land incl. Antarctica
    # The whole grid is the ellipsoid's area, 510.0656e6 km2.
    total = cell_area_km2(np.linspace(90, -90, 181), np.linspace(-180, 180, 361)).sum()
    assert total == pytest.approx(510.0656e6, rel=1e-6)


def test_boundaries_are_closed_rings(cmap):
    rings = cmap.boundaries()
    assert len(rings) > 1000
    assert all(lon[0] == lon[-1] and lat[0] == lat[-1] for lon, lat in rings)
    assert sum(len(lon) for lon, _ in rings) == len(cmap._edges) + len(rings)


def test_gpw_coverage_adds_up_to_country_areas(cmap):
    cov = load_gpw_coverage()
    cells = cell_area_km2(cov.lat_edges_deg, cov.lon_edges_deg)
    per_country = np.bincount(
        cov.country, weights=cov.fraction * cells[cov.row, cov.col], minlength=len(cmap.countries)
    )
    np.testing.assert_allclose(per_country, cmap.area_km2(), rtol=1e-5, atol=1.0)
    assert cov.land_fraction().max() <= 1.0 + 1e-6


def test_coverage_of_a_small_grid_matches_the_shipped_table():
    lat_e = np.arange(50.0, 41.5, -0.5)  # France and neighbours, 0.5 deg cells on GPW edges
    lon_e = np.arange(-5.0, 10.5, 0.5)
    cov = country_coverage(lat_e, lon_e)
    ref = load_gpw_coverage()
    r0, c0 = 80, 350  # GPW row of 50 N, column of 5 W
    sel = (ref.row >= r0) & (ref.row < r0 + 16) & (ref.col >= c0) & (ref.col < c0 + 30)
    a = sorted(zip(cov.row + r0, cov.col + c0, cov.country, strict=True))
    b = sorted(zip(ref.row[sel], ref.col[sel], ref.country[sel], strict=True))
    assert a == b
    # A cell wholly inside France (around Bourges, 47 N 2.5 E) is 100 % French.
    fra = load_countries().by_adm0("FRA").index
    k = (cov.row == 6) & (cov.col == 15)
    assert cov.country[k].tolist() == [fra] and cov.fraction[k][0] == pytest.approx(1.0)


def test_index_refuses_a_different_geojson():
    fresh = CountryMap("50m")
    fresh.source_sha256 = "0" * 64  # as if the geojson had been edited after the build
    with pytest.raises(InputError, match="rebuild"):
        fresh.lookup(0.0, 0.0)


def test_unknown_resolution():
    with pytest.raises(InputError):
        load_countries("10m")
