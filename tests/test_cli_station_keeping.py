"""`deorbit reboost` and `deorbit deorbit-plan` from the command line."""

from __future__ import annotations

import json

import pytest

from deorbit.cli import main


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_reboost_json(capsys):
    code, out, err = run(
        ["reboost", "ISS", "--band", "412", "418", "--years", "0.5", "--json"], capsys
    )
    assert code == 0, err
    d = json.loads(out)
    assert d["delta_v_m_s_per_year"] > 0
    assert d["propellant_kg_per_year"] > 0
    assert all({"epoch_utc", "delta_v_m_s"} <= set(b) for b in d["burns"])


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--band", "420", "410"], "not below"),
        (["--band", "120", "140"], "below 150 km"),
        (["--band", "412", "418", "--vehicle", "warp-drive"], "warp-drive"),
        (["--band", "412", "418", "--years", "0"], "--years"),
    ],
)
def test_reboost_bad_input_exits_2(capsys, args, needle):
    code, _, err = run(["reboost", "ISS", *args], capsys)
    assert code == 2
    assert needle in err


def test_deorbit_plan_json(capsys):
    code, out, err = run(
        ["deorbit-plan", "ISS", "--samples", "5", "--decay-to-km", "330", "--json"], capsys
    )
    assert code == 0, err
    d = json.loads(out)
    for key in (
        "delta_v_total_m_s",
        "burns",
        "footprint_inside_probability",
        "casualty_expectation",
    ):
        assert key in d
    # Two-body bound from a circular 330 km orbit to a 40 km perigee: 85.6 m/s.
    assert 75 < d["delta_v_total_m_s"] < 110
    assert d["propellant_total_kg"] <= d["vehicle"]["propellant_kg"]


def test_deorbit_plan_without_enough_propellant_exits_2(capsys):
    # From the full ~420 km orbit the ISS needs ~110 m/s, more than 16 t of USDV propellant gives;
    # a Progress carries far less still.
    for args in ([], ["--vehicle", "progress-ms"]):
        code, out, err = run(["deorbit-plan", "ISS", "--samples", "2", *args], capsys)
        assert code == 2
        assert out == ""
        assert "propellant" in err and "--decay-to-km" in err


def test_deorbit_plan_unreachable_zone(tmp_path, capsys):
    zone = tmp_path / "arctic.geojson"
    zone.write_text(json.dumps({"type": "Feature", "properties": {"name": "Arctic"},
                                "geometry": {"type": "Polygon", "coordinates": [[[-10, 80], [10, 80], [10, 85], [-10, 85], [-10, 80]]]}}))  # fmt: skip
    code, _, err = run(["deorbit-plan", "ISS", "--target", str(zone), "--samples", "2"], capsys)
    assert code == 2
    assert "reach" in err.lower() or "inclination" in err.lower()
