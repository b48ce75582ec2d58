"""The SQLite element store: round trips, de-duplication, ordering, schema and damaged files."""

from __future__ import annotations

import random
import sqlite3
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from deorbit.errors import InputError
from deorbit.objects import bundled_history
from deorbit.store import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    AddCounts,
    ElementStore,
    StoreError,
    StoreStats,
    default_store_path,
    us_to_utc,
    utc_to_us,
)

HISTORY = bundled_history(25544)  # 500 real ISS sets, epoch-sorted
ISS = HISTORY[-1]
FETCHED = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    with ElementStore(tmp_path / "elements.sqlite") as opened:
        yield opened


def other(norad_id: int, name: str, days: float = 0.0):
    return replace(
        ISS, norad_id=norad_id, name=name, epoch_utc=ISS.epoch_utc + timedelta(days=days)
    )


# -- location ----------------------------------------------------------------------------------
def test_default_path_is_in_the_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("DEORBIT_DATA_DIR", str(tmp_path / "d"))
    assert default_store_path() == tmp_path / "d" / "elements.sqlite"
    monkeypatch.delenv("DEORBIT_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_store_path() == tmp_path / "xdg" / "deorbit" / "elements.sqlite"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.delenv("DEORBIT_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    expected = tmp_path / "home" / ".local" / "share" / "deorbit" / "elements.sqlite"
    assert default_store_path() == expected


def test_a_store_at_the_earlier_cache_location_is_still_used(monkeypatch, tmp_path):
    monkeypatch.setenv("DEORBIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DEORBIT_CACHE_DIR", str(tmp_path / "cache"))
    with ElementStore(tmp_path / "cache" / "elements.sqlite"):
        pass
    assert default_store_path() == tmp_path / "cache" / "elements.sqlite"
    with ElementStore(tmp_path / "data" / "elements.sqlite"):
        pass  # once the data folder has one, it wins
    assert default_store_path() == tmp_path / "data" / "elements.sqlite"


def test_default_store_is_created_in_the_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("DEORBIT_DATA_DIR", str(tmp_path / "new" / "dir"))
    with ElementStore() as opened:
        assert opened.path == tmp_path / "new" / "dir" / "elements.sqlite"
    assert opened.path.is_file()


# -- round trip --------------------------------------------------------------------------------
def test_round_trip_is_exact(store):
    counts = store.add(HISTORY, source="bundled:elements", fetched_utc=FETCHED)
    assert counts == AddCounts(new=500, duplicate=0)
    back = store.history(25544)
    assert back == HISTORY  # ElementSet equality: every field, epochs to the microsecond
    assert [es.epoch_utc for es in back] == [es.epoch_utc for es in HISTORY]
    assert all(es.epoch_utc.utcoffset() == timedelta(0) for es in back)
    assert {es.source for es in back} == {"bundled:elements"}
    assert [es.line for es in back] == [es.line for es in HISTORY]
    assert store.latest(25544) == ISS
    assert store.latest(99999) is None
    assert store.history(99999) == []
    assert store.stats() == StoreStats(objects=1, element_sets=500, queries=0)


def test_data_survive_reopening(tmp_path):
    path = tmp_path / "e.sqlite"
    with ElementStore(path) as first:
        first.add(HISTORY[:10], source="a", fetched_utc=FETCHED)
    with ElementStore(path) as second:
        assert second.history(25544) == HISTORY[:10]


def test_time_conversion_is_exact():
    for t in (ISS.epoch_utc, datetime(1957, 10, 4, 19, 28, 34, 1, tzinfo=UTC), FETCHED):
        assert us_to_utc(utc_to_us(t)) == t
    with pytest.raises(InputError, match="no time zone"):
        utc_to_us(datetime(2025, 1, 1))


# -- de-duplication ----------------------------------------------------------------------------
def test_duplicates_are_counted_not_stored(store):
    assert store.add(HISTORY[:300], source="a", fetched_utc=FETCHED) == AddCounts(300, 0)
    assert store.add(HISTORY[200:], source="b", fetched_utc=FETCHED) == AddCounts(200, 100)
    assert store.add(HISTORY, source="c", fetched_utc=FETCHED) == AddCounts(0, 500)
    assert store.stats().element_sets == 500
    # the first writer of a (norad_id, epoch) is kept
    assert store.history(25544)[250].source == "a"
    assert store.history(25544)[350].source == "b"


def test_repeats_within_one_batch_keep_the_first(store):
    changed = replace(ISS, element_set_no=123, source="second")
    counts = store.add([ISS, changed, ISS], source="batch", fetched_utc=FETCHED)
    assert counts == AddCounts(new=1, duplicate=2)
    assert store.latest(25544).element_set_no == ISS.element_set_no


def test_empty_add(store):
    assert store.add([], source="nothing", fetched_utc=FETCHED) == AddCounts(0, 0)
    assert store.stats() == StoreStats(0, 0, 0)


# -- ordering and filtering --------------------------------------------------------------------
def test_history_is_sorted_whatever_the_insert_order(store):
    shuffled = list(HISTORY)
    random.Random(7).shuffle(shuffled)
    for start in range(0, 500, 100):
        store.add(shuffled[start : start + 100], source="s", fetched_utc=FETCHED)
    assert store.history(25544) == HISTORY
    cut = HISTORY[123].epoch_utc
    assert store.history(25544, until_utc=cut) == HISTORY[:124]
    assert store.history(25544, until_utc=cut - timedelta(microseconds=1)) == HISTORY[:123]


def test_objects_are_kept_apart(store):
    store.add(
        [other(48274, "CSS (TIANHE)"), ISS, other(48274, "CSS (TIANHE)", -1)],
        source="s",
        fetched_utc=FETCHED,
    )
    assert [es.norad_id for es in store.history(48274)] == [48274, 48274]
    assert store.history(25544) == [ISS]
    assert store.latest(48274).epoch_utc == ISS.epoch_utc


# -- names -------------------------------------------------------------------------------------
def test_find_name_exact_then_prefix_then_substring(store):
    sets = [
        other(44713, "STARLINK-1007"),
        other(44714, "STARLINK-1008"),
        other(45000, "STARLINK-10070"),
        other(48274, "CSS (TIANHE)"),
        other(46000, "DEB OF STARLINK-1009"),
        ISS,
    ]
    store.add(sets, source="s", fetched_utc=FETCHED)
    assert store.find_name("starlink-1007") == [44713]  # exact beats prefix
    assert store.find_name("Starlink-100") == [44713, 44714, 45000]  # prefix
    assert store.find_name("tianhe") == [48274]  # substring
    assert store.find_name("LINK-1009") == [46000]
    assert store.find_name("  iss   (zarya) ") == [25544]
    assert store.find_name("nothing like it") == []
    assert store.find_name("%") == []  # LIKE wildcards are literal
    assert store.find_name("_") == []
    assert store.find_name("") == []
    assert store.names([44713, 48274, 1]) == {44713: "STARLINK-1007", 48274: "CSS (TIANHE)"}


def test_object_name_follows_the_newest_epoch(store):
    store.add([other(50000, "NEW NAME", 1)], source="s", fetched_utc=FETCHED)
    store.add([other(50000, "OBJECT A", -30)], source="s", fetched_utc=FETCHED)  # older set
    assert store.find_name("new name") == [50000]
    assert store.find_name("object a") == []
    store.add([other(50000, "", 2)], source="s", fetched_utc=FETCHED)  # nameless TLE
    assert store.names([50000]) == {50000: "NEW NAME"}
    # within one batch too, whatever the order of the sets
    store.add(
        [other(50001, "LATER", 5), other(50001, "EARLIER", 4)], source="s", fetched_utc=FETCHED
    )
    assert store.names([50001]) == {50001: "LATER"}


# -- queries -----------------------------------------------------------------------------------
def test_query_record_returns_latest_set_per_object(store):
    assert store.query("GROUP=stations") is None
    tianhe_old, tianhe_new = other(48274, "CSS (TIANHE)", -1), other(48274, "CSS (TIANHE)")
    counts = store.add_query_result(
        "GROUP=stations", [ISS, tianhe_old], source="url", fetched_utc=FETCHED
    )
    assert counts == AddCounts(2, 0)
    store.add([tianhe_new], source="later", fetched_utc=FETCHED + timedelta(hours=1))
    sets, fetched = store.query("GROUP=stations")
    assert fetched == FETCHED
    assert sets == [ISS, tianhe_new]  # sorted by catalogue number, newest set of each
    later = FETCHED + timedelta(days=1)
    store.record_query("GROUP=stations", [48274], later)
    sets, fetched = store.query("GROUP=stations")
    assert (sets, fetched) == ([tianhe_new], later)
    assert store.stats().queries == 1


def test_last_fetched_counts_queries_that_brought_only_duplicates(store):
    assert store.last_fetched_utc(25544) is None
    store.add([ISS], source="a", fetched_utc=FETCHED)
    assert store.last_fetched_utc(25544) == FETCHED
    later = FETCHED + timedelta(hours=3)
    assert store.add_query_result("CATNR=25544", [ISS], source="b", fetched_utc=later).new == 0
    assert store.last_fetched_utc(25544) == later


# -- atomicity ---------------------------------------------------------------------------------
def test_failed_add_writes_nothing(store):
    store.add(HISTORY[:5], source="a", fetched_utc=FETCHED)
    naive = replace(HISTORY[7], epoch_utc=HISTORY[7].epoch_utc.replace(tzinfo=None))
    with pytest.raises(InputError, match="no time zone"):
        store.add([HISTORY[6], naive, HISTORY[8]], source="b", fetched_utc=FETCHED)
    with pytest.raises(InputError, match="no time zone"):
        store.add_query_result(
            "Q", [HISTORY[6]], source="b", fetched_utc=FETCHED.replace(tzinfo=None)
        )
    assert store.history(25544) == HISTORY[:5]
    assert store.stats() == StoreStats(1, 5, 0)


# -- schema and damaged files ------------------------------------------------------------------
def test_schema_is_versioned_and_marked(store):
    assert store.schema_version == SCHEMA_VERSION >= 1
    raw = sqlite3.connect(store.path)
    try:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert raw.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        raw.close()
    assert {"element_sets", "objects", "ingests", "queries", "query_objects"} <= tables


def _expect_store_error(path: Path, pattern: str) -> StoreError:
    with pytest.raises(StoreError, match=pattern) as info, ElementStore(path) as opened:
        opened.history(25544)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    assert info.value.exit_code == 2
    return info.value


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a database at all" * 100,
        bytes(range(256)) * 64,
        b"SQLite format 3\x00" + b"\xff" * 4000,
    ],
)
def test_garbage_file_is_reported_not_overwritten(tmp_path, content):
    path = tmp_path / "elements.sqlite"
    path.write_bytes(content)
    _expect_store_error(path, r"not a deorbit element store, or the database is corrupt")
    assert path.read_bytes() == content


