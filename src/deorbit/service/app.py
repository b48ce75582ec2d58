"""The local web service: a JSON API mirroring the CLI, and the dashboard that uses it.

Start it with :func:`serve` (``deorbit serve``), or build the app with :func:`create_app` for
tests and embedding.  It binds 127.0.0.1 and works offline, like the CLI.

API (every answer is JSON; the schemas are those of ``deorbit ... --json``)

=========================================  ==================================================
``GET /api/health``                         status, version, job counts, registered kinds
``GET /api/objects?q=``                     search: bundled objects and the local store
``GET /api/exposure?object=&start=&days=``  ``deorbit exposure --json`` (cached per window)
``GET /api/track?object=&start=&days=``     the first ``hours`` of that window's ground track
``GET /api/countries.geojson``              the bundled borders, simplified for drawing
``GET /api/predict?object=&samples=&seed=`` starts (or finds) a predict job: 202 + job
``GET /api/watch?as_of=&days=&samples=``    starts (or finds) a catalogue watch job
``POST /api/jobs/{kind}``                   starts a job of any registered kind (JSON body)
``GET /api/jobs``, ``GET /api/jobs/kinds``  kept jobs; kinds with their parameter schemas
``GET /api/jobs/{id}``                      status, progress, result (``deorbit ... --json``)
``GET /api/jobs/{id}/events``               the same as server-sent events until it finishes
``DELETE /api/jobs/{id}``                   cancels
``GET /openapi.json``                       the API description (no /docs: it needs a CDN)
=========================================  ==================================================

Every registered job kind (:mod:`deorbit.service.registry`) also gets ``GET /api/{kind}``.

Safety, for a server anyone on the machine can reach
    * No request parameter becomes a file path: objects are names or numbers
      (:mod:`deorbit.service.objects`), path-like text is a 400.  The element store and data
      folders are the server's, fixed at start.
    * Limits: request bodies (16 kB) and query strings (2 kB), samples (<= 5,000), track
      points per exposure request, running (default 1) and queued (8) jobs -> 413/414/400/429.
    * ``Host`` must be a loopback name (DNS-rebinding guard) unless the server is bound
      elsewhere; no CORS headers (a page from another origin cannot read the answers); a
      strict Content-Security-Policy (the dashboard loads nothing from other origins).
    * Errors: :class:`~deorbit.errors.UnknownObjectError` -> 404, other ``InputError`` ->
      400, parameter validation -> 400, all with ``{"detail": message, "field": name}``; no
      tracebacks.
"""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import Field
from starlette.concurrency import run_in_threadpool
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deorbit import __version__
from deorbit.errors import DeorbitError, FetchError, InputError, UnknownObjectError
from deorbit.service.exposure import EXPOSURE_CACHE
from deorbit.service.jobs import Job, JobManager, QueueFull
from deorbit.service.objects import search_objects
from deorbit.service.registry import (
    REGISTRY,
    ExposureParams,
    JobKind,
    bind_store,
    check_exposure,
)
from deorbit.service.views import countries_geojson_bytes, dumps
from deorbit.store import default_store_path

__all__ = ["LOOPBACK_HOSTS", "create_app", "serve", "static_dir"]

#: Host header values accepted by default (the server binds 127.0.0.1).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
MAX_BODY_BYTES = 16 * 1024
MAX_QUERY_BYTES = 2048
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def static_dir() -> Path:
    """The vendored dashboard assets (built from ``frontend/``)."""
    return Path(str(resources.files("deorbit.service") / "static"))


class _Limits:
    """ASGI middleware: 414 for long query strings, 413 for large bodies, security headers."""

    def __init__(self, app: ASGIApp, max_body: int, max_query: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_query = max_query

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if len(scope.get("query_string", b"")) > self.max_query:
            await _send_error(send, 414, f"query string longer than {self.max_query} bytes")
            return
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await _send_error(send, 413, f"request body larger than {self.max_body} bytes")
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _BodyTooLarge()
            return message

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"content-security-policy", CSP.encode()),
                ]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLarge:
            await _send_error(send, 413, f"request body larger than {self.max_body} bytes")


class _BodyTooLarge(Exception):
    pass


async def _send_error(send: Send, status: int, message: str) -> None:
    body = dumps({"detail": message})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A strict-JSON response, encoded once without FastAPI's (slow) recursive encoder."""
    return Response(dumps(data), status_code=status, media_type="application/json", headers=headers)


