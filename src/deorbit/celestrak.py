"""A small, strict client for CelesTrak's GP (general perturbations) element-set service.

CelesTrak publishes the current SGP4 element set of every tracked object at
``{base}/NORAD/elements/gp.php?<QUERY>=<value>&FORMAT=json``, where ``<QUERY>`` is one of

``CATNR``  one object by NORAD catalogue number (``CATNR=25544``);
``NAME``   objects whose name contains the text (``NAME=ISS``);
``GROUP``  a curated list (``GROUP=stations``, ``GROUP=active``, ``GROUP=last-30-days``).

The answer is a JSON list of CCSDS-OMM-keyed records, or the plain text ``No GP data found``
when nothing matches.  This module only *fetches and checks* that answer; parsing the records
into :class:`~deorbit.elements.ElementSet` values is the job of :mod:`deorbit.formats`, and
storing them is the job of :mod:`deorbit.store` (see :func:`deorbit.objects.fetch`).

Failure policy: every way a fetch can go wrong -- timeout, refused connection, DNS failure,
HTTP 4xx/5xx (CelesTrak answers 403 or 429 when a client polls too often), an empty body, an
HTML page from a proxy or captive portal, truncated or invalid JSON, JSON of the wrong shape --
raises :class:`~deorbit.errors.FetchError` with one line naming the query and the URL.
``No GP data found`` raises :class:`~deorbit.errors.UnknownObjectError`.  Nothing is returned
half-checked, so a caller that stores only what :func:`fetch_gp` returns never caches garbage.

The base URL comes from ``DEORBIT_CELESTRAK_URL`` (tests point it at a local server) and
defaults to ``https://celestrak.org``.  Only the standard library is used.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from deorbit import __version__
from deorbit.elements import ElementSet
from deorbit.errors import FetchError, InputError, UnknownObjectError

# The HTTP stack (urllib.request pulls in http.client, email, ssl, ...) is imported by the
# functions that go on the network, so that resolving an object offline -- what every command
# does -- never loads it.
if TYPE_CHECKING:
    import urllib.error

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT_S",
    "USER_AGENT",
    "CelestrakError",
    "GPQuery",
    "GPResponse",
    "base_url",
    "fetch_gp",
    "gp_url",
]

DEFAULT_BASE_URL = "https://celestrak.org"
#: Per-socket-operation timeout and, roughly, the bound on a whole fetch (seconds).
DEFAULT_TIMEOUT_S = 15.0
#: CelesTrak asks automated clients to identify themselves.
USER_AGENT = f"deorbit/{__version__} (Python urllib; orbital-decay toolkit)"
#: The literal text CelesTrak sends instead of JSON when a query matches nothing.
NO_DATA_TEXT = "No GP data found"
#: Largest body accepted (the whole active catalogue is ~20 MB of JSON).
MAX_BODY_BYTES = 256 * 1024 * 1024

QueryKind = Literal["CATNR", "NAME", "GROUP"]
_KINDS: tuple[str, ...] = ("CATNR", "NAME", "GROUP")
_GROUP_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_MAX_CATNR = 339999


@dataclass(frozen=True, slots=True)
class GPQuery:
    """One CelesTrak GP query: a kind (``CATNR``, ``NAME`` or ``GROUP``) and a value.

    Values are normalised on construction so that equal questions have equal :attr:`key`
    strings -- the key is what :class:`~deorbit.store.ElementStore` remembers a query by:

    >>> GPQuery("CATNR", "025544").key
    'CATNR=25544'
    >>> GPQuery.name("  iss  (zarya) ").key
    'NAME=ISS (ZARYA)'
    >>> GPQuery.group("Stations").key
    'GROUP=stations'

    Invalid values raise :class:`~deorbit.errors.InputError` (CelesTrak would only answer
    them with an error page).
    """

    kind: QueryKind
    value: str

    def __post_init__(self) -> None:
        kind = str(self.kind).strip().upper()
        if kind not in _KINDS:
            raise InputError(
                f"unknown CelesTrak query kind {self.kind!r} (use CATNR, NAME or GROUP)"
            )
        raw = " ".join(str(self.value).split())
        if kind == "CATNR":
            if not raw.isdigit() or not 0 < int(raw) <= _MAX_CATNR:
                raise InputError(f"catalogue number {self.value!r} is not an integer in 1..339999")
            value = str(int(raw))
        elif kind == "NAME":
            if not raw:
                raise InputError("empty object name for a CelesTrak NAME query")
            if len(raw) > 100:
                raise InputError(f"object name {raw[:20]!r}... is too long (over 100 characters)")
            value = raw.upper()
        else:
            value = raw.lower()
            if not _GROUP_RE.match(value):
                raise InputError(
                    f"CelesTrak group {self.value!r} is not a group name "
                    "(letters, digits and '-', e.g. stations, active, last-30-days)"
                )
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "value", value)

    # -- constructors ------------------------------------------------------------------------
    @classmethod
    def catnr(cls, norad_id: int | str) -> GPQuery:
        """The query for one catalogue number."""
        return cls("CATNR", str(norad_id))

    @classmethod
    def name(cls, name: str) -> GPQuery:
        """The query for objects whose name contains ``name`` (CelesTrak matches substrings)."""
        return cls("NAME", name)

    @classmethod
    def group(cls, group: str) -> GPQuery:
        """The query for a CelesTrak group such as ``stations`` or ``last-30-days``."""
        return cls("GROUP", group)

    @classmethod
    def parse(cls, key: str) -> GPQuery:
        """Rebuild a query from its :attr:`key` (``"CATNR=25544"``); inverse of :attr:`key`."""
        kind, sep, value = key.partition("=")
        if not sep:
            raise InputError(f"CelesTrak query {key!r} is not of the form KIND=VALUE")
        return cls(kind, value)  # type: ignore[arg-type]

    # -- derived -----------------------------------------------------------------------------
    @property
    def key(self) -> str:
        """Canonical text form, e.g. ``CATNR=25544``; stable across runs and platforms."""
        return f"{self.kind}={self.value}"

    @property
    def norad_id(self) -> int | None:
        """The catalogue number of a CATNR query, else None."""
        return int(self.value) if self.kind == "CATNR" else None

    def __str__(self) -> str:
        return self.key


class CelestrakError(FetchError):
    """A failed GP fetch.  ``str()`` is one line naming the query and URL; :attr:`reason` is
    the cause alone (for messages like "CelesTrak unreachable (<reason>)")."""

    def __init__(self, query: GPQuery, url: str, reason: str) -> None:
        self.query = query
        self.url = url
        self.reason = reason
        super().__init__(f"CelesTrak {query.key} ({url}): {reason}")


_Fail = Callable[[str], CelestrakError]


@dataclass(frozen=True, slots=True)
class GPResponse:
    """A checked, parsed answer to one :class:`GPQuery`."""

    query: GPQuery
    url: str
    #: Parsed element sets, in the order CelesTrak sent them (never empty).
    elements: list[ElementSet]
    #: When the answer arrived (tz-aware UTC).
    fetched_utc: datetime
    #: Records the parser dropped (only with ``lenient=True``).
    skipped: list[InputError] = field(default_factory=list)

    @property
    def norad_ids(self) -> list[int]:
        """Catalogue numbers in the answer, sorted, each once."""
        return sorted({es.norad_id for es in self.elements})


def base_url() -> str:
    """The CelesTrak base URL: ``$DEORBIT_CELESTRAK_URL`` or :data:`DEFAULT_BASE_URL`."""
    return (os.environ.get("DEORBIT_CELESTRAK_URL") or DEFAULT_BASE_URL).rstrip("/")


def gp_url(query: GPQuery, base: str | None = None) -> str:
    """The full GP URL for ``query``, e.g. ``https://celestrak.org/NORAD/elements/gp.php?CATNR=25544&FORMAT=json``."""
    import urllib.parse

    root = (base or base_url()).rstrip("/")
    params = urllib.parse.urlencode({query.kind: query.value, "FORMAT": "json"})
    return f"{root}/NORAD/elements/gp.php?{params}"


