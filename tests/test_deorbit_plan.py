"""Controlled-deorbit planner: zone, reachability, a fast plan."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from deorbit.density import ConstantIndices, ZonalMeanDensity
from deorbit.deorbit_plan import POINT_NEMO, deorbit_plan_json, load_zone, plan_deorbit
from deorbit.errors import InputError
from deorbit.formats import load_elements
from deorbit.vehicles import get_vehicle

ISS = Path(__file__).resolve().parents[2] / "shared/validation/iss/25544_2024-2025_from_omm.tle"


@pytest.fixture(scope="module")
def es():
    if not ISS.exists():
        pytest.skip("shared validation data missing")
    return load_elements(ISS, lenient=True).elements[-1]


@pytest.fixture(scope="module")
def density():
    return ZonalMeanDensity(ConstantIndices(150.0, 150.0, 15.0), model_version=2.1)


def test_spoua_zone_is_ocean_and_far_from_land():
    from deorbit.deorbit_plan import _min_land_distance_km
    from deorbit.geography import load_countries

    zone = load_zone()
    assert zone.contains(np.array([POINT_NEMO[0]]), np.array([POINT_NEMO[1]]))[0]
    lon, lat = np.asarray(zone.polygon.exterior.coords).T
    assert _min_land_distance_km(lat, lon, load_countries()) >= 370.0


def test_unreachable_zone(es, density, tmp_path):
    ring = [[0, 70], [20, 70], [20, 80], [0, 80], [0, 70]]
    p = tmp_path / "arctic.geojson"
    p.write_text(json.dumps({"type": "Polygon", "coordinates": [ring]}))
    with pytest.raises(InputError, match="beyond the reach"):
        plan_deorbit(
            es, vehicle=get_vehicle("usdv"), density=density, mass_kg=420_000.0,
            bc_m2_per_kg=0.00838, zone=load_zone(str(p)), samples=2,
        )  # fmt: skip


def test_bad_zone_file(tmp_path):
    p = tmp_path / "x.geojson"
    p.write_text("{not json")
    with pytest.raises(InputError):
        load_zone(str(p))


def test_fast_plan_lands_in_spoua(es, density):
    plan = plan_deorbit(
        es, vehicle=get_vehicle("usdv"), density=density, mass_kg=420_000.0,
        bc_m2_per_kg=0.00838, samples=8, search_days=0.5,
    )  # fmt: skip
    kinds = [b.kind for b in plan.burns]
    assert kinds == ["lowering", "lowering", "final"]
    # first-principles bound: the total equals circular -> (h0 x 40 km) at apogee
    assert 90.0 < plan.delta_v_total_m_s < 130.0
    assert plan.samples_reentered == 8
    assert plan.footprint_inside_probability > 0.9
    assert plan.meets_nasa_std_370km
    j = deorbit_plan_json(plan)
    for key in (
        "delta_v_total_m_s",
        "burns",
        "footprint_inside_probability",
        "casualty_expectation",
    ):
        assert key in j
