"""Two-line element sets (TLE), read and written column by column.

A TLE is two 69-column lines of fixed-width fields, optionally preceded by a name line (the
"3LE" form, whose name line may start with ``0 ``)::

    ISS (ZARYA)
    1 25544U 98067A   25333.83453771  .00008010  00000-0  15237-3 0  9994
    2 25544  51.6312 206.3646 0003723 184.1118 175.9840 15.49193835540850

Columns (1-based, as in the Space-Track and CelesTrak documentation):

=======  =====  ===========================================================================
line 1   1      line number ``1``
         3-7    catalogue number (Alpha-5: ``A0001`` = 100001; I and O are not used)
         8      classification (U, C, S)
         10-17  international designator: launch year, launch number, piece
         19-32  epoch: two-digit year (57-99 = 19xx, 00-56 = 20xx), day of year with fraction
         34-43  first derivative of mean motion divided by two (rev/day^2), e.g. ``-.00003657``
         45-52  second derivative divided by six (rev/day^3), implied decimal: ``-11606-4``
         54-61  B* drag term (1/earth radii), implied decimal: `` 30074-3`` = 0.30074e-3
         63     ephemeris type
         65-68  element set number
         69     checksum
line 2   1      line number ``2``
         3-7    catalogue number (must equal line 1's)
         9-16   inclination (deg)
         18-25  right ascension of the ascending node (deg)
         27-33  eccentricity with an implied leading decimal point
         35-42  argument of perigee (deg)
         44-51  mean anomaly (deg)
         53-63  mean motion (rev/day)
         64-68  revolution number at epoch
         69     checksum
=======  =====  ===========================================================================

The checksum is the sum of the digits of columns 1-68, with each minus sign counting one,
modulo ten.

Reading is built for speed (hundreds of thousands of sets per second matter when a store
ingests catalogue histories): each line is checked against one compiled pattern that pins
every column, then fields are cut out by slicing.  Only when a line fails does a slower
diagnosis walk the fields one by one to name the offending field and columns.

Policies (documented because real files disagree with the standard):

* Blank lines and lines starting with ``#`` are comments (``SGP4-VER.TLE``, the sgp4
  verification file, annotates its sets that way).
* Text after column 69 is ignored when column 70 is blank (``SGP4-VER.TLE`` appends
  start/stop/step times there); a non-blank column 70 means the line is misaligned: an error.
* Trailing whitespace and CRLF line ends are accepted; a missing checksum is an error.
* Blank classification means ``U``; blank ephemeris type, element set number and revolution
  number mean 0; a blank international designator gives ``""``.
* A two-line set (no name line) gets the name ``""``.
* Errors name the physical line holding the bad field (a checksum error on line 2 of the
  record points at that line); :attr:`ElementSet.line` is the line where the record starts
  (its name line for a three-line set).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from deorbit.elements import ElementSet, validate
from deorbit.errors import ElementSetError, InputError

__all__ = ["format_tle", "parse_tle", "tle_checksum"]

# -- checksums -----------------------------------------------------------------------------

#: bytes.translate table: digit -> its value, '-' -> 1, everything else -> 0.
_CHECKSUM_TABLE = bytes((b - 48) if 48 <= b <= 57 else (1 if b == 45 else 0) for b in range(256))


def tle_checksum(line: str) -> int:
    """The modulo-10 checksum of a TLE line: digits of columns 1-68 summed, '-' counts one.

    Only the first 68 characters are summed, so a full 69-column line (with its checksum digit
    in column 69) may be passed as is.
    """
    return sum(line[:68].encode("ascii", "replace").translate(_CHECKSUM_TABLE)) % 10


# -- column layout -------------------------------------------------------------------------

_CAT = r"[0-9A-HJ-NP-Z ][0-9 ]{3}[0-9]"
#: One pattern per line pins every column; passing lines are then sliced without checks.
_LINE1 = re.compile(
    r"1 " + _CAT + r"[UCS ] [0-9 ]{5}[A-Z ]{3} [0-9]{2}[0-9 ]{3}\.[0-9 ]{8} "
    r"[ +-]\.[0-9 ]{8} [ +-][0-9]{5}[+-][0-9] [ +-][0-9]{5}[+-][0-9] [0-9 ] [0-9 ]{4}[0-9]"
)
_LINE2 = re.compile(
    r"2 " + _CAT + r" [ 0-9]{3}\.[0-9 ]{4} [ 0-9]{3}\.[0-9 ]{4} [0-9 ]{7} "
    r"[ 0-9]{3}\.[0-9 ]{4} [ 0-9]{3}\.[0-9 ]{4} [ 0-9]{2}\.[0-9 ]{8}[0-9 ]{5}[0-9]"
)

#: Alpha-5 leading letters (I and O are skipped to avoid confusion with 1 and 0).
_ALPHA5 = {c: 10 + i for i, c in enumerate("ABCDEFGHJKLMNPQRSTUVWXYZ")}
_ALPHA5_LETTER = {v: k for k, v in _ALPHA5.items()}

#: Which TLE line carries the field that elements.validate complains about.
_FIELD_LINE = {
    "norad_id": 1,
    "epoch": 1,
    "bstar": 1,
    "eccentricity": 2,
    "mean_motion": 2,
    "inclination": 2,
    "raan": 2,
    "arg_perigee": 2,
    "mean_anomaly": 2,
}

_JAN1: dict[int, datetime] = {}


def _jan1(year: int) -> datetime:
    t = _JAN1.get(year)
    if t is None:
        t = _JAN1[year] = datetime(year, 1, 1, tzinfo=UTC)
    return t


def _days_in_year(year: int) -> int:
    return 366 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 365


class _Malformed(Exception):
    """Internal: the fast path gave up; the diagnosis will name the field."""


def _catnum(text: str) -> int:
    first = text[0]
    if first in _ALPHA5:
        return _ALPHA5[first] * 10000 + int(text[1:])
    return int(text)


def _exp_field(text: str) -> float:
    """An implied-decimal exponent field: ``' 30074-3'`` -> 0.30074e-3, ``'-11606-4'``."""
    # Built as a decimal string so the float is the correctly rounded value of the printed
    # number (the same float an OMM "0.30074E-3" gives).
    return float(text[0] + "." + text[1:6] + "e" + text[6:8])


_INTL_CACHE: dict[str, str] = {}
_DAY_CACHE: dict[str, datetime] = {}


def _intl_designator(text: str) -> str:
    """Columns 10-17 (``'98067A  '``) in COSPAR form (``'1998-067A'``); blank gives ``''``."""
    cached = _INTL_CACHE.get(text)
    if cached is not None:
        return cached
    if len(_INTL_CACHE) > 100_000:
        _INTL_CACHE.clear()
    result = _INTL_CACHE[text] = _intl_designator_uncached(text)
    return result


def _intl_designator_uncached(text: str) -> str:
    if not text.strip():
        return ""
    yy, number, piece = text[0:2], text[2:5], text[5:8].rstrip()
    if not (yy.isdigit() and number.isdigit() and piece.isalpha() and piece.isupper()):
        raise _Malformed
    century = 1900 if int(yy) >= 57 else 2000
    return f"{century + int(yy)}-{number}{piece}"


def _epoch(text: str) -> datetime:
    """Columns 19-32 (``'24259.04042691'``) as a UTC datetime, exact to the microsecond.

    A fraction of 8 decimals is a whole number of 864-microsecond steps, so integer
    arithmetic reproduces the printed epoch exactly (no floating-point day fractions).
    """
    start = _DAY_CACHE.get(text[0:5])
    if start is None:
        yy = int(text[0:2])
        year = 1900 + yy if yy >= 57 else 2000 + yy
        day = int(text[2:5])
        if not 1 <= day <= _days_in_year(year):
            raise _Malformed
        if len(_DAY_CACHE) > 100_000:
            _DAY_CACHE.clear()
        start = _DAY_CACHE[text[0:5]] = _jan1(year) + timedelta(days=day - 1)
    fraction = text[6:14]
    if fraction[7] == " ":
        fraction = fraction.rstrip().ljust(8, "0")
    return start + timedelta(microseconds=int(fraction) * 864)


def _parse_pair(
    l1: str,
    l2: str,
    name: str,
    source: str,
    record_line: int,
) -> ElementSet:
    """Fast path: both lines already cut to 69 columns.  Raises _Malformed on any doubt."""
    if _LINE1.fullmatch(l1) is None or _LINE2.fullmatch(l2) is None:
        raise _Malformed
    checks = (l1 + l2).encode("ascii").translate(_CHECKSUM_TABLE)
    if (sum(checks[:68]) % 10 != checks[68]) or (sum(checks[69:137]) % 10 != checks[137]):
        raise _Malformed
    try:
        norad_id = _catnum(l1[2:7])
        if _catnum(l2[2:7]) != norad_id:
            raise _Malformed
        elset = l1[64:68]
        rev = l2[63:68]
        return ElementSet(
            norad_id=norad_id,
            name=name,
            intl_designator=_intl_designator(l1[9:17]),
            epoch_utc=_epoch(l1[18:32]),
            mean_motion_rev_per_day=float(l2[52:63]),
            eccentricity=int(l2[26:33]) / 1e7,
            inclination_deg=float(l2[8:16]),
            raan_deg=float(l2[17:25]),
            arg_perigee_deg=float(l2[34:42]),
            mean_anomaly_deg=float(l2[43:51]),
            bstar_per_earth_radii=_exp_field(l1[53:61]),
            mean_motion_dot_rev_per_day2=float(l1[33:43]),
            mean_motion_ddot_rev_per_day3=_exp_field(l1[44:52]),
            classification=l1[7] if l1[7] != " " else "U",
            element_set_no=int(elset) if elset != "    " else 0,
            rev_at_epoch=int(rev) if rev != "     " else 0,
            ephemeris_type=int(l1[62]) if l1[62] != " " else 0,
            source=source,
            line=record_line,
        )
    except ValueError:
        raise _Malformed from None


# -- diagnosis (slow path) ---------------------------------------------------------------


def _is_number(text: str, int_digits: int, frac_digits: int) -> bool:
    """``text`` is blank-padded ``ddd.dddd`` with the given digit counts."""
    head, dot, tail = text.partition(".")
    return (
        dot == "."
        and len(head) == int_digits
        and len(tail) == frac_digits
        and head.strip().isdigit()
        and not head.lstrip().count(" ")
        and tail.rstrip().isdigit()
        and not tail.rstrip().count(" ")
    )


def _check_separator(text: str) -> str | None:
    return None if text == " " else f"holds {text!r}, expected a blank separator"


def _check_catnum(text: str) -> str | None:
    try:
        if _LINE_CAT.fullmatch(text) is None:
            raise ValueError
        _catnum(text)
    except ValueError:
        return f"holds {text!r}, expected a catalogue number (5 digits or Alpha-5 like A0001)"
    return None


_LINE_CAT = re.compile(_CAT)


def _check_classification(text: str) -> str | None:
    return None if text in "UCS " else f"holds {text!r}, expected U, C, S or blank"


def _check_intl(text: str) -> str | None:
    try:
        _intl_designator(text)
    except _Malformed:
        return f"holds {text!r}, expected launch year, number and piece like '98067A  '"
    return None


def _check_epoch(text: str) -> str | None:
    try:
        if not (text[:2].isdigit() and _is_number(text[2:], 3, 8)):
            raise _Malformed
        _epoch(text)
    except (_Malformed, ValueError):
        return f"holds {text!r}, expected YYDDD.DDDDDDDD (2-digit year, day of year 1-366)"
    return None


def _check_ndot(text: str) -> str | None:
    if text[0] in " +-" and _is_number("0" + text[1:], 1, 8):
        return None
    return f"holds {text!r}, expected a signed decimal like -.00003657"


def _check_exp(text: str) -> str | None:
    if (
        text[0] in " +-"
        and text[1:6].isdigit()
        and text[6] in "+-"
        and text[7].isdigit()
        and text.isascii()
    ):
        return None
    return f"holds {text!r}, expected an implied-decimal mantissa and exponent like ' 30074-3'"


def _check_digit_or_blank(text: str) -> str | None:
    stripped = text.strip()
    if not stripped or (stripped.isdigit() and stripped.isascii() and " " not in text.lstrip()):
        return None
    return f"holds {text!r}, expected digits or blanks"


def _check_angle(text: str) -> str | None:
    return None if _is_number(text, 3, 4) else f"holds {text!r}, expected an angle like 051.6416"


def _check_eccentricity(text: str) -> str | None:
    if text.strip().isdigit() and text.isascii() and " " not in text.lstrip():
        return None
    return f"holds {text!r}, expected 7 digits with an implied leading decimal point"


def _check_mean_motion(text: str) -> str | None:
    if _is_number(text, 2, 8):
        return None
    return f"holds {text!r}, expected rev/day like 15.49193835"


_Check = Callable[[str], "str | None"]
#: (field name, first column, last column (1-based, inclusive), check)
_LINE1_FIELDS: tuple[tuple[str, int, int, _Check], ...] = (
    ("line 1 column 2", 2, 2, _check_separator),
    ("norad_id", 3, 7, _check_catnum),
    ("classification", 8, 8, _check_classification),
    ("line 1 column 9", 9, 9, _check_separator),
    ("intl_designator", 10, 17, _check_intl),
    ("line 1 column 18", 18, 18, _check_separator),
    ("epoch", 19, 32, _check_epoch),
    ("line 1 column 33", 33, 33, _check_separator),
    ("mean_motion_dot", 34, 43, _check_ndot),
    ("line 1 column 44", 44, 44, _check_separator),
    ("mean_motion_ddot", 45, 52, _check_exp),
    ("line 1 column 53", 53, 53, _check_separator),
    ("bstar", 54, 61, _check_exp),
    ("line 1 column 62", 62, 62, _check_separator),
    ("ephemeris_type", 63, 63, _check_digit_or_blank),
    ("line 1 column 64", 64, 64, _check_separator),
    ("element_set_no", 65, 68, _check_digit_or_blank),
)
_LINE2_FIELDS: tuple[tuple[str, int, int, _Check], ...] = (
    ("line 2 column 2", 2, 2, _check_separator),
    ("norad_id", 3, 7, _check_catnum),
    ("line 2 column 8", 8, 8, _check_separator),
    ("inclination", 9, 16, _check_angle),
    ("line 2 column 17", 17, 17, _check_separator),
    ("raan", 18, 25, _check_angle),
    ("line 2 column 26", 26, 26, _check_separator),
    ("eccentricity", 27, 33, _check_eccentricity),
    ("line 2 column 34", 34, 34, _check_separator),
    ("arg_perigee", 35, 42, _check_angle),
    ("line 2 column 43", 43, 43, _check_separator),
    ("mean_anomaly", 44, 51, _check_angle),
    ("line 2 column 52", 52, 52, _check_separator),
    ("mean_motion", 53, 63, _check_mean_motion),
    ("rev_at_epoch", 64, 68, _check_digit_or_blank),
)


def _diagnose(l1: str, n1: int, l2: str, n2: int, source: str) -> ElementSetError:
    """Name the first problem of a record the fast path rejected (lines cut to <= 69 cols)."""

    def error(message: str, line: int, fieldname: str) -> ElementSetError:
        return ElementSetError(message, source=source or None, line=line, field=fieldname)

    for number, text, line, fields in ((1, l1, n1, _LINE1_FIELDS), (2, l2, n2, _LINE2_FIELDS)):
        if text[:1] != str(number):
            return error(
                f"TLE line {number} must start with '{number}' in column 1, found {text[:1]!r}",
                line,
                f"line {number} column 1",
            )
        if len(text) < 69:
            return error(
                f"TLE line {number} is truncated: {len(text)} columns, expected 69"
                + (" (the checksum in column 69 is missing)" if len(text) == 68 else ""),
                line,
                f"line {number} length",
            )
        for fieldname, first, last, check in fields:
            problem = check(text[first - 1 : last])
            if problem is not None:
                where = f"column {first}" if first == last else f"columns {first}-{last}"
                return error(f"TLE line {number} {where} {problem}", line, fieldname)
        if not text[68].isdigit() or not text[68].isascii():
            return error(
                f"TLE line {number} column 69 holds {text[68]!r}, expected a checksum digit",
                line,
                "checksum",
            )
        expected = tle_checksum(text)
        if int(text[68]) != expected:
            return error(
                f"TLE line {number} checksum is {text[68]} but its columns 1-68 sum to "
                f"{expected} (mod 10): the line is corrupted",
                line,
                "checksum",
            )
    if _catnum(l1[2:7]) != _catnum(l2[2:7]):
        return error(
            f"catalogue numbers differ: line 1 has {l1[2:7].strip()}, line 2 has {l2[2:7].strip()}",
            n2,
            "norad_id",
        )
    return error("malformed TLE record", n1, "line 1")  # pragma: no cover - defensive


# -- record segmentation ------------------------------------------------------------------


def _cut(text: str) -> str | None:
    """A data line without trailing blanks and without extra columns after 69.

    Returns None when column 70 is not blank (the line is misaligned).
    """
    text = text.rstrip()
    if len(text) > 69:
        if not text[69].isspace():
            return None
        text = text[:69]
    return text


def _is_data(text: str) -> bool:
    """Does a (right-stripped) line look like a TLE data line rather than a name?"""
    if len(text) < 2 or text[1] != " ":
        return False
    first = text[0]
    return first == "1" or first == "2" or ("3" <= first <= "9" and len(text) >= 60)


def parse_tle(
    text: str,
    source: str,
    *,
    lenient: bool = False,
    now_utc: datetime | None = None,
) -> tuple[list[ElementSet], list[InputError]]:
    """Read every 2- or 3-line element set in ``text`` (``\\n`` line ends), in file order.

    Each set is range-checked with :func:`deorbit.elements.validate`.  Returns the sets and,
    with ``lenient=True``, the errors of the records that were skipped; without it the first
    bad record raises :class:`~deorbit.errors.ElementSetError` naming ``source``, the line and
    the field.  Deduplication and sorting are left to :func:`deorbit.formats.parse_text`.
    """
    now = now_utc or datetime.now(UTC)
    lines = text.split("\n")
    count = len(lines)
    out: list[ElementSet] = []
    skipped: list[InputError] = []
    label = source or None

    def fail(exc: InputError) -> None:
        if not lenient:
            raise exc
        skipped.append(exc)

    i = 0
    while i < count:
        raw = lines[i].rstrip()
        if not raw or raw[0] == "#":
            i += 1
            continue
        start = i
        name = ""
        if not _is_data(raw):
            name = raw.strip()
            if name[:2] == "0 ":
                name = name[2:].strip()
            i += 1
            if i >= count or not _is_data(lines[i].rstrip()):
                fail(
                    ElementSetError(
                        f"name line {name!r} is not followed by TLE line 1",
                        source=label,
                        line=start + 1,
                        field="line 1",
                    )
                )
                continue
        first = lines[i].rstrip()
        following = lines[i + 1].rstrip() if i + 1 < count else ""
        if first[0] == "2" and (not _is_data(following) or following[0] == "1"):
            fail(
                ElementSetError(
                    "TLE line 2 without a line 1 before it",
                    source=label,
                    line=i + 1,
                    field="line 1",
                )
            )
            i += 1
            continue
        if not _is_data(following) or (following[0] == "1" and first[0] == "1"):
            fail(
                ElementSetError(
                    "TLE line 1 is not followed by line 2",
                    source=label,
                    line=i + 1,
                    field="line 2",
                )
            )
            i += 1
            continue
        n1, n2 = i + 1, i + 2
        i += 2
        l1, l2 = _cut(first), _cut(following)
        if l1 is None or l2 is None:
            number, line = (1, n1) if l1 is None else (2, n2)
            fail(
                ElementSetError(
                    f"TLE line {number} has text in column 70: the line is misaligned "
                    "(extra columns are accepted only after a blank column 70)",
                    source=label,
                    line=line,
                    field=f"line {number} length",
                )
            )
            continue
        try:
            es = _parse_pair(l1, l2, name, source, start + 1)
        except (_Malformed, UnicodeEncodeError):
            fail(_diagnose(l1, n1, l2, n2, source))
            continue
        try:
            out.append(validate(es, now_utc=now))
        except ElementSetError as exc:
            line = n1 if _FIELD_LINE.get(exc.field or "", 1) == 1 else n2
            fail(ElementSetError(exc.message, source=label, line=line, field=exc.field))
    return out, skipped


# -- writing ------------------------------------------------------------------------------


def _format_exp(value: float, fieldname: str, es: ElementSet, zero: str) -> str:
    """``value`` as an 8-column implied-decimal exponent field (`` 30074-3``)."""
    if value == 0.0:
        return zero
    digits, _, exponent = f"{abs(value):.4e}".partition("e")
    mantissa = digits.replace(".", "")
    power = int(exponent) + 1
    if power < -9:
        return zero
    if power > 9:
        raise ElementSetError(
            f"{value!r} is too large for a TLE exponent field",
            source=es.source or None,
            line=es.line,
            field=fieldname,
        )
    sign = "-" if value < 0 else " "
    return f"{sign}{mantissa}{'-' if power < 0 else '+'}{abs(power)}"


def _format_catnum(norad_id: int) -> str:
    if norad_id < 100000:
        return f"{norad_id:05d}"
    return _ALPHA5_LETTER[norad_id // 10000] + f"{norad_id % 10000:04d}"


def _format_intl(designator: str) -> str:
    if len(designator) >= 9 and designator[4] == "-":
        return f"{designator[2:4]}{designator[5:8]}{designator[8:]:<3}"[:8]
    return f"{designator:<8}"[:8]


def _format_epoch(epoch_utc: datetime, es: ElementSet) -> str:
    t = epoch_utc.astimezone(UTC)
    year = t.year
    since_jan1_us = (t - _jan1(year)) // timedelta(microseconds=1)
    steps = (2 * since_jan1_us + 864) // (2 * 864)  # nearest 1e-8 day
    day, fraction = divmod(steps, 100_000_000)
    if day >= _days_in_year(year):
        day -= _days_in_year(year)
        year += 1
    if not 1957 <= year <= 2056:
        raise ElementSetError(
            f"epoch year {year} cannot be written as a two-digit TLE year (1957-2056)",
            source=es.source or None,
            line=es.line,
            field="epoch",
        )
    return f"{year % 100:02d}{day + 1:03d}.{fraction:08d}"


def format_tle(es: ElementSet, *, with_name: bool = True) -> str:
    """Write ``es`` as fixed-column TLE lines with correct checksums, ``\\n``-terminated.

    With ``with_name`` (and a non-empty name) a name line comes first (3-line form); a name
    that would read as a comment or a data line (``#...``, ``1 ...``) gets the 3LE prefix
    ``0 ``, which the reader strips.  Values
    are rounded to the TLE's printed precision: 1e-4 deg for angles, 1e-7 in eccentricity,
    1e-8 rev/day in mean motion, 1e-8 day (864 microseconds) in epoch and five significant
    digits in B* and the second derivative.  Raises :class:`ElementSetError` for values a TLE
    cannot hold (e.g. epoch outside 1957-2056, ``|ndot/2| >= 1``).
    """

    def bad(fieldname: str, message: str) -> ElementSetError:
        return ElementSetError(message, source=es.source or None, line=es.line, field=fieldname)

    if not 0 < es.norad_id <= 339999:
        raise bad("norad_id", f"catalogue number {es.norad_id} does not fit Alpha-5")
    if not 0 <= es.ephemeris_type <= 9:
        raise bad("ephemeris_type", f"ephemeris type {es.ephemeris_type} is not one digit")
    ndot = f"{abs(es.mean_motion_dot_rev_per_day2):.8f}"
    if not ndot.startswith("0."):
        raise bad("mean_motion_dot", f"|ndot/2| = {ndot} rev/day^2 does not fit a TLE")
    ndot_sign = "-" if es.mean_motion_dot_rev_per_day2 < 0 and ndot != "0.00000000" else " "
    catnum = _format_catnum(es.norad_id)
    classification = es.classification if es.classification in ("U", "C", "S") else "U"
    line1 = (
        f"1 {catnum}{classification} {_format_intl(es.intl_designator)} "
        f"{_format_epoch(es.epoch_utc, es)} {ndot_sign}{ndot[1:]} "
        f"{_format_exp(es.mean_motion_ddot_rev_per_day3, 'mean_motion_ddot', es, ' 00000-0')} "
        f"{_format_exp(es.bstar_per_earth_radii, 'bstar', es, ' 00000+0')} "
        f"{es.ephemeris_type} {es.element_set_no % 10000:4d}"
    )
    ecc = min(round(es.eccentricity * 1e7), 9_999_999)
    mean_motion = f"{es.mean_motion_rev_per_day:11.8f}"
    if len(mean_motion) != 11:
        raise bad("mean_motion", f"mean motion {mean_motion} rev/day does not fit a TLE")
    line2 = (
        f"2 {catnum} {es.inclination_deg:8.4f} {es.raan_deg:8.4f} {ecc:07d} "
        f"{es.arg_perigee_deg:8.4f} {es.mean_anomaly_deg:8.4f} {mean_motion}"
        f"{es.rev_at_epoch % 100000:5d}"
    )
    for text in (line1, line2):
        if len(text) != 68:
            raise bad("line length", f"formatted TLE line has {len(text)} columns: {text!r}")
    line1 += str(tle_checksum(line1))
    line2 += str(tle_checksum(line2))
    name = es.name.strip()
    if name and (name[0] in "#0" or _is_data(name)):
        name = "0 " + name  # 3LE name-line prefix keeps it from reading as a comment or data
    head = f"{name}\n" if with_name and name else ""
    return f"{head}{line1}\n{line2}\n"