def fetch_gp(
    query: GPQuery,
    *,
    base: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    lenient: bool = False,
    now_utc: datetime | None = None,
) -> GPResponse:
    """Fetch ``query`` from CelesTrak and return the parsed element sets.

    ``timeout_s`` bounds connecting and every read, and the whole transfer is abandoned once
    it has taken more than ``timeout_s`` overall.  ``lenient`` lets the parser skip malformed
    records (they are listed in :attr:`GPResponse.skipped`) instead of failing the fetch;
    ``now_utc`` is passed to the parser's epoch sanity check and stamps :attr:`fetched_utc`.

    Raises :class:`FetchError` for every transport or content failure and
    :class:`UnknownObjectError` when CelesTrak says ``No GP data found``.
    """
    url = gp_url(query, base)

    def fail(reason: str) -> CelestrakError:
        return CelestrakError(query, url, reason)

    body = _download(url, fail, timeout_s)
    fetched_utc = now_utc.astimezone(UTC) if now_utc is not None else datetime.now(UTC)
    records = _check_body(body, query, url, fail)
    elements, skipped = _parse_records(records, body, url, fail, lenient=lenient, now_utc=now_utc)
    if query.kind == "CATNR":
        strangers = sorted({es.norad_id for es in elements} - {query.norad_id})
        if strangers:
            raise fail(
                f"answer holds catalogue number(s) {_short_list(strangers)} "
                f"instead of {query.value}"
            )
    return GPResponse(query, url, elements, fetched_utc, skipped)


