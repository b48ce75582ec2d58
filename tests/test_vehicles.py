"""Rocket equation and vehicle presets."""

from __future__ import annotations

import math

import pytest

from deorbit.errors import InputError
from deorbit.vehicles import (
    G0_M_S2,
    VEHICLES,
    burn_duration_s,
    custom_vehicle,
    delta_v_for_propellant_m_s,
    get_vehicle,
    propellant_for_delta_v_kg,
)


def test_rocket_equation_round_trip_and_small_dv_limit():
    mp = propellant_for_delta_v_kg(100.0, 450_000.0, 300.0)
    assert delta_v_for_propellant_m_s(mp, 450_000.0, 300.0) == pytest.approx(100.0, rel=1e-12)
    # small dv: mp ~ m dv / (g0 Isp)
    assert propellant_for_delta_v_kg(0.01, 1e5, 300.0) == pytest.approx(
        1e5 * 0.01 / (G0_M_S2 * 300.0), rel=1e-5
    )
    assert mp == pytest.approx(450_000 * (1 - math.exp(-100 / (G0_M_S2 * 300))), rel=1e-12)


def test_burn_duration():
    # 800 N on 450 t for 0.54 m/s: ~300 s (the CRS-33 Dragon test burn was 303 s)
    assert burn_duration_s(0.54, 450_000.0, 800.0, 300.0) == pytest.approx(303.7, abs=1.0)


def test_presets_have_sources_and_check():
    for v in VEHICLES.values():
        v.check()
        assert v.source and v.thrust_n > 0 and v.propellant_kg > 0
    assert get_vehicle("USDV").key == "usdv"


def test_bad_vehicle_inputs():
    with pytest.raises(InputError, match="unknown vehicle"):
        get_vehicle("saturn-v")
    with pytest.raises(InputError, match="isp_s"):
        custom_vehicle(thrust_n=100.0, isp_s=-3.0, propellant_kg=10.0)
    with pytest.raises(InputError):
        delta_v_for_propellant_m_s(2e5, 1e5, 300.0)