def test_foreign_sqlite_database_is_refused_untouched(tmp_path):
    path = tmp_path / "other.sqlite"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE recipes (name TEXT)")
    raw.commit()
    raw.close()
    before = path.read_bytes()
    _expect_store_error(path, r"not a deorbit element store \(an SQLite database of something")
    assert path.read_bytes() == before


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "e.sqlite"
    ElementStore(path).close()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.commit()
    raw.close()
    _expect_store_error(path, r"schema version \d+ is newer")


def test_damaged_pages_are_reported(tmp_path):
    path = tmp_path / "e.sqlite"
    with ElementStore(path) as opened:
        opened.add(HISTORY, source="s", fetched_utc=FETCHED)
    data = bytearray(path.read_bytes())
    assert len(data) > 8192  # the WAL was checkpointed into the file on close
    data[4096:] = b"\xa5" * (len(data) - 4096)  # wipe every page after the first
    path.write_bytes(bytes(data))
    _expect_store_error(path, r"corrupt")


def test_empty_file_becomes_a_store(tmp_path):
    path = tmp_path / "e.sqlite"
    path.touch()
    with ElementStore(path) as opened:
        assert opened.schema_version == SCHEMA_VERSION


def test_unwritable_location_is_a_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the folder"):
        ElementStore(blocker / "sub" / "e.sqlite")


