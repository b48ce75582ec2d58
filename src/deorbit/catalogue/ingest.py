"""Bulk ingest of element-set files into the element store, with a columnar TLE fast path.

Two roads lead into :class:`~deorbit.store.ElementStore`:

*ElementSet path* (every format)
    :func:`deorbit.formats.load_elements` builds one validated, frozen
    :class:`~deorbit.elements.ElementSet` per record, then :meth:`ElementStore.add` turns each
    back into a row.  Correct and general, but ~25 us per set: ~35,000-40,000 sets/s (CPU).

*Columnar path* (TLE text, :func:`parse_tle_columns`)
    A TLE is fixed-width, so a whole file can be cut into two byte matrices (line 1s, line
    2s; 72 bytes a row, viewed as nine 64-bit words) with numpy, and every field decoded,
    checksummed and range-checked for all records at once, eight columns per operation
    (:func:`_decode_records`).  Rows then go to SQLite in 100,000-set chunks, 200 rows per
    INSERT (:meth:`ElementStore.add_columns`).  No per-record Python object is built besides
    what SQLite binds; names and designators are decoded once per run of equal lines (a
    history repeats them).  ~550,000 sets/s parsed, ~280,000 sets/s stored (CPU, one core).

Why the two store *identical* values
    * Numbers: a decimal field with d digits after the point is decoded as the integer of its
      digits (exact integer arithmetic on the words, :func:`_numbers`) divided by 10^d.  Both operands are exact doubles (< 2^53, 10^d <= 10^22), so IEEE
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
from deorbit.store import (
    FLOAT_COLUMNS,
    ROW_COLUMNS,
    TEXT_COLUMNS,
    AddCounts,
    ElementStore,
    StoreError,
    utc_to_us,
)

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
#: Records decoded per numpy pass: the (chunk, 9) word temporaries (~0.5 MB) stay in the
#: CPU cache (65,536 records a pass was ~30 % slower).
_CHUNK_RECORDS = 8_192
#: A progress callback: (what, done, total).
Progress = Callable[[str, int, int], None]


@dataclass
class TleColumns:
    """TLE records decoded column-wise: one numpy array per :data:`~deorbit.store.ROW_COLUMNS`
    name (text columns as object arrays), in :attr:`arrays`.

    Sorted by (norad_id, epoch), repeats and conflicts resolved as
    :func:`deorbit.formats.parse_text` does.  ``fast`` counts the records decoded by the
    vectorised path, ``slow`` those handed to the ElementSet parser.
    """

    arrays: list[np.ndarray]
    skipped: list[InputError]
    duplicates: int
    fast: int
    slow: int

    @property
    def columns(self) -> list[list]:
        """The columns as Python lists (the form :func:`rows_from_element_sets` returns)."""
        return [a.tolist() for a in self.arrays]

    def __len__(self) -> int:
        return len(self.arrays[0])


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
# Byte classes of the canonical-record templates.
_DIG, _SPC, _PLUS, _MINUS, _DOT, _UPPER = 1, 2, 4, 8, 16, 32
_D, _DS, _SIGN = _DIG, _DIG | _SPC, _SPC | _PLUS | _MINUS


def _template(spec: dict[tuple[int, int], int]) -> np.ndarray:
    """Allowed byte classes per column (0-based, 69 columns) from {(lo, hi): classes}."""
    t = np.zeros(69, dtype=np.uint8)
    for (lo, hi), classes in spec.items():
        t[lo:hi] = classes
    return t


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
#: Line-1 columns whose classes are checked one by one (see :func:`_decode_records`): the
#: Alpha-5 lead, classification, international designator and the signs.
_SPECIAL_1 = (2, 7, *range(9, 17), 33, 44, 50, 53, 59)
_SPECIAL_2 = (2,)  # the Alpha-5 lead, equal to line 1's
#: Columns of line 1 where a minus sign may stand (each counts 1 in the checksum).
_MINUS_1 = tuple(int(c) for c in np.flatnonzero(_T1 & _MINUS))
assert not np.any(_T2 & _MINUS)

# -- word-level ("SWAR") arithmetic ---------------------------------------------------------
# A record's line is gathered as 72 bytes (its 69 columns and 3 bytes past its end, never
# looked at) and viewed as nine little-endian 64-bit words: byte k of word j is column 8j + k.
# One numpy operation on an (N, 9) word array then treats eight columns of every record at
# once -- about eight times fewer element operations than one byte per element, and no
# 256-entry table look-ups (numpy fancy indexing costs ~3 ns a byte).  Every per-byte formula
# below keeps each byte's arithmetic inside its byte (no carry or borrow into a neighbour),
# so it is exact whatever the other bytes hold.
_WIDTH = 72
_U64 = np.uint64


def _rep(byte: int) -> np.uint64:
    """``byte`` repeated in all eight bytes of a word."""
    return _U64(int.from_bytes(bytes([byte]) * 8, "little"))


_LO, _HI, _B30, _B06, _B20, _B7F, _B80, _B01 = map(
    _rep, (0x0F, 0xF0, 0x30, 0x06, 0x20, 0x7F, 0x80, 0x01)
)
_B41, _B5B = _rep(0x41), _rep(0x5B)


def _nonzero(v: np.ndarray) -> np.ndarray:
    """0x80 in every byte of ``v`` that is not 0x00, 0 elsewhere."""
    return (((v & _B7F) + _B7F) | v) & _B80


def _not_digit(w: np.ndarray) -> np.ndarray:
    """0x80 in every byte that is not an ASCII digit: high nibble 3 and low nibble <= 9."""
    return _nonzero(((w & _HI) ^ _B30) | (((w & _LO) + _B06) & _HI))


def _bytes_mask(columns: Iterable[int], value: int | np.ndarray = 0x80) -> np.ndarray:
    """Nine words with ``value`` in the bytes of ``columns`` (0 elsewhere)."""
    b = np.zeros(_WIDTH, dtype=np.uint8)
    b[list(columns)] = value
    return b.view("<u8").copy()


@dataclass(frozen=True)
class _LineSpec:
    """A template as word masks: ``digit`` (0x80 where a digit must stand), ``digit_or_blank``
    (0x80 where a digit or a blank may), ``exact_mask``/``exact`` (0xFF and the byte where one
    byte must stand: blanks, points, the line number), ``after_digit`` (0x80 where a blank
    may not follow a digit), ``checksum`` (0xFF on columns 1-68, 1-based, whose digits count)."""

    digit: np.ndarray
    digit_or_blank: np.ndarray
    exact_mask: np.ndarray
    exact: np.ndarray
    after_digit: np.ndarray
    checksum: np.ndarray


def _line_spec(
    template: np.ndarray, number: int, blank_led: tuple[tuple[int, int], ...], special: tuple
) -> _LineSpec:
    expected = np.zeros(_WIDTH, dtype=np.uint8)
    expected[0] = ord(str(number))
    exact_cols = [0]
    for c, classes in enumerate(template.tolist()):
        if classes == _SPC:
            expected[c] = 32
        elif classes == _DOT:
            expected[c] = 46
        else:
            continue
        exact_cols.append(c)
    digit_cols = [c for c in range(1, 69) if template[c] == _D]
    ds_cols = [c for c in range(69) if template[c] == _DS]
    # every column is exactly one of: exact, digit, digit-or-blank, or checked one by one
    covered = sorted([*exact_cols, *digit_cols, *ds_cols, *special])
    assert covered == list(range(69)), "template columns not all covered"
    pairs = [c for lo, hi in blank_led for c in range(lo + 1, hi)]
    return _LineSpec(
        digit=_bytes_mask(digit_cols),
        digit_or_blank=_bytes_mask(ds_cols),
        exact_mask=_bytes_mask(exact_cols, 0xFF),
        exact=_bytes_mask(exact_cols, expected[exact_cols]),
        after_digit=_bytes_mask(pairs),
        checksum=_bytes_mask(range(68), 0xFF),
    )


_SPEC_1 = _line_spec(_T1, 1, _BLANK_LED_1, _SPECIAL_1)
_SPEC_2 = _line_spec(_T2, 2, _BLANK_LED_2, _SPECIAL_2)
_CATNUM = _bytes_mask(range(2, 7), 0xFF)[0]  # columns 3-7 (1-based): the catalogue number


def _line_ok(w: np.ndarray, spec: _LineSpec) -> tuple[np.ndarray, np.ndarray]:
    """Check (N, 9) line words against a template; returns (ok, digit sum of columns 1-68).

    ``ok`` says: every exact, digit and digit-or-blank column holds what the template allows,
    and no blank follows a digit inside a blank-led field.  The special columns are the
    caller's.  The digit sum (blanks and letters count 0) is the checksum's digit part.
    """
    not_digit = _not_digit(w)
    not_blank = _nonzero(w ^ _B20)
    bad = (
        (not_digit & spec.digit)
        | (not_digit & not_blank & spec.digit_or_blank)
        | ((w ^ spec.exact) & spec.exact_mask)
    )
    digit = not_digit ^ _B80  # 0x80 where a digit stands
    after_digit = digit << _U64(8)  # byte c gets byte c - 1's flag ...
    after_digit[:, 1:] |= digit[:, :-1] >> _U64(56)  # ... across word boundaries too
    bad |= (not_blank ^ _B80) & after_digit & spec.after_digit
    ok = ~np.any(bad, axis=1)
    digits = w & _LO & ((digit >> _U64(7)) * _U64(0xFF)) & spec.checksum
    digit_sum = ((digits * _B01) >> _U64(56)).sum(axis=1, dtype=np.int64)  # <= 72 per word
    return ok, digit_sum


def _word_at(m: np.ndarray, column: int) -> np.ndarray:
    """Columns ``column`` .. ``column + 7`` of every row of the C-contiguous (N, 72) byte
    matrix ``m`` as one little-endian uint64 (an unaligned strided view: no copy)."""
    if m.shape[0] == 0:
        return np.zeros(0, dtype=np.uint64)
    return np.ndarray((m.shape[0],), dtype="<u8", buffer=m, offset=column, strides=(m.strides[0],))


_PAIRS, _QUADS, _HALVES = _U64(0x00FF00FF00FF00FF), _U64(0x0000FFFF0000FFFF), _U64(0xFFFFFFFF)
_LOW3, _HIGH4 = _U64(0x0000000000FFFFFF), _U64(0xFFFFFFFF00000000)


def _numbers(m: np.ndarray, fields: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Integer value of decimal fields of every row; (N, F) int64.

    A field is (column, digits): ``digits`` (1-8) consecutive digit columns, or ``-7``: the
    form ``ddd.dddd`` (8 columns, 7 digits).  Blanks read as 0, as the digit-value table did.
    Eight ASCII digits in a word become their value in three multiply-add-mask steps: pairs of
    digits, then pairs of pairs, then the two halves (each partial value fits its lane).
    """
    words = []
    for column, digits in fields:
        x = _word_at(m, column) & _LO
        if digits == -7:  # drop the point (byte 3): bytes 0-2 move up one, byte 0 becomes 0
            x = ((x & _LOW3) << _U64(8)) | (x & _HIGH4)
        elif digits < 8:  # left-align: the bytes after the field fall off the top
            x = x << _U64(8 * (8 - digits))
        words.append(x)
    x = np.stack(words, axis=1)
    x = (x * _U64(10) + (x >> _U64(8))) & _PAIRS
    x = (x * _U64(100) + (x >> _U64(16))) & _QUADS
    x = (x * _U64(10_000) + (x >> _U64(32))) & _HALVES
    return x.astype(np.int64)


