"""The analytic latitude density and its exact integral over polygons."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from deorbit.exposure import latitude_distribution, polygon_shares


def geocentric_cdf(lat_deg, inc_deg):
    """The textbook circular-orbit CDF, F = 1/2 + asin(sin(lat)/sin(i))/pi."""
    s = np.clip(np.sin(np.radians(lat_deg)) / np.sin(np.radians(inc_deg)), -1, 1)
    return 0.5 + np.arcsin(s) / np.pi


def test_cdf_is_a_distribution():
    dist = latitude_distribution(51.64, 420.0)
    assert dist.cdf(-90.0) == 0.0
    assert dist.cdf(90.0) == 1.0
    assert dist.cdf(0.0) == pytest.approx(0.5, abs=1e-12)
    lat = np.linspace(-90, 90, 2001)
    assert np.all(np.diff(dist.cdf(lat)) >= 0)


def test_geodetic_band_edge_exceeds_inclination_by_the_flattening_term():
    # At ISS height the geodetic latitude of the sub-satellite point exceeds the geocentric
    # latitude of the satellite: e^2 sin(2 phi) / 2 * R/r ~ 0.18 deg at 51.6 deg.
    dist = latitude_distribution(51.64, 420.0)
    assert 51.64 + 0.12 < dist.max_lat_deg < 51.64 + 0.22
    # Deep inside the band the distribution is the geocentric one, shifted by that small term.
    lat_c = np.array([-40.0, -10.0, 0.0, 20.0, 45.0])
    e2 = 6.69437999014e-3
    shift = np.degrees(0.5 * e2 * np.sin(2 * np.radians(lat_c))) * 6378.137 / (6378.137 + 420)
    np.testing.assert_allclose(dist.cdf(lat_c + shift), geocentric_cdf(lat_c, 51.64), atol=2e-4)


def test_retrograde_orbit_mirrors_prograde():
    a = latitude_distribution(97.5, 500.0)
    b = latitude_distribution(82.5, 500.0)
    lat = np.linspace(-85, 85, 101)
    np.testing.assert_allclose(a.cdf(lat), b.cdf(lat), atol=1e-12)


def test_whole_sphere_is_one_and_band_rectangles_are_exact():
    dist = latitude_distribution(51.64, 420.0)
    world = box(-180, -90, 180, 90)
    rects = [box(-30, -10, 40, 25), box(100, 50, 120, 60), box(-180, -90, 180, -60)]
    shares = polygon_shares([world, *rects], dist)
    assert shares[0] == pytest.approx(1.0, abs=1e-12)
    # A lon/lat rectangle holds (F(north) - F(south)) * width / 360, straddling the edge too.
    assert shares[1] == pytest.approx((dist.cdf(25) - dist.cdf(-10)) * 70 / 360, abs=1e-12)
    assert shares[2] == pytest.approx((1.0 - dist.cdf(50)) * 20 / 360, abs=1e-12)
    assert shares[3] == 0.0  # entirely south of the band


def test_holes_and_slanted_edges_against_brute_force_integration():
    """A slanted polygon with a hole, straddling the singular band edge, integrated by brute force.

    The brute-force reference integrates the time measure dF dlambda/360 over a fine
    longitude grid: for each longitude column the polygon's latitude intervals are found from
    shapely, and F is evaluated at their ends.  Nothing is shared with the edge formula.
    """
    dist = latitude_distribution(51.64, 420.0)
    outer = [(10, 20), (70, 35), (60, 58), (25, 53), (5, 45)]
    hole = [(30, 40), (45, 42), (40, 50.5)]
    poly = Polygon(outer, [hole])
    share = polygon_shares([poly], dist)[0]

    lons = np.linspace(5, 70, 26001)
    lons = 0.5 * (lons[1:] + lons[:-1])
    dlon = (70 - 5) / 26000
    total = 0.0
    for lon in lons:
        cut = shapely.intersection(poly, shapely.LineString([(lon, -90), (lon, 90)]))
        for seg in shapely.get_parts(cut):
            ys = shapely.get_coordinates(seg)[:, 1]
            total += (dist.cdf(ys.max()) - dist.cdf(ys.min())) * dlon / 360
    assert share == pytest.approx(total, rel=1e-5)


def test_shares_scale_with_longitude_width():
    dist = latitude_distribution(97.0, 550.0)
    a, b = polygon_shares([box(0, 10, 1, 30), box(0, 10, 90, 30)], dist)
    assert b == pytest.approx(90 * a, rel=1e-12)