# -- transport ------------------------------------------------------------------------------
def _download(url: str, fail: _Fail, timeout_s: float) -> bytes:
    """GET ``url``; return the (decompressed) body or raise a one-line :class:`FetchError`."""
    import gzip
    import http.client
    import urllib.error
    import urllib.request
    import zlib

    request = urllib.request.Request(
        url,
        headers={
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            "Accept-Encoding": "gzip",
        },
    )
    deadline = time.monotonic() + timeout_s
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            chunks: list[bytes] = []
            size = 0
            while chunk := response.read(1 << 16):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise fail(f"answer is larger than {MAX_BODY_BYTES >> 20} MB")
                if time.monotonic() > deadline:
                    raise fail(f"timed out after {timeout_s:g} s (transfer too slow)")
            declared = response.headers.get("Content-Length")
            if declared and declared.strip().isdigit() and size < int(declared):
                # http.client returns a short read, not an error, when the peer hangs up.
                raise fail(f"connection closed early: got {size} of {int(declared)} bytes")
            body = b"".join(chunks)
            encoding = (response.headers.get("Content-Encoding") or "").strip().lower()
    except urllib.error.HTTPError as exc:
        raise fail(_http_error_text(exc)) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise fail(f"timed out after {timeout_s:g} s") from None
        raise fail(f"cannot connect ({_reason_text(reason)})") from None
    except TimeoutError:
        raise fail(f"timed out after {timeout_s:g} s") from None
    except (http.client.HTTPException, OSError, ValueError) as exc:
        raise fail(f"connection failed ({_reason_text(exc)})") from None
    if encoding == "gzip":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError, zlib.error) as exc:
            raise fail(f"corrupt gzip body ({_reason_text(exc)})") from None
    return body


def _http_error_text(exc: urllib.error.HTTPError) -> str:
    status = exc.code
    text = f"HTTP {status} {exc.reason}".rstrip()
    if status in (403, 429):
        retry = exc.headers.get("Retry-After") if exc.headers else None
        text += (
            " - CelesTrak refuses clients that poll too often (GP data change at most every "
            "2 hours); wait before retrying"
        )
        if retry:
            text += f" (Retry-After: {retry.strip()})"
    elif status == 404:
        text += " - check DEORBIT_CELESTRAK_URL"
    elif status >= 500:
        text += " - server error, try again later"
    return text


def _reason_text(reason: object) -> str:
    text = str(reason).strip() or type(reason).__name__
    return " ".join(text.split())[:160]


# -- content checks -------------------------------------------------------------------------
def _check_body(body: bytes, query: GPQuery, url: str, fail: _Fail) -> list[dict]:
    """Decode and shape-check the JSON answer; return its list of record objects."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise fail("answer is not text (undecodable bytes, not JSON)") from None
    stripped = text.strip()
    if not stripped:
        raise fail("empty answer")
    if stripped.startswith(NO_DATA_TEXT) or stripped == "[]":
        raise UnknownObjectError(
            f"CelesTrak has no GP data for {query.key} ({url}): {_query_hint(query)}"
        )
    if stripped.startswith("<"):
        raise fail("got an HTML/XML page instead of JSON (a proxy, captive portal or error page?)")
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError as exc:
        snippet = _reason_text(stripped[:60])
        raise fail(
            f"invalid JSON ({exc.msg}, char {exc.pos}; truncated answer?) starting {snippet!r}"
        ) from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise fail(f"JSON is not a list of GP records (got {_json_kind(data)})")
    missing = [r for r in data if "NORAD_CAT_ID" not in r or "EPOCH" not in r]
    if missing:
        raise fail(
            f"{len(missing)} of {len(data)} JSON record(s) lack NORAD_CAT_ID or EPOCH (not GP data)"
        )
    return data


def _query_hint(query: GPQuery) -> str:
    """Why a query may match nothing, for the user."""
    if query.kind == "CATNR":
        return "unknown catalogue number, or the object has decayed"
    if query.kind == "NAME":
        return "no object name contains this text"
    return "unknown group name"


def _json_kind(data: object) -> str:
    if isinstance(data, list):
        bad = next(r for r in data if not isinstance(r, dict))
        return f"a list containing {type(bad).__name__}"
    return type(data).__name__ if not isinstance(data, dict) else "an object, not a list"


def _parse_records(
    records: list[dict],
    body: bytes,
    url: str,
    fail: _Fail,
    *,
    lenient: bool,
    now_utc: datetime | None,
) -> tuple[list[ElementSet], list[InputError]]:
    """Hand the checked body to the GP-JSON parser; turn its complaints into FetchError."""
    from deorbit.formats import parse_bytes  # imported late: formats imports heavy parsers

    try:
        result = parse_bytes(body, url, fmt="gp-json", lenient=lenient, now_utc=now_utc)
    except InputError as exc:
        raise fail(f"bad GP record: {_input_error_text(exc)}") from None
    if not result.elements:
        if result.skipped:
            raise fail(
                f"all {len(records)} record(s) were malformed; first: {_input_error_text(result.skipped[0])}"
            )
        raise fail("answer holds no element sets")
    return list(result.elements), list(result.skipped)


def _short_list(values: list[int], limit: int = 10) -> str:
    shown = ", ".join(str(v) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _input_error_text(exc: InputError) -> str:
    """An InputError from the parser without its source (the URL is already in the message)."""
    where = [f"record at line {exc.line}"] if exc.line is not None else []
    if exc.field:
        where.append(f"field {exc.field}")
    return f"{exc.message} ({', '.join(where)})" if where else exc.message
