"""Bulk ingest of element-set files into the element store, with a columnar TLE fast path.

Two roads lead into :class:`~deorbit.store.ElementStore`:

*ElementSet path* (every format)
    :func:`deorbit.formats.load_elements` builds one validated, frozen
    :class:`~deorbit.elements.ElementSet` per record, then :meth:`ElementStore.add` turns each
    back into a row.  Correct and general, but ~20 us per set: ~45,000 sets/s.

*Columnar path* (TLE text, :func:`parse_tle_columns`)
    A TLE is fixed-width, so a whole file can be cut into two ``(N, 69)`` byte matrices (line
    1s, line 2s) with numpy, and every field decoded, checksummed and range-checked for all
    records at once.  Rows then go to SQLite with one ``executemany`` per 100,000 sets
    (:meth:`ElementStore.add_columns`).  No per-record Python object is built besides the name
    and designator strings (cached: a history repeats them).

Why the two store *identical* values
    * Numbers: a decimal field with d digits after the point is decoded as the integer of its
      digits divided by 10^d.  Both operands are exact doubles (< 2^53, 10^d <= 10^22), so IEEE
      division returns the correctly rounded quotient -- exactly what ``float("51.6312")``
      returns.  Implied-exponent fields (B*, nddot) are ``mantissa / 10^(5 - exp)`` (or
      ``* 10^(exp - 5)``), again one correctly rounded operation.
    * Epochs: integer microseconds, ``day-of-year`` start plus ``fraction * 864 us``, the same
      integer arithmetic as :mod:`deorbit.formats.tle`.
    * Only *canonical* records take the fast path: every column exactly as the standard prints
      it (digits where digits belong, blanks only where Python's ``int``/``float`` would also
      accept them unambiguously), checksums right, values inside
      :func:`deorbit.elements.validate`'s ranges, and record boundaries unambiguous.  Anything
      else -- a bad checksum, a blank-padded field, a stray line, an out-of-range value -- is
      handed, *at its original line numbers*, to the ElementSet parser, which either reads it
      or reports it with file, line and field.  So the fast path can only be faster, never
      different; ``tests/test_ingest.py`` compares the two on the real validation histories.
    * Repeats and conflicts inside a file follow :func:`deorbit.formats.parse_text`
      (``on_conflict``); across files and batches the store keeps the first writer.

Atomicity: each file is one transaction (:meth:`ElementStore.add_columns`): a writer killed
mid-file leaves the store as it was before that file (tested with ``kill -9``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from deorbit.elements import SPACE_AGE_START_UTC, ElementSet
from deorbit.errors import InputError
from deorbit.formats import _finish, detect_format, parse_bytes, parse_text
from deorbit.formats.tle import parse_tle
from deorbit.store import ROW_COLUMNS, AddCounts, ElementStore, StoreError, utc_to_us

__all__ = [
    "FileReport",
    "IngestReport",
    "TleColumns",
    "ingest_files",
    "ingest_text",
    "parse_tle_columns",
    "rows_from_element_sets",
]

_US_PER_DAY = 86_400_000_000
_POW10 = np.array([float(10**k) for k in range(23)])
_ALPHA5 = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate("ABCDEFGHJKLMNPQRSTUVWXYZ"):
    _ALPHA5[ord(_c)] = 10 + _i
_ALPHA5[48:58] = np.arange(10)  # a plain leading digit
_UTF8_BOM = b"\xef\xbb\xbf"
_SPACE_AGE_US = utc_to_us(SPACE_AGE_START_UTC)
#: Records decoded per numpy pass (bounds the (chunk, 69) temporaries to a few MB).
_CHUNK_RECORDS = 65_536
#: A progress callback: (what, done, total).
Progress = Callable[[str, int, int], None]


@dataclass
class TleColumns:
    """TLE records decoded column-wise: one list per :data:`~deorbit.store.ROW_COLUMNS` name.

    Sorted by (norad_id, epoch), repeats and conflicts resolved as
    :func:`deorbit.formats.parse_text` does.  ``fast`` counts the records decoded by the
    vectorised path, ``slow`` those handed to the ElementSet parser.
    """

    columns: list[list]
    skipped: list[InputError]
    duplicates: int
    fast: int
    slow: int

    def __len__(self) -> int:
        return len(self.columns[0])


@dataclass(frozen=True)
class FileReport:
    """What one file brought: format, sets read, written, already stored, rejected, seconds."""

    path: str
    format: str
    sets: int
    new: int
    duplicate: int
    rejected: int
    seconds: float


@dataclass
class IngestReport:
    """The outcome of :func:`ingest_files`.

    ``duplicate`` counts sets already stored plus records repeated inside a file;
    ``rejected`` lists every bad record as ``(file, line, message)`` (line None when the whole
    file is unreadable).
    """

    new: int = 0
    duplicate: int = 0
    rejected: list[tuple[str, int | None, str]] = field(default_factory=list)
    files: list[FileReport] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def sets_per_s(self) -> float:
        """Element sets read (new + duplicate) per second of wall time."""
        return (self.new + self.duplicate) / self.seconds if self.seconds > 0 else 0.0

    def describe(self, limit: int = 3) -> str:
        """One line for a user: counts and the first few rejections."""
        text = f"{self.new} new, {self.duplicate} already stored or repeated"
        if self.rejected:
            shown = "; ".join(
                f"{f}:{ln}: {m}" if ln is not None else f"{f}: {m}"
                for f, ln, m in self.rejected[:limit]
            )
            more = f"; and {len(self.rejected) - limit} more" if len(self.rejected) > limit else ""
            text += f", {len(self.rejected)} rejected: {shown}{more}"
        return text


# -- ElementSet rows ---------------------------------------------------------------------------
def rows_from_element_sets(sets: Iterable[ElementSet]) -> list[list]:
    """Element sets as columns in :data:`~deorbit.store.ROW_COLUMNS` order (epochs in us)."""
    cols: list[list] = [[] for _ in ROW_COLUMNS]
    for es in sets:
        values = (
            es.norad_id,
            utc_to_us(es.epoch_utc),
            es.name,
            es.intl_designator,
            es.mean_motion_rev_per_day,
            es.eccentricity,
            es.inclination_deg,
            es.raan_deg,
            es.arg_perigee_deg,
            es.mean_anomaly_deg,
            es.bstar_per_earth_radii,
            es.mean_motion_dot_rev_per_day2,
            es.mean_motion_ddot_rev_per_day3,
            es.classification,
            es.element_set_no,
            es.rev_at_epoch,
            es.ephemeris_type,
            es.line,
        )
        for col, v in zip(cols, values, strict=True):
            col.append(v)
    return cols


def _row_to_set(row: Sequence, source: str) -> ElementSet:
    values = [v.item() if isinstance(v, np.generic) else v for v in row]
    epoch = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=values[1])
    return ElementSet(
        values[0], values[2], values[3], epoch, *values[4:17], source=source, line=values[17]
    )


# -- the columnar TLE reader -------------------------------------------------------------------
# Byte classes for the column templates.
_DIG, _SPC, _PLUS, _MINUS, _DOT, _UPPER = 1, 2, 4, 8, 16, 32
_CLASS = np.zeros(256, dtype=np.uint8)
_CLASS[48:58] = _DIG
_CLASS[32] = _SPC
_CLASS[43] = _PLUS
_CLASS[45] = _MINUS
_CLASS[46] = _DOT
_CLASS[65:91] = _UPPER
#: Control bytes that make a file "not plainly TLE text" (tab, newline, form feed allowed).
_CONTROL = np.zeros(256, dtype=bool)
_CONTROL[:32] = True
_CONTROL[[9, 10, 12]] = False
_CONTROL[127] = True
_DIGIT_VALUE = np.zeros(256, dtype=np.float64)
_DIGIT_VALUE[48:58] = np.arange(10)
_SIGN = _SPC | _PLUS | _MINUS


def _template(spec: dict[tuple[int, int], int]) -> np.ndarray:
    """Allowed byte classes per column (0-based, 69 columns) from {(lo, hi): classes}."""
    t = np.zeros(69, dtype=np.uint8)
    for (lo, hi), classes in spec.items():
        t[lo:hi] = classes
    return t


_D, _DS = _DIG, _DIG | _SPC
#: Canonical TLE line 1 and line 2 (column numbers 0-based; see deorbit.formats.tle).
_T1 = _template(
    {
        (0, 1): _DIG, (1, 2): _SPC, (2, 3): _DIG | _UPPER, (3, 7): _D, (7, 8): _UPPER | _SPC,
        (8, 9): _SPC, (9, 17): _DIG | _UPPER | _SPC, (17, 18): _SPC, (18, 23): _D,
        (23, 24): _DOT, (24, 32): _D, (32, 33): _SPC, (33, 34): _SIGN, (34, 35): _DOT,
        (35, 43): _D, (43, 44): _SPC, (44, 45): _SIGN, (45, 50): _D, (50, 51): _PLUS | _MINUS,
        (51, 52): _D, (52, 53): _SPC, (53, 54): _SIGN, (54, 59): _D, (59, 60): _PLUS | _MINUS,
        (60, 61): _D, (61, 62): _SPC, (62, 63): _DS, (63, 64): _SPC, (64, 68): _DS,
        (68, 69): _D,
    }
)  # fmt: skip
_T2 = _template(
    {
        (0, 1): _DIG, (1, 2): _SPC, (2, 3): _DIG | _UPPER, (3, 7): _D, (7, 8): _SPC,
        (8, 10): _DS, (10, 11): _D, (11, 12): _DOT, (12, 16): _D, (16, 17): _SPC,
        (17, 19): _DS, (19, 20): _D, (20, 21): _DOT, (21, 25): _D, (25, 26): _SPC,
        (26, 33): _D, (33, 34): _SPC, (34, 36): _DS, (36, 37): _D, (37, 38): _DOT,
        (38, 42): _D, (42, 43): _SPC, (43, 45): _DS, (45, 46): _D, (46, 47): _DOT,
        (47, 51): _D, (51, 52): _SPC, (52, 53): _DS, (53, 54): _D, (54, 55): _DOT,
        (55, 63): _D, (63, 68): _DS, (68, 69): _D,
    }
)  # fmt: skip
# Blank-led fields: a blank may not follow a digit inside them (``int(" 9 9")`` fails).
_BLANK_LED_1 = ((64, 68),)
_BLANK_LED_2 = ((8, 11), (17, 20), (34, 37), (43, 46), (52, 54), (63, 68))


def _no_blank_after_digit(fields: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Columns c (0-based) such that c - 1 is in the same blank-led field: only these can
    hold the forbidden "digit then blank" pair, so only these are checked."""
    pairs = np.zeros(69, dtype=bool)
    for lo, hi in fields:
        pairs[lo + 1 : hi] = True
    return np.flatnonzero(pairs)


