"""Read element sets from every format the catalogues publish, into :class:`ElementSet` values.

=============  ==============================================================  ============
``fmt``        format                                                          module
=============  ==============================================================  ============
``tle``        two-line elements, 2- or 3-line form, many objects and epochs   :mod:`.tle`
``omm-kvn``    CCSDS OMM, "KEYWORD = value" lines                              :mod:`.omm`
``omm-xml``    CCSDS OMM, XML (``<ndm>``/``<omm>``, namespaces optional)       :mod:`.omm`
``gp-json``    CelesTrak/Space-Track GP JSON (list of OMM-keyed objects)       :mod:`.gp`
``gp-csv``     CelesTrak/Space-Track GP CSV (header row of OMM keywords)       :mod:`.gp`
=============  ==============================================================  ============

>>> result = load_elements("iss.tle")            # doctest: +SKIP
>>> result.format, len(result.elements), result.duplicates
('tle', 499, 0)

Every set passes :func:`deorbit.elements.validate`.  The result is sorted by
``(norad_id, epoch_utc)``; records repeated verbatim (same catalogue number, epoch and elements)
are kept once and counted in :attr:`ParseResult.duplicates`; "same elements" means the same
mean elements, drag terms and ephemeris type (element set and revolution numbers are
bookkeeping and often differ between re-issues).  Two sets with *different* elements for the
same object and epoch are an error, or with ``lenient=True`` the later one is skipped; pass
``on_conflict="latest"`` to keep the later (re-issued) one instead, as real catalogue
histories need: the validation files hold such pairs.

Errors are :class:`~deorbit.errors.InputError` (bad files) or its subclass
:class:`~deorbit.errors.ElementSetError` (bad records), naming the source, the 1-based line and
the field.  No other exception escapes the parsers, whatever the input.  With
``lenient=True`` bad records are skipped and returned in :attr:`ParseResult.skipped` instead;
errors that break the whole document (empty file, binary data, malformed JSON or XML) are
raised in both modes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise

from deorbit.elements import ElementSet
from deorbit.errors import ElementSetError, InputError
from deorbit.formats.gp import NO_GP_DATA, check_no_gp_data, parse_gp_csv, parse_gp_json
from deorbit.formats.omm import parse_omm_kvn, parse_omm_xml
from deorbit.formats.tle import format_tle, parse_tle, tle_checksum

__all__ = [
    "FORMATS",
    "NO_GP_DATA",
    "ParseResult",
    "detect_format",
    "format_tle",
    "load_elements",
    "parse_bytes",
    "parse_text",
    "tle_checksum",
]

_Parser = Callable[..., tuple[list[ElementSet], list[InputError]]]
_PARSERS: dict[str, _Parser] = {
    "tle": parse_tle,
    "omm-kvn": parse_omm_kvn,
    "omm-xml": parse_omm_xml,
    "gp-json": parse_gp_json,
    "gp-csv": parse_gp_csv,
}
#: Format names accepted by ``fmt=`` and returned by :func:`detect_format`.
FORMATS = tuple(_PARSERS)
_TRIED = "TLE, CCSDS OMM (KVN and XML) and CelesTrak GP (JSON and CSV)"

#: Characters no text element-set file contains: C0 controls other than tab, newline, carriage
#: return and form feed, DEL, and lone surrogates.
_JUNK = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff]")
_KVN_LINE = re.compile(r"(?:CCSDS_OMM_VERS|COMMENT)\b|[A-Z][A-Z0-9_]*\s*=")
_SHOWN_SKIPS = 3
_CONFLICT_POLICIES = ("error", "skip", "latest")


@dataclass(frozen=True)
class ParseResult:
    """What a parse found: the element sets and what was dropped on the way."""

    #: Valid element sets, sorted by (norad_id, epoch_utc).
    elements: list[ElementSet]
    #: "tle", "omm-kvn", "omm-xml", "gp-json" or "gp-csv".
    format: str
    #: Errors of the records skipped in lenient mode (empty in strict mode).
    skipped: list[InputError]
    #: Records dropped because an identical one (same object, epoch and elements) came first.
    duplicates: int

    def describe_skipped(self, limit: int = _SHOWN_SKIPS) -> str:
        """One line for the user: how many records were skipped and the first few reasons."""
        if not self.skipped:
            return "no records skipped"
        shown = "; ".join(str(e) for e in self.skipped[:limit])
        more = f"; and {len(self.skipped) - limit} more" if len(self.skipped) > limit else ""
        return f"{len(self.skipped)} record(s) skipped: {shown}{more}"


def _normalise(text: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def detect_format(text: str) -> str:
    """Guess the format of element-set text from its first significant characters.

    A TLE line 1 followed by a line 2 among the first lines means TLE (whatever the name
    line holds); otherwise ``<`` starts XML (OMM), ``[`` or ``{`` JSON (GP); a first line of comma-separated OMM
    keywords is GP CSV; ``CCSDS_OMM_VERS``, ``COMMENT`` or ``KEYWORD =`` is OMM KVN; lines
    starting ``1 `` and ``2 `` are TLE.  Raises :class:`UnknownObjectError` for CelesTrak's
    "No GP data found" and :class:`InputError` (naming the formats tried) for anything else.
    """
    text = _normalise(text)
    stripped = text.lstrip()
    if not stripped:
        raise InputError("file is empty (no element sets)")
    check_no_gp_data(stripped, "")
    head = [line for line in stripped.split("\n", 8)[:8] if line.strip()][:4]
    for first_line, second_line in pairwise(head):
        # a TLE's own lines come first: a name line like "<X>" or "A = B" must not mislead
        if first_line[:2] == "1 " and second_line[:2] == "2 " and len(first_line) >= 60:
            return "tle"
    if stripped[0] == "<":
        return "omm-xml"
    if stripped[0] in "[{":
        return "gp-json"
    first = stripped.split("\n", 1)[0].strip()
    if "," in first and any(key in first.upper() for key in ("NORAD_CAT_ID", "EPOCH")):
        return "gp-csv"
    if _KVN_LINE.match(first):
        return "omm-kvn"
    for count, line in enumerate(stripped.split("\n")):
        if count >= 200:
            break
        if line[:2] in ("1 ", "2 ") and len(line.rstrip()) >= 60:
            return "tle"
    raise InputError(f"not a recognised element-set format (tried {_TRIED})")


def _orbit(es: ElementSet) -> tuple[float | int, ...]:
    """What makes two sets at one epoch the same orbit (bookkeeping fields left out)."""
    return (
        es.mean_motion_rev_per_day,
        es.eccentricity,
        es.inclination_deg,
        es.raan_deg,
        es.arg_perigee_deg,
        es.mean_anomaly_deg,
        es.bstar_per_earth_radii,
        es.mean_motion_dot_rev_per_day2,
        es.mean_motion_ddot_rev_per_day3,
        es.ephemeris_type,
    )


def _finish(
    sets: list[ElementSet],
    skipped: list[InputError],
    on_conflict: str,
    source: str,
) -> tuple[list[ElementSet], int]:
    """Drop repeats, resolve sets that disagree at one epoch, sort by (norad_id, epoch)."""
    seen: dict[tuple[int, datetime], ElementSet] = {}
    duplicates = 0
    for es in sets:
        key = (es.norad_id, es.epoch_utc)
        first = seen.get(key)
        if first is None:
            seen[key] = es
        elif _orbit(first) == _orbit(es):
            duplicates += 1
        elif on_conflict == "latest":
            seen[key] = es
            duplicates += 1
        else:
            exc = ElementSetError(
                f"a different element set for {es.norad_id} at the same epoch "
                f"{es.epoch_utc:%Y-%m-%dT%H:%M:%S.%fZ} came before"
                + (f" (line {first.line})" if first.line is not None else "")
                + "; on_conflict='latest' keeps the later one",
                source=source or None,
                line=es.line,
                field="epoch",
            )
            if on_conflict == "error":
                raise exc
            skipped.append(exc)
    result = list(seen.values())
    result.sort(key=_sort_key)
    return result, duplicates


def _sort_key(es: ElementSet) -> tuple[int, datetime]:
    return (es.norad_id, es.epoch_utc)


def parse_text(
    text: str,
    source: str,
    *,
    fmt: str | None = None,
    lenient: bool = False,
    now_utc: datetime | None = None,
    on_conflict: str | None = None,
) -> ParseResult:
    """Parse element-set ``text`` read from ``source`` (a path, URL or label used in errors).

    ``fmt`` forces a format (one of :data:`FORMATS`); by default it is detected.  ``now_utc``
    (default: the clock) bounds how far in the future an epoch may lie.  Line ends may be
    LF, CRLF or CR; a leading byte-order mark is ignored.

    ``on_conflict`` says what to do with a set whose object and epoch match an earlier set's
    but whose elements differ (catalogues re-issue corrected sets under the same epoch):
    ``"error"`` (the default in strict mode) raises, ``"skip"`` (the default with
    ``lenient=True``) keeps the first and records the later one in :attr:`ParseResult.skipped`,
    ``"latest"`` keeps the one that comes last in the file and counts the other as a duplicate.
    """
    label = source or None
    text = _normalise(text)
    junk = _JUNK.search(text)
    if junk is not None:
        raise InputError(
            f"not a text element-set file (control character {junk.group()!r} at line "
            f"{text.count(chr(10), 0, junk.start()) + 1})",
            source=label,
        )
    if not text.strip():
        raise InputError("file is empty (no element sets)", source=label)
    if fmt is None:
        try:
            fmt = detect_format(text)
        except InputError as exc:
            raise type(exc)(exc.message, source=label, line=exc.line, field=exc.field) from None
    if on_conflict is None:
        on_conflict = "skip" if lenient else "error"
    if on_conflict not in _CONFLICT_POLICIES:
        raise InputError(
            f"on_conflict must be one of {', '.join(_CONFLICT_POLICIES)}, not {on_conflict!r}",
            source=label,
        )
    parser = _PARSERS.get(fmt)
    if parser is None:
        raise InputError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})", source=label)
    now = now_utc or datetime.now(UTC)
    if now.tzinfo is None:
        raise InputError("now_utc must be a timezone-aware datetime", source=label)
    sets, skipped = parser(text, source, lenient=lenient, now_utc=now)
    if not sets and not skipped:
        raise InputError(f"no element sets found in this {fmt} file", source=label)
    elements, duplicates = _finish(sets, skipped, on_conflict, source)
    return ParseResult(elements=elements, format=fmt, skipped=skipped, duplicates=duplicates)


def parse_bytes(
    data: bytes,
    source: str,
    *,
    fmt: str | None = None,
    lenient: bool = False,
    now_utc: datetime | None = None,
    on_conflict: str | None = None,
) -> ParseResult:
    """Decode ``data`` as UTF-8 (BOM allowed) and parse it with :func:`parse_text`.

    Binary data (NUL or other control bytes, invalid UTF-8) raises :class:`InputError`
    "not a text element-set file".
    """
    label = source or None
    if not data.strip():
        raise InputError("file is empty (no element sets)", source=label)
    if b"\x00" in data:
        raise InputError("not a text element-set file (it contains NUL bytes)", source=label)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not a text element-set file (byte 0x{data[exc.start]:02x} at offset {exc.start} "
            "is not UTF-8)",
            source=label,
        ) from None
    return parse_text(
        text, source, fmt=fmt, lenient=lenient, now_utc=now_utc, on_conflict=on_conflict
    )


def load_elements(
    path: str | os.PathLike[str],
    *,
    lenient: bool = False,
    now_utc: datetime | None = None,
    on_conflict: str | None = None,
) -> ParseResult:
    """Read and parse the element-set file at ``path`` (format detected from its content).

    A missing or unreadable file raises :class:`InputError` naming it.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(f"cannot read element-set file: {reason}", source=str(name)) from None
    return parse_bytes(data, str(name), lenient=lenient, now_utc=now_utc, on_conflict=on_conflict)
