"""A real HTTP server on 127.0.0.1 for tests: no mocking of urllib, no internet.

For CelesTrak's GP service, :class:`FakeCelestrak` answers ``CATNR=``, ``NAME=`` and ``GROUP=``
queries from a list of :class:`~deorbit.elements.ElementSet` values, the way the real service
does (JSON list of OMM-keyed records, or the text "No GP data found").

Usage::

    from httpserver import LocalHTTPServer, Reply

    with LocalHTTPServer() as server:
        server.route("/NORAD/elements/gp.php", Reply(200, b"[]"))   # fixed answer
        server.route("/slow", Reply(200, b"late", delay_s=2.0))     # for client timeouts
        server.route("/dyn", lambda request: Reply(200, request.query["X"][0].encode()))
        monkeypatch.setenv("DEORBIT_CELESTRAK_URL", server.url)
        ...
        assert server.requests[-1].query == {"CATNR": ["25544"], "FORMAT": ["json"]}

The server is a :class:`http.server.ThreadingHTTPServer` bound to port 0 (the OS picks a free
port) and served from a daemon thread.  Unknown paths answer 404.  Every request is recorded
(path, parsed query, headers) in :attr:`LocalHTTPServer.requests`, so tests can check what the
client sent.  A delayed reply waits on an event that :meth:`LocalHTTPServer.close` sets, so
closing never waits for a sleeping handler.
"""

from __future__ import annotations

import gzip
import json
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from deorbit.elements import ElementSet

__all__ = ["GP_PATH", "FakeCelestrak", "LocalHTTPServer", "RecordedRequest", "Reply", "gp_record"]

GP_PATH = "/NORAD/elements/gp.php"


@dataclass(frozen=True)
class Reply:
    """What the server sends back for one request."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    #: Seconds to wait before answering (to provoke client timeouts).
    delay_s: float = 0.0
    #: Send the body gzip-compressed with ``Content-Encoding: gzip``.
    gzip: bool = False
    #: Declare a longer Content-Length than sent and close early (a truncated transfer).
    truncate: bool = False


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


Handler = Callable[[RecordedRequest], Reply]


class LocalHTTPServer:
    """A threaded HTTP server on 127.0.0.1:<free port>; use as a context manager."""

    def __init__(self) -> None:
        self._routes: dict[str, Reply | Handler] = {}
        self.requests: list[RecordedRequest] = []
        self._closing = threading.Event()
        self._lock = threading.Lock()
        owner = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                owner._serve(self)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # keep test output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # shutdown() waits up to one poll interval
            name="LocalHTTPServer",
            daemon=True,
        )
        self._thread.start()

    # -- configuration ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, path: str, reply: Reply | Handler) -> None:
        """Answer GET ``path`` (query string ignored for matching) with ``reply``."""
        with self._lock:
            self._routes[path] = reply

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """Stop serving and wake any delayed handler."""
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LocalHTTPServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- serving -----------------------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urllib.parse.urlsplit(handler.path)
        request = RecordedRequest(
            method=handler.command,
            path=parts.path,
            query=urllib.parse.parse_qs(parts.query, keep_blank_values=True),
            headers={k: v for k, v in handler.headers.items()},
        )
        with self._lock:
            self.requests.append(request)
            target = self._routes.get(parts.path)
        if target is None:
            reply = Reply(404, b"not found", content_type="text/plain")
        elif isinstance(target, Reply):
            reply = target
        else:
            reply = target(request)
        if reply.delay_s and self._closing.wait(reply.delay_s):
            return  # server closing: drop the request
        body = gzip.compress(reply.body) if reply.gzip else reply.body
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", reply.content_type)
            length = len(body) * 2 + 100 if reply.truncate else len(body)
            handler.send_header("Content-Length", str(length))
            if reply.gzip:
                handler.send_header("Content-Encoding", "gzip")
            for key, value in reply.headers.items():
                handler.send_header(key, value)
            if reply.truncate:
                handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(body)
            handler.wfile.flush()
            if reply.truncate:
                handler.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. after its timeout): nothing to report


def gp_record(es: ElementSet) -> dict[str, object]:
    """``es`` as one record of CelesTrak's GP JSON (OMM keywords, numbers as JSON numbers)."""
    return {
        "OBJECT_NAME": es.name,
        "OBJECT_ID": es.intl_designator,
        "EPOCH": es.epoch_utc.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "MEAN_MOTION": es.mean_motion_rev_per_day,
        "ECCENTRICITY": es.eccentricity,
        "INCLINATION": es.inclination_deg,
        "RA_OF_ASC_NODE": es.raan_deg,
        "ARG_OF_PERICENTER": es.arg_perigee_deg,
        "MEAN_ANOMALY": es.mean_anomaly_deg,
        "EPHEMERIS_TYPE": es.ephemeris_type,
        "CLASSIFICATION_TYPE": es.classification,
        "NORAD_CAT_ID": es.norad_id,
        "ELEMENT_SET_NO": es.element_set_no,
        "REV_AT_EPOCH": es.rev_at_epoch,
        "BSTAR": es.bstar_per_earth_radii,
        "MEAN_MOTION_DOT": es.mean_motion_dot_rev_per_day2,
        "MEAN_MOTION_DDOT": es.mean_motion_ddot_rev_per_day3,
    }


class FakeCelestrak:
    """A handler for :meth:`LocalHTTPServer.route` that behaves like CelesTrak's gp.php.

    ``catalogue`` holds the current set of each object; ``groups`` maps group names to
    catalogue numbers.  ``override`` (settable) replaces every answer, e.g. with an error
    reply.  Names match as substrings, case-insensitively, as on CelesTrak.
    """

    def __init__(
        self, catalogue: list[ElementSet], groups: dict[str, list[int]] | None = None
    ) -> None:
        self.catalogue = list(catalogue)
        self.groups = dict(groups or {})
        self.override: Reply | None = None

    def install(self, server: LocalHTTPServer) -> None:
        """Serve this fake at ``{server.url}/NORAD/elements/gp.php``."""
        server.route(GP_PATH, self)

    def __call__(self, request: RecordedRequest) -> Reply:
        if self.override is not None:
            return self.override
        query = {k.upper(): v[0] for k, v in request.query.items()}
        if query.get("FORMAT", "").lower() != "json":
            return Reply(400, b"this fake only speaks FORMAT=json", content_type="text/plain")
        if "CATNR" in query:
            found = [es for es in self.catalogue if str(es.norad_id) == query["CATNR"]]
        elif "NAME" in query:
            found = [es for es in self.catalogue if query["NAME"].upper() in es.name.upper()]
        elif "GROUP" in query:
            members = set(self.groups.get(query["GROUP"].lower(), []))
            found = [es for es in self.catalogue if es.norad_id in members]
        else:
            return Reply(400, b"Invalid query", content_type="text/plain")
        if not found:
            return Reply(200, b"No GP data found", content_type="text/plain")
        body = json.dumps([gp_record(es) for es in found], indent=1).encode()
        return Reply(200, body)