_PAIRS_1 = _no_blank_after_digit(_BLANK_LED_1)
_PAIRS_2 = _no_blank_after_digit(_BLANK_LED_2)


def _weights(fields: dict[str, tuple[int, ...]]) -> tuple[list[str], np.ndarray]:
    """Place-value matrix: ``digits (N, 69) @ W (69, F)`` gives every field's integer value.

    Each field lists its digit columns, most significant first (a decimal point is simply
    left out: ``ddd.dddd`` read as the integer dddd dddd, later divided by 10^4).  A last
    field ``"digit_sum"`` weighs columns 1-68 by one: the checksum's digit part comes out of
    the same matrix product instead of a second pass over the bytes (sums <= 612: exact).
    """
    names = [*fields, "digit_sum"]
    w = np.zeros((69, len(names)))
    for j, name in enumerate(fields):
        cols = fields[name]
        for k, c in enumerate(cols):
            w[c, j] = 10.0 ** (len(cols) - 1 - k)
    w[:68, -1] = 1.0
    return names, w


_F1_NAMES, _W1 = _weights(
    {
        "cat4": (3, 4, 5, 6),
        "yy": (18, 19),
        "doy": (20, 21, 22),
        "frac": tuple(range(24, 32)),
        "ndot": tuple(range(35, 43)),
        "nddot_m": tuple(range(45, 50)),
        "nddot_e": (51,),
        "bstar_m": tuple(range(54, 59)),
        "bstar_e": (60,),
        "eph": (62,),
        "elset": (64, 65, 66, 67),
        "check": (68,),
    }
)
_F2_NAMES, _W2 = _weights(
    {
        "inc": (8, 9, 10, 12, 13, 14, 15),
        "raan": (17, 18, 19, 21, 22, 23, 24),
        "ecc": tuple(range(26, 33)),
        "argp": (34, 35, 36, 38, 39, 40, 41),
        "ma": (43, 44, 45, 47, 48, 49, 50),
        "mm": (52, 53, *range(55, 63)),
        "rev": (63, 64, 65, 66, 67),
        "check": (68,),
    }
)


