"""Re-entry prediction from an element history: the ``deorbit predict`` pipeline.

From what was known at the prediction time T (the as-of time, by default the last element
epoch), deorbit predicts when the object re-enters, with a Monte Carlo window:

1. **Elements.**  Only sets with epoch <= T are used; the last one starts the prediction.
2. **Ballistic coefficient.**  Fitted to the decay of the mean semi-major axis over the last
   manoeuvre-free arc, through the same drag model that predicts (:mod:`deorbit.bcfit`); for a
   single set (or no usable arc), from the decay rate the set states (its ndot field) through
   the same model, with a wide prior, and from B* only when no set gives a decay rate; from
   published mass, area and Cd for objects that have them and whose history cannot give a
   drag-only arc (the ISS, :mod:`deorbit.spacecraft`); or from the user (``--bc-m2-per-kg`` or ``--mass-kg/--area-m2/--cd``).
3. **Space weather** as known at T (:mod:`deorbit.spaceweather`: observations before T, then
   the forecast or persistence), or observed throughout for hindcasts, or constant overrides.
4. **Density**: NRLMSIS 2.1 (default) or NRLMSISE-00, through the fast tabulated provider
   (:mod:`deorbit.density`).
5. **Monte Carlo** over the ballistic coefficient (lognormal with the estimate's spread), the
   density model's error (lognormal per sample; only when the BC is not fitted through the
   same model, since a fitted BC already carries it) and the solar/geomagnetic forecast error
   (per sample, growing with lead time), all drawn from one seeded generator: the same seed
   gives the same answer.  Each sample is propagated to the stop altitude
   (:func:`deorbit.reentry.predict_reentry`).
6. **Answer**: the median, 5% and 95% re-entry epochs, every sample's re-entry point and final
   track (kept for the risk computation), and the assumptions used, each with its source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import numpy as np

from deorbit.elements import ElementSet, check_in_orbit, format_utc
from deorbit.errors import InputError
from deorbit.objects import ResolvedObject
from deorbit.reentry import ReentryResult, predict_reentry
from deorbit.spacecraft import known_spacecraft

__all__ = ["Prediction", "PredictOptions", "apply_as_of", "run_prediction"]

SpaceWeatherMode = Literal["asof", "observed"]
#: Monte Carlo runs of at least this many samples are split into SPLIT_CHUNKS fixed batches,
#: which ``workers`` processes share (the split, not the worker count, fixes the answer).
SPLIT_MIN_SAMPLES = 200
SPLIT_CHUNKS = 2
#: Cd used to turn --mass-kg/--area-m2 into a BC when --cd is not given.
DEFAULT_CD = 2.2


@dataclass(frozen=True)
class PredictOptions:
    """Everything ``deorbit predict`` lets a user choose."""

    as_of_utc: datetime | None = None
    samples: int = 200
    seed: int = 1
    space_weather: SpaceWeatherMode = "asof"
    f107_sfu: float | None = None
    ap: float | None = None
    bc_m2_per_kg: float | None = None
    mass_kg: float | None = None
    area_m2: float | None = None
    cd: float | None = None
    density_model: Literal["msis21", "msis00"] = "msis21"
    stop_alt_km: float = 80.0
    no_reboost: bool = False
    max_days: float = 3650.0
    #: Processes for the Monte Carlo (1: all samples in this process, as one batch).
    #: Processes for the Monte Carlo (large runs are split in two fixed halves).
    workers: int = 2

    def check(self) -> None:
        """Reject impossible values with the option's name."""
        if not 1 <= self.samples <= 100_000:
            raise InputError(f"--samples must be 1..100000, got {self.samples}", field="--samples")
        for name, value, lo, hi in (
            ("--f107", self.f107_sfu, 30.0, 500.0),
            ("--ap", self.ap, 0.0, 400.0),
            ("--bc-m2-per-kg", self.bc_m2_per_kg, 1e-5, 1.0),
            ("--mass-kg", self.mass_kg, 1e-3, 1e7),
            ("--area-m2", self.area_m2, 1e-5, 1e5),
            ("--cd", self.cd, 0.5, 5.0),
            ("--stop-alt-km", self.stop_alt_km, 10.0, 150.0),
            ("--workers", self.workers, 1, 64),
        ):
            if value is not None and not (math.isfinite(value) and lo <= value <= hi):
                raise InputError(
                    f"{name} must be between {lo:g} and {hi:g}, got {value:g}", field=name
                )
        if (self.mass_kg is None) != (self.area_m2 is None):
            raise InputError("--mass-kg and --area-m2 go together", field="--mass-kg")
        if self.bc_m2_per_kg is not None and self.mass_kg is not None:
            raise InputError("give either --bc-m2-per-kg or --mass-kg/--area-m2, not both")


