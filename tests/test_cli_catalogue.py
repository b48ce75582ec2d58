"""`deorbit ingest` and `deorbit watch` from the command line."""

from __future__ import annotations

import json
from datetime import datetime

from deorbit.cli import main


def test_ingest_then_watch_a_month_before_a_real_reentry(tmp_path, capsys, shared_dir):
    db = tmp_path / "catalogue.sqlite"
    tle = shared_dir / "validation" / "tles" / "44240.tle"
    code = main(["ingest", "--db", str(db), str(tle), "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    counts = json.loads(out)
    assert counts["new"] > 1000 and counts["rejected"] == []
    # Again: everything is a duplicate now.
    main(["ingest", "--db", str(db), str(tle), "--json"])
    again = json.loads(capsys.readouterr()[0])
    assert again["new"] == 0 and again["duplicate"] >= counts["new"]

    code = main(
        ["watch", "--db", str(db), "--as-of", "2021-03-10T00:00Z", "--workers", "0",
         "--samples", "10", "--json"]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert data["as_of_utc"] == "2021-03-10T00:00:00Z"
    (entry,) = [o for o in data["objects"] if o["norad_id"] == 44240]
    median = datetime.fromisoformat(entry["reentry"]["median_utc"].replace("Z", "+00:00"))
    truth = datetime.fromisoformat("2021-04-10T17:02:00+00:00")
    # A month out, within a week of the truth (the date-only truth is +-7 h).
    assert abs((median - truth).total_seconds()) < 7 * 86400


def test_ingest_reports_bad_records_with_file_and_line(tmp_path, capsys):
    bad = tmp_path / "mixed.tle"
    bad.write_text(
        "ISS (ZARYA)\n"
        "1 25544U 98067A   25333.83453771  .00008010  00000-0  15237-3 0  9994\n"
        "2 25544  51.6312 206.3646 0003723 184.1118 175.9840 15.49193835540850\n"
        "1 25545U 98067A   25333.83453771  .00008010  00000-0  15237-3 0  9999\n"
        "2 25545  51.6312 206.3646 0003723 184.1118 175.9840 15.49193835540850\n"
    )
    code = main(["ingest", "--db", str(tmp_path / "x.sqlite"), str(bad), "--json"])
    out, _ = capsys.readouterr()
    data = json.loads(out)
    assert code == 0
    assert data["new"] == 1
    assert len(data["rejected"]) == 1
    assert data["rejected"][0]["file"].endswith("mixed.tle")
    assert data["rejected"][0]["line"] in (4, 5)


def test_watch_rejects_a_bad_scheduler_address(tmp_path, capsys):
    code = main(["watch", "--db", str(tmp_path / "x.sqlite"), "--scheduler", "not-an-address"])
    _, err = capsys.readouterr()
    assert code == 2
    assert "scheduler" in err.lower()
