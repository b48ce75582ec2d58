"""The self-contained HTML report and the map/chart data it shares with the dashboard."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from deorbit.jobs import exposure_job, run_exposure
from deorbit.objects import bundled_history
from deorbit.report import render_report, write_report
from deorbit.service.views import countries_geojson, decay_curve, dumps, track_json

EXTERNAL = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)


class _Links(HTMLParser):
    """Every resource reference of a page: src/href/srcset/poster/data attributes, and
    ``url(...)`` and ``@import`` inside <style> blocks and style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tables: dict[str, str] = {}
        self._style = False
        self._table: str | None = None
        self._scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name in ("src", "href", "srcset", "poster", "data", "action", "formaction"):
            if a.get(name):
                self.refs.append((tag, name, a[name]))
        if a.get("style"):
            self._css(tag, a["style"])
        if tag == "style":
            self._style = True
        if tag == "script":
            self._scripts.append(a)
        if tag == "table" and a.get("id"):
            self._table = a["id"]
            self.tables[self._table] = ""

    def handle_endtag(self, tag):
        if tag == "style":
            self._style = False
        if tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._style:
            self._css("style", data)
        if self._table:
            self.tables[self._table] += data + "|"

    def _css(self, tag, text):
        for m in re.finditer(r"url\(\s*['\"]?([^'\")]+)", text):
            self.refs.append((tag, "url()", m.group(1)))
        for m in re.finditer(r"@import\s+(?:url\()?['\"]?([^'\");]+)", text):
            self.refs.append((tag, "@import", m.group(1)))


