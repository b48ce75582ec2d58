"""Turn what a user types as OBJECT into one object's element-set history.

Every command takes an OBJECT argument.  :func:`resolve_object` decides what it means, in this
order:

1. an alias -- ``ISS``, ``ZARYA``, ``ISS (ZARYA)`` (any case) mean catalogue number 25544;
2. digits -- a NORAD catalogue number;
3. an existing file -- parsed with :func:`deorbit.formats.load_elements`; it must describe one
   object, or ``norad_id=`` must pick one;
4. something that looks like a path (contains ``/`` or ends in ``.tle``, ``.txt``, ``.json``,
   ``.xml``, ``.csv``, ``.kvn``, ``.omm``) but is not a file -- an error, "no such file";
5. anything else -- an object name, matched case-insensitively: exact, else prefix, else
   substring.

Aliases and digits are checked before the file system, so a stray file called ``ISS`` in the
working folder cannot change what ``deorbit summary ISS`` means.

Where the elements come from:

*offline* (the default)
    the local :class:`~deorbit.store.ElementStore` and the bundled ISS history
    (``deorbit/data/elements/``).  Both histories are merged; the provenance names the one with
    the newer latest epoch.  Nothing is written, and no cache file is created.
*online*
    CelesTrak (``CATNR=`` or ``NAME=``), stored in the element store first, then read back as
    above.  If CelesTrak cannot be reached the offline answer is used with a warning saying so
    and how old it is; only if nothing is cached does the fetch error reach the user.

:func:`fetch` is the "download and store" step on its own (the ``deorbit fetch`` command).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from deorbit.celestrak import DEFAULT_TIMEOUT_S, CelestrakError, GPQuery, fetch_gp
from deorbit.data import data_file
from deorbit.elements import ElementSet, format_utc
from deorbit.errors import FetchError, InputError, UnknownObjectError
from deorbit.store import AddCounts, ElementStore, default_store_path

__all__ = [
    "ALIASES",
    "BUNDLED_ELEMENTS",
    "FetchResult",
    "ResolvedObject",
    "bundled_history",
    "fetch",
    "resolve_object",
]

ISS_NORAD_ID = 25544
#: Names that always mean one catalogue number (keys upper-case, single-spaced).
ALIASES: dict[str, int] = {"ISS": ISS_NORAD_ID, "ZARYA": ISS_NORAD_ID, "ISS (ZARYA)": ISS_NORAD_ID}
#: Element-set files shipped in ``deorbit/data/elements/``, per catalogue number.
BUNDLED_ELEMENTS: dict[int, tuple[str, ...]] = {
    ISS_NORAD_ID: ("25544_2024-2025_from_omm.tle", "25544_2025-11-29.tle"),
}
_PATH_SUFFIXES = (".tle", ".txt", ".json", ".xml", ".csv", ".kvn", ".omm")
_MAX_LISTED = 10
_MAX_NORAD_ID = 339999


@dataclass(frozen=True)
class ResolvedObject:
    """One object and its element sets, with a human account of where they came from."""

    norad_id: int
    name: str
    #: Every known set of this object, sorted by epoch (no two with the same epoch).
    history: list[ElementSet]
    #: The set with the newest epoch (``history[-1]``).
    latest: ElementSet
    #: E.g. "CelesTrak CATNR=25544, fetched 2026-01-02T03:04:05Z".
    provenance: str
    #: When the elements were fetched from CelesTrak; None for files and bundled data.
    as_of_utc: datetime | None
    #: Things the user should know (fallbacks, skipped records); print them, don't fail.
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FetchResult:
    """What one CelesTrak query brought into the store."""

    query: GPQuery
    url: str
    fetched_utc: datetime
    #: Catalogue numbers in the answer, sorted.
    norad_ids: list[int]
    #: The element sets received, sorted by (norad_id, epoch).
    elements: list[ElementSet]
    #: Sets written to the store / already stored.
    counts: AddCounts
    #: Records dropped by the parser (only with ``lenient=True``).
    skipped: list[InputError] = field(default_factory=list)

    @property
    def new(self) -> int:
        return self.counts.new

    @property
    def duplicate(self) -> int:
        return self.counts.duplicate


# -- public API --------------------------------------------------------------------------------
def fetch(
    query: GPQuery,
    *,
    store: ElementStore,
    lenient: bool = False,
    now_utc: datetime | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> FetchResult:
    """Fetch ``query`` from CelesTrak and store the answer (sets and query record) in one
    transaction.  On any failure (:class:`FetchError`, :class:`UnknownObjectError`) the store
    is left untouched."""
    response = fetch_gp(query, timeout_s=timeout_s, lenient=lenient, now_utc=now_utc)
    counts = store.add_query_result(
        query.key, response.elements, source=response.url, fetched_utc=response.fetched_utc
    )
    return FetchResult(
        query=query,
        url=response.url,
        fetched_utc=response.fetched_utc,
        norad_ids=response.norad_ids,
        elements=response.elements,
        counts=counts,
        skipped=response.skipped,
    )


def bundled_history(norad_id: int) -> list[ElementSet]:
    """The element sets shipped with deorbit for ``norad_id`` (empty for most objects)."""
    return list(_bundled(norad_id))


def resolve_object(
    spec: str,
    *,
    online: bool = False,
    store: ElementStore | None = None,
    lenient: bool = False,
    now_utc: datetime | None = None,
    norad_id: int | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> ResolvedObject:
    """Resolve OBJECT as typed by the user (see the module docstring for the rules).

    ``store`` defaults to the store at :func:`~deorbit.store.default_store_path` (opened only
    if it exists when offline).  ``norad_id`` picks one object from a file -- or from the
    objects a name matches -- that holds several.  ``lenient`` and ``now_utc`` are passed to
    the parsers.  Errors are :class:`InputError` (bad spec, missing file, ambiguous name),
    :class:`UnknownObjectError` (nothing known) and :class:`FetchError` (online, CelesTrak
    unreachable and nothing cached).
    """
    kind, value = _classify(spec)
    if kind == "file":
        assert isinstance(value, Path)
        return _from_file(spec.strip(), value, norad_id, lenient=lenient, now_utc=now_utc)
    with _session(store, create=online) as session:
        if online:
            return _online(value, session, norad_id, lenient, now_utc, timeout_s)
        return _offline(value, session, norad_id, spec)


# -- classification --------------------------------------------------------------------------
def _classify(spec: str) -> tuple[str, int | str | Path]:
    """("number", 25544) | ("file", Path) | ("name", "TIANHE")."""
    text = spec.strip()
    if not text:
        raise InputError("no object given (expected a name, a catalogue number or a file)")
    words = " ".join(text.split())
    alias = ALIASES.get(words.upper())
    if alias is not None:
        return "number", alias
    if text.isdigit():
        number = int(text)
        if not 0 < number <= _MAX_NORAD_ID:
            raise InputError(f"catalogue number {text} is outside 1..{_MAX_NORAD_ID}")
        return "number", number
    path = Path(text).expanduser()
    if path.is_file():
        return "file", path
    looks_like_path = (
        "/" in text
        or (os.altsep is not None and os.altsep in text)
        or os.sep in text
        or text.lower().endswith(_PATH_SUFFIXES)
    )
    if looks_like_path:
        if path.exists():
            raise InputError("not an element-set file (it is a directory?)", source=text)
        raise InputError("no such file", source=text)
    return "name", words


@contextmanager
def _session(store: ElementStore | None, *, create: bool) -> Iterator[ElementStore | None]:
    """The caller's store, or the default one (None when offline and it does not exist)."""
    if store is not None:
        yield store
        return
    path = default_store_path()
    if not create and not path.is_file():
        yield None
        return
    with ElementStore(path) as opened:
        yield opened