def _exp_value(sign: np.ndarray, mantissa: np.ndarray, exp_sign: np.ndarray, exp: np.ndarray):
    """+-0.mmmmm * 10^(+-e) as ``mantissa * 10^(e' - 5)`` in one correctly rounded step."""
    power = np.where(exp_sign == 45, -exp, exp).astype(np.int64) - 5
    value = np.where(
        power >= 0,
        mantissa * _POW10[np.clip(power, 0, 22)],
        mantissa / _POW10[np.clip(-power, 0, 22)],
    )
    return np.where(sign == 45, -value, value)


def _days_since_1970(year: np.ndarray, day_of_year: np.ndarray) -> np.ndarray:
    jan1 = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    return jan1 + day_of_year - 1


def _is_leap(year: np.ndarray) -> np.ndarray:
    return ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)


def _minus_columns(template: np.ndarray) -> np.ndarray:
    """Columns where the template allows a minus sign: the only ones a canonical line can
    have one in, so the only ones the checksum needs to count."""
    return np.flatnonzero(template & _MINUS)


_MINUS_1 = _minus_columns(_T1)
_MINUS_2 = _minus_columns(_T2)


def _line_ok(
    m: np.ndarray, template: np.ndarray, pairs: np.ndarray, minus: np.ndarray, digit_sum: np.ndarray
) -> np.ndarray:
    """Canonical-line mask of (N, 69) bytes ``m``: every byte of an allowed class, no blank
    after a digit inside a blank-led field (columns ``pairs``), and the checksum right.

    ``digit_sum`` (the digits of columns 1-68, from the place-value product) plus one per
    minus sign, modulo 10, must equal column 69.  Minus signs are only counted in the
    ``minus`` columns: anywhere else the template check already rejects the line.
    """
    cls = _CLASS[m]
    # min over a row of (class & allowed) is 0 iff some byte is of a class not allowed there
    ok = (cls & template).min(axis=1) != 0
    # a blank right after a digit inside a blank-led field
    bad = (cls[:, pairs] == _SPC) & (cls[:, pairs - 1] == _DIG)
    ok &= ~bad.any(axis=1)
    # checksum: digits of columns 1-68 plus one per minus sign, modulo 10
    total = digit_sum.astype(np.int64) + np.count_nonzero(m[:, minus] == 45, axis=1)
    return ok & (total % 10 == m[:, 68].astype(np.int64) - 48)


