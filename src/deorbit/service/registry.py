"""The registry of job kinds: what ``POST /api/jobs/{kind}`` and ``GET /api/{kind}`` can run.

A *kind* is one function plus the model of its parameters.  Adding an analysis to the service
(footprint, casualty risk, reboost or deorbit plans, the catalogue watch) is one call::

    register(JobKind(
        name="footprint",
        params=FootprintParams,          # a pydantic model: validation, limits, OpenAPI schema
        run=run_footprint,               # (params, progress) -> dict | JobResult
        summary="Where can it fall: re-entry footprint of a prediction",
    ))

and the app then serves ``POST /api/jobs/footprint`` (JSON body), ``GET /api/footprint?...``
(query string, same model) and lists the kind in ``GET /api/jobs/kinds``, which the dashboard
reads to decide what it can offer (it says "not computed yet" for kinds that are absent).

Rules for a kind
    * ``run`` and ``params`` are module-level (they are pickled by reference into a worker
      process when ``isolation="process"``).
    * Parameters never name files: an object is a name or catalogue number (use
      :data:`ObjectField`; ``prepare`` turns it into digits with
      :func:`deorbit.service.objects.to_catalogue_number`).
    * ``prepare`` (optional) runs at submission, in the server: it normalises the parameters
      and raises :class:`~deorbit.errors.InputError` / ``UnknownObjectError`` so a bad request
      gets its 400/404 at once instead of becoming a failed job.  Identical prepared parameters
      share one job (the answer of a finished one is reused while it is kept).
    * ``run`` reports progress with ``progress(fraction_or_None, message)``; in a thread that
      call raises :class:`JobCancelled` once the job is cancelled, so long loops should call it.
      Return the CLI's JSON as the result, anything only the browser needs in ``extras``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from deorbit.errors import InputError

__all__ = [
    "MAX_SAMPLES",
    "REGISTRY",
    "ExposureParams",
    "JobCancelled",
    "JobKind",
    "JobResult",
    "ObjectField",
    "PredictParams",
    "Progress",
    "RiskParams",
    "WatchParams",
    "bind_store",
    "get_kind",
    "register",
]

_P = TypeVar("_P", bound=BaseModel)

#: Most Monte Carlo samples one service request may ask for (the CLI allows 100,000).
MAX_SAMPLES = 5000
#: Most ground-track points one exposure request may propagate (366 days at 30 s).
MAX_TRACK_POINTS = 1_100_000

ObjectField = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="An object name (ISS, TIANHE) or NORAD catalogue number; never a path.",
        examples=["ISS", "25544"],
    ),
]


class JobCancelled(Exception):
    """Raised by ``progress`` inside a thread job once the job has been cancelled."""


class Progress(Protocol):
    """How a job reports progress: a fraction in [0, 1] (or None: unknown) and a message."""

    def __call__(self, fraction: float | None, message: str) -> None: ...


@dataclass(frozen=True)
class JobResult:
    """What a job returns: the CLI-schema ``result`` and browser-only ``extras``."""

    result: dict[str, Any]
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobKind:
    """One kind of job (see the module docstring)."""

    name: str
    params: type[BaseModel]
    run: Callable[[Any, Progress], dict[str, Any] | JobResult]
    summary: str
    #: "process": a worker process per job (true cancellation, no GIL contention with the
    #: server); "thread": in the server process (fast jobs, shared caches).
    isolation: Literal["process", "thread"] = "process"
    prepare: Callable[[Any], Any] | None = None
    #: A job still running after this long is stopped and marked failed.
    timeout_s: float = 1800.0
    #: True: ``run`` and ``prepare`` take a keyword ``store_path``, the element store the app
    #: was created with (never a request parameter).  :func:`bind_store` fills it in.
    binds_store: bool = False


def bind_store(kind: JobKind, store_path: Path) -> JobKind:
    """``kind`` with ``store_path`` bound into ``run`` and ``prepare`` (if it asks for it).

    :class:`functools.partial` of module-level functions pickles by reference, so a bound
    kind still runs in a worker process.
    """
    if not kind.binds_store:
        return kind
    return replace(
        kind,
        run=partial(kind.run, store_path=store_path),
        prepare=partial(kind.prepare, store_path=store_path) if kind.prepare else None,
    )


REGISTRY: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    """Add ``kind`` to the default registry (replacing one of the same name)."""
    if not kind.name.replace("-", "").isalnum():
        raise ValueError(f"job kind names are letters, digits and '-': {kind.name!r}")
    REGISTRY[kind.name] = kind
    return kind


def get_kind(name: str, registry: dict[str, JobKind] | None = None) -> JobKind:
    """The kind called ``name`` or a KeyError."""
    return (REGISTRY if registry is None else registry)[name]


# -- exposure --------------------------------------------------------------------------------
class ExposureParams(BaseModel):
    """Parameters of ``deorbit exposure`` that the service accepts (same names, same limits)."""

    model_config = ConfigDict(extra="forbid")

    object: ObjectField = "ISS"
    start: str | None = Field(
        None,
        max_length=40,
        description="Window start: ISO 8601 UTC, 'epoch' (default) or 'now' (floored to the minute).",
    )
    days: float = Field(30.0, gt=0, le=366, description="Window length in days.")
    step: float = Field(30.0, ge=1, le=3600, description="Ground-track step in seconds.")


def check_exposure(params: ExposureParams) -> ExposureParams:
    """Normalise OBJECT to digits and bound the work one request may ask for."""
    from deorbit.service.objects import to_catalogue_number

    points = params.days * 86400.0 / params.step
    if points > MAX_TRACK_POINTS:
        raise InputError(
            f"days/step asks for {points:,.0f} track points; the service computes at most "
            f"{MAX_TRACK_POINTS:,} (raise step, or use the CLI)",
            field="step",
        )
    return params.model_copy(update={"object": str(to_catalogue_number(params.object))})


def window_start(text: str | None) -> datetime | str | None:
    """The window start run_exposure gets: None/'epoch' as is, 'now' floored to the minute
    (so requests within a minute share one cached answer), otherwise the parsed time."""
    from deorbit.jobs import parse_time

    if text is None or text.strip().lower() in ("", "epoch"):
        return None
    if text.strip().lower() == "now":
        return datetime.now(UTC).replace(second=0, microsecond=0)
    return parse_time(text, "start")


def run_exposure_job(params: ExposureParams, progress: Progress) -> JobResult:
    """The exposure job (through the service's cache: identical windows are computed once)."""
    from deorbit.service.exposure import EXPOSURE_CACHE

    progress(0.1, "computing exposure")
    entry = EXPOSURE_CACHE.get(params)
    progress(1.0, "done")
    return JobResult(result=entry.result, extras={"track": entry.track})


# -- predict ---------------------------------------------------------------------------------
class PredictParams(BaseModel):
    """Parameters of ``deorbit predict`` that the service accepts (CLI names, underscores)."""

    model_config = ConfigDict(extra="forbid")

    object: ObjectField = "ISS"
    samples: int = Field(
        200, ge=1, le=MAX_SAMPLES, description=f"Monte Carlo samples (1..{MAX_SAMPLES})."
    )
    seed: int = Field(1, ge=0, le=2**32 - 1, description="Random seed (same seed, same answer).")
    as_of: str | None = Field(None, max_length=40, description="Predict as of (ISO 8601 UTC).")
    space_weather: Literal["asof", "observed"] = "asof"
    f107: float | None = Field(None, ge=30, le=500)
    ap: float | None = Field(None, ge=0, le=400)
    bc_m2_per_kg: float | None = Field(None, ge=1e-5, le=1.0)
    mass_kg: float | None = Field(None, ge=1e-3, le=1e7)
    area_m2: float | None = Field(None, ge=1e-5, le=1e5)
    cd: float | None = Field(None, ge=0.5, le=5.0)
    density_model: Literal["msis21", "msis00"] = "msis21"
    stop_alt_km: float = Field(80.0, ge=10, le=150)
    no_reboost: bool = False


def predict_options(params: PredictParams):
    """The :class:`deorbit.predict.PredictOptions` of these parameters (checked)."""
    from deorbit.jobs import parse_time
    from deorbit.predict import PredictOptions

    for name in ("f107", "ap", "bc_m2_per_kg", "mass_kg", "area_m2", "cd"):
        value = getattr(params, name)
        if value is not None and not math.isfinite(value):
            raise InputError(f"{name} must be a finite number", field=name)
    options = PredictOptions(
        as_of_utc=parse_time(params.as_of, "as_of") if params.as_of else None,
        samples=params.samples,
        seed=params.seed,
        space_weather=params.space_weather,
        f107_sfu=params.f107,
        ap=params.ap,
        bc_m2_per_kg=params.bc_m2_per_kg,
        mass_kg=params.mass_kg,
        area_m2=params.area_m2,
        cd=params.cd,
        density_model=params.density_model,
        stop_alt_km=params.stop_alt_km,
        no_reboost=params.no_reboost,
    )
    options.check()
    return options


def known_object(params: _P) -> _P:
    """``params`` with OBJECT as catalogue-number digits, after checking the object is known.

    Raises UnknownObjectError (404) at submission rather than as a failed job later.
    """
    from deorbit.jobs import resolve
    from deorbit.service.objects import to_catalogue_number

    number = str(to_catalogue_number(params.object))
    resolve(number)
    return params.model_copy(update={"object": number})


def check_predict(params: PredictParams) -> PredictParams:
    """Normalise OBJECT to digits, check the options, and check the object is known."""
    predict_options(params)
    return known_object(params)


def run_predict_job(params: PredictParams, progress: Progress) -> JobResult:
    """The predict job: the CLI's JSON as the result, the decay curve as an extra."""
    from deorbit.jobs import resolve
    from deorbit.predict import prediction_json, run_prediction
    from deorbit.service.views import decay_curve

    progress(0.02, "resolving the object")
    options = predict_options(params)
    obj = resolve(params.object)
    progress(0.05, f"propagating {params.samples} samples")
    prediction = run_prediction(obj, options)
    progress(0.95, "summarising")
    return JobResult(
        result=prediction_json(prediction), extras={"decay_curve": decay_curve(prediction)}
    )


register(
    JobKind(
        name="exposure",
        params=ExposureParams,
        run=run_exposure_job,
        summary="Share of time over each country and the ocean, and the people under the track",
        isolation="thread",
        prepare=check_exposure,
        timeout_s=300.0,
    )
)
register(
    JobKind(
        name="predict",
        params=PredictParams,
        run=run_predict_job,
        summary="When will it come down? A Monte Carlo re-entry window",
        isolation="process",
        prepare=check_predict,
        timeout_s=1800.0,
    )
)


# -- risk ------------------------------------------------------------------------------------
class RiskParams(BaseModel):
    """Parameters of ``deorbit risk`` that the service accepts (no fragment files: no paths)."""

    model_config = ConfigDict(extra="forbid")

    object: ObjectField = "ISS"
    mode: Literal["long-run", "window", "prediction"] = "long-run"
    window_start: str | None = Field(None, max_length=40, description="ISO 8601 UTC")
    window_end: str | None = Field(None, max_length=40, description="ISO 8601 UTC")
    samples: int = Field(
        1000, ge=1, le=MAX_SAMPLES, description=f"Re-entry samples (1..{MAX_SAMPLES})."
    )
    seed: int = Field(1, ge=0, le=2**32 - 1)
    casualty_area_m2: float | None = Field(None, gt=0.36, le=1e5)
    mass_kg: float | None = Field(None, gt=0, le=1e7)
    no_reboost: bool = False


def risk_options(params: RiskParams):
    """The :class:`deorbit.risk.RiskOptions` of these parameters (checked)."""
    from deorbit.jobs import parse_time
    from deorbit.risk import RiskOptions

    options = RiskOptions(
        mode=params.mode,
        window_start_utc=parse_time(params.window_start, "window_start")
        if params.window_start
        else None,
        window_end_utc=parse_time(params.window_end, "window_end") if params.window_end else None,
        samples=params.samples,
        seed=params.seed,
        casualty_area_m2=params.casualty_area_m2,
        mass_kg=params.mass_kg,
        no_reboost=params.no_reboost,
    )
    options.check()
    return options


def check_risk(params: RiskParams) -> RiskParams:
    """Normalise OBJECT to digits, check the options and that the object is known."""
    risk_options(params)
    return known_object(params)


def run_risk_job(params: RiskParams, progress: Progress) -> JobResult:
    """The risk job: the CLI's JSON (``deorbit risk --json``) as the result."""
    from deorbit.jobs import resolve
    from deorbit.risk import risk_json, run_risk

    progress(0.02, "resolving the object")
    options = risk_options(params)
    obj = resolve(params.object)
    progress(0.05, f"footprint of {params.samples} samples")
    run = run_risk(obj, options)
    progress(0.95, "summarising")
    return JobResult(result=risk_json(run, top=60), extras={})


register(
    JobKind(
        name="risk",
        params=RiskParams,
        run=run_risk_job,
        summary="Where can it fall, and who could be hurt: impact probability and E_c",
        isolation="process",
        prepare=check_risk,
        timeout_s=1800.0,
    )
)


# -- reboost and deorbit-plan ----------------------------------------------------------------
class ReboostParams(BaseModel):
    """Parameters of ``deorbit reboost`` that the service accepts."""

    model_config = ConfigDict(extra="forbid")

    object: ObjectField = "ISS"
    band_low_km: float = Field(412.0, ge=150, le=2000)
    band_high_km: float = Field(418.0, ge=150, le=2000)
    years: float = Field(1.0, gt=0, le=10)
    vehicle: Literal["progress-ms", "zvezda", "cygnus", "dragon-boost-trunk", "usdv"] = (
        "progress-ms"
    )
    space_weather: Literal["asof", "observed"] = "observed"
    finite_burns: bool = False


def check_reboost(params: ReboostParams) -> ReboostParams:
    if params.band_low_km >= params.band_high_km:
        raise InputError("band_low_km must be below band_high_km", field="band_low_km")
    return known_object(params)


def run_reboost_job(params: ReboostParams, progress: Progress) -> JobResult:
    """The reboost job: ``deorbit reboost --json`` as the result."""
    from deorbit.elements import check_in_orbit
    from deorbit.jobs import nominal_density, resolve, station_properties
    from deorbit.reboost import plan_reboosts, reboost_json
    from deorbit.vehicles import get_vehicle

    obj = resolve(params.object)
    es = check_in_orbit(obj.latest)
    mass, bc = station_properties(obj, None, None, None, None)
    progress(0.1, "simulating decay and reboosts")
    plan = plan_reboosts(
        es,
        band_low_km=params.band_low_km,
        band_high_km=params.band_high_km,
        years=params.years,
        vehicle=get_vehicle(params.vehicle),
        density=nominal_density(es, None, params.space_weather, params.years * 365.25),
        bc_m2_per_kg=bc,
        mass_kg=mass,
        finite_burns=params.finite_burns,
    )
    return JobResult(result=reboost_json(plan), extras={})


class DeorbitPlanParams(BaseModel):
    """Parameters of ``deorbit deorbit-plan`` (target: the bundled SPOUA zone only; no files)."""

    model_config = ConfigDict(extra="forbid")

    object: ObjectField = "ISS"
    vehicle: Literal["progress-ms", "zvezda", "cygnus", "dragon-boost-trunk", "usdv"] = "usdv"
    samples: int = Field(50, ge=1, le=500)
    seed: int = Field(1, ge=0, le=2**32 - 1)
    decay_to_km: float | None = Field(
        None, ge=150, le=2000, description="Let drag lower the orbit to this altitude first."
    )


def check_deorbit_plan(params: DeorbitPlanParams) -> DeorbitPlanParams:
    return known_object(params)


def run_deorbit_plan_job(params: DeorbitPlanParams, progress: Progress) -> JobResult:
    """The controlled-deorbit job: ``deorbit deorbit-plan --json`` as the result."""
    from deorbit.deorbit_plan import (
        after_natural_decay,
        deorbit_plan_json,
        load_zone,
        plan_deorbit,
        require_enough_propellant,
    )
    from deorbit.elements import check_in_orbit
    from deorbit.jobs import nominal_density, resolve, station_properties
    from deorbit.vehicles import get_vehicle

    obj = resolve(params.object)
    es = check_in_orbit(obj.latest)
    mass, bc = station_properties(obj, None, None, None, None)
    density = nominal_density(es, None, "asof", 30.0)
    if params.decay_to_km is not None:
        es = after_natural_decay(es, params.decay_to_km)
    progress(0.1, "searching the final-burn time")
    plan = plan_deorbit(
        es,
        vehicle=get_vehicle(params.vehicle),
        density=density,
        mass_kg=mass,
        bc_m2_per_kg=bc,
        zone=load_zone(None),
        samples=params.samples,
        seed=params.seed,
    )
    require_enough_propellant(plan)
    return JobResult(result=deorbit_plan_json(plan), extras={})


register(
    JobKind(
        name="reboost",
        params=ReboostParams,
        run=run_reboost_job,
        summary="Station-keeping budget: reboosts, delta-v and propellant per year",
        isolation="process",
        prepare=check_reboost,
        timeout_s=900.0,
    )
)
register(
    JobKind(
        name="deorbit-plan",
        params=DeorbitPlanParams,
        run=run_deorbit_plan_job,
        summary="Controlled deorbit into the South Pacific Ocean Uninhabited Area",
        isolation="process",
        prepare=check_deorbit_plan,
        timeout_s=900.0,
    )
)


# -- watch -----------------------------------------------------------------------------------
#: Most Monte Carlo samples per candidate one watch request may ask for (the CLI allows 100k;
#: the watch runs one Monte Carlo per candidate, so this bounds samples x candidates).
MAX_WATCH_SAMPLES = 1000


class WatchParams(BaseModel):
    """Parameters of ``deorbit watch`` that the service accepts.

    There is deliberately no ``db``: the element store is the server's, fixed when the app is
    created (:func:`deorbit.service.app.create_app` ``store_path``), and bound to the kind there
    (see :attr:`JobKind.binds_store`).  No Dask options either: the job runs in-process
    (``workers=0``) inside its own worker process.
    """

    model_config = ConfigDict(extra="forbid")

    as_of: str | None = Field(
        None,
        max_length=40,
        description="Replay as of this ISO 8601 UTC time (sets with later epochs are unseen); "
        "default: now.",
        examples=["2021-03-10T00:00Z"],
    )
    days: float = Field(
        30.0, gt=0, le=365, description="Horizon: re-entries within this many days."
    )
    samples: int = Field(
        50,
        ge=1,
        le=MAX_WATCH_SAMPLES,
        description=f"Monte Carlo samples per candidate (1..{MAX_WATCH_SAMPLES}).",
    )
    seed: int = Field(1, ge=0, le=2**32 - 1, description="Random seed (same seed, same answer).")
    engine: Literal["auto", "predict", "screen"] = "auto"


def existing_store(store_path: Path) -> Path:
    """``store_path`` if the element store file exists, else an InputError telling what to do.

    The service reads the store; it never creates one (opening a missing path with
    :class:`~deorbit.store.ElementStore` would create an empty database).
    """
    if not store_path.is_file():
        raise InputError(
            f"no element store at {store_path}; run `deorbit ingest` (or `deorbit fetch`) "
            "first, then restart the server if it was started with another store",
            field="store",
        )
    return store_path


def watch_as_of(params: WatchParams) -> datetime | None:
    """The parsed ``as_of`` (None: now).  Raises InputError naming ``as_of``."""
    from deorbit.jobs import parse_time

    return parse_time(params.as_of, "as_of") if params.as_of else None


def check_watch(params: WatchParams, *, store_path: Path) -> WatchParams:
    """At submission: the store must exist and ``as_of`` must parse (400 otherwise)."""
    existing_store(store_path)
    watch_as_of(params)
    return params


def run_watch_job(params: WatchParams, progress: Progress, *, store_path: Path) -> JobResult:
    """The catalogue watch: ``deorbit watch --json`` over the server's store.

    Runs without Dask (``workers=0``) in the job's worker process and records nothing: the
    service only reads the store (``record=False``; the CLI's ``deorbit watch`` stores its
    predictions).  Progress: screening is the first 20 %, the Monte Carlo the rest.
    """
    from deorbit.catalogue.watch import watch
    from deorbit.store import ElementStore

    as_of = watch_as_of(params)
    path = existing_store(store_path)
    span = {"screen": (0.02, 0.2), "monte-carlo": (0.2, 0.98)}

    def report(stage: str, done: int, total: int) -> None:
        lo, hi = span.get(stage, (0.0, 1.0))
        fraction = lo + (hi - lo) * (done / total if total else 1.0)
        progress(fraction, f"{stage}: {done} of {total} tasks")

    progress(0.01, "reading the element store")
    with ElementStore(path) as store:
        result = watch(
            store,
            as_of_utc=as_of,
            days=params.days,
            workers=0,
            samples=params.samples,
            seed=params.seed,
            engine=params.engine,
            record=False,
            progress=report,
        )
    progress(1.0, "ranked")
    return JobResult(result=result.to_json(), extras={})


register(
    JobKind(
        name="watch",
        params=WatchParams,
        run=run_watch_job,
        summary="Catalogue watchlist: objects of the local store that may re-enter soon, ranked",
        isolation="process",
        prepare=check_watch,
        timeout_s=1800.0,
        binds_store=True,
    )
)