# -- sources ---------------------------------------------------------------------------------
def _from_file(
    shown: str,
    path: Path,
    norad_id: int | None,
    *,
    lenient: bool,
    now_utc: datetime | None,
) -> ResolvedObject:
    from deorbit.formats import load_elements

    # Real catalogue histories re-issue sets at an identical epoch with corrected elements;
    # the later one in the file supersedes the earlier, as the catalogues intend.
    result = load_elements(path, lenient=lenient, now_utc=now_utc, on_conflict="latest")
    by_object = _group(result.elements)
    if norad_id is not None:
        if norad_id not in by_object:
            raise InputError(
                f"catalogue number {norad_id} is not in this file; it holds {_describe(by_object)}",
                source=shown,
            )
        chosen = norad_id
    elif len(by_object) > 1:
        raise InputError(
            f"file holds {len(by_object)} objects ({_describe(by_object)}); "
            "choose one with --norad N",
            source=shown,
        )
    else:
        (chosen,) = by_object
    warnings = [f"{shown}: {result.describe_skipped()}"] if result.skipped else []
    return _result(chosen, by_object[chosen], f"file {shown}", None, warnings)


def _offline(
    value: int | str | Path,
    session: ElementStore | None,
    norad_id: int | None,
    spec: str,
) -> ResolvedObject:
    number = value if isinstance(value, int) else _match_offline_name(str(value), session, norad_id)
    found = _known(number, session)
    if found is None:
        raise UnknownObjectError(
            f"unknown object {spec.strip()!r}: not in the local cache or the bundled data "
            "(offline); try --online, or give a file"
        )
    return found