def _decode_records(
    m1: np.ndarray, m2: np.ndarray, now_us: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Decode and check N records given as (N, 69) byte matrices; returns (fields, ok mask).

    ``ok`` is False for any record that is not canonical or would fail
    :func:`deorbit.elements.validate`; such records go to the ElementSet path.
    """
    v1 = dict(zip(_F1_NAMES, (_DIGIT_VALUE[m1] @ _W1).T, strict=True))
    v2 = dict(zip(_F2_NAMES, (_DIGIT_VALUE[m2] @ _W2).T, strict=True))
    ok = (m1[:, 0] == 49) & (m2[:, 0] == 50)
    ok &= _line_ok(m1, _T1, _PAIRS_1, _MINUS_1, v1["digit_sum"])
    ok &= _line_ok(m2, _T2, _PAIRS_2, _MINUS_2, v2["digit_sum"])
    ok &= np.all(m1[:, 2:7] == m2[:, 2:7], axis=1)
    ok &= np.isin(m1[:, 7], (85, 67, 83, 32))  # U C S blank
    lead = _ALPHA5[m1[:, 2]]
    ok &= lead >= 0
    norad = lead * 10_000 + v1["cat4"].astype(np.int64)
    yy = v1["yy"].astype(np.int64)
    doy = v1["doy"].astype(np.int64)
    year = np.where(yy >= 57, 1900 + yy, 2000 + yy)
    ok &= (doy >= 1) & (doy <= np.where(_is_leap(year), 366, 365))
    epoch_us = _days_since_1970(year, doy) * _US_PER_DAY + v1["frac"].astype(np.int64) * 864
    ndot = v1["ndot"] / 1e8
    ndot = np.where(m1[:, 33] == 45, -ndot, ndot)
    nddot = _exp_value(m1[:, 44], v1["nddot_m"], m1[:, 50], v1["nddot_e"])
    bstar = _exp_value(m1[:, 53], v1["bstar_m"], m1[:, 59], v1["bstar_e"])
    inc, raan = v2["inc"] / 1e4, v2["raan"] / 1e4
    argp, mean_anom = v2["argp"] / 1e4, v2["ma"] / 1e4
    mean_motion = v2["mm"] / 1e8
    # deorbit.elements.validate, vectorised (failures go to the ElementSet path for the message)
    ok &= (norad > 0) & (norad < 340_000)
    ok &= (mean_motion > 0.0) & (mean_motion <= 20.0)
    ok &= (inc >= 0.0) & (inc <= 180.0)
    for angle in (raan, argp, mean_anom):
        ok &= (angle >= 0.0) & (angle <= 360.0)
    ok &= np.abs(bstar) <= 10.0
    ok &= (epoch_us >= _SPACE_AGE_US) & (epoch_us <= now_us + 366 * _US_PER_DAY)
    fields = {
        "norad_id": norad,
        "epoch_utc_us": epoch_us,
        "mean_motion_rev_per_day": mean_motion,
        "eccentricity": v2["ecc"] / 1e7,
        "inclination_deg": inc,
        "raan_deg": raan,
        "arg_perigee_deg": argp,
        "mean_anomaly_deg": mean_anom,
        "bstar_per_earth_radii": bstar,
        "mean_motion_dot_rev_per_day2": ndot,
        "mean_motion_ddot_rev_per_day3": nddot,
        "element_set_no": v1["elset"].astype(np.int64),
        "rev_at_epoch": v2["rev"].astype(np.int64),
        "ephemeris_type": v1["eph"].astype(np.int64),
    }
    return fields, ok


_INTL_CACHE: dict[bytes, str | None] = {}


def _intl(raw: bytes) -> str | None:
    """Columns 10-17 in COSPAR form ('98067A  ' -> '1998-067A'); None when not canonical."""
    cached = _INTL_CACHE.get(raw, False)
    if cached is not False:
        return cached  # type: ignore[return-value]
    result: str | None
    text = raw.decode("ascii", "replace")
    if len(_INTL_CACHE) > 200_000:
        _INTL_CACHE.clear()
    if not text.strip():
        result = ""
    else:
        yy, number, piece = text[0:2], text[2:5], text[5:8].rstrip()
        if (
            yy.isdigit()
            and number.isdigit()
            and piece.isalpha()
            and piece.isupper()
            and piece.isascii()
            and len(text) == 8
        ):
            result = f"{(1900 if int(yy) >= 57 else 2000) + int(yy)}-{number}{piece}"
        else:
            result = None
    _INTL_CACHE[raw] = result
    return result


def _name(raw: bytes) -> str:
    name = raw.decode("utf-8").strip()
    if name[:2] == "0 ":
        name = name[2:].strip()
    return name


def parse_tle_columns(
    data: bytes,
    source: str,
    *,
    lenient: bool = False,
    now_utc: datetime | None = None,
    on_conflict: str | None = None,
) -> TleColumns:
    """Read TLE bytes column-wise; the same result as :func:`deorbit.formats.parse_bytes`.

    Canonical records are decoded with numpy (see the module docstring); every other line is
    parsed by :func:`deorbit.formats.tle.parse_tle` at its original line number, so errors and
    values are the ElementSet path's.  ``lenient``/``on_conflict`` as in
    :func:`~deorbit.formats.parse_text`.  Anything that is not plainly TLE text (binary data,
    another format) goes entirely through :func:`~deorbit.formats.parse_bytes`.
    """
    now = now_utc or datetime.now(UTC)
    policy = on_conflict if on_conflict is not None else ("skip" if lenient else "error")

    def standard() -> TleColumns:
        result = parse_bytes(data, source, lenient=lenient, now_utc=now, on_conflict=on_conflict)
        if result.format != "tle":
            raise InputError(f"not a TLE file ({result.format})", source=source or None)
        cols = rows_from_element_sets(result.elements)
        return TleColumns(cols, result.skipped, result.duplicates, 0, len(result.elements))

    body = data[3:] if data.startswith(_UTF8_BOM) else data
    if b"\r" in body:
        body = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    buf = np.frombuffer(body, dtype=np.uint8)
    if body.startswith(_UTF8_BOM) or buf.size == 0:
        return standard()
    if np.any(_CONTROL[buf]):  # one table look-up per byte instead of five comparisons
        return standard()  # binary or junk: the standard path names the problem
    try:
        body.decode("utf-8")
        head = body[:32768].decode("utf-8", "ignore")
        if detect_format(head) != "tle":
            return standard()
    except (UnicodeDecodeError, InputError):
        return standard()

    # -- line table -------------------------------------------------------------------------
    newlines = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [buf.size]))
    n_lines = starts.size
    length = ends - starts
    padded = np.concatenate((buf, np.zeros(80, dtype=np.uint8)))
    b0 = np.where(length > 0, padded[starts], 0)
    b1 = np.where(length > 1, padded[starts + 1], 0)
    after = np.where(length > 69, padded[starts + 69], 32)  # column 70
    digit19 = (b0 >= 49) & (b0 <= 57) & (b1 == 32)
    kind1 = (b0 == 49) & (b1 == 32)
    kind2 = (b0 == 50) & (b1 == 32)
    spacelike = (b0 == 32) | (b0 == 9) | (b0 == 12)
    blank = (length == 0) | (b0 == 35)  # empty or '#' comment
    if np.any(spacelike):  # whitespace-led lines: blank, or a name with leading blanks
        for i in np.flatnonzero(spacelike):
            if not body[starts[i] : ends[i]].decode("utf-8").strip():
                blank[i] = True
    other = ~blank & ~digit19  # certainly a name line for parse_tle
    full = (length >= 69) & np.isin(after, (32, 9, 12))  # 69 columns, column 70 blank or absent
    # candidate records: line 1 at i, line 2 at i + 1, and line i - 1 not able to pair with i
    i1 = np.flatnonzero(kind1[:-1] & kind2[1:] & full[:-1] & full[1:])
    prev_ok = np.ones(i1.size, dtype=bool)
    has_prev = i1 > 0
    p = i1[has_prev] - 1
    prev_ok[has_prev] = blank[p] | other[p] | kind1[p] | kind2[p]
    i1 = i1[prev_ok]
    # a line 1 cannot also be the line 2 of a candidate before it (kind1 != kind2, so fine)
    # every 69-byte window of the file as a read-only view (no copy): a record's line is
    # one row of it, so gathering N lines copies N contiguous rows instead of indexing N x 69
    # single bytes through an (N, 69) int64 index matrix (~10x faster)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 69)
    now_us = utc_to_us(now)
    parts: list[dict[str, np.ndarray]] = []
    oks, intl_parts, cls_parts = [], [], []
    for c0 in range(0, i1.size, _CHUNK_RECORDS):
        sel = i1[c0 : c0 + _CHUNK_RECORDS]
        m1 = windows[starts[sel]]
        m2 = windows[starts[sel + 1]]
        decoded, ok_chunk = _decode_records(m1, m2, now_us)
        parts.append(decoded)
        oks.append(ok_chunk)
        intl_parts.append(m1[:, 9:17].copy().view("S8").ravel())
        cls_parts.append(m1[:, 7].copy())
    if not parts:
        return standard()  # no candidate record: the ElementSet path reads or rejects it all
    fields = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    ok = np.concatenate(oks)
    # designators: decode each distinct 8-byte field once
    uniq, inverse = np.unique(np.concatenate(intl_parts), return_inverse=True)
    uniq_text = [_intl(u) for u in uniq.tolist()]
    ok &= np.array([v is not None for v in uniq_text], dtype=bool)[inverse]
    good = np.flatnonzero(ok)
    i1g = i1[good]
    has_name = np.zeros(good.size, dtype=bool)
    nz = i1g > 0
    has_name[nz] = other[i1g[nz] - 1]
    names = _names(body, padded, starts, length, i1g, has_name)
    # a whitespace-only name line reads as blank: the record then starts at its line 1
    has_name &= names != ""
    record_line = np.where(has_name, i1g, i1g + 1)  # 1-based: the name line, else line 1
    cls_raw = np.concatenate(cls_parts)[good]
    classification = np.where(cls_raw == 32, 85, cls_raw).astype(np.uint8)
    columns: dict[str, np.ndarray] = {k: v[good] for k, v in fields.items()}
    columns["name"] = names
    columns["intl_designator"] = np.array(uniq_text, dtype=object)[inverse[good]]
    columns["classification"] = classification.view("S1").astype("U1").astype(object)
    columns["line"] = record_line
    # -- lines the fast path did not take go to the ElementSet parser ------------------------
    used = np.zeros(n_lines, dtype=bool)
    used[i1g] = True
    used[i1g + 1] = True
    used[i1g[has_name] - 1] = True
    leftover = ~used & ~blank
    slow_sets: list[ElementSet] = []
    skipped: list[InputError] = []
    if np.any(leftover):
        lines = body.split(b"\n")
        for i in np.flatnonzero(used).tolist():
            lines[i] = b""
        text = b"\n".join(lines).decode("utf-8")
        slow_sets, skipped = parse_tle(text, source, lenient=lenient, now_utc=now)
    if good.size == 0 and not slow_sets:
        return standard()  # nothing recognisable: let the standard path say why
    if slow_sets:
        slow = rows_from_element_sets(slow_sets)
        for name, values in zip(ROW_COLUMNS, slow, strict=True):
            extra = np.array(values, dtype=columns[name].dtype)
            columns[name] = np.concatenate((columns[name], extra))
    cols, duplicates = _resolve_repeats(columns, skipped, policy, source)
    return TleColumns(cols, skipped, duplicates, int(good.size), len(slow_sets))


def _names(
    body: bytes,
    padded: np.ndarray,
    starts: np.ndarray,
    length: np.ndarray,
    i1: np.ndarray,
    has_name: np.ndarray,
) -> np.ndarray:
    """The name of each record (object array; "" without a name line), each distinct name
    line decoded once."""
    out = np.full(i1.size, "", dtype=object)
    idx = np.flatnonzero(has_name)
    if idx.size == 0:
        return out
    line = i1[idx] - 1
    width = int(length[line].max())
    if width > 200:  # absurdly long name lines: decode one by one
        out[idx] = [_name(body[starts[i] : starts[i] + length[i]]) for i in line.tolist()]
        return out
    cols = np.arange(width)
    block = padded[starts[line][:, None] + cols]
    block[cols[None, :] >= length[line][:, None]] = 0  # NUL padding is dropped by the S dtype
    uniq, inverse = np.unique(block.view(f"S{width}").ravel(), return_inverse=True)
    decoded = np.array([_name(u) for u in uniq.tolist()] + [""], dtype=object)[:-1]
    out[idx] = decoded[inverse]
    return out


def _resolve_repeats(
    columns: dict[str, np.ndarray], skipped: list[InputError], policy: str, source: str
) -> tuple[list[list], int]:
    """Sort by (norad_id, epoch) and settle repeated keys exactly as ``formats._finish``."""
    norad = columns["norad_id"]
    epoch = columns["epoch_utc_us"]
    line = columns["line"]
    in_order = bool(
        np.all((norad[1:] > norad[:-1]) | ((norad[1:] == norad[:-1]) & (epoch[1:] > epoch[:-1])))
    )
    duplicates = 0
    if not in_order:
        order = np.lexsort((line, epoch, norad))  # file order inside a key
        same_as_next = (norad[order][1:] == norad[order][:-1]) & (
            epoch[order][1:] == epoch[order][:-1]
        )
        if np.any(same_as_next):
            in_group = np.zeros(order.size, dtype=bool)
            in_group[1:] |= same_as_next
            in_group[:-1] |= same_as_next
            members = order[in_group]
            members = members[np.argsort(line[members], kind="stable")]  # file order
            sets = [
                _row_to_set([columns[c][k] for c in ROW_COLUMNS], source) for k in members.tolist()
            ]
            keep, duplicates = _finish(sets, skipped, policy, source)
            kept_lines = np.array([es.line for es in keep], dtype=np.int64)
            dropped = members[~np.isin(line[members], kept_lines)]
            order = order[~np.isin(order, dropped)]
        columns = {k: v[order] for k, v in columns.items()}
    return [columns[c].tolist() for c in ROW_COLUMNS], duplicates


# -- ingest ------------------------------------------------------------------------------------
def _fetched_utc_of(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def ingest_text(
    data: bytes | str,
    source: str,
    store: ElementStore,
    *,
    lenient: bool = True,
    on_conflict: str = "latest",
    fetched_utc: datetime | None = None,
    now_utc: datetime | None = None,
    query_key: str | None = None,
    progress: Progress | None = None,
) -> tuple[AddCounts, TleColumns | None, list[InputError], str]:
    """Ingest one document (a file's bytes or a CelesTrak answer) in one transaction.

    TLE text takes the columnar path; OMM (KVN, XML) and GP (JSON, CSV) the ElementSet path.
    ``query_key`` records the document as the answer of that CelesTrak query
    (:meth:`ElementStore.add_query_result`).  Returns (counts, columns or None, skipped
    records, format).  With ``lenient=False`` the first bad record raises and nothing of the
    document is stored.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fetched = fetched_utc or datetime.now(UTC)
    now = now_utc or datetime.now(UTC)
    fmt = "tle"
    try:
        head = raw[:32768].decode("utf-8-sig", "ignore").replace("\r", "\n")
        fmt = detect_format(head)
    except InputError:
        fmt = "unknown"
    if fmt == "tle" and query_key is None:
        tle = parse_tle_columns(raw, source, lenient=lenient, now_utc=now, on_conflict=on_conflict)

        def chunk_progress(done: int, total: int) -> None:
            if progress is not None:
                progress(source, done, total)

        counts = store.add_columns(
            tle.columns, source=source, fetched_utc=fetched, progress=chunk_progress
        )
        return (
            AddCounts(counts.new, counts.duplicate + tle.duplicates),
            tle,
            tle.skipped,
            "tle",
        )
    if isinstance(data, str):
        result = parse_text(data, source, lenient=lenient, now_utc=now, on_conflict=on_conflict)
    else:
        result = parse_bytes(raw, source, lenient=lenient, now_utc=now, on_conflict=on_conflict)
    if query_key is not None:
        counts = store.add_query_result(
            query_key, result.elements, source=source, fetched_utc=fetched
        )
    else:
        counts = store.add(result.elements, source=source, fetched_utc=fetched)
    if progress is not None:
        progress(source, len(result.elements), len(result.elements))
    return (
        AddCounts(counts.new, counts.duplicate + result.duplicates),
        None,
        result.skipped,
        result.format,
    )


def ingest_files(
    paths: Iterable[str | os.PathLike[str]],
    store: ElementStore,
    *,
    lenient: bool = True,
    on_conflict: str = "latest",
    now_utc: datetime | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest element-set files (TLE, OMM KVN/XML, GP JSON/CSV; detected per file).

    Each file is one transaction.  With ``lenient=True`` (the default) good records are kept
    and every bad one is listed in :attr:`IngestReport.rejected` as (file, line, message); a
    file that cannot be read at all (missing, binary, not an element-set format) is listed
    with line None and the other files still go in.  With ``lenient=False`` the first problem
    raises :class:`~deorbit.errors.InputError` naming file, line and field; files before it
    stay ingested, the failing file is not.

    ``on_conflict`` settles two *different* sets for one object and epoch inside a file
    (``"latest"``: a re-issue corrects the earlier one; see :func:`deorbit.formats.parse_text`).
    ``fetched_utc`` of each ingest is the file's modification time.  ``progress(file, done,
    total)`` is called as rows are written.
    """
    report = IngestReport()
    start = time.perf_counter()
    for p in paths:
        path = Path(p)
        t0 = time.perf_counter()
        try:
            try:
                data = path.read_bytes()
                fetched = _fetched_utc_of(path)
            except OSError as exc:
                raise InputError(
                    f"cannot read element-set file: {exc.strerror or type(exc).__name__}",
                    source=str(path),
                ) from None
            counts, tle, skipped, fmt = ingest_text(
                data,
                str(path),
                store,
                lenient=lenient,
                on_conflict=on_conflict,
                fetched_utc=fetched,
                now_utc=now_utc,
                progress=progress,
            )
        except StoreError:
            raise  # the store, not the file, is the problem
        except InputError as exc:
            if not lenient:
                raise
            report.rejected.append((str(path), exc.line, exc.message))
            report.files.append(
                FileReport(str(path), "unknown", 0, 0, 0, 1, time.perf_counter() - t0)
            )
            continue
        report.new += counts.new
        report.duplicate += counts.duplicate
        for exc in skipped:
            report.rejected.append((exc.source or str(path), exc.line, _describe(exc)))
        report.files.append(
            FileReport(
                str(path),
                fmt,
                counts.total,
                counts.new,
                counts.duplicate,
                len(skipped),
                time.perf_counter() - t0,
            )
        )
    report.seconds = time.perf_counter() - start
    return report


def _describe(exc: InputError) -> str:
    return f"field {exc.field}: {exc.message}" if exc.field else exc.message
