"""Resolving OBJECT: aliases, numbers, files, names; offline sources; online with fallback."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from deorbit.celestrak import GPQuery
from deorbit.elements import format_utc
from deorbit.errors import FetchError, InputError, UnknownObjectError
from deorbit.formats import format_tle
from deorbit.objects import bundled_history, fetch, resolve_object
from deorbit.store import AddCounts, ElementStore, StoreError, default_store_path
from httpserver import FakeCelestrak, LocalHTTPServer, Reply, gp_record

BUNDLED = bundled_history(25544)
ISS_OLD = BUNDLED[-1]  # 2025-11-29
NOW = datetime(2026, 2, 1, 12, tzinfo=UTC)
FETCHED = datetime(2026, 1, 31, 8, 30, tzinfo=UTC)
# A fresher ISS set than the bundled ones, as CelesTrak would serve it later.
ISS_NEW = replace(ISS_OLD, epoch_utc=datetime(2026, 1, 30, 6, 0, 0, 123456, tzinfo=UTC))
TIANHE = replace(ISS_OLD, norad_id=48274, name="CSS (TIANHE)", intl_designator="2021-035A")
STARLINKS = [
    replace(ISS_OLD, norad_id=44713 + i, name=f"STARLINK-{1007 + i}", intl_designator="2019-074A")
    for i in range(12)
]


@pytest.fixture
def store(tmp_path):
    with ElementStore(tmp_path / "elements.sqlite") as opened:
        yield opened


@pytest.fixture
def server(monkeypatch):
    with LocalHTTPServer() as srv:
        monkeypatch.setenv("DEORBIT_CELESTRAK_URL", srv.url)
        yield srv


@pytest.fixture
def celestrak(server):
    fake = FakeCelestrak([ISS_NEW, TIANHE, *STARLINKS], groups={"stations": [25544, 48274]})
    fake.install(server)
    return fake


def content(store: ElementStore) -> list[str]:
    """The logical content of a store's file, for 'nothing changed' checks."""
    raw = sqlite3.connect(store.path)
    try:
        return list(raw.iterdump())
    finally:
        raw.close()


# -- offline: aliases, numbers, bundled data ---------------------------------------------------
@pytest.mark.parametrize(
    "spec", ["ISS", "iss", "Zarya", "ISS (ZARYA)", "  iss   (zarya) ", "25544"]
)
def test_iss_resolves_offline_to_the_bundled_history(spec):
    resolved = resolve_object(spec)
    assert resolved.norad_id == 25544
    assert resolved.name == "ISS (ZARYA)"
    assert len(resolved.history) == 500  # 499 + 1 from the two bundled files
    epochs = [es.epoch_utc for es in resolved.history]
    assert epochs == sorted(epochs) and len(set(epochs)) == len(epochs)
    assert resolved.latest == resolved.history[-1] == ISS_OLD
    assert resolved.provenance == "bundled snapshot, latest epoch 2025-11-29T20:01:44Z"
    assert resolved.as_of_utc is None
    assert resolved.warnings == []
    assert not default_store_path().exists()  # offline resolution creates no cache


def test_unknown_name_offline():
    with pytest.raises(UnknownObjectError) as info:
        resolve_object("TIANHE")
    assert str(info.value) == (
        "unknown object 'TIANHE': not in the local cache or the bundled data (offline); "
        "try --online, or give a file"
    )
    assert info.value.exit_code == 2


def test_unknown_number_offline(store):
    with pytest.raises(UnknownObjectError, match=r"unknown object '48274': not in the local"):
        resolve_object("48274", store=store)


def test_corrupt_default_cache_is_reported_not_ignored():
    path = default_store_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage" * 1000)
    with pytest.raises(StoreError, match="corrupt") as info:
        resolve_object("ISS")
    assert str(info.value).startswith(f"{path}: ")
    assert path.read_bytes() == b"garbage" * 1000


@pytest.mark.parametrize(
    ("spec", "needle"),
    [("", "no object given"), ("0", "outside 1..339999"), ("1234567", "outside")],
)
def test_bad_specs(spec, needle):
    with pytest.raises(InputError, match=needle):
        resolve_object(spec)


def test_cache_newer_than_bundled_wins_and_histories_merge(store):
    store.add([ISS_NEW, BUNDLED[0]], source="url", fetched_utc=FETCHED)
    resolved = resolve_object("ISS", store=store)
    assert resolved.latest == ISS_NEW
    assert resolved.provenance == "local cache, as of 2026-01-31T08:30:00Z (offline)"
    assert resolved.as_of_utc == FETCHED
    assert len(resolved.history) == 501  # the cached copy of BUNDLED[0] is not doubled
    assert resolved.history[:-1] == BUNDLED


def test_bundled_newer_than_cache_wins(store):
    store.add([BUNDLED[0]], source="old", fetched_utc=FETCHED)
    resolved = resolve_object("25544", store=store)
    assert resolved.latest == ISS_OLD
    assert resolved.provenance.startswith("bundled snapshot, latest epoch 2025-11-29T20:01:44Z")
    assert resolved.as_of_utc is None


