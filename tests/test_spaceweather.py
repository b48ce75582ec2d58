"""Space weather: parser errors, MSIS index conventions, the as-of rule, loading and fetching."""

from __future__ import annotations

import http.server
import threading
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from deorbit.data import data_file
from deorbit.errors import FetchError, InputError
from deorbit.spaceweather import fetch_space_weather, load_space_weather, parse_sw_csv

BUNDLED = data_file("spaceweather", "SW-All.csv").read_text()
HEADER = BUNDLED.splitlines()[0]


@pytest.fixture(scope="module")
def sw():
    return load_space_weather()


def _small(n_obs: int = 120, last_date: str = "2026-02-23") -> str:
    """A slice of the bundled file ending at ``last_date`` plus its first 3 forecast rows."""
    lines = BUNDLED.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith(last_date))
    return "\n".join([HEADER, *lines[i - n_obs + 1 : i + 1], *lines[i + 1 : i + 4]]) + "\n"


def test_bundled_file_shape(sw):
    assert sw.last_observed_date == np.datetime64("2026-02-23")
    assert sw.dates[0] == np.datetime64("1957-10-01")
    assert set(np.unique(sw.data_type)) == {"OBS", "INT", "PRD", "PRM"}
    assert sw.ap_3h.shape == (len(sw.dates), 8)
    prm = sw.data_type == "PRM"
    assert np.all(np.isnan(sw.ap_daily[prm])) and np.all(np.isfinite(sw.f107_obs[prm]))


def test_centred_81_day_mean_matches_file_column(sw):
    """Our centred mean of observed F10.7 reproduces CelesTrak's column (to its rounding)."""
    days = np.arange(np.datetime64("1970-01-01"), np.datetime64("2025-10-01"), 37)
    ix = sw.indices(days.astype("datetime64[ns]"), mode="observed")
    rows = np.searchsorted(sw.dates, days)
    assert np.max(np.abs(ix.f107a_sfu - sw.f107_obs_ctr81[rows])) < 0.06
    np.testing.assert_array_equal(ix.f107_sfu, sw.f107_obs[rows - 1])  # previous day, observed
    np.testing.assert_array_equal(ix.ap_daily, sw.ap_daily[rows])


def test_ap_history_vector(sw):
    t = np.datetime64("2024-05-11T07:30", "ns")  # 3-h slot 2 of the May 2024 storm day
    row = int(np.searchsorted(sw.dates, np.datetime64("2024-05-11")))
    ix = sw.indices(t, mode="observed")
    flat = sw.ap_3h[row - 3 : row + 1].ravel()  # three previous days + this day
    now = 3 * 8 + 2
    expected = [
        sw.ap_daily[row],
        flat[now],
        flat[now - 1],
        flat[now - 2],
        flat[now - 3],
        flat[now - 11 : now - 3].mean(),
        flat[now - 19 : now - 11].mean(),
    ]
    np.testing.assert_allclose(ix.ap_history, expected)
    assert ix.ap_history[1] > 100  # a real storm


def test_as_of_uses_nothing_after_the_epoch(sw):
    """Changing observations after T must not change indices computed as of T."""
    as_of = datetime(2024, 5, 1, tzinfo=UTC)
    times = np.datetime64("2024-04-20", "ns") + np.arange(0, 90, 3).astype("timedelta64[D]")
    base = sw.indices(times, as_of_utc=as_of)
    text = BUNDLED.replace("2024-05-10,", "2024-05-10,", 1)
    lines = text.splitlines()
    k = next(i for i, line in enumerate(lines) if line.startswith("2024-05-10"))
    cells = lines[k].split(",")
    cells[24] = "999.0"  # F10.7_OBS after T
    lines[k] = ",".join(cells)
    other = parse_sw_csv("\n".join(lines), source="edited")
    again = other.indices(times, as_of_utc=as_of)
    np.testing.assert_array_equal(base.f107a_sfu, again.f107a_sfu)
    np.testing.assert_array_equal(base.f107_sfu, again.f107_sfu)
    # persistence values: mean of the 81 / 27 days before T
    before = (sw.dates < np.datetime64("2024-05-01")) & (sw.dates >= np.datetime64("2024-02-10"))
    assert base.f107_sfu[-1] == pytest.approx(sw.f107_obs[before].mean())
    last27 = (sw.dates < np.datetime64("2024-05-01")) & (sw.dates >= np.datetime64("2024-04-04"))
    assert base.ap_daily[-1] == pytest.approx(sw.ap_daily[last27].mean())
    assert any("persistence" in w for w in base.warnings)
    # observed mode does see the storm of 2024-05-10
    assert sw.indices(np.datetime64("2024-05-10T12", "ns"), mode="observed").ap_daily > 100


