"""`deorbit predict` end to end: the peer cross-check, seeds, schema and bad input."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from deorbit.cli import main

DATA = "tests/data/predict/iss_2024.tle"


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def _iso(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def test_peer_cross_check_through_the_cli(capsys):
    """Same inputs as the issue's Orekit (day 525) and satkit (day 512) runs, via the fast path."""
    code, out, err = run(
        [
            "predict",
            DATA,
            "--json",
            "--samples",
            "1",
            "--f107",
            "150",
            "--ap",
            "15",
            "--bc-m2-per-kg",
            "0.00838",
            "--density-model",
            "msis00",
            "--stop-alt-km",
            "120",
        ],
        capsys,
    )
    assert code == 0, err
    data = json.loads(out)
    days = (
        _iso(data["reentry"]["median_utc"]) - _iso(data["last_element_epoch_utc"])
    ).total_seconds() / 86400
    # Within 5 % of both peers: [512 * 0.95, 525 * 1.05] would be too loose a band to test the
    # claim; require the stricter overlap of the two 5 % bands.
    assert 525 * 0.95 <= days <= 512 * 1.05, days
    assert data["ballistic_coefficient_m2_per_kg"] == pytest.approx(0.00838)
    assert data["reentry"]["samples"] == 1


def test_same_seed_same_answer_and_schema(capsys):
    args = ["predict", "ISS", "--no-reboost", "--json", "--samples", "8", "--seed", "7"]
    code, out1, _ = run(args, capsys)
    assert code == 0
    code, out2, _ = run(args, capsys)
    a, b = json.loads(out1), json.loads(out2)
    assert a["reentry"] == b["reentry"]
    for key in ("object", "last_element_epoch_utc", "ballistic_coefficient_m2_per_kg", "reentry"):
        assert key in a
    r = a["reentry"]
    assert _iso(r["p05_utc"]) <= _iso(r["median_utc"]) <= _iso(r["p95_utc"])
    assert len(r["points"]) == r["samples_reentered"]
    quantities = {x["quantity"] for x in a["assumptions"]}
    assert {"mass", "drag area", "drag coefficient"} <= quantities
    code, out3, _ = run(
        ["predict", "ISS", "--no-reboost", "--json", "--samples", "8", "--seed", "8"], capsys
    )
    assert json.loads(out3)["reentry"]["median_utc"] != r["median_utc"]


def test_maintained_station_warns_without_no_reboost(capsys):
    code, _, err = run(["predict", "ISS", "--samples", "1", "--f107", "150", "--ap", "15"], capsys)
    assert code == 0
    assert "reboost" in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--as-of", "1990-01-01T00:00Z"], "before the first element set"),
        (["--samples", "-4"], "--samples"),
        (["--f107", "150"], "--ap"),
        (["--space-weather", "guess"], "--space-weather"),
        (["--mass-kg", "100"], "--area-m2"),
    ],
)
def test_bad_input_exits_2(capsys, args, needle):
    code, out, err = run(["predict", DATA, *args], capsys)
    assert code == 2
    assert out == ""
    assert needle in err
    assert "Traceback" not in err


def test_decayed_elements_are_refused(tmp_path, capsys):
    path = tmp_path / "low.tle"
    # CZ-5B's last set has a 117 km perigee; a mean motion of 16.9 rev/day is below 100 km.
    from deorbit.elements import ElementSet
    from deorbit.formats import load_elements
    from deorbit.formats.tle import format_tle

    es = load_elements(DATA).elements[0]
    fields = {f: getattr(es, f) for f in ElementSet.__dataclass_fields__}
    path.write_text(format_tle(ElementSet(**{**fields, "mean_motion_rev_per_day": 16.95})))
    code, _, err = run(["predict", str(path), "--samples", "1"], capsys)
    assert code == 2
    assert "already decayed" in err