def _bytes(request: Request, plain: bytes, gz: bytes | None = None, **kw: Any) -> Response:
    """Pre-encoded JSON, gzip-compressed when the client accepts it and a gzip copy exists."""
    if gz is not None and "gzip" in request.headers.get("accept-encoding", ""):
        return Response(
            gz,
            media_type=kw.get("media_type", "application/json"),
            headers={"content-encoding": "gzip", "vary": "Accept-Encoding"},
        )
    return Response(plain, media_type=kw.get("media_type", "application/json"))


def _first_field(exc: RequestValidationError) -> tuple[str, str]:
    """(field, message) of the first validation error, in the CLI's words."""
    errors = exc.errors()
    if not errors:
        return "", "invalid request"
    err = errors[0]
    loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "body", "path")]
    name = ".".join(loc) or "request"
    msg = str(err.get("msg", "invalid value"))
    if "input" in err and not isinstance(err["input"], dict | list):
        shown = str(err["input"])
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        msg += f" (got {shown!r})"
    return name, f"{name}: {msg}"


class TrackParams(ExposureParams):
    """The exposure window, and how many hours of its track to return."""

    hours: float = Field(24.0, gt=0, le=72, description="Hours of track from the start.")


def create_app(
    *,
    registry: dict[str, JobKind] | None = None,
    max_running_jobs: int = 1,
    max_queued_jobs: int = 8,
    allowed_hosts: tuple[str, ...] | list[str] | None = LOOPBACK_HOSTS,
    cors_origins: list[str] | None = None,
    force_thread_jobs: bool = False,
    store_path: str | Path | None = None,
) -> FastAPI:
    """The FastAPI app.

    ``registry``: job kinds (default: :data:`deorbit.service.registry.REGISTRY` as it is
    now); ``max_running_jobs``/``max_queued_jobs`` bound the background work (on two cores
    one running Monte Carlo job leaves the other core to the server);
    ``allowed_hosts``: accepted ``Host`` names (``None`` = any; keep the default unless the
    server is deliberately exposed); ``cors_origins``: off by default; ``force_thread_jobs``
    runs process-isolated kinds in threads (debugging only); ``store_path``: the element store
    the ``watch`` kind reads (default :func:`deorbit.store.default_store_path` as it is now).
    The store is fixed here, never by a request, and never created by the service: a watch
    request while it is missing gets a 400 saying to run ``deorbit ingest``.
    """
    store = Path(store_path).expanduser() if store_path is not None else default_store_path()
    kinds = {
        name: bind_store(kind, store)
        for name, kind in (REGISTRY if registry is None else registry).items()
    }
    manager = JobManager(
        max_running=max_running_jobs, max_queued=max_queued_jobs, force_thread=force_thread_jobs
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(manager.shutdown)

    app = FastAPI(
        title="deorbit",
        version=__version__,
        summary="Where does it fly, when will it come down, where can it fall, who is under it.",
        description=(
            "Local JSON API of deorbit.  Answers use the schemas of `deorbit ... --json`.  "
            "Objects are names or NORAD catalogue numbers only (never files)."
        ),
        lifespan=lifespan,
        # FastAPI's /docs and /redoc pages load their scripts from a CDN: off, to stay
        # offline.  /openapi.json is the API's description.
        docs_url=None,
        redoc_url=None,
    )
    app.state.jobs = manager
    app.state.kinds = kinds
    app.state.store_path = store

    # -- errors ----------------------------------------------------------------------------
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        name, message = _first_field(exc)
        return _json({"detail": message, "field": name}, 400)

    @app.exception_handler(DeorbitError)
    async def _deorbit_error(request: Request, exc: DeorbitError) -> Response:
        if isinstance(exc, UnknownObjectError):
            status = 404
        elif isinstance(exc, InputError):
            status = 400
        elif isinstance(exc, FetchError):
            status = 502
        else:
            status = 500
        return _json({"detail": str(exc), "field": getattr(exc, "field", None)}, status)

    @app.exception_handler(QueueFull)
    async def _queue_full(request: Request, exc: QueueFull) -> Response:
        return _json({"detail": str(exc)}, 429, headers={"retry-after": "10"})

    # -- plain routes ------------------------------------------------------------------------
    @app.get("/api/health", tags=["service"])
    async def health() -> Response:
        """Liveness, version, job counts and the registered job kinds."""
        return _json(
            {
                "status": "ok",
                "version": __version__,
                "jobs": manager.counts(),
                "kinds": sorted(kinds),
                "exposure_cache": EXPOSURE_CACHE.stats(),
                # the store the watch kind reads (fixed at start; the service never creates it)
                "element_store": {"path": str(store), "exists": store.is_file()},
            }
        )

    @app.get("/api/objects", tags=["objects"])
    async def objects(
        q: Annotated[str, Query(max_length=64, description="Name or number; empty: bundled")] = "",
        limit: Annotated[int, Query(ge=1, le=100)] = 25,
    ) -> Response:
        """Objects known offline whose name or catalogue number matches ``q``."""
        found = await run_in_threadpool(search_objects, q, limit)
        return _json({"query": q, "objects": found})

    async def _exposure_entry(params: ExposureParams):
        entry = EXPOSURE_CACHE.peek(params)  # repeated request: no thread, no I/O
        if entry is not None:
            return entry
        checked = await run_in_threadpool(check_exposure, params)
        return await run_in_threadpool(EXPOSURE_CACHE.get, checked, params)

    @app.get("/api/exposure", tags=["exposure"])
    async def exposure(request: Request, params: Annotated[ExposureParams, Query()]) -> Response:
        """``deorbit exposure --json``: long-run and windowed share per country, people under
        the band.  Identical windows are computed once and cached for 10 minutes."""
        entry = await _exposure_entry(params)
        return _bytes(request, entry.body, entry.body_gzip)

    @app.get("/api/track", tags=["exposure"])
    async def track(params: Annotated[TrackParams, Query()]) -> Response:
        """The first ``hours`` of the exposure window's ground track (<= 1 point a minute)."""
        window = ExposureParams(**params.model_dump(exclude={"hours"}))
        entry = await _exposure_entry(window)
        full = entry.track
        t0 = full["t_unix_s"][0] if full["t_unix_s"] else 0.0
        limit = t0 + params.hours * 3600.0
        n = sum(1 for t in full["t_unix_s"] if t is not None and t <= limit)
        cut = {k: (v[:n] if isinstance(v, list) else v) for k, v in full.items()}
        return _json(cut | {"hours": params.hours})

    @app.get("/api/countries.geojson", tags=["geography"])
    async def countries(request: Request) -> Response:
        """Natural Earth 1:50m admin-0 borders, simplified for drawing (key: ``adm0_a3``)."""
        plain, gz = await run_in_threadpool(_geojson_bytes)
        return _bytes(request, plain, gz, media_type="application/geo+json")

    # -- jobs --------------------------------------------------------------------------------
    async def _submit(kind: JobKind, params: Any) -> Response:
        prepared = await run_in_threadpool(kind.prepare, params) if kind.prepare else params
        job, created = manager.submit(kind, prepared)
        return _json(
            job.to_json(include_result=job.status in ("succeeded",)),
            202 if job.status not in ("succeeded",) else 200,
            headers={"location": f"/api/jobs/{job.id}"},
        )

    @app.get("/api/jobs", tags=["jobs"])
    async def list_jobs() -> Response:
        """Kept jobs (without results), oldest first."""
        return _json({"jobs": [j.to_json(include_result=False) for j in manager.list()]})

    @app.get("/api/jobs/kinds", tags=["jobs"])
    async def list_kinds() -> Response:
        """Registered job kinds with the JSON schema of their parameters."""
        return _json(
            {
                "kinds": [
                    {
                        "name": k.name,
                        "summary": k.summary,
                        "isolation": k.isolation,
                        "params_schema": k.params.model_json_schema(),
                    }
                    for k in kinds.values()
                ]
            }
        )

    def _job_or_404(job_id: str) -> Job:
        job = manager.get(job_id)
        if job is None:
            raise UnknownObjectError(f"no job {job_id!r} (unknown, or expired)")
        return job

    @app.get("/api/jobs/{job_id}", tags=["jobs"])
    async def get_job(
        job_id: str,
        wait: Annotated[float, Query(ge=0, le=30, description="Seconds to wait for the end")] = 0,
    ) -> Response:
        """A job: status, progress, message, and when finished its result and extras."""
        job = _job_or_404(job_id)
        if wait > 0 and not job.done.is_set():
            await run_in_threadpool(job.done.wait, wait)
        return _json(job.to_json())

    @app.delete("/api/jobs/{job_id}", tags=["jobs"])
    async def cancel_job(job_id: str) -> Response:
        """Cancel a queued or running job; 409 when it had already finished."""
        job = _job_or_404(job_id)
        if job.done.is_set():
            return _json({"detail": f"job {job_id} already {job.status}"}, 409)
        manager.cancel(job_id)
        await run_in_threadpool(job.done.wait, 5.0)
        return _json(job.to_json(include_result=False))

    @app.get("/api/jobs/{job_id}/events", tags=["jobs"])
    async def job_events(job_id: str) -> StreamingResponse:
        """Server-sent events: one ``progress`` event per change, then ``end``."""
        job = _job_or_404(job_id)

        async def stream() -> AsyncIterator[bytes]:
            version = -1
            while True:
                doc = job.to_json(include_result=False)
                if job.version != version:
                    version = job.version
                    yield b"event: progress\ndata: " + dumps(doc) + b"\n\n"
                if job.done.is_set():
                    yield b"event: end\ndata: " + dumps(doc) + b"\n\n"
                    return
                await run_in_threadpool(manager.wait_change, job, version, 10.0)
                yield b": keep-alive\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream")

    for kind in kinds.values():
        _add_kind_routes(app, kind, _submit)

    @app.post("/api/jobs/{kind}", tags=["jobs"], include_in_schema=False)
    async def unknown_kind(kind: str) -> Response:
        """Any kind not registered: 404 naming those that are."""
        return _json(
            {"detail": f"no job kind {kind[:40]!r}; registered: {', '.join(sorted(kinds))}"}, 404
        )

    # -- pages -----------------------------------------------------------------------------
    static = static_dir()
    if (static / "index.html").is_file():
        app.mount("/static", StaticFiles(directory=static), name="static")

        @app.get("/", include_in_schema=False)
        async def index() -> FileResponse:
            return FileResponse(static / "index.html", media_type="text/html")

    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET", "POST"]
        )
    if allowed_hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.add_middleware(_Limits, max_body=MAX_BODY_BYTES, max_query=MAX_QUERY_BYTES)
    return app