#: (column, digits) of the multi-digit fields of line 1 and line 2.
_FIELDS_1 = (
    (3, 4),  # catalogue number, last four digits
    (18, 5),  # epoch year (2) and day of year (3)
    (24, 8),  # epoch day fraction
    (35, 8),  # ndot / 2
    (45, 5),  # nddot / 6 mantissa
    (54, 5),  # B* mantissa
    (64, 4),  # element set number
)
_FIELDS_2 = (
    (8, -7),  # inclination ddd.dddd
    (17, -7),  # RAAN
    (34, -7),  # argument of perigee
    (43, -7),  # mean anomaly
    (26, 7),  # eccentricity (assumed point)
    (52, 2),  # mean motion, integer part
    (55, 8),  # mean motion, fraction
    (63, 5),  # revolution number
)


def _exp_value(sign: np.ndarray, mantissa: np.ndarray, exp_sign: np.ndarray, exp: np.ndarray):
    """+-0.mmmmm * 10^(+-e) as ``mantissa * 10^(e' - 5)`` in one correctly rounded step."""
    exp = exp.astype(np.int64)
    power = np.where(exp_sign == 45, -exp, exp) - 5
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


def _one_of(column: np.ndarray, allowed: tuple[int, ...]) -> np.ndarray:
    ok = column == allowed[0]
    for b in allowed[1:]:
        ok |= column == b
    return ok