def _online(
    value: int | str | Path,
    session: ElementStore | None,
    norad_id: int | None,
    lenient: bool,
    now_utc: datetime | None,
    timeout_s: float,
) -> ResolvedObject:
    assert session is not None
    query = GPQuery.catnr(value) if isinstance(value, int) else GPQuery.name(str(value))
    try:
        fetched = fetch(query, store=session, lenient=lenient, now_utc=now_utc, timeout_s=timeout_s)
    except (FetchError, UnknownObjectError) as exc:
        return _fallback(query, value, session, norad_id, exc)
    if isinstance(value, int):
        number = value
    else:
        names = {es.norad_id: es.name for es in fetched.elements}
        ids = _match_names(str(value), names) or sorted(names)
        number = _pick(str(value), ids, names, norad_id)
    found = _known(number, session)
    assert found is not None  # just stored
    warnings = list(found.warnings)
    if fetched.skipped:
        warnings.append(
            f"CelesTrak {query.key}: {len(fetched.skipped)} malformed record(s) skipped; "
            f"first: {fetched.skipped[0]}"
        )
    return _result(
        number,
        found.history,
        f"CelesTrak {query.key}, fetched {format_utc(fetched.fetched_utc)}",
        fetched.fetched_utc,
        warnings,
    )


def _fallback(
    query: GPQuery,
    value: int | str | Path,
    session: ElementStore,
    norad_id: int | None,
    exc: FetchError | UnknownObjectError,
) -> ResolvedObject:
    """CelesTrak failed: use what is known locally, with a warning, or re-raise."""
    if isinstance(value, int):
        number: int | None = value
    else:
        ids = _name_candidates(str(value), session)
        number = _pick(str(value), ids, _names_of(ids, session), norad_id) if ids else None
    found = _known(number, session) if number is not None else None
    if found is None:
        if isinstance(exc, UnknownObjectError):
            raise exc
        raise FetchError(f"{exc}, and nothing is cached") from None
    if found.as_of_utc is not None:
        using = f"using cached elements as of {format_utc(found.as_of_utc)}"
    else:
        using = f"using the bundled snapshot (latest epoch {format_utc(found.latest.epoch_utc)})"
    if isinstance(exc, CelestrakError):
        why = f"CelesTrak unreachable ({exc.reason})"
    elif isinstance(exc, UnknownObjectError):
        why = f"CelesTrak has no GP data for {query.key} (decayed, or not in the catalogue?)"
    else:
        why = f"CelesTrak unreachable ({exc})"
    return _result(
        found.norad_id,
        found.history,
        found.provenance,
        found.as_of_utc,
        [f"{why}; {using}", *found.warnings],
    )


def _known(number: int, session: ElementStore | None) -> ResolvedObject | None:
    """The local (cache + bundled) history of ``number``, or None when neither knows it."""
    cached = session.history(number) if session is not None else []
    bundled = bundled_history(number)
    if not cached and not bundled:
        return None
    history = _merge(bundled, cached)
    if cached and (not bundled or cached[-1].epoch_utc > bundled[-1].epoch_utc):
        assert session is not None
        as_of = session.last_fetched_utc(number)
        when = format_utc(as_of) if as_of is not None else "an unknown time"
        return _result(number, history, f"local cache, as of {when} (offline)", as_of, [])
    provenance = f"bundled snapshot, latest epoch {format_utc(bundled[-1].epoch_utc)}"
    if cached:
        provenance += f" (with {len(cached)} cached set(s))"
    return _result(number, history, provenance, None, [])


