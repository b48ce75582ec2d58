"""`deorbit risk` end to end: long run vs exposure, short windows, schema and bad input."""

from __future__ import annotations

import json

import pytest

from deorbit.cli import main


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_long_run_json_schema_and_convergence(capsys, tmp_path):
    gj = tmp_path / "grid.geojson"
    code, out, err = run(
        ["risk", "ISS", "--long-run", "--samples", "4000", "--json", "--geojson", str(gj)], capsys
    )
    assert code == 0, err
    d = json.loads(out)
    assert d["window"] is None
    for key in (
        "ocean_probability",
        "countries",
        "casualty_area_m2",
        "casualty_expectation",
        "probability_of_casualty",
        "ratio_to_limit",
    ):
        assert key in d
    assert {"norad_id", "name", "inclination_deg"} <= set(d["object"])
    row = d["countries"][0]
    assert {"adm0_a3", "name", "probability", "casualty_expectation"} <= set(row)
    assert d["land_probability"] + d["ocean_probability"] == pytest.approx(1.0, abs=1e-9)
    # The footprint E_c of a long-run re-entry approaches the analytic long-run figure.
    assert d["casualty_expectation"] == pytest.approx(d["long_run_casualty_expectation"], rel=0.15)
    # Against the analytic exposure (the same quantity without fragment dispersion).
    code, out2, _ = run(["exposure", "ISS", "--json", "--days", "1"], capsys)
    exposure = {r["adm0_a3"]: r["fraction"] for r in json.loads(out2)["countries"]}
    risk = {r["adm0_a3"]: r["probability"] for r in d["countries"]}
    for code3 in ("CHN", "USA", "RUS", "CAN"):
        assert risk[code3] == pytest.approx(exposure[code3], rel=0.15)
    doc = json.loads(gj.read_text())
    total = sum(f["properties"]["probability"] for f in doc["features"])
    assert total == pytest.approx(1.0 - 0.0, abs=1e-6)


def test_a_short_window_collapses_to_a_strip(capsys):
    code, out, err = run(
        [
            "risk",
            "ISS",
            "--window",
            "2025-11-29T21:00:00Z",
            "2025-11-29T21:03:00Z",
            "--samples",
            "500",
            "--json",
            "--casualty-area-m2",
            "50",
        ],
        capsys,
    )
    assert code == 0, err
    d = json.loads(out)
    assert d["window"]["start_utc"] == "2025-11-29T21:00:00Z"
    # Three minutes of track is ~1,400 km; with up to ~2,000 km of downrange spread the
    # points stay within one quadrant of the globe, unlike the long run.

    assert d["samples_valid"] == 500
    assert len([r for r in d["countries"] if r["probability"] > 0]) < 15


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--window", "2026-01-02T00:00Z", "2026-01-01T00:00Z"], "before it starts"),
        (["--long-run", "--window", "2026-01-01T00:00Z", "2026-01-02T00:00Z"], "not both"),
        (["--long-run", "--casualty-area-m2", "-5"], "--casualty-area-m2"),
        (["--long-run", "--samples", "0"], "--samples"),
        (["--long-run", "--breakup-alt-km", "20"], "--breakup-alt-km"),
        (["--long-run", "--as-of", "2025-03-09T12:00Z"], "--as-of"),
    ],
)
def test_bad_options_exit_2(capsys, args, needle):
    code, out, err = run(["risk", "ISS", *args], capsys)
    assert code == 2
    assert needle in err


def test_bad_fragment_file_names_the_field(capsys, tmp_path):
    path = tmp_path / "frags.json"
    path.write_text(json.dumps([{"name": "tank", "mass_kg": -3, "area_m2": 1.0}]))
    code, _, err = run(["risk", "ISS", "--long-run", "--fragments", str(path)], capsys)
    assert code == 2
    assert "mass_kg" in err and str(path) in err
    path.write_text(json.dumps([{"name": "tank", "mass_kg": 3, "area_m2": 1.0, "colour": "red"}]))
    code, _, err = run(["risk", "ISS", "--long-run", "--fragments", str(path)], capsys)
    assert code == 2
    assert "colour" in err