# -- speed -------------------------------------------------------------------------------------
def test_bulk_insert_is_fast(store):
    """50 000 sets of 5 000 objects in one add (a catalogue-sized batch); generous bound."""
    base = ISS.epoch_utc
    sets = [
        replace(ISS, norad_id=10000 + i % 5000, epoch_utc=base + timedelta(minutes=i))
        for i in range(50_000)
    ]
    start = time.process_time()
    counts = store.add(sets, source="bulk", fetched_utc=FETCHED)
    seconds = time.process_time() - start
    assert counts == AddCounts(50_000, 0)
    assert seconds < 2.5, f"{50_000 / seconds:,.0f} sets/s"
    assert store.stats() == StoreStats(objects=5000, element_sets=50_000, queries=0)
    assert len(store.history(10007)) == 10


# -- schema v2: migration and predictions --------------------------------------------------------
def test_v1_store_is_migrated_in_place(tmp_path):
    from deorbit.store import MIGRATIONS

    path = tmp_path / "v1.sqlite"
    raw = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        raw.execute(statement)
    raw.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    raw.execute("PRAGMA user_version = 1")
    raw.commit()
    raw.close()
    with ElementStore(path) as opened:
        assert opened.schema_version == SCHEMA_VERSION == 3
        opened.add(HISTORY[:3], source="s", fetched_utc=FETCHED)
        assert opened.predictions(25544) == []
    with ElementStore(path) as again:
        assert again.history(25544) == HISTORY[:3]