def _decode_records(
    m1: np.ndarray, m2: np.ndarray, now_us: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Decode and check N records given as C-contiguous (N, 72) byte matrices (line 1s and
    line 2s, columns 70-72 ignored); returns (fields, ok mask).

    ``ok`` is False for any record that is not canonical or would fail
    :func:`deorbit.elements.validate`; such records go to the ElementSet path.
    """
    w1, w2 = m1.view("<u8"), m2.view("<u8")
    ok, sum1 = _line_ok(w1, _SPEC_1)
    ok2, sum2 = _line_ok(w2, _SPEC_2)
    ok &= ok2
    # the special columns of line 1, one by one
    ok &= _one_of(m1[:, 7], (85, 67, 83, 32))  # U C S blank
    for c in (33, 44, 53):
        ok &= _one_of(m1[:, c], (32, 43, 45))
    for c in (50, 59):
        ok &= _one_of(m1[:, c], (43, 45))
    intl = _word_at(m1, 9)  # columns 10-17: digits, capitals or blanks
    y = intl | _B80
    upper = ((y - _B41) & ~(y - _B5B) & ~intl) & _B80  # 0x41 <= byte <= 0x5A
    ok &= (_not_digit(intl) & _nonzero(intl ^ _B20) & ~upper) == 0
    lead = _ALPHA5[m1[:, 2]]  # Alpha-5 lead: a digit or a letter other than I and O
    ok &= lead >= 0
    # checksums: digits of columns 1-68 plus one per minus sign, modulo 10 = column 69
    for c in _MINUS_1:
        sum1 += m1[:, c] == 45
    ok &= sum1 % 10 == (m1[:, 68] & 15)
    ok &= sum2 % 10 == (m2[:, 68] & 15)
    ok &= ((w1[:, 0] ^ w2[:, 0]) & _CATNUM) == 0  # same catalogue number on both lines
    a = _numbers(m1, _FIELDS_1)
    b = _numbers(m2, _FIELDS_2)
    norad = lead * 10_000 + a[:, 0]
    yy, doy = np.divmod(a[:, 1], 1000)
    year = np.where(yy >= 57, 1900 + yy, 2000 + yy)
    ok &= (doy >= 1) & (doy <= np.where(_is_leap(year), 366, 365))
    epoch_us = _days_since_1970(year, doy) * _US_PER_DAY + a[:, 2] * 864
    ndot = a[:, 3] / 1e8
    ndot = np.where(m1[:, 33] == 45, -ndot, ndot)
    nddot = _exp_value(m1[:, 44], a[:, 4].astype(np.float64), m1[:, 50], m1[:, 51] & 15)
    bstar = _exp_value(m1[:, 53], a[:, 5].astype(np.float64), m1[:, 59], m1[:, 60] & 15)
    inc, raan, argp, mean_anom = (b[:, k] / 1e4 for k in range(4))
    mean_motion = (b[:, 5] * 100_000_000 + b[:, 6]) / 1e8
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
        "eccentricity": b[:, 4] / 1e7,
        "inclination_deg": inc,
        "raan_deg": raan,
        "arg_perigee_deg": argp,
        "mean_anomaly_deg": mean_anom,
        "bstar_per_earth_radii": bstar,
        "mean_motion_dot_rev_per_day2": ndot,
        "mean_motion_ddot_rev_per_day3": nddot,
        "element_set_no": a[:, 6],
        "rev_at_epoch": b[:, 7],
        "ephemeris_type": (m1[:, 62] & 15).astype(np.int64),  # a digit or a blank (0)
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
        arrays = _column_arrays(rows_from_element_sets(result.elements))
        return TleColumns(arrays, result.skipped, result.duplicates, 0, len(result.elements))

    body = data[3:] if data.startswith(_UTF8_BOM) else data
    if b"\r" in body:
        body = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    buf = np.frombuffer(body, dtype=np.uint8)
    if body.startswith(_UTF8_BOM) or buf.size == 0:
        return standard()
    # control bytes other than tab, newline and form feed: binary or junk, and the standard
    # path names the problem.  One pass finds every byte < 32 (~10x faster than a 256-entry
    # table look-up per byte); in a plain file they are all newlines.
    control = np.flatnonzero(buf < 32)
    control_byte = buf[control]
    is_newline = control_byte == 10
    if not np.all(is_newline):
        if not np.all(is_newline | (control_byte == 9) | (control_byte == 12)):
            return standard()
        control = control[is_newline]
    if b"\x7f" in body:
        return standard()
    try:
        body.decode("utf-8")
        head = body[:32768].decode("utf-8", "ignore")
        if detect_format(head) != "tle":
            return standard()
    except (UnicodeDecodeError, InputError):
        return standard()

    # -- line table -------------------------------------------------------------------------
    newlines = control
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
    full = (length >= 69) & _one_of(after, (32, 9, 12))  # 69 columns, column 70 blank or absent
    # candidate records: line 1 at i, line 2 at i + 1, and line i - 1 not able to pair with i
    i1 = np.flatnonzero(kind1[:-1] & kind2[1:] & full[:-1] & full[1:])
    prev_ok = np.ones(i1.size, dtype=bool)
    has_prev = i1 > 0
    p = i1[has_prev] - 1
    prev_ok[has_prev] = blank[p] | other[p] | kind1[p] | kind2[p]
    i1 = i1[prev_ok]
    # a line 1 cannot also be the line 2 of a candidate before it (kind1 != kind2, so fine)
    # every 72-byte window of the file as a read-only view (no copy): a record's line is
    # one row of it, so gathering N lines copies N contiguous rows
    windows = np.lib.stride_tricks.sliding_window_view(padded, _WIDTH)
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
        intl_parts.append(_word_at(m1, 9).copy())
        cls_parts.append(m1[:, 7].copy())
    if not parts:
        return standard()  # no candidate record: the ElementSet path reads or rejects it all
    fields = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    ok = np.concatenate(oks)
    # designators: decode each distinct 8-byte field once
    intl_text, intl_ok = _designators(np.concatenate(intl_parts))
    ok &= intl_ok
    good = np.flatnonzero(ok)
    i1g = i1[good]
    has_name = np.zeros(good.size, dtype=bool)
    nz = i1g > 0
    has_name[nz] = other[i1g[nz] - 1]
    names, named = _names(body, padded, starts, length, i1g, has_name)
    # a whitespace-only name line reads as blank: the record then starts at its line 1
    has_name &= named
    record_line = np.where(has_name, i1g, i1g + 1)  # 1-based: the name line, else line 1
    columns: dict[str, np.ndarray] = {k: v[good] for k, v in fields.items()}
    columns["name"] = names
    columns["intl_designator"] = intl_text[good]
    columns["classification"] = _CLASSIFICATION[np.concatenate(cls_parts)[good]]
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
    arrays, duplicates = _resolve_repeats(columns, skipped, policy, source)
    return TleColumns(arrays, skipped, duplicates, int(good.size), len(slow_sets))


#: Column 8 byte -> classification text (a blank means "U"; other bytes never get this far).
_CLASSIFICATION = np.array([chr(b) for b in range(256)], dtype=object)
_CLASSIFICATION[32] = "U"


def _group_starts(values: np.ndarray) -> np.ndarray:
    """True where a row differs from the row before (always True for the first).

    Element-set files list an object's sets together, so names and designators come in runs:
    decoding one value per run instead of per record leaves ~1 Python call per object.
    """
    change = np.ones(values.shape[0], dtype=bool)
    if values.ndim == 1:
        change[1:] = values[1:] != values[:-1]
    else:
        change[1:] = np.any(values[1:] != values[:-1], axis=1)
    return change


def _designators(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns 10-17 of every record (as uint64 words) in COSPAR form, and whether canonical."""
    change = _group_starts(words)
    runs = words[change]
    uniq, inverse = np.unique(runs, return_inverse=True)
    raw = uniq.astype("<u8").tobytes()
    text = [_intl(raw[8 * k : 8 * k + 8]) for k in range(uniq.size)]
    valid = np.array([t is not None for t in text], dtype=bool)
    per_run = np.array(text, dtype=object)[inverse]
    index = np.cumsum(change) - 1
    return per_run[index], valid[inverse][index]


def _names(
    body: bytes,
    padded: np.ndarray,
    starts: np.ndarray,
    length: np.ndarray,
    i1: np.ndarray,
    has_name: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The name of each record (object array; "" without a name line), and whether it is
    not "" (a whitespace-only name line reads as no name).

    Name lines are compared with the one before as whole words (a history repeats its name),
    and each run of equal lines is decoded once.
    """
    out = np.full(i1.size, "", dtype=object)
    idx = np.flatnonzero(has_name)
    if idx.size == 0:
        return out, np.zeros(i1.size, dtype=bool)
    line = i1[idx] - 1
    start, size = starts[line], length[line]
    width = int(size.max())
    if width > 200:  # absurdly long name lines: decode one by one
        pairs = zip(start.tolist(), size.tolist(), strict=True)
        out[idx] = [_name(body[s : s + n]) for s, n in pairs]
        return out, out != ""
    n_words = (width + 7) // 8
    # each name line as n_words words (a name line is followed by its record's two lines,
    # so 8 * n_words bytes from its start lie inside the padded file); bytes past the line's
    # end are masked to 0, which no line contains (control bytes were refused)
    block = np.lib.stride_tricks.sliding_window_view(padded, 8 * n_words)[start]
    words = block.view("<u8")
    valid = np.clip(size[:, None] - 8 * np.arange(n_words), 0, 8)
    words &= _PREFIX_MASK[valid]
    change = _group_starts(words)
    first = np.flatnonzero(change)
    cache: dict[bytes, str] = {}
    decoded = []
    for s, n in zip(start[first].tolist(), size[first].tolist(), strict=True):
        raw = body[s : s + n]
        text = cache.get(raw)
        if text is None:
            text = cache[raw] = _name(raw)
        decoded.append(text)
    run = np.cumsum(change) - 1
    out[idx] = np.array(decoded, dtype=object)[run]
    named = np.zeros(i1.size, dtype=bool)
    named[idx] = np.array([bool(t) for t in decoded], dtype=bool)[run]
    return out, named


#: _PREFIX_MASK[k]: a word keeping its first k bytes (k = 0..8).
_PREFIX_MASK = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)


def _resolve_repeats(
    columns: dict[str, np.ndarray], skipped: list[InputError], policy: str, source: str
) -> tuple[list[np.ndarray], int]:
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
    return [columns[c] for c in ROW_COLUMNS], duplicates


def _column_arrays(columns: Sequence[Sequence[object]]) -> list[np.ndarray]:
    """Lists in :data:`~deorbit.store.ROW_COLUMNS` order as numpy arrays (text as objects)."""
    out = []
    for name, values in zip(ROW_COLUMNS, columns, strict=True):
        kind = _COLUMN_DTYPES[name]
        if kind is np.int64 and any(v is None for v in values):
            kind = object  # a missing line number
        out.append(np.array(values, dtype=kind) if len(values) else np.zeros(0, dtype=kind))
    return out


_COLUMN_DTYPES: dict[str, type] = {
    name: object if name in TEXT_COLUMNS else np.float64 if name in FLOAT_COLUMNS else np.int64
    for name in ROW_COLUMNS
}


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
            tle.arrays, source=source, fetched_utc=fetched, progress=chunk_progress
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
