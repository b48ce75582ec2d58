"""The command line end to end: the main job, JSON schemas, and bad input (exit 2, one line)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deorbit.cli import main

ISS_TLE = """ISS (ZARYA)
1 25544U 98067A   25333.83453771  .00008010  00000-0  15237-3 0  9994
2 25544  51.6312 206.3646 0003723 184.1118 175.9840 15.49193835540850
"""


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_exposure_json_for_the_iss(capsys):
    code, out, _ = run_cli(["exposure", "ISS", "--json", "--days", "2"], capsys)
    assert code == 0
    data = json.loads(out)
    obj = data["object"]
    assert obj["norad_id"] == 25544
    assert obj["name"].startswith("ISS")
    assert obj["epoch_utc"] == "2025-11-29T20:01:44Z"
    assert obj["inclination_deg"] == pytest.approx(51.6312)
    assert data["method"] == "analytic"
    assert data["land_fraction"] + data["ocean_fraction"] == pytest.approx(1.0, abs=1e-9)
    assert 0.2 < data["land_fraction"] < 0.4
    rows = {r["adm0_a3"]: r for r in data["countries"]}
    for key in ("adm0_a3", "iso_a3", "name", "fraction", "population_under_band"):
        assert key in data["countries"][0]
    # The ISS reaches 51.8 N: southern Russia is under it, Greenland and Antarctica are not.
    assert rows["RUS"]["fraction"] > 0.005
    assert "GRL" not in rows or rows["GRL"]["fraction"] == 0.0
    assert "ATA" not in rows or rows["ATA"]["fraction"] == 0.0
    assert sum(r["fraction"] for r in data["countries"]) == pytest.approx(data["land_fraction"])


def test_summary_answers_the_russia_question(capsys):
    code, out, _ = run_cli(["summary", "ISS", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["flies_over_russia"] is True
    assert data["focus"]["RUS"]["fraction"] > 0
    assert data["focus"]["RUS"]["rank"] >= 1
    text = "\n".join(data["text"])
    assert "Russia" in text and "Yes" in text


def test_object_from_a_file(tmp_path, capsys):
    path = tmp_path / "iss.tle"
    path.write_text(ISS_TLE)
    code, out, _ = run_cli(["exposure", str(path), "--json", "--days", "1"], capsys)
    assert code == 0
    assert json.loads(out)["object"]["norad_id"] == 25544


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (ISS_TLE.replace("0  9994", "0  9995"), "checksum"),
        ("", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "text"),
    ],
)
def test_bad_files_give_one_line_and_exit_2(tmp_path, capsys, content, needle):
    path = tmp_path / "bad.tle"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    code, out, err = run_cli(["exposure", str(path)], capsys)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("deorbit: error:")
    assert needle in lines[0].lower()
    assert str(path) in lines[0]


def test_unknown_object_offline_exits_2(capsys):
    code, _, err = run_cli(["exposure", "NO SUCH SATELLITE"], capsys)
    assert code == 2
    assert "unknown object" in err.lower()


def test_decayed_element_set_is_refused(tmp_path, capsys):
    # Mean motion 16.45 rev/day puts the perigee near 130 km... 16.9 rev/day is below 100 km.
    from deorbit.elements import ElementSet
    from deorbit.formats import parse_text
    from deorbit.formats.tle import format_tle

    es = parse_text(ISS_TLE, "x").elements[0]
    decayed = ElementSet(
        **{
            **{f: getattr(es, f) for f in es.__dataclass_fields__},
            "mean_motion_rev_per_day": 16.95,
            "source": "",
            "line": None,
        }
    )
    path = tmp_path / "decayed.tle"
    path.write_text(format_tle(decayed))
    code, _, err = run_cli(["exposure", str(path)], capsys)
    assert code == 2
    assert "already decayed" in err


def test_bad_option_values_exit_2(capsys):
    code, _, err = run_cli(["exposure", "ISS", "--days", "-3"], capsys)
    assert code == 2
    assert "--days" in err
    code, _, err = run_cli(["exposure", "ISS", "--start", "yesterday-ish"], capsys)
    assert code == 2
    assert "start" in err


def test_plot_is_written(tmp_path, capsys):
    png = tmp_path / "out" / "iss.png"
    code, _, _ = run_cli(["exposure", "ISS", "--days", "1", "--plot", str(png)], capsys)
    assert code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(png.parent.glob(".*tmp"))


def test_console_script_runs_as_a_process(tmp_path):
    """The installed entry point: exit status and streams as a user sees them."""
    env = {**os.environ, "DEORBIT_CACHE_DIR": str(tmp_path)}
    exe = Path(sys.executable).with_name("deorbit")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "deorbit.cli"]
    ok = subprocess.run([*cmd, "summary", "ISS"], capture_output=True, text=True, env=env)
    assert ok.returncode == 0, ok.stderr
    assert "Russia" in ok.stdout
    bad = subprocess.run(
        [*cmd, "exposure", "/nonexistent/x.tle"], capture_output=True, text=True, env=env
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
