"""CelesTrak / Space-Track general perturbations (GP) data as JSON or CSV.

GP data are OMMs flattened into records keyed by the OMM keywords (see
:mod:`deorbit.formats.omm`).  CelesTrak's
``https://celestrak.org/NORAD/elements/gp.php?CATNR=25544&FORMAT=json`` answers with a JSON
list of objects (numbers as JSON numbers); Space-Track's JSON has the same keys with every
value a string; ``FORMAT=csv`` gives a header row of keywords and one row per element set.

For an unknown object CelesTrak answers with the plain text ``No GP data found``; that text
raises :class:`~deorbit.errors.UnknownObjectError` (an :class:`~deorbit.errors.InputError`).

JSON carries no line numbers per value, so :attr:`ElementSet.line` and error lines are those of
the line where each record's ``{`` stands (records are decoded one at a time to know it).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from deorbit.elements import ElementSet
from deorbit.errors import ElementSetError, InputError, UnknownObjectError
from deorbit.formats.omm import MANDATORY_KEYS, OmmValue, omm_element_set

__all__ = ["NO_GP_DATA", "check_no_gp_data", "parse_gp_csv", "parse_gp_json"]

#: CelesTrak's whole answer for a catalogue number or name it has no data for.
NO_GP_DATA = "No GP data found"


def check_no_gp_data(text: str, source: str) -> None:
    """Raise :class:`UnknownObjectError` if ``text`` is CelesTrak's "No GP data found"."""
    if text.strip().lower() == NO_GP_DATA.lower():
        raise UnknownObjectError(
            f"CelesTrak has no GP data for this object (answer: {NO_GP_DATA!r})",
            source=source or None,
            line=1,
        )


def _record(
    item: object, source: str, line: int, now_utc: datetime | None, index: int
) -> ElementSet:
    if not isinstance(item, dict):
        raise ElementSetError(
            f"GP JSON record {index + 1} is a {type(item).__name__}, expected an object",
            source=source or None,
            line=line,
        )
    fields: dict[str, OmmValue] = {str(k).strip().upper(): (v, None, None) for k, v in item.items()}
    return omm_element_set(fields, source=source, line=line, now_utc=now_utc)


def parse_gp_json(
    text: str,
    source: str,
    *,
    lenient: bool = False,
    now_utc: datetime | None = None,
) -> tuple[list[ElementSet], list[InputError]]:
    """Read a GP JSON answer: a list of OMM-keyed objects, or one such object.

    Malformed JSON raises :class:`InputError` with the line of the syntax error (in lenient
    mode too: a broken document cannot be resynchronised).  A bad record raises
    :class:`ElementSetError` or, with ``lenient=True``, is skipped and its error returned.
    """
    check_no_gp_data(text, source)
    label = source or None
    decoder = json.JSONDecoder()
    out: list[ElementSet] = []
    skipped: list[InputError] = []
    line = 1
    counted = 0

    def line_at(position: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, position)
        counted = position
        return line

    def decode(position: int) -> tuple[object, int]:
        try:
            return decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"malformed JSON: {exc.msg} (column {exc.colno})", source=label, line=exc.lineno
            ) from None
        except RecursionError:
            raise InputError(
                "malformed JSON: nested too deeply", source=label, line=line_at(position)
            ) from None

    def skip_blanks(position: int) -> int:
        while position < len(text) and text[position] in " \t\n\r":
            position += 1
        return position

    def take(item: object, position: int, index: int) -> None:
        try:
            out.append(_record(item, source, line_at(position), now_utc, index))
        except InputError as exc:
            if not lenient:
                raise
            skipped.append(exc)

    position = skip_blanks(0)
    if text.startswith("[", position):
        position = skip_blanks(position + 1)
        index = 0
        if text.startswith("]", position):
            position += 1
        else:
            while True:
                item, end = decode(position)
                take(item, position, index)
                index += 1
                position = skip_blanks(end)
                if text.startswith(",", position):
                    position = skip_blanks(position + 1)
                    continue
                if text.startswith("]", position):
                    position += 1
                    break
                raise InputError(
                    "malformed JSON: expected ',' or ']' after a record",
                    source=label,
                    line=line_at(position),
                )
    else:
        item, position = decode(position)
        if not isinstance(item, dict):
            raise InputError(
                f"GP JSON must be a list of objects or one object, not {type(item).__name__}",
                source=label,
                line=1,
            )
        take(item, skip_blanks(0), 0)
    position = skip_blanks(position)
    if position < len(text):
        raise InputError(
            "malformed JSON: extra data after the end of the document",
            source=label,
            line=line_at(position),
        )
    return out, skipped


def parse_gp_csv(
    text: str,
    source: str,
    *,
    lenient: bool = False,
    now_utc: datetime | None = None,
) -> tuple[list[ElementSet], list[InputError]]:
    """Read GP CSV: a header row of OMM keywords, then one element set per row.

    Blank rows are skipped; a row with a different number of cells than the header is an
    error.  Error lines are the row's first line in the file.
    """
    check_no_gp_data(text, source)
    label = source or None
    out: list[ElementSet] = []
    skipped: list[InputError] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    header_line = 0
    previous_end = 0
    try:
        for row in reader:
            row_line = previous_end + 1
            previous_end = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip().upper() for cell in row]
                header_line = row_line
                missing = [key for key in MANDATORY_KEYS if key not in header]
                if missing:
                    raise InputError(
                        "GP CSV header lacks " + ", ".join(missing),
                        source=label,
                        line=header_line,
                        field=missing[0],
                    )
                continue
            try:
                if len(row) != len(header):
                    raise ElementSetError(
                        f"row has {len(row)} cells but the header (line {header_line}) "
                        f"has {len(header)}",
                        source=label,
                        line=row_line,
                    )
                fields: dict[str, OmmValue] = {
                    key: (cell, None, None) for key, cell in zip(header, row, strict=True)
                }
                out.append(omm_element_set(fields, source=source, line=row_line, now_utc=now_utc))
            except ElementSetError as exc:
                if not lenient:
                    raise
                skipped.append(exc)
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", source=label, line=reader.line_num) from None
    if header is None:
        raise InputError("GP CSV has no header row", source=label, line=1)
    return out, skipped