def test_predictions_round_trip_with_their_inputs(store):
    from deorbit.store import PredictionRecord

    t = FETCHED
    rec = PredictionRecord(
        norad_id=44238, as_of_utc=t, element_epoch_utc=t - timedelta(hours=5),
        bc_m2_per_kg=0.031, bc_method="decay", space_weather_mode="asof",
        space_weather_version="msis21", seed=123456789, samples=200, engine="screen",
        code_version="0.1.0", median_utc=t + timedelta(days=20), p05_utc=None,
        p95_utc=t + timedelta(days=25), result_json='{"x": 1}', created_utc=t,
    )  # fmt: skip
    assert store.add_predictions([rec, replace(rec, as_of_utc=t + timedelta(days=1))]) == 2
    back = store.predictions(44238)
    assert back == [rec, replace(rec, as_of_utc=t + timedelta(days=1))]
    assert store.predictions(44238, as_of_utc=t) == [rec]
    assert store.predictions(1) == []


def test_add_columns_matches_add_and_is_one_transaction(tmp_path):
    from deorbit.catalogue.ingest import rows_from_element_sets

    with ElementStore(tmp_path / "a.sqlite") as a, ElementStore(tmp_path / "b.sqlite") as b:
        assert a.add(HISTORY, source="s", fetched_utc=FETCHED) == AddCounts(500, 0)
        cols = rows_from_element_sets(HISTORY)
        seen = []
        counts = b.add_columns(
            cols, source="s", fetched_utc=FETCHED, chunk_rows=128,
            progress=lambda done, total: seen.append((done, total)),
        )  # fmt: skip
        assert counts == AddCounts(500, 0)
        assert seen == [(128, 500), (256, 500), (384, 500), (500, 500)]
        assert a.element_rows() == b.element_rows()
        assert b.history(25544) == HISTORY and b.names([25544]) == a.names([25544])
        assert b.add_columns(cols, source="t", fetched_utc=FETCHED) == AddCounts(0, 500)

        def boom(done, total):
            raise RuntimeError("killed")

        other_cols = [list(c) for c in cols]
        other_cols[0] = [99999] * 500
        with pytest.raises(RuntimeError):
            b.add_columns(
                other_cols, source="u", fetched_utc=FETCHED, chunk_rows=100, progress=boom
            )
        assert b.history(99999) == [] and b.integrity_check() == "ok"