def test_cached_object_by_number_and_name(store):
    store.add([TIANHE, *STARLINKS], source="url", fetched_utc=FETCHED)
    assert resolve_object("48274", store=store).name == "CSS (TIANHE)"
    by_name = resolve_object("tianhe", store=store)
    assert by_name.norad_id == 48274
    assert by_name.provenance == "local cache, as of 2026-01-31T08:30:00Z (offline)"
    assert resolve_object("starlink-1010", store=store).norad_id == 44716  # exact match


def test_ambiguous_name_lists_up_to_ten_matches(store):
    store.add(STARLINKS, source="url", fetched_utc=FETCHED)
    with pytest.raises(InputError) as info:
        resolve_object("starlink", store=store)
    message = str(info.value)
    assert message.startswith("'starlink' matches 12 objects: 44713 STARLINK-1007; ")
    assert "44722 STARLINK-1016" in message and "44723" not in message
    assert "and 2 more" in message and "catalogue number" in message
    # norad_id= picks one of the matches
    assert resolve_object("starlink", store=store, norad_id=44720).name == "STARLINK-1014"


# -- files ---------------------------------------------------------------------------------------
def test_file_with_one_object(tmp_path):
    path = tmp_path / "iss.tle"
    path.write_text("".join(format_tle(es) + "\n" for es in BUNDLED[-3:]))
    resolved = resolve_object(str(path))
    assert resolved.norad_id == 25544
    assert resolved.history == BUNDLED[-3:]
    assert resolved.provenance == f"file {path}"
    assert resolved.as_of_utc is None
    assert {es.source for es in resolved.history} == {str(path)}


def test_file_without_suffix_or_slash_is_still_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "elements").write_text(format_tle(ISS_OLD) + "\n")
    assert resolve_object("elements").provenance == "file elements"


def test_file_with_several_objects(tmp_path):
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps([gp_record(ISS_OLD), gp_record(TIANHE)]))
    with pytest.raises(InputError) as info:
        resolve_object(str(path))
    message = str(info.value)
    assert message.startswith(f"{path}: file holds 2 objects (")
    assert "25544 ISS (ZARYA)" in message and "48274 CSS (TIANHE)" in message
    assert "--norad N" in message
    assert resolve_object(str(path), norad_id=48274).latest == TIANHE
    with pytest.raises(InputError, match=r"catalogue number 1 is not in this file; it holds 25544"):
        resolve_object(str(path), norad_id=1)


def test_lenient_file_reports_skipped_records(tmp_path):
    path = tmp_path / "iss.json"
    bad = gp_record(BUNDLED[0]) | {"ECCENTRICITY": 7}
    path.write_text(json.dumps([bad, gp_record(ISS_OLD)]))
    with pytest.raises(InputError, match="eccentricity"):
        resolve_object(str(path))
    resolved = resolve_object(str(path), lenient=True)
    assert resolved.history == [ISS_OLD]
    assert len(resolved.warnings) == 1 and "1 record(s) skipped" in resolved.warnings[0]