# -- names -----------------------------------------------------------------------------------
def _match_offline_name(name: str, session: ElementStore | None, norad_id: int | None) -> int:
    ids = _name_candidates(name, session)
    if not ids:
        raise UnknownObjectError(
            f"unknown object {name!r}: not in the local cache or the bundled data (offline); "
            "try --online, or give a file"
        )
    return _pick(name, ids, _names_of(ids, session), norad_id)


def _name_candidates(name: str, session: ElementStore | None) -> list[int]:
    """Catalogue numbers whose name matches: the cache's, else the bundled data's."""
    ids = session.find_name(name) if session is not None else []
    if ids:
        return ids
    bundled_names = {n: _bundled(n)[-1].name for n in BUNDLED_ELEMENTS}
    return _match_names(name, bundled_names)


def _names_of(ids: Iterable[int], session: ElementStore | None) -> dict[int, str]:
    ids = list(ids)
    names = {n: _bundled(n)[-1].name for n in ids if n in BUNDLED_ELEMENTS}
    if session is not None:
        names.update(session.names(ids))
    return names


def _match_names(name: str, names: dict[int, str]) -> list[int]:
    """Exact matches (case-insensitive), else prefix matches, else substring matches."""
    wanted = " ".join(name.split()).casefold()
    folded = {n: " ".join(v.split()).casefold() for n, v in names.items()}
    for test in (str.__eq__, str.startswith, str.__contains__):
        hits = sorted(n for n, v in folded.items() if test(v, wanted))
        if hits:
            return hits
    return []


def _pick(name: str, ids: list[int], names: dict[int, str], norad_id: int | None) -> int:
    """The one object a name means, or an InputError listing the candidates."""
    if len(ids) == 1:
        return ids[0]
    if norad_id is not None and norad_id in ids:
        return norad_id
    listed = "; ".join(f"{n} {names.get(n, '?')}" for n in ids[:_MAX_LISTED])
    more = f"; and {len(ids) - _MAX_LISTED} more" if len(ids) > _MAX_LISTED else ""
    raise InputError(
        f"{name!r} matches {len(ids)} objects: {listed}{more}; give the catalogue number instead"
    )


# -- helpers ---------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _bundled(norad_id: int) -> tuple[ElementSet, ...]:
    from deorbit.formats import parse_text

    sets: list[ElementSet] = []
    for filename in BUNDLED_ELEMENTS.get(norad_id, ()):
        text = data_file("elements", filename).read_text(encoding="utf-8")
        sets += parse_text(text, f"bundled:elements/{filename}", fmt="tle").elements
    return tuple(_merge(sets))


def _merge(*histories: Iterable[ElementSet]) -> list[ElementSet]:
    """One epoch-sorted history; for equal epochs the set from a later argument wins."""
    by_epoch: dict[datetime, ElementSet] = {}
    for history in histories:
        for es in history:
            by_epoch[es.epoch_utc] = es
    return sorted(by_epoch.values(), key=lambda es: es.epoch_utc)


def _group(elements: Iterable[ElementSet]) -> dict[int, list[ElementSet]]:
    out: dict[int, list[ElementSet]] = {}
    for es in elements:
        out.setdefault(es.norad_id, []).append(es)
    return {n: _merge(sets) for n, sets in sorted(out.items())}


def _describe(by_object: dict[int, list[ElementSet]]) -> str:
    items = [f"{n} {sets[-1].name}".rstrip() for n, sets in by_object.items()]
    more = f", and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else ""
    return ", ".join(items[:_MAX_LISTED]) + more


def _result(
    norad_id: int,
    history: list[ElementSet],
    provenance: str,
    as_of_utc: datetime | None,
    warnings: list[str],
) -> ResolvedObject:
    latest = history[-1]
    return ResolvedObject(
        norad_id=norad_id,
        name=latest.name,
        history=history,
        latest=latest,
        provenance=provenance,
        as_of_utc=as_of_utc,
        warnings=warnings,
    )