@lru_cache(maxsize=1)
def _geojson_bytes() -> tuple[bytes, bytes]:
    """The borders encoded once, plain and gzip-compressed."""
    plain = countries_geojson_bytes()
    return plain, gzip.compress(plain, compresslevel=6)


def _add_kind_routes(
    app: FastAPI, kind: JobKind, submit: Callable[[JobKind, Any], Awaitable[Response]]
) -> None:
    """``POST /api/jobs/{kind}`` (JSON body) and ``GET /api/{kind}`` (query) for one kind."""
    model = kind.params

    async def post(params: Any) -> Response:
        return await submit(kind, params)

    async def get(params: Any) -> Response:
        return await submit(kind, params)

    # Real objects, not strings: FastAPI reads the parameter model from these annotations,
    # and under ``from __future__ import annotations`` a local name could not be resolved.
    post.__annotations__ = {"params": Annotated[model, Body()], "return": Response}
    get.__annotations__ = {"params": Annotated[model, Query()], "return": Response}

    app.add_api_route(
        f"/api/jobs/{kind.name}",
        post,
        methods=["POST"],
        tags=["jobs"],
        summary=f"Start a {kind.name} job: {kind.summary}",
        status_code=202,
        name=f"start_{kind.name}",
    )
    if kind.name != "exposure":  # GET /api/exposure answers at once (see above)
        app.add_api_route(
            f"/api/{kind.name}",
            get,
            methods=["GET"],
            tags=[kind.name],
            summary=f"{kind.summary} (starts or finds a job: 202 + the job)",
            status_code=202,
            name=f"get_{kind.name}",
        )


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    max_running_jobs: int = 1,
    log_level: str = "info",
) -> None:
    """Run the service with uvicorn until interrupted (``deorbit serve``).

    Binding anything but a loopback address exposes the API to the network; the ``Host``
    check then also accepts ``host`` itself.
    """
    import uvicorn

    allowed = list(LOOPBACK_HOSTS)
    if host not in ("127.0.0.1", "localhost", "::1"):
        allowed.append(host)
    app = create_app(max_running_jobs=max_running_jobs, allowed_hosts=allowed)
    uvicorn.run(app, host=host, port=port, log_level=log_level, limit_concurrency=512)