def test_forecast_and_staleness(sw):
    t = np.datetime64("2026-11-27T00", "ns")
    times = np.array([np.datetime64("2026-02-20", "ns"), t])
    ix = sw.indices(times, as_of_utc=datetime(2026, 2, 25, tzinfo=UTC))
    assert ix.warnings == (
        "space weather observed only to 2026-02-23; using forecast/persistence for 2026-02-24 onwards",
    )
    # default as-of is the earliest time: 2026-02-20 is before the last observation -> persistence
    assert "persistence" in sw.indices(times).warnings[0]
    # forecast rows are used as they are once the epoch is past the last observation
    row = int(np.searchsorted(sw.dates, np.datetime64("2026-03-01")))
    march = sw.indices(
        np.datetime64("2026-03-01T12", "ns"), as_of_utc=datetime(2026, 2, 25, tzinfo=UTC)
    )
    assert march.ap_daily == sw.ap_daily[row] and march.f107_sfu == sw.f107_obs[row - 1]
    assert sw.staleness([t]) == [
        "space weather observed only to 2026-02-23; using forecast/persistence for 2026-11-27 onwards"
    ]
    assert sw.staleness([np.datetime64("2025-01-01", "ns")]) == []
    # past the end of the file: last values held, and said so
    far = sw.indices(np.datetime64("2050-01-01", "ns"))
    assert far.f107_sfu == sw.f107_obs[-1]
    assert any("ends 2041-10-01" in w for w in far.warnings)


def test_naive_datetime_rejected(sw):
    with pytest.raises(ValueError, match="time zone"):
        sw.indices(datetime(2024, 1, 1))


@pytest.mark.parametrize(
    ("edit", "line", "field"),
    [
        (lambda c: c.__setitem__(24, "abc"), 3, "F10.7_OBS"),
        (lambda c: c.__setitem__(24, ""), 3, "F10.7_OBS"),
        (lambda c: c.__setitem__(12, "-5"), 3, "AP1"),
        (lambda c: c.__setitem__(26, "XYZ"), 3, "F10.7_DATA_TYPE"),
        (lambda c: c.__setitem__(0, "2024-13-01"), 3, "DATE"),
    ],
)
def test_parse_errors_name_line_and_field(edit, line, field):
    lines = _small(5).splitlines()
    cells = lines[line - 1].split(",")
    edit(cells)
    lines[line - 1] = ",".join(cells)
    with pytest.raises(InputError) as err:
        parse_sw_csv("\n".join(lines), source="x.csv")
    assert err.value.line == line and err.value.field == field
    assert str(err.value).startswith(f"x.csv:{line}, field {field}:")


def test_parse_rejects_other_files():
    with pytest.raises(InputError, match="missing columns"):
        parse_sw_csv("a,b\n1,2\n", source="x.csv")
    with pytest.raises(InputError, match="fields"):
        parse_sw_csv(HEADER + "\n2024-01-01,1\n", source="x.csv")
    lines = _small(5).splitlines()
    with pytest.raises(InputError, match="not after"):
        parse_sw_csv("\n".join([lines[0], lines[2], lines[1]]), source="x.csv")