@pytest.mark.parametrize("name", ["missing.tle", "dir/missing", "x.JSON", "a.omm", "b.kvn"])
def test_missing_file(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as info:
        resolve_object(name)
    assert str(info.value) == f"{name}: no such file"


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(InputError, match="not an element-set file"):
        resolve_object(str(tmp_path) + "/")


# -- online ----------------------------------------------------------------------------------------
def test_online_fetches_stores_and_merges(celestrak, server, store):
    resolved = resolve_object("ISS", online=True, store=store, now_utc=NOW)
    assert server.requests[-1].query["CATNR"] == ["25544"]
    assert resolved.latest == ISS_NEW
    assert resolved.provenance == "CelesTrak CATNR=25544, fetched 2026-02-01T12:00:00Z"
    assert resolved.as_of_utc == NOW
    assert resolved.history[:-1] == BUNDLED
    assert resolved.warnings == []
    assert store.latest(25544) == ISS_NEW
    assert store.query("CATNR=25544") == ([ISS_NEW], NOW)
    # afterwards, offline use finds it in the cache
    offline = resolve_object("ISS", store=store)
    assert offline.latest == ISS_NEW
    assert offline.provenance == "local cache, as of 2026-02-01T12:00:00Z (offline)"


def test_online_uses_the_default_store(celestrak):
    resolve_object("48274", online=True, now_utc=NOW)
    with ElementStore(default_store_path()) as opened:
        assert opened.latest(48274) == TIANHE


def test_online_name_query(celestrak, server, store):
    resolved = resolve_object("tianhe", online=True, store=store, now_utc=NOW)
    assert server.requests[-1].query["NAME"] == ["TIANHE"]
    assert resolved.norad_id == 48274
    assert resolved.provenance == "CelesTrak NAME=TIANHE, fetched 2026-02-01T12:00:00Z"
    with pytest.raises(InputError, match=r"'STARLINK' matches 12 objects: 44713 STARLINK-1007"):
        resolve_object("STARLINK", online=True, store=store, now_utc=NOW)
    assert resolve_object("starlink-1010", online=True, store=store, now_utc=NOW).norad_id == 44716


def test_online_failure_falls_back_to_the_cache_with_a_warning(server, store):
    server.route("/NORAD/elements/gp.php", Reply(500, b"down", content_type="text/plain"))
    store.add([ISS_NEW], source="earlier", fetched_utc=FETCHED)
    resolved = resolve_object("ISS", online=True, store=store, now_utc=NOW)
    assert resolved.latest == ISS_NEW
    assert resolved.as_of_utc == FETCHED
    assert resolved.provenance == "local cache, as of 2026-01-31T08:30:00Z (offline)"
    assert resolved.warnings == [
        "CelesTrak unreachable (HTTP 500 Internal Server Error - server error, try again later); "
        "using cached elements as of 2026-01-31T08:30:00Z"
    ]


def test_online_timeout_falls_back_to_bundled_data(server, store):
    server.route("/NORAD/elements/gp.php", Reply(200, b"[]", delay_s=3))
    resolved = resolve_object("ISS", online=True, store=store, timeout_s=0.2)
    assert resolved.latest == ISS_OLD
    assert resolved.warnings == [
        "CelesTrak unreachable (timed out after 0.2 s); using the bundled snapshot "
        f"(latest epoch {format_utc(ISS_OLD.epoch_utc)})"
    ]


def test_online_failure_with_nothing_cached(store):
    # conftest's DEORBIT_CELESTRAK_URL is the discard port: connection refused.
    with pytest.raises(FetchError) as info:
        resolve_object("48274", online=True, store=store, timeout_s=2)
    message = str(info.value)
    assert message.startswith("CelesTrak CATNR=48274 (http://127.0.0.1:9/NORAD/elements/gp.php")
    assert "cannot connect" in message
    assert message.endswith(", and nothing is cached")
    with pytest.raises(FetchError, match="and nothing is cached"):
        resolve_object("tianhe", online=True, store=store, timeout_s=2)


def test_online_unknown_object(celestrak, store):
    with pytest.raises(UnknownObjectError, match=r"no GP data for CATNR=99999"):
        resolve_object("99999", online=True, store=store, now_utc=NOW)
    # known locally but gone from CelesTrak (decayed): cached data with a warning
    store.add([replace(TIANHE, norad_id=99999)], source="old", fetched_utc=FETCHED)
    resolved = resolve_object("99999", online=True, store=store, now_utc=NOW)
    assert resolved.as_of_utc == FETCHED
    assert resolved.warnings[0].startswith("CelesTrak has no GP data for CATNR=99999")


# -- fetch: counts, and nothing written on failure ----------------------------------------------
def test_fetch_counts_new_and_duplicate_sets(celestrak, store):
    first = fetch(GPQuery.group("stations"), store=store, now_utc=NOW)
    assert first.counts == AddCounts(new=2, duplicate=0)
    assert (first.new, first.duplicate) == (2, 0)
    assert first.norad_ids == [25544, 48274]
    assert first.fetched_utc == NOW
    later = NOW + timedelta(hours=2)
    again = fetch(GPQuery.group("stations"), store=store, now_utc=later)
    assert again.counts == AddCounts(new=0, duplicate=2)
    assert store.query("GROUP=stations") == ([ISS_NEW, TIANHE], later)


FAILURES = {
    "500": Reply(500, b"down"),
    "403": Reply(403, b"go away"),
    "garbage": Reply(200, bytes(range(256)) * 3),
    "html": Reply(200, b"<html><body>portal</body></html>", content_type="text/html"),
    "truncated": Reply(200, json.dumps([gp_record(ISS_NEW)]).encode()[:-40]),
    "wrong-shape": Reply(200, b'{"OBJECT_NAME": 1}'),
    "no-data": Reply(200, b"No GP data found", content_type="text/plain"),
    "bad-record": Reply(200, json.dumps([gp_record(ISS_NEW) | {"MEAN_MOTION": -1}]).encode()),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_failed_fetch_leaves_the_store_unchanged(celestrak, tmp_path, case):
    path = tmp_path / "elements.sqlite"
    with ElementStore(path) as opened:
        opened.add(BUNDLED[:50], source="seed", fetched_utc=FETCHED)
        opened.record_query("CATNR=25544", [25544], FETCHED)
        before = content(opened)
    before_bytes = path.read_bytes()
    celestrak.override = FAILURES[case]
    with ElementStore(path) as opened:
        with pytest.raises((FetchError, UnknownObjectError)):
            fetch(GPQuery.catnr(25544), store=opened, now_utc=NOW, timeout_s=5)
        assert content(opened) == before
    assert path.read_bytes() == before_bytes
