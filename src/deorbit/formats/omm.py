"""CCSDS Orbit Mean-Elements Messages (OMM, CCSDS 502.0-B) in KVN and XML.

An OMM carries the same SGP4 mean elements as a TLE, but as named values with full precision
instead of fixed columns.  Two encodings exist:

KVN ("keyword = value" lines)::

    CCSDS_OMM_VERS = 2.0
    COMMENT  GENERATED VIA SPACE-TRACK.ORG API
    OBJECT_NAME = ISS (ZARYA)
    OBJECT_ID = 1998-067A
    EPOCH = 2025-11-29T20:01:44.058144
    MEAN_MOTION = 15.49193835 [rev/day]
    ...

XML (``<ndm>`` holding one or more ``<omm>``, or a bare ``<omm>``; namespaces optional), with
the same keywords as element names inside ``<segment><metadata>`` and ``<segment><data>``.

The keywords read are those of CelesTrak's GP data: ``OBJECT_NAME``, ``OBJECT_ID``,
``NORAD_CAT_ID``, ``EPOCH``, ``MEAN_MOTION``, ``ECCENTRICITY``, ``INCLINATION``,
``RA_OF_ASC_NODE``, ``ARG_OF_PERICENTER``, ``MEAN_ANOMALY``, ``EPHEMERIS_TYPE``,
``CLASSIFICATION_TYPE``, ``ELEMENT_SET_NO``, ``REV_AT_EPOCH``, ``BSTAR``, ``MEAN_MOTION_DOT``
and ``MEAN_MOTION_DDOT``.  The first nine of those minus the names (``NORAD_CAT_ID``, ``EPOCH``,
the six mean elements and ``BSTAR``) are mandatory; the others default as in a TLE.  When
present, ``MEAN_ELEMENT_THEORY`` must be SGP4 (or SGP), ``REF_FRAME`` TEME, ``CENTER_NAME``
EARTH and ``TIME_SYSTEM`` UTC, because the elements mean nothing to SGP4 otherwise.  Units in
brackets (KVN) or ``units`` attributes (XML) are checked against the standard's.

:func:`omm_element_set` is shared with the GP JSON/CSV reader, whose records use these keys.
Every error names the source, the line of the offending keyword (the record's line when the
encoding has no per-value lines) and the keyword as field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from xml.parsers import expat

from deorbit.elements import ElementSet, validate
from deorbit.errors import ElementSetError, InputError

__all__ = ["OmmValue", "omm_element_set", "parse_epoch", "parse_omm_kvn", "parse_omm_xml"]

#: One keyword's value as read: (value, line of the keyword or None, unit or None).
OmmValue = tuple[object, int | None, str | None]

MANDATORY_KEYS = (
    "NORAD_CAT_ID",
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "BSTAR",
)
OPTIONAL_KEYS = (
    "OBJECT_NAME",
    "OBJECT_ID",
    "EPHEMERIS_TYPE",
    "CLASSIFICATION_TYPE",
    "ELEMENT_SET_NO",
    "REV_AT_EPOCH",
    "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
)
#: Keywords whose value must be one of these when present.
_REQUIRED_VALUES = {
    "MEAN_ELEMENT_THEORY": ("SGP4", "SGP"),
    "REF_FRAME": ("TEME",),
    "CENTER_NAME": ("EARTH",),
    "TIME_SYSTEM": ("UTC",),
}
#: Accepted units (lower case, blanks removed) per keyword.
_UNITS = {
    "MEAN_MOTION": ("rev/day",),
    "INCLINATION": ("deg",),
    "RA_OF_ASC_NODE": ("deg",),
    "ARG_OF_PERICENTER": ("deg",),
    "MEAN_ANOMALY": ("deg",),
    "BSTAR": ("1/er",),
    "MEAN_MOTION_DOT": ("rev/day**2", "rev/day^2"),
    "MEAN_MOTION_DDOT": ("rev/day**3", "rev/day^3"),
    "ECCENTRICITY": ("", "n/a"),
}
_KNOWN = frozenset(MANDATORY_KEYS + OPTIONAL_KEYS) | frozenset(_REQUIRED_VALUES)
#: elements.validate field name -> OMM keyword.
_VALIDATE_KEY = {
    "norad_id": "NORAD_CAT_ID",
    "epoch": "EPOCH",
    "eccentricity": "ECCENTRICITY",
    "mean_motion": "MEAN_MOTION",
    "inclination": "INCLINATION",
    "raan": "RA_OF_ASC_NODE",
    "arg_perigee": "ARG_OF_PERICENTER",
    "mean_anomaly": "MEAN_ANOMALY",
    "bstar": "BSTAR",
}

_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?")
_INT = re.compile(r"[+-]?\d{1,15}")
_EPOCH = re.compile(
    r"(\d{4})-(?:(\d{2})-(\d{2})|(\d{3}))[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"\s*(?:[Zz]|UTC|[+-]00:?00)?"
)
_COSPAR = re.compile(r"(\d{4})-(\d{3})([A-Z]{1,3})")
_TLE_DESIGNATOR = re.compile(r"(\d{2})(\d{3})([A-Z]{1,3})")


def parse_epoch(text: str) -> datetime:
    """A CCSDS/ISO 8601 UTC time string as a tz-aware UTC datetime.

    Accepts ``YYYY-MM-DDThh:mm:ss[.f...]`` and the day-of-year form ``YYYY-DDDThh:mm:ss``,
    with or without a trailing ``Z`` (OMM epochs are UTC by definition).  Fractions finer
    than a microsecond are rounded to the nearest microsecond.  Raises ``ValueError``.
    """
    match = _EPOCH.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an ISO 8601 UTC time like 2025-11-29T20:01:44.058144")
    year, month, day, doy, hour, minute, second, fraction = match.groups()
    if int(second) >= 60:
        raise ValueError(f"{text!r}: second {second} is out of range (leap seconds unsupported)")
    micro = 0
    if fraction:
        micro = int(fraction[:6].ljust(6, "0"))
        if len(fraction) > 6 and fraction[6] >= "5":
            micro += 1
    if doy is not None:
        base = datetime(int(year), 1, 1, tzinfo=UTC)
        if not 1 <= int(doy) <= (base.replace(year=int(year) + 1) - base).days:
            raise ValueError(f"{text!r}: day of year {doy} is out of range")
        base += timedelta(days=int(doy) - 1)
    else:
        base = datetime(int(year), int(month), int(day), tzinfo=UTC)
    return base.replace(hour=int(hour), minute=int(minute), second=int(second)) + timedelta(
        microseconds=micro
    )


def _intl_designator(text: str) -> str:
    """OBJECT_ID in COSPAR form ``1998-067A`` (TLE form ``98067A`` is converted)."""
    text = text.strip().upper()
    if text in ("", "UNKNOWN"):
        return ""
    if _COSPAR.fullmatch(text):
        return text
    match = _TLE_DESIGNATOR.fullmatch(text)
    if match:
        yy, number, piece = match.groups()
        return f"{1900 + int(yy) if int(yy) >= 57 else 2000 + int(yy)}-{number}{piece}"
    raise ValueError(f"{text!r} is not an international designator like 1998-067A")


def omm_element_set(
    fields: Mapping[str, OmmValue],
    *,
    source: str,
    line: int | None,
    now_utc: datetime | None = None,
) -> ElementSet:
    """Build and validate an :class:`ElementSet` from OMM keywords.

    ``fields`` maps each keyword to (value, line, unit); values may be strings (KVN, XML,
    CSV, Space-Track JSON) or JSON numbers (CelesTrak JSON).  Raises
    :class:`ElementSetError` naming ``source``, the keyword's line and the keyword.
    """
    label = source or None

    def bad(key: str, message: str) -> ElementSetError:
        entry = fields.get(key)
        where = entry[1] if entry is not None and entry[1] is not None else line
        return ElementSetError(message, source=label, line=where, field=key)

    def text(key: str, default: str = "") -> str:
        entry = fields.get(key)
        if entry is None or entry[0] is None:
            return default
        value = entry[0]
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise bad(key, f"{key} is a {type(value).__name__}, expected text")

    missing = [key for key in MANDATORY_KEYS if text(key) == ""]
    if missing:
        raise ElementSetError(
            f"OMM record lacks the mandatory keyword{'s' if len(missing) > 1 else ''} "
            + ", ".join(missing),
            source=label,
            line=line,
            field=missing[0],
        )
    for key, allowed in _REQUIRED_VALUES.items():
        value = text(key)
        if value and value.upper() not in allowed:
            raise bad(
                key,
                f"{key} is {value!r}; only {' or '.join(allowed)} elements can be used with SGP4",
            )
    for key, allowed in _UNITS.items():
        entry = fields.get(key)
        unit = entry[2] if entry is not None else None
        if unit is not None and unit.lower().replace(" ", "") not in allowed:
            raise bad(key, f"{key} is given in [{unit}], expected [{allowed[0]}]")

    def number(key: str, default: float | None = None) -> float:
        entry = fields.get(key)
        value = None if entry is None else entry[0]
        if value is None or (isinstance(value, str) and not value.strip()):
            if default is None:
                raise bad(key, f"{key} is missing")
            return default
        if isinstance(value, bool):
            raise bad(key, f"{key} is {value!r}, expected a number")
        if isinstance(value, int | float):
            result = float(value) if abs(value) < 1e300 else float("inf")
        elif isinstance(value, str) and _FLOAT.fullmatch(value.strip()):
            result = float(value)
        else:
            raise bad(key, f"{key} is {value!r}, expected a decimal number")
        if result != result or result in (float("inf"), float("-inf")):
            raise bad(key, f"{key} is {value!r}, expected a finite number")
        return result

    def integer(key: str, default: int | None = None) -> int:
        entry = fields.get(key)
        value = None if entry is None else entry[0]
        if value is None or (isinstance(value, str) and not value.strip()):
            if default is None:
                raise bad(key, f"{key} is missing")
            return default
        if isinstance(value, int) and not isinstance(value, bool):
            result = value
        elif (
            isinstance(value, float)
            and value.is_integer()
            and abs(value) < 1e15
            or isinstance(value, str)
            and _INT.fullmatch(value.strip())
        ):
            result = int(value)
        else:
            raise bad(key, f"{key} is {value!r}, expected a whole number")
        return result

    try:
        epoch = parse_epoch(text("EPOCH"))
    except (ValueError, OverflowError) as exc:
        raise bad("EPOCH", str(exc)) from None
    try:
        designator = _intl_designator(text("OBJECT_ID"))
    except ValueError as exc:
        raise bad("OBJECT_ID", str(exc)) from None
    classification = text("CLASSIFICATION_TYPE", "U").upper() or "U"
    if classification not in ("U", "C", "S"):
        raise bad("CLASSIFICATION_TYPE", f"CLASSIFICATION_TYPE {classification!r} is not U, C or S")
    ephemeris_type = integer("EPHEMERIS_TYPE", 0)
    if not 0 <= ephemeris_type <= 9:
        raise bad("EPHEMERIS_TYPE", f"EPHEMERIS_TYPE {ephemeris_type} is not a single digit")
    element_set_no = integer("ELEMENT_SET_NO", 999)
    rev_at_epoch = integer("REV_AT_EPOCH", 0)
    for key, value in (("ELEMENT_SET_NO", element_set_no), ("REV_AT_EPOCH", rev_at_epoch)):
        if value < 0:
            raise bad(key, f"{key} {value} is negative")
    norad_id = integer("NORAD_CAT_ID")
    es = ElementSet(
        norad_id=norad_id,
        name=text("OBJECT_NAME"),
        intl_designator=designator,
        epoch_utc=epoch,
        mean_motion_rev_per_day=number("MEAN_MOTION"),
        eccentricity=number("ECCENTRICITY"),
        inclination_deg=number("INCLINATION"),
        raan_deg=number("RA_OF_ASC_NODE"),
        arg_perigee_deg=number("ARG_OF_PERICENTER"),
        mean_anomaly_deg=number("MEAN_ANOMALY"),
        bstar_per_earth_radii=number("BSTAR"),
        mean_motion_dot_rev_per_day2=number("MEAN_MOTION_DOT", 0.0),
        mean_motion_ddot_rev_per_day3=number("MEAN_MOTION_DDOT", 0.0),
        classification=classification,
        element_set_no=element_set_no,
        rev_at_epoch=rev_at_epoch,
        ephemeris_type=ephemeris_type,
        source=source,
        line=line,
    )
    try:
        return validate(es, now_utc=now_utc)
    except ElementSetError as exc:
        key = _VALIDATE_KEY.get(exc.field or "", exc.field or "")
        raise bad(key, exc.message) from None


# -- KVN ------------------------------------------------------------------------------------

_KVN_KEY = re.compile(r"[A-Z][A-Z0-9_]*")


def parse_omm_kvn(
    text: str,
    source: str,
    *,
    lenient: bool = False,
    now_utc: datetime | None = None,
) -> tuple[list[ElementSet], list[InputError]]:
    """Read every OMM in KVN text (``\\n`` line ends); a new OMM starts at ``CCSDS_OMM_VERS``.

    ``COMMENT`` lines and blank lines are skipped; ``[unit]`` suffixes are split off and
    checked.  Returns the element sets and (``lenient=True``) the errors of skipped records.
    """
    label = source or None
    out: list[ElementSet] = []
    skipped: list[InputError] = []
    fields: dict[str, OmmValue] = {}
    record_line: int | None = None
    record_error: InputError | None = None

    def finish() -> None:
        if record_line is None:
            return
        try:
            if record_error is not None:
                raise record_error
            out.append(omm_element_set(fields, source=source, line=record_line, now_utc=now_utc))
        except InputError as exc:
            if not lenient:
                raise
            skipped.append(exc)

    for index, raw in enumerate(text.split("\n")):
        number = index + 1
        stripped = raw.strip()
        if not stripped or stripped == "COMMENT" or stripped.startswith(("COMMENT ", "COMMENT\t")):
            continue
        key, sep, value = stripped.partition("=")
        key = key.strip()
        if key == "CCSDS_OMM_VERS" or record_line is None:
            finish()
            fields, record_line, record_error = {}, number, None
        if record_error is not None:
            continue
        if not sep or not _KVN_KEY.fullmatch(key):
            record_error = ElementSetError(
                f"line {stripped[:40]!r} is not a KVN 'KEYWORD = value' line",
                source=label,
                line=number,
                field=key if _KVN_KEY.fullmatch(key) else None,
            )
            continue
        value = value.strip()
        unit = None
        if value.endswith("]") and "[" in value:
            value, _, unit = value[:-1].rpartition("[")
            value, unit = value.strip(), unit.strip()
        if key in fields and key in _KNOWN:
            record_error = ElementSetError(
                f"{key} appears twice in one OMM (lines {fields[key][1]} and {number}); "
                "separate messages must each start with CCSDS_OMM_VERS",
                source=label,
                line=number,
                field=key,
            )
            continue
        fields[key] = (value, number, unit)
    finish()
    return out, skipped


# -- XML ------------------------------------------------------------------------------------


class _Node:
    __slots__ = ("attrs", "children", "line", "tag", "text")

    def __init__(self, tag: str, attrs: dict[str, str], line: int) -> None:
        self.tag = tag
        self.attrs = attrs
        self.line = line
        self.children: list[_Node] = []
        self.text: list[str] = []

    def iter(self, tag: str) -> list[_Node]:
        """All descendants (not self) with local name ``tag``, in document order."""
        found: list[_Node] = []
        stack = list(reversed(self.children))
        while stack:
            node = stack.pop()
            if node.tag == tag:
                found.append(node)
            stack.extend(reversed(node.children))
        return found


def _read_xml(text: str, source: str) -> _Node:
    """Parse XML into a light tree of local names with source lines (expat, no DTDs)."""
    label = source or None
    parser = expat.ParserCreate(encoding="utf-8", namespace_separator="}")
    root: list[_Node] = []
    stack: list[_Node] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        node = _Node(name.rpartition("}")[2], attrs, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(name: str) -> None:
        stack.pop()

    def data(chunk: str) -> None:
        if stack:
            stack[-1].text.append(chunk)

    def refuse_dtd(*args: object) -> None:
        raise InputError(
            "XML with a document type declaration is not accepted (entities could expand)",
            source=label,
            line=parser.CurrentLineNumber,
        )

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    try:
        parser.Parse(text.encode("utf-8", "surrogatepass"), True)
    except expat.ExpatError as exc:
        raise InputError(
            f"malformed XML: {expat.ErrorString(exc.code)} (column {exc.offset + 1})",
            source=label,
            line=exc.lineno,
        ) from None
    if not root:  # pragma: no cover - expat reports "no element found" first
        raise InputError("XML holds no element", source=label)
    return root[0]


def parse_omm_xml(
    text: str,
    source: str,
    *,
    lenient: bool = False,
    now_utc: datetime | None = None,
) -> tuple[list[ElementSet], list[InputError]]:
    """Read every OMM segment of an XML ``<ndm>`` (or bare ``<omm>``) document.

    Element names are matched without their namespace.  Each ``<segment>`` gives one element
    set whose :attr:`~ElementSet.line` is the segment's line; a value's errors point at the
    line of its element.
    """
    label = source or None
    root = _read_xml(text, source)
    omms = [root] if root.tag == "omm" else root.iter("omm")
    if not omms:
        if root.tag == "ndm":
            raise InputError("the <ndm> document holds no <omm> message", source=label, line=1)
        raise InputError(
            f"XML document <{root.tag}> is not a CCSDS OMM (expected <ndm> or <omm>)",
            source=label,
            line=root.line,
        )
    out: list[ElementSet] = []
    skipped: list[InputError] = []
    for omm in omms:
        segments = omm.iter("segment")
        if not segments:
            exc = ElementSetError(
                "<omm> holds no <segment>", source=label, line=omm.line, field="segment"
            )
            if not lenient:
                raise exc
            skipped.append(exc)
        for segment in segments:
            try:
                fields: dict[str, OmmValue] = {}
                for part in segment.children:
                    for node in _leaves(part):
                        if node.tag == "COMMENT" or node.tag not in _KNOWN:
                            continue
                        if node.tag in fields:
                            raise ElementSetError(
                                f"<{node.tag}> appears twice in one segment "
                                f"(lines {fields[node.tag][1]} and {node.line})",
                                source=label,
                                line=node.line,
                                field=node.tag,
                            )
                        fields[node.tag] = ("".join(node.text), node.line, node.attrs.get("units"))
                out.append(
                    omm_element_set(fields, source=source, line=segment.line, now_utc=now_utc)
                )
            except InputError as exc:
                if not lenient:
                    raise
                skipped.append(exc)
    return out, skipped


def _leaves(node: _Node) -> list[_Node]:
    """Elements under ``node`` (inclusive) that have no children, in document order."""
    leaves: list[_Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.children:
            stack.extend(reversed(current.children))
        else:
            leaves.append(current)
    return leaves