def test_user_copy_overrides_only_when_newer(tmp_path, monkeypatch):
    monkeypatch.setenv("DEORBIT_DATA_DIR", str(tmp_path))
    (tmp_path / "SW-All.csv").write_text(_small(200, "2025-06-30"))
    assert load_space_weather().last_observed_date == np.datetime64("2026-02-23")  # older: bundled
    newer = _small(200).replace("2026-02-24,2625,27", "2026-02-24,2625,27").splitlines()
    cells = newer[-3].split(",")
    cells[26] = "OBS"
    newer[-3] = ",".join(cells)
    (tmp_path / "SW-All.csv").write_text("\n".join(newer))
    assert load_space_weather().last_observed_date == np.datetime64("2026-02-24")


def test_parsed_files_are_cached_by_content(tmp_path, monkeypatch):
    """A parsed file is stored in the cache folder keyed by its bytes: read back without
    parsing, parsed again when the file changes, a broken entry or an unwritable folder
    costs only the parse."""
    import deorbit.spaceweather as swmod

    def fields(x):
        return [np.asarray(getattr(x, f)) for f in swmod._CACHE_FIELDS]

    def same(a, b):
        for x, y in zip(fields(a), fields(b), strict=True):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)

    path = tmp_path / "SW-All.csv"
    path.write_text(_small(300))
    swmod._parse_path_cached.cache_clear()
    first = load_space_weather(path)
    entries = list(swmod._cache_dir().glob("SW-All-*.npz"))
    assert len(entries) == 1
    real_parse = swmod.parse_sw_csv

    def no_parse(*args, **kwargs):
        raise AssertionError("parsed although cached")

    monkeypatch.setattr(swmod, "parse_sw_csv", no_parse)
    swmod._parse_path_cached.cache_clear()
    cached = load_space_weather(path)
    same(cached, first)
    assert cached.source == str(path) and cached.last_observed_date == first.last_observed_date
    # another file content: another key, parsed
    monkeypatch.setattr(swmod, "parse_sw_csv", real_parse)
    path.write_text(_small(200))
    swmod._parse_path_cached.cache_clear()
    other = load_space_weather(path)
    assert len(other.dates) < len(first.dates)
    assert len(list(swmod._cache_dir().glob("SW-All-*.npz"))) == 2
    # a broken entry is parsed again (and replaced)
    for entry in swmod._cache_dir().glob("SW-All-*.npz"):
        entry.write_bytes(b"not a zip")
    swmod._parse_path_cached.cache_clear()
    same(load_space_weather(path), other)
    # an unwritable cache folder: still loads
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("DEORBIT_CACHE_DIR", str(blocker))
    swmod._parse_path_cached.cache_clear()
    same(load_space_weather(path), other)


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, bytes] = {}

    def do_GET(self):  # noqa: N802
        body = self.routes.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Handler.routes = {"/good.csv": _small(100).encode(), "/garbage.csv": b"<html>oops</html>"}
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_fetch_success_404_and_garbage(server, tmp_path, monkeypatch):
    dest = tmp_path / "data" / "SW-All.csv"
    assert fetch_space_weather(f"{server}/good.csv", dest=dest, timeout_s=5) == dest
    assert dest.read_bytes() == _small(100).encode()
    old = dest.read_bytes()
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch_space_weather(f"{server}/missing.csv", dest=dest, timeout_s=5)
    with pytest.raises(FetchError, match="not a valid"):
        fetch_space_weather(f"{server}/garbage.csv", dest=dest, timeout_s=5)
    assert dest.read_bytes() == old
    assert sorted(p.name for p in dest.parent.iterdir()) == ["SW-All.csv"]  # no temp files left
    # env URL and default destination
    monkeypatch.setenv("DEORBIT_SPACEWEATHER_URL", f"{server}/good.csv")
    monkeypatch.setenv("DEORBIT_DATA_DIR", str(tmp_path / "home"))
    assert fetch_space_weather(timeout_s=5) == Path(tmp_path / "home" / "SW-All.csv")


def test_fetch_nothing_written_on_404(server, tmp_path):
    dest = tmp_path / "SW-All.csv"
    with pytest.raises(FetchError):
        fetch_space_weather(f"{server}/missing.csv", dest=dest, timeout_s=5)
    assert not dest.exists()
