"""Reboost planner: Hohmann arithmetic, band logic, bad inputs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from deorbit.density import ConstantIndices, ZonalMeanDensity
from deorbit.errors import InputError
from deorbit.formats import load_elements
from deorbit.gravity import MU_KM3_S2, R_EQ_KM
from deorbit.reboost import hohmann_delta_v_m_s, plan_reboosts, reboost_json, spiral_delta_v_m_s
from deorbit.vehicles import custom_vehicle, get_vehicle

ISS = Path(__file__).resolve().parents[2] / "shared/validation/iss/25544_2024-2025_from_omm.tle"


@pytest.fixture(scope="module")
def es():
    if not ISS.exists():
        pytest.skip("shared validation data missing")
    return load_elements(ISS, lenient=True).elements[0]


@pytest.fixture(scope="module")
def density():
    return ZonalMeanDensity(ConstantIndices(180.0, 180.0, 15.0), model_version=2.1)


def test_hohmann_matches_analytic_leo_to_geo():
    # Vallado example 6-1: 191.34411 km -> 35781.34857 km: 2.457038 + 1.478187 km/s
    dv1, dv2 = hohmann_delta_v_m_s(6569.4781 - R_EQ_KM, 42159.4856 - R_EQ_KM)
    r1, r2 = 6569.4781, 42159.4856
    at = (r1 + r2) / 2
    exp1 = math.sqrt(MU_KM3_S2 * (2 / r1 - 1 / at)) - math.sqrt(MU_KM3_S2 / r1)
    exp2 = math.sqrt(MU_KM3_S2 / r2) - math.sqrt(MU_KM3_S2 * (2 / r2 - 1 / at))
    assert dv1 == pytest.approx(1e3 * exp1, rel=1e-12)
    assert dv2 == pytest.approx(1e3 * exp2, rel=1e-12)
    assert dv1 / 1e3 == pytest.approx(2.457, abs=2e-3) and dv2 / 1e3 == pytest.approx(
        1.478, abs=2e-3
    )


def test_small_raise_is_v_over_2a_and_spiral_close():
    dv = sum(hohmann_delta_v_m_s(400.0, 401.0))
    a = R_EQ_KM + 400.5
    assert dv == pytest.approx(1e3 * math.sqrt(MU_KM3_S2 / a) / (2 * a), rel=1e-4)
    assert spiral_delta_v_m_s(400, 420) - sum(hohmann_delta_v_m_s(400, 420)) == pytest.approx(
        0.0, abs=1e-4
    )


def test_band_logic(es, density):
    plan = plan_reboosts(
        es, band_low_km=412.0, band_high_km=418.0, years=0.5, vehicle=get_vehicle("progress-ms"),
        density=density, bc_m2_per_kg=0.00838, mass_kg=420_000.0,
    )  # fmt: skip
    assert plan.n_burns >= 2
    for b in plan.burns:
        assert b.from_alt_km == pytest.approx(412.0, abs=0.05)
        assert b.to_alt_km == 418.0
        assert b.delta_v_m_s == pytest.approx(sum(hohmann_delta_v_m_s(412.0, 418.0)), rel=1e-3)
    assert plan.alt_km.min() >= 411.9 and plan.alt_km.max() <= 419.2
    assert plan.delta_v_m_s_per_year == pytest.approx(plan.delta_v_total_m_s / 0.5)
    j = reboost_json(plan)
    assert j["burns"][0]["epoch_utc"].endswith("Z") and j["propellant_kg_per_year"] > 0
    # a lower ballistic coefficient needs fewer reboosts
    slow = plan_reboosts(
        es, band_low_km=412.0, band_high_km=418.0, years=0.5, vehicle=get_vehicle("progress-ms"),
        density=density, bc_m2_per_kg=0.003, mass_kg=420_000.0,
    )  # fmt: skip
    assert slow.delta_v_total_m_s < plan.delta_v_total_m_s


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"band_low_km": 420.0, "band_high_km": 410.0}, "below its upper edge"),
        ({"band_low_km": 140.0, "band_high_km": 200.0}, "below 150 km"),
        ({"years": 0.0}, "years"),
        ({"vehicle": custom_vehicle(thrust_n=400, isp_s=300, propellant_kg=10)}, "needs"),
    ],
)
def test_bad_inputs(es, density, kw, match):
    args = dict(
        band_low_km=412.0, band_high_km=418.0, years=1.0, vehicle=get_vehicle("progress-ms"),
        density=density, bc_m2_per_kg=0.00838, mass_kg=420_000.0,
    )  # fmt: skip
    args.update(kw)
    with pytest.raises(InputError, match=match):
        plan_reboosts(es, **args)