def test_catalogue_rows_respect_as_of(store):
    store.add(HISTORY, source="s", fetched_utc=FETCHED)
    cut = HISTORY[300].epoch_utc
    latest, earlier = store.catalogue_rows(cut, lookback_days=10)
    assert len(latest) == 1 and latest[0][0] == 25544 and latest[0][3] == utc_to_us(cut)
    assert latest[0][1] == "ISS (ZARYA)"
    ((nid, epoch_us, n),) = earlier
    assert nid == 25544 and 1 <= (utc_to_us(cut) - epoch_us) / 86_400e6 <= 10
    assert store.catalogue_rows(HISTORY[0].epoch_utc - timedelta(days=1)) == ([], [])


# -- schema v3: compact rows, migration from v2 ---------------------------------------------------
_V2_INSERT = "INSERT INTO element_sets VALUES (" + ", ".join("?" * 19) + ")"


def _write_v2_store(path: Path, sets, source: str) -> None:
    """A store as deorbit wrote it at schema v2 (one column per element-set field)."""
    from deorbit.store import MIGRATIONS

    raw = sqlite3.connect(path)
    for statement in (*MIGRATIONS[0], *MIGRATIONS[1]):
        raw.execute(statement)
    raw.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    raw.execute("PRAGMA user_version = 2")
    ingest = raw.execute(
        "INSERT INTO ingests (source, fetched_utc_us, ingested_utc_us) VALUES (?, ?, ?)",
        (source, utc_to_us(FETCHED), utc_to_us(FETCHED)),
    ).lastrowid
    raw.executemany(
        _V2_INSERT,
        [
            (
                es.norad_id, utc_to_us(es.epoch_utc), es.name, es.intl_designator,
                es.mean_motion_rev_per_day, es.eccentricity, es.inclination_deg, es.raan_deg,
                es.arg_perigee_deg, es.mean_anomaly_deg, es.bstar_per_earth_radii,
                es.mean_motion_dot_rev_per_day2, es.mean_motion_ddot_rev_per_day3,
                es.classification, es.element_set_no, es.rev_at_epoch, es.ephemeris_type,
                es.line, ingest,
            )
            for es in sets
        ],
    )  # fmt: skip
    raw.execute(
        "INSERT INTO objects VALUES (?, ?, ?, ?)",
        (25544, ISS.name, ISS.intl_designator, utc_to_us(ISS.epoch_utc)),
    )
    raw.execute("INSERT INTO queries VALUES ('CATNR=25544', ?)", (utc_to_us(FETCHED),))
    raw.execute("INSERT INTO query_objects VALUES ('CATNR=25544', 25544)")
    raw.commit()
    raw.close()


