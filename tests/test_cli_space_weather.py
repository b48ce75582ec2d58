"""`deorbit update-space-weather` against a real local server: success writes, failure keeps."""

from __future__ import annotations

import os

from deorbit.cli import main
from deorbit.data import data_file
from httpserver import LocalHTTPServer, Reply


def test_update_space_weather_success_and_failure(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DEORBIT_DATA_DIR", str(tmp_path))
    body = data_file("spaceweather", "SW-All.csv").read_bytes()
    with LocalHTTPServer() as server:
        server.route("/SW-All.csv", Reply(200, body))
        server.route("/broken.csv", Reply(200, b"<html>maintenance</html>"))
        server.route("/missing.csv", Reply(404, b"not found"))
        code = main(["update-space-weather", "--url", f"{server.url}/SW-All.csv"])
        out, err = capsys.readouterr()
        assert code == 0, err
        written = tmp_path / "SW-All.csv"
        assert written.read_bytes() == body
        assert "observed to 2026-02-23" in out
        before = os.stat(written).st_mtime_ns
        for bad in ("/broken.csv", "/missing.csv"):
            code = main(["update-space-weather", "--url", f"{server.url}{bad}"])
            _, err = capsys.readouterr()
            assert code == 2, err
            assert err.startswith("deorbit: error:")
            # the previous file is kept, and no temporary file is left behind
            assert written.read_bytes() == body
            assert os.stat(written).st_mtime_ns == before
            assert sorted(p.name for p in tmp_path.iterdir()) == ["SW-All.csv"]
