"""Objects as the web service accepts them: names and catalogue numbers, never paths.

On the command line OBJECT may be a file (:func:`deorbit.objects.resolve_object` tries the file
system for anything that is not an alias or a number).  A web request must never reach the file
system, so the service narrows OBJECT before anything else sees it:

1. :func:`check_object_spec` rejects anything path-like (``/``, ``\\``, ``~``, ``..``, a
   leading ``.``, a file suffix such as ``.tle``, control characters, over 64 characters):
   :class:`PathLikeError`, an :class:`~deorbit.errors.InputError` (HTTP 400).
2. :func:`to_catalogue_number` turns the checked text into a catalogue number: aliases (ISS)
   and digits directly; names by the same rule as the CLI (exact, else prefix, else substring,
   case-insensitive) over the local element store and the bundled objects.  Only the number
   -- digits -- is then handed to :func:`deorbit.jobs.resolve`, which never looks at files
   for digits.

:func:`search_objects` is the search box: the bundled objects and those in the local store.
The store is opened only if it already exists; the service never creates it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from deorbit.elements import format_utc
from deorbit.errors import InputError, UnknownObjectError
from deorbit.objects import ALIASES, BUNDLED_ELEMENTS, bundled_history

__all__ = [
    "MAX_OBJECT_CHARS",
    "PathLikeError",
    "check_object_spec",
    "search_objects",
    "to_catalogue_number",
]

#: Longest OBJECT text accepted (the longest satellite names are ~25 characters).
MAX_OBJECT_CHARS = 64
_MAX_NORAD_ID = 339999
#: What a satellite name may contain: letters (any script), digits, space and - + ( ) . , ' # &.
_ALLOWED = re.compile(r"^[\w \-+().,'#&]+$")
_PATH_SUFFIXES = (".tle", ".txt", ".json", ".xml", ".csv", ".kvn", ".omm", ".sqlite", ".db")


class PathLikeError(InputError):
    """An OBJECT that looks like a file path (never accepted by the service)."""


def check_object_spec(text: str, field: str = "object") -> str:
    """``text`` stripped and single-spaced, or an InputError saying why it is refused."""
    value = " ".join(str(text).split())
    if not value:
        raise InputError("no object given (expected a name or a catalogue number)", field=field)
    if len(value) > MAX_OBJECT_CHARS:
        raise InputError(f"object must be at most {MAX_OBJECT_CHARS} characters", field=field)
    lowered = value.lower()
    if (
        any(ch in value for ch in "/\\~:\0")
        or ".." in value
        or value.startswith(".")
        or lowered.endswith(_PATH_SUFFIXES)
    ):
        raise PathLikeError(
            f"{value!r} looks like a file path; the service takes only object names and "
            "catalogue numbers (use the CLI for files)",
            field=field,
        )
    if not _ALLOWED.match(value):
        raise InputError(
            f"{value!r} contains characters that no object name has "
            "(allowed: letters, digits, space and - + ( ) . , ' # &)",
            field=field,
        )
    return value


@contextmanager
def _existing_store() -> Iterator[Any]:
    """The default element store if it exists (read), else None.  Never creates it."""
    from deorbit.store import ElementStore, default_store_path

    path = default_store_path()
    if not path.is_file():
        yield None
        return
    with ElementStore(path) as store:
        yield store


def _bundled_names() -> dict[int, str]:
    return {n: bundled_history(n)[-1].name for n in BUNDLED_ELEMENTS}


def _match(name: str, names: dict[int, str]) -> list[int]:
    """Exact matches (case-insensitive), else prefix, else substring: the CLI's rule."""
    wanted = name.casefold()
    folded = {n: " ".join(v.split()).casefold() for n, v in names.items()}
    for test in (str.__eq__, str.startswith, str.__contains__):
        hits = sorted(n for n, v in folded.items() if test(v, wanted))
        if hits:
            return hits
    return []


def to_catalogue_number(text: str, field: str = "object") -> int:
    """The catalogue number OBJECT means (see the module docstring).

    Raises :class:`PathLikeError`/:class:`InputError` (refused or ambiguous) and
    :class:`UnknownObjectError` (no local source knows the name).  Whether a *number* is known
    is left to :func:`deorbit.jobs.resolve`, which says so with UnknownObjectError.
    """
    value = check_object_spec(text, field)
    alias = ALIASES.get(value.upper())
    if alias is not None:
        return alias
    if value.isdigit():
        number = int(value)
        if not 0 < number <= _MAX_NORAD_ID:
            raise InputError(f"catalogue number {value} is outside 1..{_MAX_NORAD_ID}", field=field)
        return number
    with _existing_store() as store:
        ids = store.find_name(value) if store is not None else []
        names = store.names(ids) if store is not None else {}
    if not ids:
        bundled = _bundled_names()
        ids = _match(value, bundled)
        names = {n: bundled[n] for n in ids}
    if not ids:
        raise UnknownObjectError(
            f"unknown object {value!r}: not in the local element store or the bundled data "
            "(the service works offline; fetch it first with `deorbit fetch`)"
        )
    if len(ids) > 1:
        listed = "; ".join(f"{n} {names.get(n, '?')}" for n in ids[:10])
        more = f"; and {len(ids) - 10} more" if len(ids) > 10 else ""
        raise InputError(
            f"{value!r} matches {len(ids)} objects: {listed}{more}; give the catalogue number",
            field=field,
        )
    return ids[0]


def search_objects(query: str, limit: int = 25) -> list[dict[str, Any]]:
    """Objects whose name or number matches ``query`` (all known ones when it is empty).

    Each: ``norad_id``, ``name``, ``source`` ("bundled" or "local store"), ``latest_epoch_utc``.
    Bundled objects come first; at most ``limit`` rows.  An empty query lists the bundled
    objects only: the store is searched by name or number, never listed whole.
    """
    q = check_object_spec(query, "q") if query.strip() else ""
    found: dict[int, dict[str, Any]] = {}

    def add(norad_id: int, name: str, source: str, epoch: str | None) -> None:
        if norad_id not in found and len(found) < limit:
            found[norad_id] = {
                "norad_id": norad_id,
                "name": name,
                "source": source,
                "latest_epoch_utc": epoch,
            }

    bundled = _bundled_names()
    if not q:
        hits = sorted(bundled)
    elif q.upper() in ALIASES:
        hits = [ALIASES[q.upper()]]
    elif q.isdigit():
        hits = [n for n in bundled if str(n).startswith(q)]
    else:
        hits = _match(q, bundled)
    for n in hits:
        add(n, bundled[n], "bundled", format_utc(bundled_history(n)[-1].epoch_utc))
    if not q:
        return list(found.values())  # the store has no "list all"; a query searches it
    with _existing_store() as store:
        if store is None:
            return list(found.values())
        if q.isdigit():
            ids = [int(q)] if store.latest(int(q)) is not None else []
        else:
            ids = store.find_name(q)
        names = store.names(ids[:limit])
        for n in ids[:limit]:
            latest = store.latest(n)
            add(
                n,
                names.get(n, latest.name if latest else "?"),
                "local store",
                format_utc(latest.epoch_utc) if latest else None,
            )
    return list(found.values())