def test_v2_store_is_migrated_to_compact_rows_keeping_every_set(tmp_path):
    path = tmp_path / "v2.sqlite"
    odd = replace(
        HISTORY[0],
        norad_id=99999,
        name="ÉTOILE ☄",
        mean_motion_rev_per_day=0.1 + 0.2,  # not a short decimal: every bit must survive
        bstar_per_earth_radii=-5e-324,
        element_set_no=2**40,
        line=None,
    )
    _write_v2_store(path, [*HISTORY, odd], source="bundled:elements")
    with ElementStore(path) as opened:
        assert opened.schema_version == SCHEMA_VERSION == 3
        assert opened.history(25544) == HISTORY
        assert [(es.source, es.line) for es in opened.history(25544)] == [
            ("bundled:elements", es.line) for es in HISTORY
        ]
        (back,) = opened.history(99999)
        assert back == odd and back.line is None
        assert back.mean_motion_rev_per_day.hex() == (0.1 + 0.2).hex()
        assert opened.query("CATNR=25544") == ([ISS], FETCHED)
        assert opened.find_name("iss (zarya)") == [25544]
        assert opened.integrity_check() == "ok"
        # de-duplication runs against the migrated rows
        assert opened.add(HISTORY, source="again", fetched_utc=FETCHED) == AddCounts(0, 500)
        assert opened.stats() == StoreStats(objects=1, element_sets=501, queries=1)
    raw = sqlite3.connect(path)
    try:
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        columns = [r[1] for r in raw.execute("PRAGMA table_info(element_sets)")]
    finally:
        raw.close()
    assert "element_sets_v2" not in tables
    assert columns == [
        "norad_id", "epoch_utc_us", "ingest_id", "line", "name", "intl_designator",
        "classification", "elements",
    ]  # fmt: skip


def test_elements_blob_is_96_bytes_and_exact(store):
    from deorbit.store import ELEMENTS_STRUCT

    store.add(HISTORY[:3], source="s", fetched_utc=FETCHED)
    raw = sqlite3.connect(store.path)
    try:
        blobs = [r[0] for r in raw.execute("SELECT elements FROM element_sets")]
    finally:
        raw.close()
    assert [len(b) for b in blobs] == [96, 96, 96]
    values = ELEMENTS_STRUCT.unpack(blobs[0])
    assert values[0] == HISTORY[0].mean_motion_rev_per_day
    assert values[9:] == (
        HISTORY[0].element_set_no,
        HISTORY[0].rev_at_epoch,
        HISTORY[0].ephemeris_type,
    )


def test_add_columns_takes_numpy_columns_and_sorts_nothing_away(tmp_path):
    """Arrays (as the TLE reader hands them over) store what lists store; an unsorted batch
    still keeps each object's newest name."""
    import numpy as np

    from deorbit.catalogue.ingest import rows_from_element_sets

    shuffled = list(HISTORY)
    random.Random(3).shuffle(shuffled)
    cols = rows_from_element_sets(shuffled)
    arrays = [np.array(c, dtype=object if isinstance(c[0], str) else None) for c in cols]
    with ElementStore(tmp_path / "a.sqlite") as a, ElementStore(tmp_path / "b.sqlite") as b:
        assert a.add_columns(cols, source="s", fetched_utc=FETCHED) == AddCounts(500, 0)
        assert b.add_columns(arrays, source="s", fetched_utc=FETCHED) == AddCounts(500, 0)
        assert a.element_rows() == b.element_rows()
        assert b.history(25544) == HISTORY
        assert b.names([25544]) == {25544: ISS.name}


def test_catalogue_rows_decode_the_elements(store):
    store.add([*HISTORY, other(48274, "CSS (TIANHE)")], source="s", fetched_utc=FETCHED)
    latest, _ = store.catalogue_rows()
    assert [r[0] for r in latest] == [25544, 48274]
    es = HISTORY[300]
    latest, earlier = store.catalogue_rows(es.epoch_utc)
    assert latest == [
        (
            25544, ISS.name, es.intl_designator, utc_to_us(es.epoch_utc),
            es.mean_motion_rev_per_day, es.eccentricity, es.inclination_deg,
            es.bstar_per_earth_radii, es.mean_motion_dot_rev_per_day2,
        )
    ]  # fmt: skip
    assert [type(v) for v in latest[0]] == [int, str, str, int, float, float, float, float, float]
    ((nid, epoch_us, n),) = earlier
    prior = store.history(25544, until_utc=us_to_utc(epoch_us))[-1]
    assert nid == 25544 and n == prior.mean_motion_rev_per_day
