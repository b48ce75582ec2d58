"""The local element-set store: an embedded SQLite database of every element set deorbit has seen.

Why SQLite: one file, no server, transactions, and many readers beside one writer (WAL mode),
which is what a cache shared by several concurrent ``deorbit`` processes needs.  The same file is
meant to grow into the catalogue-scale element *history* (tens of thousands of objects, years of
sets each), so the layout is chosen for that:

``element_sets`` (schema v3)
    one row per (``norad_id``, ``epoch_utc_us``) -- the primary key, clustered
    (``WITHOUT ROWID``), so one object's history is a contiguous range read in epoch order and
    a repeated set is refused by the key itself (de-duplication: the first writer is kept).
    Beside the key: ``ingest_id`` and ``line`` (provenance), ``name``, ``intl_designator`` and
    ``classification`` as text, and ``elements``, a 96-byte BLOB holding the nine mean elements
    and rates as little-endian IEEE doubles and the element set number, revolution number and
    ephemeris type as 64-bit integers (:data:`ELEMENTS_STRUCT`).  Doubles are stored bit for
    bit, so a set read back compares equal to the one written.  Why a BLOB: SQLite's cost per
    inserted row grows with the number of bound values, and 8 instead of 19 (v2 had one column
    per field) is a third less; nothing queries the elements in SQL (the screen reads them in
    bulk and decodes them with numpy, :meth:`ElementStore.catalogue_rows`).
``ingests``
    one row per :meth:`ElementStore.add` call: the source (URL, file, ``bundled:...``), when it
    was fetched and when it was written.  Each element set points at the ingest that first
    brought it, so provenance costs one integer per set instead of a repeated string.
``objects``
    one row per catalogue number with the name and international designator of its newest set,
    indexed case-insensitively for :meth:`ElementStore.find_name`.
``queries`` / ``query_objects``
    what a CelesTrak query (by its :attr:`~deorbit.celestrak.GPQuery.key`) last returned, and
    when -- so an offline run can say "as of <time>".
``predictions`` (schema v2)
    one row per re-entry prediction made by the catalogue watch (:mod:`deorbit.catalogue`),
    with every input it used -- as-of time, epoch of the element set it started from, ballistic
    coefficient and how it was obtained, space-weather mode and version, seed, sample count,
    engine and code version -- so a stored answer can be reproduced or audited later, and the
    full JSON answer.  Indexed by (``norad_id``, ``as_of_utc_us``).

Bulk writes (:meth:`ElementStore.add_columns`) bind up to 200 rows per ``INSERT`` statement (one
``VALUES`` list) instead of one: the per-statement cost of the sqlite3 module and the VDBE is
then paid once per 200 rows (~30 % of the insert time).  Durability: WAL mode with
``synchronous = NORMAL``.  A commit is atomic and consistent whatever happens to the process
(``kill -9`` mid-batch leaves the previous content, tested); only an operating-system crash or
power loss can lose the last committed transactions -- never half of one, and never corrupting
the file.

Times are stored as integer **microseconds since 1970-01-01T00:00:00Z** (columns ending in
``_utc_us``): exact for Python datetimes, compact, and ordered.  The schema version is kept in
``PRAGMA user_version`` and upgraded by the :data:`MIGRATIONS` list (append, never edit; v2 -> v3 rewrites the element
rows into the compact layout, in the same transaction as every migration);
``PRAGMA application_id`` marks the file as ours, so a foreign SQLite file is refused rather
than modified.  Every write is one transaction: a crash leaves the old content or the new,
never a half-added batch.

A damaged file never produces a traceback: every SQLite error becomes a :class:`StoreError`
(an :class:`~deorbit.errors.InputError`) naming the file.
"""

from __future__ import annotations

import os
import sqlite3
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain, islice, repeat
from operator import attrgetter, itemgetter
from pathlib import Path
from types import TracebackType

import numpy as np

from deorbit.elements import ElementSet
from deorbit.errors import InputError

__all__ = [
    "APPLICATION_ID",
    "ELEMENTS_DTYPE",
    "ELEMENTS_STRUCT",
    "FLOAT_COLUMNS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "ROW_COLUMNS",
    "TEXT_COLUMNS",
    "AddCounts",
    "ElementStore",
    "PredictionRecord",
    "StoreError",
    "StoreStats",
    "default_store_path",
]

#: ``PRAGMA application_id`` of a deorbit store: the ASCII bytes "DEOR".
APPLICATION_ID = 0x44454F52
STORE_FILENAME = "elements.sqlite"

_UNIX0_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)