@dataclass(frozen=True)
class Prediction:
    """A finished prediction: inputs, assumptions, and the Monte Carlo result."""

    obj: ResolvedObject
    history: list[ElementSet]
    start: ElementSet
    as_of_utc: datetime
    bc_m2_per_kg: float
    bc_sigma_ln: float
    bc_method: str
    result: ReentryResult
    nominal: ReentryResult
    assumptions: list[dict[str, str]]
    warnings: list[str] = field(default_factory=list)

    def quantiles_utc(self, q: tuple[float, ...] = (0.05, 0.5, 0.95)) -> list[datetime | None]:
        """Quantiles of the re-entry epoch over the samples that re-entered."""
        ok = self.result.reentered
        if not ok.any():
            return [None for _ in q]
        t = self.result.epoch_utc[ok].astype("datetime64[ns]").astype(np.int64)
        values = np.quantile(t.astype(np.float64), q)
        return [_dt(int(v)) for v in values]


#: BC methods fitted through the prediction's own density model (:mod:`deorbit.bcfit`).
MODEL_CONSISTENT_BC = frozenset({"arc-fit", "ndot"})


def _dt(ns: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=ns // 1000)


def apply_as_of(history: list[ElementSet], as_of_utc: datetime | None) -> list[ElementSet]:
    """The sets known at ``as_of_utc`` (all of them when None)."""
    if as_of_utc is None:
        return list(history)
    kept = [es for es in history if es.epoch_utc <= as_of_utc]
    if not kept:
        raise InputError(
            f"--as-of {format_utc(as_of_utc)} is before the first element set "
            f"({format_utc(history[0].epoch_utc)})",
            field="--as-of",
        )
    return kept


@dataclass(frozen=True)
class DensitySetup:
    """The density providers of one prediction, and what they assume."""

    #: Per-sample provider: forecast errors applied after the as-of day (when there is one).
    provider: Any
    #: The unperturbed provider (nominal run, ballistic-coefficient fit).
    nominal_provider: Any
    #: 1-sigma of the per-sample lognormal density-model error.
    model_sigma_ln: float
    assumptions: list[dict[str, str]]
    warnings: list[str]


def build_density(
    *,
    version: float,
    as_of_utc: datetime,
    mode: SpaceWeatherMode,
    f107_sfu: float | None,
    ap: float | None,
    first_utc: datetime,
    last_utc: datetime,
    samples: int,
    rng: np.random.Generator,
) -> DensitySetup:
    """Space weather as known at ``as_of_utc`` (or constants) behind the fast MSIS provider."""
    from deorbit.density import (
        ConstantIndices,
        SolarForecastError,
        SpaceWeatherIndices,
        ZonalMeanDensity,
    )

    model = "NRLMSISE-00" if version == 0.0 else "NRLMSIS 2.1"
    assumptions = [
        {
            "quantity": "atmosphere",
            "value": f"{model}, zonal and local-time mean (fast table)",
            "source": "pymsis; tables in deorbit/data/atmosphere, rms < 0.5 % vs direct calls "
            "(docs/validation.md)",
        }
    ]
    warnings: list[str] = []
    if f107_sfu is not None or ap is not None:
        if f107_sfu is None or ap is None:
            raise InputError("--f107 and --ap go together", field="--f107")
        base = ConstantIndices(f107_sfu, f107_sfu, ap, as_of_utc=as_of_utc)
        assumptions.append(
            {
                "quantity": "space weather",
                "value": f"constant F10.7 = F10.7A = {f107_sfu:g} sfu, Ap = {ap:g}",
                "source": "--f107 and --ap",
            }
        )
        perturbed = base
    else:
        from deorbit.spaceweather import load_space_weather

        sw = load_space_weather()
        base = SpaceWeatherIndices(sw, as_of_utc, mode, first_utc=first_utc, last_utc=last_utc)
        warnings.extend(base.warnings)
        rule = (
            "observed indices before the as-of time, then the file's forecast, or persistence "
            "(81-day mean F10.7, 27-day mean Ap) when the as-of time precedes the record's end"
            if mode == "asof"
            else "hindcast: the record as it stands (observed, then its forecast)"
        )
        assumptions.append(
            {
                "quantity": "space weather",
                "value": f"CelesTrak SW-All.csv, observed to {sw.last_observed_date}",
                "source": rule,
            }
        )
        if samples > 1:
            error = SolarForecastError()
            perturbed = base.perturbed(error.draw(rng, samples))
            assumptions.append(
                {
                    "quantity": "solar/geomagnetic forecast error",
                    "value": "lognormal per sample, growing with lead time",
                    "source": "deorbit.density.SolarForecastError (Lean et al. 2009; measured "
                    "persistence skill on SW-All.csv)",
                }
            )
        else:
            perturbed = base
    sigma_density = 0.15
    if samples > 1:
        assumptions.append(
            {
                "quantity": "density-model error",
                "value": f"lognormal per sample, sigma(ln rho) = {sigma_density:g}",
                "source": "NRLMSIS vs measured densities, ~15 % 1-sigma (Emmert 2015; "
                "Bowman et al. 2008)",
            }
        )
    return DensitySetup(
        provider=ZonalMeanDensity(perturbed, model_version=version),
        nominal_provider=ZonalMeanDensity(base, model_version=version),
        model_sigma_ln=sigma_density,
        assumptions=assumptions,
        warnings=warnings,
    )


def run_prediction(obj: ResolvedObject, options: PredictOptions) -> Prediction:
    """Run the whole pipeline for a resolved object (see the module docstring)."""
    from deorbit.density import density_model_error

    options.check()
    history = apply_as_of(obj.history, options.as_of_utc)
    start = check_in_orbit(history[-1])
    as_of = options.as_of_utc or start.epoch_utc
    warnings = list(obj.warnings)
    assumptions: list[dict[str, str]] = []

    craft = known_spacecraft(start.norad_id)
    if craft is not None and craft.maintained and not options.no_reboost:
        warnings.append(
            f"{craft.name} is kept up by reboosts; this prediction assumes they stop at "
            f"{format_utc(start.epoch_utc)} (pass --no-reboost to say so)"
        )

    # Independent, seeded streams: ballistic coefficient, density-model error, forecast error.
    rng_bc, rng_rho, rng_sw = (
        np.random.default_rng(s) for s in np.random.SeedSequence(options.seed).spawn(3)
    )
    n = options.samples
    density = build_density(
        version=0.0 if options.density_model == "msis00" else 2.1,
        as_of_utc=as_of,
        mode=options.space_weather,
        f107_sfu=options.f107_sfu,
        ap=options.ap,
        first_utc=min(history[0].epoch_utc, as_of) - timedelta(days=2),
        last_utc=start.epoch_utc + timedelta(days=options.max_days + 2),
        samples=n,
        rng=rng_sw,
    )
    bc, sigma_ln, bc_method = _ballistic_coefficient(
        history, start, as_of, options, density.nominal_provider, assumptions, warnings
    )
    # A BC fitted through this density model (arc fit or the sets' decay rate) already holds
    # the model's persistent error at the object's height, and its sigma_ln holds how that
    # changes from one arc to the next (measured with the same model, docs/notes/bcfit.md);
    # drawing the density error again would count it twice.
    sigma_rho = 0.0 if bc_method in MODEL_CONSISTENT_BC else density.model_sigma_ln
    for item in density.assumptions:
        if item["quantity"] == "density-model error" and sigma_rho == 0.0:
            item["value"] = "in the ballistic coefficient's spread (no separate draw)"
            item["source"] = (
                f"the BC ({bc_method}) is fitted through this density model, so the model's "
                "persistent error is in the BC and its change between arcs is in sigma_ln "
                "(docs/notes/bcfit.md)"
            )
    assumptions.extend(density.assumptions)
    warnings.extend(density.warnings)
    if n > 1:
        bc_samples = bc * np.exp(sigma_ln * rng_bc.standard_normal(n))
        density_scale = density_model_error(rng_rho, n, sigma_rho)
    else:
        bc_samples, density_scale = np.array([bc]), np.ones(1)

    n_chunks = SPLIT_CHUNKS if n >= SPLIT_MIN_SAMPLES else 1
    result = predict_reentry(
        start,
        None,
        bc_samples,
        density.provider,
        density_scale=density_scale,
        stop_alt_km=options.stop_alt_km,
        max_days=options.max_days,
        # A fixed split (independent of the worker count) keeps the answer identical whatever
        # --workers is: each half always runs as one batch, in this process or another.
        workers=options.workers if n_chunks > 1 else None,
        chunk_size=-(-n // n_chunks),
    )
    nominal = (
        result
        if n == 1
        else predict_reentry(
            start,
            None,
            np.array([bc]),
            density.nominal_provider,
            stop_alt_km=options.stop_alt_km,
            max_days=options.max_days,
        )
    )
    missing = int(np.count_nonzero(~result.reentered))
    if missing:
        warnings.append(
            f"{missing} of {n} samples were still in orbit after {options.max_days:g} days "
            "(the window's upper end is then a lower bound)"
        )
    return Prediction(
        obj=obj,
        history=history,
        start=start,
        as_of_utc=as_of,
        bc_m2_per_kg=bc,
        bc_sigma_ln=sigma_ln,
        bc_method=bc_method,
        result=result,
        nominal=nominal,
        assumptions=assumptions,
        warnings=warnings,
    )


def _ballistic_coefficient(
    history: list[ElementSet],
    start: ElementSet,
    as_of: datetime,
    options: PredictOptions,
    density: Any,
    assumptions: list[dict[str, str]],
    warnings: list[str],
) -> tuple[float, float, str]:
    """(BC, sigma of ln BC, method) by the precedence in the module docstring."""
    if options.bc_m2_per_kg is not None:
        assumptions.append(
            {
                "quantity": "ballistic coefficient",
                "value": f"{options.bc_m2_per_kg:g} m^2/kg",
                "source": "given with --bc-m2-per-kg",
            }
        )
        return options.bc_m2_per_kg, 0.0, "given"
    if options.mass_kg is not None and options.area_m2 is not None:
        cd = options.cd or DEFAULT_CD
        bc = cd * options.area_m2 / options.mass_kg
        assumptions += [
            {"quantity": "mass", "value": f"{options.mass_kg:g} kg", "source": "--mass-kg"},
            {"quantity": "drag area", "value": f"{options.area_m2:g} m^2", "source": "--area-m2"},
            {
                "quantity": "drag coefficient",
                "value": f"{cd:g}",
                "source": "--cd" if options.cd else f"default Cd {DEFAULT_CD} (Vallado 2013)",
            },
        ]
        return bc, 0.0, "given mass, area and Cd"
    craft = known_spacecraft(start.norad_id)
    if craft is not None and craft.maintained:
        cd = options.cd or craft.cd
        bc = cd * craft.area_m2 / craft.mass_kg
        assumptions += [
            {"quantity": "mass", "value": f"{craft.mass_kg:,.0f} kg", "source": craft.mass_source},
            {
                "quantity": "drag area",
                "value": f"{craft.area_m2:,.0f} m^2",
                "source": craft.area_source,
            },
            {
                "quantity": "drag coefficient",
                "value": f"{cd:g}",
                "source": "--cd" if options.cd else craft.cd_source,
            },
            {
                "quantity": "ballistic coefficient spread",
                "value": f"lognormal, sigma(ln BC) = {craft.bc_sigma_ln:g}",
                "source": craft.bc_sigma_source,
            },
        ]
        from deorbit.bcfit import bc_from_decay_rate

        # What the set itself says: its decay rate through the same density model.  Reported
        # beside the published figures, not used (a maintained object's recent arcs are short
        # and its attitude and configuration change; docs/notes/iss-arcs.md).
        bc_ndot = bc_from_decay_rate(start, density)
        if math.isfinite(bc_ndot) and bc_ndot > 0:
            assumptions.append(
                {
                    "quantity": "ballistic coefficient cross-check",
                    "value": f"{bc_ndot:.3g} m^2/kg from the element set's decay rate (ndot), "
                    f"{bc_ndot / bc:.2f} x the published-figure {bc:.3g} m^2/kg",
                    "source": "deorbit.bcfit.bc_from_decay_rate through this density model; "
                    "not used for the prediction",
                }
            )
        return bc, craft.bc_sigma_ln, "published mass, area and Cd"
    from deorbit.bcfit import fit_ballistic_coefficient

    est = fit_ballistic_coefficient(history, density, as_of_utc=as_of)
    warnings.extend(est.warnings)
    assumptions.append(
        {
            "quantity": "ballistic coefficient",
            "value": f"{est.bc_m2_per_kg:.5g} m^2/kg (sigma ln {est.sigma_ln:.2f})",
            "source": est.method,
        }
    )
    return est.bc_m2_per_kg, est.sigma_ln, est.method


def prediction_json(p: Prediction) -> dict[str, Any]:
    """The JSON answer of ``deorbit predict``."""
    from deorbit.jobs import object_summary

    p05, p50, p95 = p.quantiles_utc()
    r = p.result
    ok = r.reentered
    nominal_epoch = p.nominal.epoch_utc[0]
    return {
        "object": object_summary(p.obj)
        | {"prediction_start_epoch_utc": format_utc(p.start.epoch_utc)},
        "as_of_utc": format_utc(p.as_of_utc),
        "last_element_epoch_utc": format_utc(p.start.epoch_utc),
        "element_sets_used": len(p.history),
        "ballistic_coefficient_m2_per_kg": p.bc_m2_per_kg,
        "ballistic_coefficient_sigma_ln": p.bc_sigma_ln,
        "ballistic_coefficient_method": p.bc_method,
        "reentry": {
            "median_utc": format_utc(p50) if p50 else None,
            "p05_utc": format_utc(p05) if p05 else None,
            "p95_utc": format_utc(p95) if p95 else None,
            "nominal_utc": format_utc(
                _dt(int(nominal_epoch.astype("datetime64[ns]").astype(np.int64)))
            )
            if p.nominal.reentered[0]
            else None,
            "samples": int(ok.size),
            "samples_reentered": int(ok.sum()),
            "stop_alt_km": p.result.stop_alt_km,
            "remaining_days_median": (p50 - p.start.epoch_utc) / timedelta(days=1) if p50 else None,
            "points": [
                {
                    "epoch_utc": format_utc(_dt(int(t.astype("datetime64[ns]").astype(np.int64)))),
                    "lat_deg": round(float(la), 4),
                    "lon_deg": round(float(lo), 4),
                }
                for t, la, lo, k in zip(r.epoch_utc, r.lat_deg, r.lon_deg, ok, strict=True)
                if k
            ],
        },
        "assumptions": p.assumptions,
        "warnings": p.warnings,
    }
