"""GPW v4 population grid: totals, per-country split, latitude bands, density lookup."""

from __future__ import annotations

import numpy as np
import pytest

from deorbit.errors import InputError
from deorbit.geography import load_countries, load_population, per_country, unassigned_population


@pytest.fixture(scope="module")
def grid():
    return load_population(2020, 0.5)


def test_grid_layout_and_world_total(grid):
    assert grid.count.shape == (360, 720)
    assert grid.lat_deg[0] == 89.75 and grid.lon_deg[0] == -179.75
    assert np.all(grid.count >= 0) and np.all(np.isfinite(grid.count))
    # UN WPP 2015 revision, medium variant, world 2020: about 7.76e9.
    assert grid.total == pytest.approx(7.76e9, rel=0.02)
    assert grid.area_km2.sum() == pytest.approx(510.0656e6, rel=1e-6)
    # 2005 is smaller, and the 1-degree grid holds the same people.
    assert load_population(2005).total == pytest.approx(6.5e9, rel=0.03)
    assert load_population(2020, 1.0).total == pytest.approx(grid.total, rel=1e-6)


@pytest.mark.parametrize("code", ["CHN", "IND", "USA", "IDN", "BRA", "RUS", "JPN"])
def test_big_countries_match_natural_earth_estimates(grid, code):
    cmap = load_countries()
    c = cmap.by_adm0(code)
    assert per_country(grid)[c.index] == pytest.approx(c.pop_est, rel=0.05)


def test_every_person_is_counted_once(grid):
    pc = per_country(grid)
    lost = unassigned_population(grid)
    assert pc.sum() + lost == pytest.approx(grid.total, rel=1e-12)
    assert 0 < lost < 1e-3 * grid.total  # cells no 1:50m polygon touches
    assert pc[load_countries().by_adm0("ATA").index] < 1e4


def test_latitude_bands_add_up(grid):
    bands = grid.per_latitude_band(np.arange(-90.0, 90.1, 7.5))
    assert bands.sum() == pytest.approx(grid.total, rel=1e-12)
    assert np.all(bands >= 0)
    # Most people live between 20 and 40 N; almost nobody south of 60 S.
    by_10 = grid.per_latitude_band(np.arange(-90.0, 90.1, 10.0))
    assert np.argmax(by_10) in (11, 12) and by_10[:3].sum() < 1e5
    # A band edge inside a cell splits the cell by area: 0.25 deg = half of a row.
    half = grid.per_latitude_band([45.0, 45.25])[0]
    row = grid.count[np.argmin(np.abs(grid.lat_deg - 45.25))].sum()
    assert half == pytest.approx(row / 2, rel=0.01)


def test_under_the_iss_band(grid):
    total, per = grid.under_band(51.64)
    assert 0.94 * grid.total < total < 0.99 * grid.total
    assert total == pytest.approx(grid.per_latitude_band([-51.64, 51.64])[0], rel=1e-12)
    cmap = load_countries()
    # All of India is south of 51.6 N; Russia mostly north of it; Moscow (55.75 N) is not under.
    assert per[cmap.by_adm0("IND").index] == pytest.approx(
        per_country(grid)[cmap.by_adm0("IND").index]
    )
    assert per[cmap.by_adm0("RUS").index] < 0.3 * per_country(grid)[cmap.by_adm0("RUS").index]
    full, per_full = grid.under_band(90.0, cmap)
    assert full == pytest.approx(grid.total, rel=1e-12)
    np.testing.assert_allclose(per_full, per_country(grid))
    total, per_all = grid.per_country(cmap)
    assert total == grid.total
    np.testing.assert_array_equal(per_all, per_country(grid))


def test_density_lookup(grid):
    d = grid.at([48.85, 0.0, -90.0, 40.0], [2.35, -150.0, 0.0, 540.0 - 360.0 * 2])
    assert d[0] > 1000  # Paris cell
    assert d[1] == 0.0 and d[2] == 0.0  # open ocean, South Pole
    # Same cell index as the grid: lat 48.85 -> row 82, lon 2.35 -> column 364.
    assert d[0] == grid.density_per_km2[82, 364]
    np.testing.assert_array_equal(grid.at(10.0, [20.0, 380.0]), grid.at(10.0, 20.0))
    with pytest.raises(InputError):
        grid.at(95.0, 0.0)
    with pytest.raises(InputError):
        grid.at(np.nan, 0.0)


def test_bad_requests():
    with pytest.raises(InputError):
        load_population(2010)
    with pytest.raises(InputError):
        load_population(2020, 0.25)
    with pytest.raises(InputError):
        load_population().under_band(95.0)