#: Schema migrations: ``MIGRATIONS[i]`` upgrades a store from version ``i`` to ``i + 1``.
#: Append new entries; never edit a released one.
MIGRATIONS: list[tuple[str, ...]] = [
    (
        """CREATE TABLE ingests (
            ingest_id        INTEGER PRIMARY KEY,
            source           TEXT    NOT NULL,
            fetched_utc_us   INTEGER NOT NULL,
            ingested_utc_us  INTEGER NOT NULL
        )""",
        """CREATE TABLE objects (
            norad_id           INTEGER PRIMARY KEY,
            name               TEXT    NOT NULL DEFAULT '' COLLATE NOCASE,
            intl_designator    TEXT    NOT NULL DEFAULT '',
            name_epoch_utc_us  INTEGER NOT NULL
        )""",
        "CREATE INDEX objects_by_name ON objects (name)",
        """CREATE TABLE element_sets (
            norad_id                       INTEGER NOT NULL,
            epoch_utc_us                   INTEGER NOT NULL,
            name                           TEXT    NOT NULL,
            intl_designator                TEXT    NOT NULL,
            mean_motion_rev_per_day        REAL    NOT NULL,
            eccentricity                   REAL    NOT NULL,
            inclination_deg                REAL    NOT NULL,
            raan_deg                       REAL    NOT NULL,
            arg_perigee_deg                REAL    NOT NULL,
            mean_anomaly_deg               REAL    NOT NULL,
            bstar_per_earth_radii          REAL    NOT NULL,
            mean_motion_dot_rev_per_day2   REAL    NOT NULL,
            mean_motion_ddot_rev_per_day3  REAL    NOT NULL,
            classification                 TEXT    NOT NULL,
            element_set_no                 INTEGER NOT NULL,
            rev_at_epoch                   INTEGER NOT NULL,
            ephemeris_type                 INTEGER NOT NULL,
            line                           INTEGER,
            ingest_id                      INTEGER NOT NULL REFERENCES ingests (ingest_id),
            PRIMARY KEY (norad_id, epoch_utc_us)
        ) WITHOUT ROWID""",
        """CREATE TABLE queries (
            query_key       TEXT    PRIMARY KEY,
            fetched_utc_us  INTEGER NOT NULL
        )""",
        """CREATE TABLE query_objects (
            query_key  TEXT    NOT NULL REFERENCES queries (query_key) ON DELETE CASCADE,
            norad_id   INTEGER NOT NULL,
            PRIMARY KEY (query_key, norad_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX query_objects_by_norad ON query_objects (norad_id)",
    ),
    (  # v2: the catalogue watch's predictions, each with the inputs it used
        """CREATE TABLE predictions (
            prediction_id          INTEGER PRIMARY KEY,
            norad_id               INTEGER NOT NULL,
            as_of_utc_us           INTEGER NOT NULL,
            element_epoch_utc_us   INTEGER NOT NULL,
            bc_m2_per_kg           REAL    NOT NULL,
            bc_method              TEXT    NOT NULL,
            space_weather_mode     TEXT    NOT NULL,
            space_weather_version  TEXT    NOT NULL,
            seed                   INTEGER NOT NULL,
            samples                INTEGER NOT NULL,
            engine                 TEXT    NOT NULL,
            code_version           TEXT    NOT NULL,
            median_utc_us          INTEGER,
            p05_utc_us             INTEGER,
            p95_utc_us             INTEGER,
            created_utc_us         INTEGER NOT NULL,
            result_json            TEXT    NOT NULL
        )""",
        "CREATE INDEX predictions_by_object ON predictions (norad_id, as_of_utc_us)",
    ),
    (  # v3: compact element rows (key, provenance, text, and the elements as one BLOB).
        # deorbit_elements() is a Python function the store registers on its connection.
        "ALTER TABLE element_sets RENAME TO element_sets_v2",
        """CREATE TABLE element_sets (
            norad_id         INTEGER NOT NULL,
            epoch_utc_us     INTEGER NOT NULL,
            ingest_id        INTEGER NOT NULL REFERENCES ingests (ingest_id),
            line             INTEGER,
            name             TEXT    NOT NULL,
            intl_designator  TEXT    NOT NULL,
            classification   TEXT    NOT NULL,
            elements         BLOB    NOT NULL,
            PRIMARY KEY (norad_id, epoch_utc_us)
        ) WITHOUT ROWID""",
        """INSERT INTO element_sets
           SELECT norad_id, epoch_utc_us, ingest_id, line, name, intl_designator,
                  classification,
                  deorbit_elements(mean_motion_rev_per_day, eccentricity, inclination_deg,
                      raan_deg, arg_perigee_deg, mean_anomaly_deg, bstar_per_earth_radii,
                      mean_motion_dot_rev_per_day2, mean_motion_ddot_rev_per_day3,
                      element_set_no, rev_at_epoch, ephemeris_type)
           FROM element_sets_v2 ORDER BY norad_id, epoch_utc_us""",
        "DROP TABLE element_sets_v2",
    ),
]
#: The schema version this code writes.
SCHEMA_VERSION = len(MIGRATIONS)

#: Columns of one stored set as :meth:`ElementStore.add_columns` takes them and
#: :meth:`ElementStore.element_rows` returns them (the v2 ``element_sets`` column order, without
#: ``ingest_id``).  Epochs are integer microseconds since 1970 UTC.
ROW_COLUMNS: tuple[str, ...] = (
    "norad_id",
    "epoch_utc_us",
    "name",
    "intl_designator",
    "mean_motion_rev_per_day",
    "eccentricity",
    "inclination_deg",
    "raan_deg",
    "arg_perigee_deg",
    "mean_anomaly_deg",
    "bstar_per_earth_radii",
    "mean_motion_dot_rev_per_day2",
    "mean_motion_ddot_rev_per_day3",
    "classification",
    "element_set_no",
    "rev_at_epoch",
    "ephemeris_type",
    "line",
)
#: The text columns of :data:`ROW_COLUMNS`.
TEXT_COLUMNS: tuple[str, ...] = ("name", "intl_designator", "classification")
#: The columns packed into the ``elements`` BLOB, in its order: nine doubles ...
FLOAT_COLUMNS: tuple[str, ...] = ROW_COLUMNS[4:13]
#: ... then three 64-bit integers.
_INT_ELEMENT_COLUMNS: tuple[str, ...] = ("element_set_no", "rev_at_epoch", "ephemeris_type")
#: The ``elements`` BLOB: little-endian, 96 bytes.
ELEMENTS_STRUCT = struct.Struct("<9d3q")
#: The same layout as a numpy structured dtype (``f``: the doubles, ``i``: the integers).
ELEMENTS_DTYPE = np.dtype([("f", "<f8", (9,)), ("i", "<i8", (3,))])
assert ELEMENTS_DTYPE.itemsize == ELEMENTS_STRUCT.size == 96
_ELEMENT_FIELDS = attrgetter(*FLOAT_COLUMNS, *_INT_ELEMENT_COLUMNS)
_PACK = ELEMENTS_STRUCT.pack
_UNPACK = ELEMENTS_STRUCT.unpack

# Column order of a stored set as read back: what _row_to_set expects.
_SET_COLUMNS = (
    "e.norad_id, e.epoch_utc_us, e.name, e.intl_designator, e.classification, e.elements, "
    "i.source, e.line"
)
_PK = itemgetter(0, 1)  # (norad_id, epoch_utc_us) of an element_sets row
_SELECT_SETS = f"SELECT {_SET_COLUMNS} FROM element_sets e JOIN ingests i USING (ingest_id)"
#: element_sets columns as written: key, ingest, line, text, elements.
_SET_WIDTH = 8
_INSERT_SETS = "INSERT OR IGNORE INTO element_sets"
#: Rows per multi-row INSERT: 200 measured best (50: +8 %, 1 per statement: +45 %).
_ROWS_PER_STATEMENT = 200
_UPSERT_OBJECTS = "INSERT INTO objects (norad_id, name, intl_designator, name_epoch_utc_us)"
_UPSERT_OBJECTS_TAIL = """
    ON CONFLICT (norad_id) DO UPDATE SET
        name = CASE WHEN excluded.name != '' THEN excluded.name ELSE objects.name END,
        intl_designator = CASE WHEN excluded.intl_designator != ''
                               THEN excluded.intl_designator ELSE objects.intl_designator END,
        name_epoch_utc_us = excluded.name_epoch_utc_us
    WHERE excluded.name_epoch_utc_us >= objects.name_epoch_utc_us
"""


def _pack_elements(*values: object) -> bytes:
    """The ``deorbit_elements()`` SQL function of the v2 -> v3 migration: the 12 numeric
    columns of a v2 row as an ``elements`` BLOB."""
    floats, ints = values[:9], values[9:]
    return _PACK(*(float(v) for v in floats), *(int(v) for v in ints))  # type: ignore[arg-type]


_INSERT_PREDICTION = """
    INSERT INTO predictions (norad_id, as_of_utc_us, element_epoch_utc_us, bc_m2_per_kg,
        bc_method, space_weather_mode, space_weather_version, seed, samples, engine,
        code_version, median_utc_us, p05_utc_us, p95_utc_us, created_utc_us, result_json)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


def _newest_rows(norad: Sequence[object], epoch: Sequence[object]) -> list[int]:
    """Position of each object's newest row (largest epoch; of equal epochs the later row),
    in catalogue-number order.

    Rows already sorted by (norad, epoch) -- what the TLE reader hands over -- need one
    comparison: the last row of each catalogue number.  Otherwise one stable numpy sort instead
    of a Python loop over every row: sorting positions by (norad, epoch, position) puts each
    object's newest row last in its group.
    """
    n = np.asarray(norad, dtype=np.int64)
    e = np.asarray(epoch, dtype=np.int64)
    same = n[1:] == n[:-1]
    if np.all((n[1:] > n[:-1]) | (same & (e[1:] >= e[:-1]))):
        last = np.ones(n.size, dtype=bool)
        last[:-1] = ~same
        return np.flatnonzero(last).tolist()
    order = np.lexsort((np.arange(n.size), e, n))
    sorted_n = n[order]
    last = np.ones(n.size, dtype=bool)
    last[:-1] = sorted_n[1:] != sorted_n[:-1]
    return order[last].tolist()


class StoreError(InputError):
    """The element store cannot be used: corrupt, foreign, too new, locked or unwritable."""


@dataclass(frozen=True, slots=True)
class AddCounts:
    """What :meth:`ElementStore.add` did: sets written and sets already present (or repeated)."""

    new: int
    duplicate: int

    @property
    def total(self) -> int:
        return self.new + self.duplicate


@dataclass(frozen=True, slots=True)
class StoreStats:
    """Size of a store, for ``deorbit cache info``-style reports."""

    objects: int
    element_sets: int
    queries: int


@dataclass(frozen=True, slots=True)
class PredictionRecord:
    """One stored re-entry prediction and the inputs that produced it (``predictions`` table).

    Re-running the same engine and code version with these inputs on the same element history
    reproduces the answer: ``seed`` is the per-object seed actually used (already derived from
    the run's seed and the catalogue number).  ``result_json`` is the full JSON answer.
    """

    norad_id: int
    as_of_utc: datetime
    element_epoch_utc: datetime
    bc_m2_per_kg: float
    bc_method: str
    space_weather_mode: str
    space_weather_version: str
    seed: int
    samples: int
    engine: str
    code_version: str
    median_utc: datetime | None
    p05_utc: datetime | None
    p95_utc: datetime | None
    result_json: str
    created_utc: datetime | None = None


def default_store_path() -> Path:
    """Where the store lives unless told otherwise: ``elements.sqlite`` in the user's data
    folder (:func:`deorbit.fileio.user_data_dir`: ``$DEORBIT_DATA_DIR``, else
    ``$XDG_DATA_HOME/deorbit``, else ``~/.local/share/deorbit``) -- an element history is the
    user's data, not a cache.

    A store at the earlier default place, the cache folder (``$DEORBIT_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/deorbit``, else ``~/.cache/deorbit``), is used as long as there is none
    in the data folder, so no history is lost by upgrading.
    """
    from deorbit.fileio import user_cache_dir, user_data_dir

    path = user_data_dir() / STORE_FILENAME
    legacy = user_cache_dir() / STORE_FILENAME
    return legacy if not path.exists() and legacy.is_file() else path


def utc_to_us(t: datetime) -> int:
    """A tz-aware datetime as integer microseconds since 1970-01-01T00:00:00Z (exact)."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise InputError(f"time {t.isoformat()} has no time zone (expected UTC)")
    return (t - _UNIX0_UTC) // _ONE_US


def us_to_utc(us: int) -> datetime:
    """Inverse of :func:`utc_to_us`: a tz-aware UTC datetime."""
    return _UNIX0_UTC + timedelta(microseconds=us)


class ElementStore:
    """An open element store.  Use as a context manager, or call :meth:`close`.

    >>> with ElementStore(tmp_path / "e.sqlite") as store:            # doctest: +SKIP
    ...     store.add(sets, source="https://...", fetched_utc=now)
    AddCounts(new=499, duplicate=0)

    ``path=None`` opens :func:`default_store_path`; the file and its folder are created when
    missing, and an older schema is upgraded in place.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, timeout_s: float = 10.0):
        self.path = Path(path).expanduser() if path is not None else default_store_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder for the element store ({exc.strerror or exc})",
                source=str(self.path),
            ) from None
        try:
            # isolation_level=None: no implicit transactions; every write below says BEGIN.
            self._conn = sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(
                f"cannot open the element store ({exc})", source=str(self.path)
            ) from None
        try:
            with self._guard():
                self._conn.create_function(
                    "deorbit_elements", 12, _pack_elements, deterministic=True
                )
                # rows per multi-row INSERT within the bound-variable limit (32766 since
                # SQLite 3.32, 999 before)
                limit = self._conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
                self._rows_per_statement = max(1, min(_ROWS_PER_STATEMENT, limit // _SET_WIDTH))
                self._conn.execute("PRAGMA foreign_keys = ON")
                self._migrate()
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.execute("PRAGMA synchronous = NORMAL")
                # 32 MB page cache: bulk inserts touch one B-tree leaf per object.
                self._conn.execute("PRAGMA cache_size = -32768")
        except BaseException:
            self._conn.close()
            raise

    # -- lifecycle -----------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._conn.close()

    def __enter__(self) -> ElementStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ElementStore({str(self.path)!r})"

    @property
    def schema_version(self) -> int:
        """The ``PRAGMA user_version`` of the open file."""
        with self._guard():
            return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    # -- writing -------------------------------------------------------------------------------
    def add(
        self, elements: Iterable[ElementSet], *, source: str, fetched_utc: datetime
    ) -> AddCounts:
        """Write element sets in one transaction, skipping any (norad_id, epoch) already stored.

        ``source`` (URL, file path, ``bundled:...``) and ``fetched_utc`` describe where and when
        the batch was obtained; they are recorded once per call.  A set whose (norad_id, epoch)
        is already stored -- or repeats within the batch -- counts as a duplicate and the
        stored one is kept.
        """
        with self._guard(), self._transaction():
            return self._add(list(elements), source, fetched_utc)

    def record_query(self, key: str, norad_ids: Iterable[int], fetched_utc: datetime) -> None:
        """Remember that query ``key`` returned ``norad_ids`` at ``fetched_utc`` (replacing the past)."""
        with self._guard(), self._transaction():
            self._record_query(key, norad_ids, fetched_utc)

    def add_query_result(
        self,
        key: str,
        elements: Sequence[ElementSet],
        *,
        source: str,
        fetched_utc: datetime,
    ) -> AddCounts:
        """:meth:`add` and :meth:`record_query` together, in ONE transaction."""
        elements = list(elements)
        with self._guard(), self._transaction():
            counts = self._add(elements, source, fetched_utc)
            self._record_query(key, {es.norad_id for es in elements}, fetched_utc)
            return counts

    def _add(self, elements: list[ElementSet], source: str, fetched_utc: datetime) -> AddCounts:
        if not elements:
            return AddCounts(0, 0)
        conn = self._conn
        ingest_id = self._new_ingest(source, fetched_utc)
        unix0, one_us, fields, pack = _UNIX0_UTC, _ONE_US, _ELEMENT_FIELDS, _PACK
        try:  # the hot loop: one C-level attrgetter and one struct.pack per set
            rows = [
                (
                    es.norad_id,
                    (es.epoch_utc - unix0) // one_us,
                    ingest_id,
                    es.line,
                    es.name,
                    es.intl_designator,
                    es.classification,
                    pack(*fields(es)),
                )
                for es in elements
            ]
        except TypeError:  # a naive epoch cannot be subtracted from an aware one
            naive = next(es for es in elements if es.epoch_utc.utcoffset() is None)
            raise InputError(f"{naive.label()}: epoch has no time zone (expected UTC)") from None
        except struct.error as exc:  # a non-number, or an integer beyond 64 bits
            bad = next(es for es in elements if not _packable(es))
            raise InputError(f"{bad.label()}: cannot be stored ({exc})") from None
        # Inserting in primary-key order appends to the B-tree instead of splitting pages all
        # over it; the sort is stable, so of two same-epoch sets the first given is kept.
        rows.sort(key=_PK)
        new = self._insert_sets(rows, len(rows))
        if new == 0:  # nothing from this batch is referenced: keep no empty ingest
            conn.execute("DELETE FROM ingests WHERE ingest_id = ?", (ingest_id,))
        newest = {row[0]: row for row in rows}  # sorted by epoch: the last row per object wins
        self._upsert_objects([(nid, r[4], r[5], r[1]) for nid, r in newest.items()])
        return AddCounts(new=new, duplicate=len(rows) - new)

    def _new_ingest(self, source: str, fetched_utc: datetime) -> int:
        cursor = self._conn.execute(
            "INSERT INTO ingests (source, fetched_utc_us, ingested_utc_us) VALUES (?, ?, ?)",
            (source, utc_to_us(fetched_utc), utc_to_us(datetime.now(UTC))),
        )
        return int(cursor.lastrowid)  # type: ignore[arg-type]

    def _insert_sets(self, rows: Iterable[tuple], n: int) -> int:
        """INSERT OR IGNORE ``n`` element_sets rows; returns how many were new."""
        return self._insert_many(_INSERT_SETS, _SET_WIDTH, rows, n)

    def _upsert_objects(self, rows: Sequence[tuple]) -> None:
        """(norad_id, name, intl_designator, epoch_us) of each object's newest set."""
        self._insert_many(_UPSERT_OBJECTS, 4, rows, len(rows), _UPSERT_OBJECTS_TAIL)

    def _insert_many(
        self, head: str, width: int, rows: Iterable[tuple], n: int, tail: str = ""
    ) -> int:
        """``head VALUES (...), (...), ... tail`` over ``n`` rows of ``width`` values, up to
        200 rows per statement; returns the rows changed.  Rows are written in order, so of
        two rows with one key under INSERT OR IGNORE the first is kept."""
        k = self._rows_per_statement
        values = "(" + ",".join("?" * width) + ")"
        flat = chain.from_iterable(rows)
        full, rest = divmod(n, k)
        changed = 0
        if full:
            sql = f"{head} VALUES {','.join([values] * k)}{tail}"
            groups = islice(zip(*[flat] * (k * width), strict=False), full)  # k rows each
            changed += self._conn.executemany(sql, groups).rowcount
        if rest:
            sql = f"{head} VALUES {','.join([values] * rest)}{tail}"
            changed += self._conn.execute(sql, tuple(flat)).rowcount
        return changed

    def _record_query(self, key: str, norad_ids: Iterable[int], fetched_utc: datetime) -> None:
        conn = self._conn
        conn.execute(
            "INSERT INTO queries (query_key, fetched_utc_us) VALUES (?, ?) "
            "ON CONFLICT (query_key) DO UPDATE SET fetched_utc_us = excluded.fetched_utc_us",
            (key, utc_to_us(fetched_utc)),
        )
        conn.execute("DELETE FROM query_objects WHERE query_key = ?", (key,))
        conn.executemany(
            "INSERT OR IGNORE INTO query_objects (query_key, norad_id) VALUES (?, ?)",
            [(key, int(n)) for n in norad_ids],
        )

    def add_columns(
        self,
        columns: Sequence[Sequence[object]],
        *,
        source: str,
        fetched_utc: datetime,
        chunk_rows: int = 100_000,
        progress: Callable[[int, int], None] | None = None,
    ) -> AddCounts:
        """The bulk path of :meth:`add`: sets given column-wise, in ONE transaction.

        ``columns`` holds one sequence per name in :data:`ROW_COLUMNS` -- lists or numpy arrays
        (text columns as lists or object arrays) of equal lengths; epochs as integer
        microseconds since 1970 UTC -- ideally sorted by (norad_id, epoch) so the B-tree is
        appended to.  No :class:`ElementSet` is built and the ``elements`` BLOBs are packed
        for all rows at once by numpy: this is what lets
        :func:`deorbit.catalogue.ingest.ingest_files` store >100,000 sets/s.  The caller
        vouches that the values are valid (the columnar TLE reader validates them exactly as
        :func:`deorbit.elements.validate` does).  Duplicates follow :meth:`add`: the stored set
        (or the first in the batch) is kept.

        Rows go to SQLite in chunks of ``chunk_rows``; ``progress(rows_done, rows_total)`` is
        called after each chunk, *inside* the transaction: a process killed between two chunks
        leaves no trace in the file (the WAL frames of an uncommitted transaction are ignored
        on the next open).
        """
        if len(columns) != len(ROW_COLUMNS):
            raise ValueError(f"expected {len(ROW_COLUMNS)} columns, got {len(columns)}")
        total = len(columns[0])
        if any(len(c) != total for c in columns):
            raise ValueError("columns have different lengths")
        if total == 0:
            return AddCounts(0, 0)
        col = dict(zip(ROW_COLUMNS, columns, strict=True))
        packed = np.empty(total, dtype=ELEMENTS_DTYPE)
        for k, name in enumerate(FLOAT_COLUMNS):
            packed["f"][:, k] = col[name]
        for k, name in enumerate(_INT_ELEMENT_COLUMNS):
            packed["i"][:, k] = col[name]
        blobs = packed.view(f"V{ELEMENTS_DTYPE.itemsize}").tolist()  # one bytes per row
        norad, epoch, line, name, intl, cls = (
            _as_list(col[c])
            for c in (
                "norad_id", "epoch_utc_us", "line", "name", "intl_designator", "classification"
            )
        )  # fmt: skip
        with self._guard(), self._transaction():
            ingest_id = self._new_ingest(source, fetched_utc)
            new = 0
            for start in range(0, total, chunk_rows):
                stop = min(start + chunk_rows, total)
                rows = zip(
                    norad[start:stop],
                    epoch[start:stop],
                    repeat(ingest_id),
                    line[start:stop],
                    name[start:stop],
                    intl[start:stop],
                    cls[start:stop],
                    blobs[start:stop],
                )  # the element_sets column order
                new += self._insert_sets(rows, stop - start)
                if progress is not None:
                    progress(stop, total)
            if new == 0:
                self._conn.execute("DELETE FROM ingests WHERE ingest_id = ?", (ingest_id,))
            newest = _newest_rows(norad, epoch)
            self._upsert_objects([(norad[k], name[k], intl[k], epoch[k]) for k in newest])
        return AddCounts(new=new, duplicate=total - new)

    def add_predictions(self, records: Iterable[PredictionRecord]) -> int:
        """Store predictions in one transaction; returns how many were written."""
        now_us = utc_to_us(datetime.now(UTC))

        def opt(t: datetime | None) -> int | None:
            return None if t is None else utc_to_us(t)

        rows = [
            (
                r.norad_id,
                utc_to_us(r.as_of_utc),
                utc_to_us(r.element_epoch_utc),
                float(r.bc_m2_per_kg),
                r.bc_method,
                r.space_weather_mode,
                r.space_weather_version,
                int(r.seed),
                int(r.samples),
                r.engine,
                r.code_version,
                opt(r.median_utc),
                opt(r.p05_utc),
                opt(r.p95_utc),
                now_us if r.created_utc is None else utc_to_us(r.created_utc),
                r.result_json,
            )
            for r in records
        ]
        with self._guard(), self._transaction():
            self._conn.executemany(_INSERT_PREDICTION, rows)
        return len(rows)

    def predictions(
        self, norad_id: int, as_of_utc: datetime | None = None
    ) -> list[PredictionRecord]:
        """Stored predictions of ``norad_id`` (oldest as-of first), optionally one as-of only."""
        sql = (
            "SELECT norad_id, as_of_utc_us, element_epoch_utc_us, bc_m2_per_kg, bc_method, "
            "space_weather_mode, space_weather_version, seed, samples, engine, code_version, "
            "median_utc_us, p05_utc_us, p95_utc_us, result_json, created_utc_us "
            "FROM predictions WHERE norad_id = ?"
        )
        params: tuple[int, ...] = (norad_id,)
        if as_of_utc is not None:
            sql += " AND as_of_utc_us = ?"
            params += (utc_to_us(as_of_utc),)
        with self._guard():
            rows = self._conn.execute(
                sql + " ORDER BY as_of_utc_us, prediction_id", params
            ).fetchall()

        def opt(us: int | None) -> datetime | None:
            return None if us is None else us_to_utc(us)

        return [
            PredictionRecord(
                r[0], us_to_utc(r[1]), us_to_utc(r[2]), r[3], r[4], r[5], r[6], r[7], r[8],
                r[9], r[10], opt(r[11]), opt(r[12]), opt(r[13]), r[14], us_to_utc(r[15]),
            )
            for r in rows
        ]  # fmt: skip

    # -- reading -------------------------------------------------------------------------------
    def catalogue_rows(
        self, as_of_utc: datetime | None = None, *, lookback_days: float = 10.0
    ) -> tuple[list[tuple], list[tuple]]:
        """Column data for screening the whole catalogue as it was known at ``as_of_utc``.

        Returns ``(latest, earlier)``.  ``latest`` has one row per object, its newest set
        with epoch <= ``as_of_utc`` (all epochs when None): ``(norad_id, name,
        intl_designator, epoch_utc_us, mean_motion_rev_per_day, eccentricity,
        inclination_deg, bstar_per_earth_radii, mean_motion_dot_rev_per_day2)``.
        ``earlier`` has, per object with one, the newest set at least one day older than its
        latest and at most ``lookback_days`` older: ``(norad_id, epoch_utc_us,
        mean_motion_rev_per_day)`` -- two points of the mean-motion history, from which the
        screen measures the decay rate.  Both sorted by catalogue number; two range scans of
        the primary key per object, ~5 us per object; the elements are unpacked by numpy.
        """
        until = utc_to_us(as_of_utc) if as_of_utc is not None else 2**62
        day_us = 86_400_000_000
        with self._guard():
            conn = self._conn
            latest = conn.execute(
                """SELECT e.norad_id, COALESCE(NULLIF(o.name, ''), e.name), e.intl_designator,
                          e.epoch_utc_us, e.elements
                   FROM (SELECT norad_id, MAX(epoch_utc_us) AS t FROM element_sets
                         WHERE epoch_utc_us <= ? GROUP BY norad_id) m
                   JOIN element_sets e ON e.norad_id = m.norad_id AND e.epoch_utc_us = m.t
                   LEFT JOIN objects o ON o.norad_id = e.norad_id
                   ORDER BY e.norad_id""",
                (until,),
            ).fetchall()
            earlier = conn.execute(
                """SELECT e.norad_id, e.epoch_utc_us, e.elements
                   FROM (SELECT s.norad_id,
                           (SELECT MAX(x.epoch_utc_us) FROM element_sets x
                             WHERE x.norad_id = s.norad_id
                               AND x.epoch_utc_us <= s.t - ? AND x.epoch_utc_us >= s.t - ?) AS t0
                         FROM (SELECT norad_id, MAX(epoch_utc_us) AS t FROM element_sets
                               WHERE epoch_utc_us <= ? GROUP BY norad_id) s) m
                   JOIN element_sets e ON e.norad_id = m.norad_id AND e.epoch_utc_us = m.t0
                   ORDER BY e.norad_id""",
                (day_us, int(lookback_days * day_us), until),
            ).fetchall()
        if latest:
            keys = list(zip(*latest, strict=True))
            f = _unpack_all(keys[4])["f"]
            latest = list(
                zip(
                    *keys[:4],
                    *(f[:, FLOAT_COLUMNS.index(c)].tolist() for c in _SCREEN_FLOATS),
                    strict=True,
                )
            )
        if earlier:
            keys = list(zip(*earlier, strict=True))
            mean_motion = _unpack_all(keys[2])["f"][:, 0].tolist()
            earlier = list(zip(keys[0], keys[1], mean_motion, strict=True))
        return latest, earlier

    def element_rows(self, where: str = "", params: Sequence[object] = ()) -> list[tuple]:
        """Stored sets as tuples in :data:`ROW_COLUMNS` order, sorted by (norad_id, epoch).

        ``where`` is an SQL condition on the stored columns (``norad_id``, ``epoch_utc_us``,
        ``ingest_id``, ``line``, ``name``, ``intl_designator``, ``classification``; e.g.
        ``"norad_id = ?"``); meant for comparisons and exports that must not pay for building
        :class:`ElementSet` values.
        """
        sql = (
            "SELECT norad_id, epoch_utc_us, name, intl_designator, classification, elements, "
            "line FROM element_sets"
        )
        if where:
            sql += f" WHERE {where}"
        with self._guard():
            rows = self._conn.execute(sql + " ORDER BY norad_id, epoch_utc_us", params).fetchall()
        unpack = _UNPACK
        out = []
        for norad, epoch, name, intl, cls, blob, line in rows:
            v = unpack(blob)
            out.append((norad, epoch, name, intl, *v[:9], cls, *v[9:], line))
        return out

    def latest(self, norad_id: int) -> ElementSet | None:
        """The stored set with the newest epoch for ``norad_id``, or None."""
        with self._guard():
            row = self._conn.execute(
                f"{_SELECT_SETS} WHERE e.norad_id = ? ORDER BY e.epoch_utc_us DESC LIMIT 1",
                (norad_id,),
            ).fetchone()
        return _row_to_set(row) if row else None

    def history(self, norad_id: int, until_utc: datetime | None = None) -> list[ElementSet]:
        """All stored sets of ``norad_id`` in epoch order, optionally only epochs <= ``until_utc``."""
        sql = f"{_SELECT_SETS} WHERE e.norad_id = ?"
        params: tuple[int, ...] = (norad_id,)
        if until_utc is not None:
            sql += " AND e.epoch_utc_us <= ?"
            params += (utc_to_us(until_utc),)
        with self._guard():
            rows = self._conn.execute(sql + " ORDER BY e.epoch_utc_us", params).fetchall()
        return [_row_to_set(r) for r in rows]

    def query(self, key: str) -> tuple[list[ElementSet], datetime] | None:
        """What query ``key`` last returned: the newest stored set of each of its objects
        (sorted by catalogue number) and when it was fetched; None if never recorded."""
        with self._guard():
            head = self._conn.execute(
                "SELECT fetched_utc_us FROM queries WHERE query_key = ?", (key,)
            ).fetchone()
            if head is None:
                return None
            rows = self._conn.execute(
                f"""{_SELECT_SETS} JOIN query_objects q ON q.norad_id = e.norad_id
                WHERE q.query_key = ? AND e.epoch_utc_us =
                    (SELECT MAX(epoch_utc_us) FROM element_sets WHERE norad_id = q.norad_id)
                ORDER BY e.norad_id""",
                (key,),
            ).fetchall()
        return [_row_to_set(r) for r in rows], us_to_utc(head[0])

    def last_fetched_utc(self, norad_id: int) -> datetime | None:
        """The most recent time anything about ``norad_id`` was fetched: the newest ingest that
        brought one of its sets, or the newest recorded query that returned it."""
        with self._guard():
            row = self._conn.execute(
                """SELECT MAX(t) FROM (
                    SELECT MAX(i.fetched_utc_us) AS t FROM element_sets e
                        JOIN ingests i USING (ingest_id) WHERE e.norad_id = ?
                    UNION ALL
                    SELECT MAX(q.fetched_utc_us) FROM query_objects qo
                        JOIN queries q USING (query_key) WHERE qo.norad_id = ?
                )""",
                (norad_id, norad_id),
            ).fetchone()
        return us_to_utc(row[0]) if row and row[0] is not None else None

    def find_name(self, name: str) -> list[int]:
        """Catalogue numbers whose current name matches ``name``, case-insensitively.

        Exact matches win; failing those, names starting with ``name``; failing those, names
        containing it.  The result is sorted; empty when nothing matches.
        """
        text = " ".join(name.split())
        if not text:
            return []
        like = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        attempts = (
            ("name = ?", text),
            ("name LIKE ? ESCAPE '\\'", like + "%"),
            ("name LIKE ? ESCAPE '\\'", "%" + like + "%"),
        )
        with self._guard():
            for where, param in attempts:
                rows = self._conn.execute(
                    f"SELECT norad_id FROM objects WHERE {where} ORDER BY norad_id", (param,)
                ).fetchall()
                if rows:
                    return [r[0] for r in rows]
        return []

    def names(self, norad_ids: Iterable[int]) -> dict[int, str]:
        """Current names of the given catalogue numbers (unknown numbers are left out)."""
        ids = sorted({int(n) for n in norad_ids})
        out: dict[int, str] = {}
        with self._guard():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                out.update(
                    self._conn.execute(
                        f"SELECT norad_id, name FROM objects WHERE norad_id IN ({marks})", chunk
                    ).fetchall()
                )
        return out

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check``: ``"ok"`` for an undamaged file."""
        with self._guard():
            rows = self._conn.execute("PRAGMA integrity_check").fetchall()
        return "; ".join(str(r[0]) for r in rows)

    def stats(self) -> StoreStats:
        """How many objects, element sets and recorded queries the store holds."""
        with self._guard():
            counts = [
                self._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("objects", "element_sets", "queries")
            ]
        return StoreStats(*counts)

    # -- internals -----------------------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn any SQLite error into a one-line :class:`StoreError` naming the file."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if "locked" in text or "busy" in text:
                message = f"the element store is locked by another process ({text}); try again"
            elif "readonly" in text or "read-only" in text:
                message = f"the element store is read-only ({text})"
            else:
                message = f"element store error ({text})"
            raise StoreError(message, source=str(self.path)) from None
        except sqlite3.DatabaseError as exc:  # SQLITE_NOTADB, SQLITE_CORRUPT, ...
            raise StoreError(
                f"not a deorbit element store, or the database is corrupt ({exc}); "
                "delete the file to start a fresh cache",
                source=str(self.path),
            ) from None
        except sqlite3.Error as exc:
            raise StoreError(f"element store error ({exc})", source=str(self.path)) from None

    def _migrate(self) -> None:
        """Check the file is ours and bring its schema to :data:`SCHEMA_VERSION`."""
        conn = self._conn
        version = self._check_identity()
        if version == SCHEMA_VERSION:
            return
        with self._transaction():
            version = self._check_identity()  # another process may have migrated meanwhile
            for step in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[step]:
                    conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _check_identity(self) -> int:
        conn = self._conn
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        if app_id == 0 and version == 0:
            tables = conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise StoreError(
                    "not a deorbit element store (an SQLite database of something else); "
                    "choose another file",
                    source=str(self.path),
                )
        elif app_id != APPLICATION_ID:
            raise StoreError(
                f"not a deorbit element store (SQLite application id {app_id:#x})",
                source=str(self.path),
            )
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"element store schema version {version} is newer than this deorbit understands "
                f"({SCHEMA_VERSION}); upgrade deorbit or use another --db",
                source=str(self.path),
            )
        return version


def _row_to_set(row: tuple) -> ElementSet:
    """An ElementSet from a ``_SELECT_SETS`` row."""
    norad, epoch_us, name, intl, cls, blob, source, line = row
    v = _UNPACK(blob)
    return ElementSet(
        norad, name, intl, us_to_utc(epoch_us), *v[:9], cls, *v[9:], source=source, line=line
    )


#: The elements catalogue_rows returns, in its order.
_SCREEN_FLOATS = (
    "mean_motion_rev_per_day",
    "eccentricity",
    "inclination_deg",
    "bstar_per_earth_radii",
    "mean_motion_dot_rev_per_day2",
)


def _unpack_all(blobs: Sequence[bytes]) -> np.ndarray:
    """Many ``elements`` BLOBs at once: a structured array of :data:`ELEMENTS_DTYPE`."""
    return np.frombuffer(b"".join(blobs), dtype=ELEMENTS_DTYPE)


def _as_list(values: Sequence[object]) -> list:
    """A column as a list of plain Python values (sqlite3 binds no numpy scalars)."""
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


def _packable(es: ElementSet) -> bool:
    try:
        _PACK(*_ELEMENT_FIELDS(es))
    except struct.error:
        return False
    return True