@pytest.fixture(scope="module")
def iss_report(tmp_path_factory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("report")
    path = write_report("ISS", out / "iss.html", png_dir=out / "png", days=2, samples=0)
    return path, out / "png"


def test_report_is_one_self_contained_file(iss_report):
    path, _ = iss_report
    text = path.read_text(encoding="utf-8")
    parser = _Links()
    parser.feed(text)
    external = [r for r in parser.refs if EXTERNAL.match(r[2])]
    assert external == []
    # nothing relative either: there is nothing beside the file to load
    loaded = [r for r in parser.refs if not r[2].startswith(("data:", "#"))]
    assert loaded == []
    assert all(not s.get("src") for s in parser._scripts)
    assert "<link" not in text.lower()


def test_report_has_the_country_table_and_the_data(iss_report):
    path, _ = iss_report
    text = path.read_text(encoding="utf-8")
    parser = _Links()
    parser.feed(text)
    table = parser.tables["country-table"]
    for name in ("Russia", "China", "United States of America"):
        assert name in table
    assert "Biggest cities" in text
    assert 'id="map"' in text
    assert "No re-entry prediction in this report" in text  # samples=0
    m = re.search(r'<script type="application/json" id="deorbit-data">(.*?)</script>', text, re.S)
    data = json.loads(m.group(1))
    want = exposure_job(run_exposure("ISS", days=2))
    assert [r["adm0_a3"] for r in data["exposure"]["countries"]] == [
        r["adm0_a3"] for r in want["countries"]
    ]
    assert data["exposure"]["countries"][0]["fraction"] == want["countries"][0]["fraction"]
    assert data["countries"]["type"] == "FeatureCollection"
    assert data["prediction"] is None
    # every row of the table is an exposure row, in the same order
    rows = [r for r in table.split("|") if r.strip()]
    assert rows.index("Russia") > rows.index("China")


def test_report_png_figures(iss_report):
    _, png = iss_report
    figure = png / "exposure.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (png / "decay.png").exists()  # no prediction, no decay figure


def test_report_with_a_prediction_section():
    run = run_exposure("ISS", days=1)
    exposure = exposure_job(run)
    prediction = {
        "as_of_utc": "2025-11-29T20:01:44Z",
        "ballistic_coefficient_m2_per_kg": 0.0051,
        "ballistic_coefficient_method": "published mass, area and Cd",
        "reentry": {
            "median_utc": "2026-09-01T10:00:00Z",
            "p05_utc": "2026-08-01T00:00:00Z",
            "p95_utc": "2026-10-01T00:00:00Z",
            "samples": 10,
            "samples_reentered": 10,
            "stop_alt_km": 80.0,
            "remaining_days_median": 275.6,
            "points": [{"epoch_utc": "2026-09-01T10:00:00Z", "lat_deg": 10.0, "lon_deg": 20.0}],
        },
        "assumptions": [{"quantity": "mass", "value": "450,000 kg", "source": "NASA <fact sheet>"}],
        "warnings": ["reboosts </script> stop"],
    }
    text = render_report(exposure, track_json(run), countries_geojson(), prediction, None)
    assert "2026-09-01T10:00:00Z" in text
    assert "275.6 days" in text
    assert "NASA &lt;fact sheet&gt;" in text  # escaped in the table
    # the embedded JSON cannot close its script element
    embedded = text.split('id="deorbit-data">')[1].split("</script>")[0]
    assert "</script" not in embedded
    assert json.loads(embedded)["prediction"]["warnings"] == ["reboosts </script> stop"]


def test_prediction_failure_is_reported_not_raised(tmp_path, monkeypatch):
    import deorbit.predict

    def broken(obj, options):
        from deorbit.errors import InputError

        raise InputError("the object has already re-entered")

    monkeypatch.setattr(deorbit.predict, "run_prediction", broken)
    path = write_report("ISS", tmp_path / "r.html", days=1, samples=5)
    text = path.read_text()
    assert "No re-entry prediction in this report: the object has already re-entered" in text


# -- the shared data --------------------------------------------------------------------------
def _fake_prediction(n: int = 40):
    """A Prediction-shaped object: n samples decaying linearly from 420 km, each re-entering
    at its own time (so fewer fly later on)."""
    history = bundled_history(25544)
    start = history[-1]
    t0 = np.datetime64(start.epoch_utc.replace(tzinfo=None), "ns")
    life_days = np.linspace(200.0, 300.0, n)
    steps = 60
    frac = np.linspace(0.0, 1.0, steps)[:, None]
    t = t0 + (frac * life_days[None, :] * 86400e9).astype("timedelta64[ns]")
    alt = 420.0 - 340.0 * frac * np.ones((1, n))
    hist = SimpleNamespace(t_utc=t, mean_alt_km=alt)
    nominal = SimpleNamespace(
        t_utc=t[:, n // 2 : n // 2 + 1], mean_alt_km=alt[:, n // 2 : n // 2 + 1]
    )

    def quantiles_utc(q=(0.05, 0.5, 0.95)):
        days = np.quantile(life_days, q)
        return [start.epoch_utc + timedelta(days=float(d)) for d in days]

    return SimpleNamespace(
        result=SimpleNamespace(history=hist, reentered=np.ones(n, bool)),
        nominal=SimpleNamespace(history=nominal),
        start=start,
        history=history,
        quantiles_utc=quantiles_utc,
    )


def test_decay_curve_band_and_window():
    p = _fake_prediction()
    curve = decay_curve(p, n_grid=50)
    band = curve["band"]
    assert len(band["t_unix_s"]) == 50
    # at the start every sample is at 420 km
    assert band["p05_km"][0] == band["p95_km"][0] == pytest.approx(420.0)
    # mid-way the fast decayers are lower: p05 < p50 < p95
    k = 20
    assert band["p05_km"][k] < band["p50_km"][k] < band["p95_km"][k]
    # at the very end only one sample flies: the band is left empty there
    assert band["samples_flying"][-1] < 4
    assert band["p50_km"][-1] is None
    w = curve["window"]
    assert w["p05_unix_s"] < w["median_unix_s"] < w["p95_unix_s"]
    start_s = p.start.epoch_utc.timestamp()
    assert (w["median_unix_s"] - start_s) / 86400 == pytest.approx(250.0, abs=0.01)
    # observed history: the last year of element sets, a - R_eq around the ISS's 415-425 km
    obs = curve["observed"]["mean_alt_km"]
    assert obs and all(380 < a < 440 for a in obs)
    assert max(curve["observed"]["t_unix_s"]) == pytest.approx(start_s)
    assert dumps(curve)  # strict JSON (no NaN)


def test_dumps_turns_nan_into_null():
    assert dumps({"a": float("nan"), "b": [1.0, float("inf")]}) == b'{"a":null,"b":[1.0,null]}'


def test_track_json_thins_and_limits():
    run = run_exposure("ISS", days=1, step_s=10)
    t = track_json(run, hours=2.0, min_step_s=60.0)
    assert t["step_s"] == 60.0
    assert len(t["t_unix_s"]) == 121
    assert t["t_unix_s"][1] - t["t_unix_s"][0] == 60.0
    start = datetime.fromtimestamp(t["t_unix_s"][0], UTC)
    assert start == run.track.times_utc[0].astype("datetime64[s]").astype(datetime).replace(
        tzinfo=UTC
    )


def test_report_includes_the_long_run_casualty_risk(tmp_path):
    """E_c, its ratio to the 1e-4 limit and the focus countries come from ``deorbit risk``."""
    from deorbit.jobs import resolve
    from deorbit.risk import RiskOptions, risk_json, run_risk

    path = write_report("ISS", tmp_path / "r.html", days=1, samples=0, risk_samples=200, seed=4)
    text = path.read_text(encoding="utf-8")
    links = _Links()
    links.feed(text)
    focus = links.tables["risk-focus-table"]
    for name in ("Russia", "United States", "European Union (27)", "India", "China"):
        assert name in focus
    expected = risk_json(
        run_risk(resolve("ISS"), RiskOptions(mode="long-run", samples=200, seed=4)), top=20
    )
    assert f"E_c = {expected['casualty_expectation']:.2e}" in text
    assert f"{expected['ratio_to_limit']:.1f}×" in text
    data = json.loads(re.search(r'id="deorbit-data">(.*?)</script>', text, re.S).group(1))
    assert data["risk"]["casualty_expectation"] == pytest.approx(expected["casualty_expectation"])
    # without risk samples the section says so
    none = write_report("ISS", tmp_path / "n.html", days=1, samples=0, risk_samples=0)
    assert 'id="risk-missing"' in none.read_text(encoding="utf-8")
