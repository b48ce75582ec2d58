"""The ``deorbit`` command line.

Every command takes an OBJECT the same way: ``ISS``, a catalogue number (``25544``) or the path
of an element-set file (TLE, OMM KVN/XML, CelesTrak GP JSON/CSV).  Offline by default: objects
come from the local cache or the bundled data; ``--online`` asks CelesTrak first.

Bad input gives a one-line ``deorbit: error: ...`` on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from deorbit import __version__
from deorbit.errors import DeorbitError, InputError

# Start-up matters (a deterministic ``deorbit predict`` takes well under a second): this
# module imports only the CLI framework.  Every command imports what it needs when it runs
# (deorbit.jobs, predict, risk, ...), and the heavy optional pieces -- shapely and the
# geography data, the HTTP stack, matplotlib, FastAPI, Dask -- only on the paths that use them.
# tests/test_cli_imports.py keeps it that way.
if TYPE_CHECKING:
    from rich.table import Table

app = typer.Typer(
    name="deorbit",
    help="Where does it fly, when will it come down, where can it fall, and who is under it?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ObjectArg = Annotated[
    str,
    typer.Argument(help="ISS, a NORAD catalogue number, or an element-set file.", metavar="OBJECT"),
]
OnlineOpt = Annotated[
    bool, typer.Option("--online", help="Query CelesTrak (falls back to the cache if it fails).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
NoradOpt = Annotated[
    int | None, typer.Option("--norad", help="Pick this catalogue number from a multi-object file.")
]
DbOpt = Annotated[
    Path | None, typer.Option("--db", help="Element store (SQLite) to use instead of the default.")
]
LenientOpt = Annotated[
    bool, typer.Option("--lenient", help="Skip bad records in files and say how many.")
]


def _options(online: bool, norad: int | None, db: Path | None, lenient: bool):
    from deorbit.jobs import ObjectOptions

    return ObjectOptions(online=online, norad_id=norad, db=db, lenient=lenient)


_out = Console()
_err = Console(stderr=True)


def _table(title: str) -> Table:
    """A rich table (rich.table is imported only by the commands that draw one)."""
    from rich.table import Table

    return Table(title=title)


def _print_json(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _pct(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{100.0 * x:.{digits}f}%"


def _people(x: float) -> str:
    if x >= 1e9:
        return f"{x / 1e9:.2f} bn"
    if x >= 1e6:
        return f"{x / 1e6:.1f} M"
    if x >= 1e3:
        return f"{x / 1e3:.0f} k"
    return f"{x:.0f}"


def _warn(warnings: list[str]) -> None:
    for w in warnings:
        _err.print(f"[yellow]warning:[/yellow] {w}", highlight=False)


def _print_version(value: bool) -> None:
    if value:
        _out.print(f"deorbit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_print_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Where does it fly, when will it come down, where can it fall, and who is under it?"""


@app.command()
def exposure(
    obj: ObjectArg,
    start: Annotated[
        str | None,
        typer.Option(help="Window start (ISO 8601 UTC, 'epoch' or 'now'). Default: element epoch."),
    ] = None,
    days: Annotated[float, typer.Option(help="Window length in days.")] = 30.0,
    step: Annotated[float, typer.Option(help="Ground-track step in seconds.")] = 30.0,
    top: Annotated[int, typer.Option(help="Rows in the country table.")] = 25,
    as_json: JsonOpt = False,
    plot: Annotated[
        Path | None, typer.Option(help="Draw the ground track and exposure map to this PNG.")
    ] = None,
    online: OnlineOpt = False,
    norad: NoradOpt = None,
    db: DbOpt = None,
    lenient: LenientOpt = False,
) -> None:
    """Share of time over each country and the ocean, and the people under the track."""
    from deorbit.jobs import exposure_job, run_exposure

    options = _options(online, norad, db, lenient)
    run = run_exposure(obj, start=start, days=days, step_s=step, options=options)
    result = exposure_job(run)
    if plot is not None:
        from deorbit.plotting import plot_exposure

        plot_exposure(run, plot)
    if as_json:
        _print_json(result)
        _warn(result["warnings"])
        return
    _render_object(result["object"])
    w = result["window"]
    _out.print(
        f"Band reaches {result['max_lat_deg']:.2f}° geodetic latitude.  Long-run: "
        f"[bold]{_pct(result['land_fraction'], 1)}[/bold] of the time over land, "
        f"{_pct(result['ocean_fraction'], 1)} over the ocean.  "
        f"Window {w['start_utc']} to {w['end_utc']} ({w['samples']} samples): "
        f"{_pct(w['land_fraction'], 1)} over land."
    )
    table = _table(title="Share of time overhead (= re-entry probability when the time is unknown)")
    table.add_column("Country")
    table.add_column("ISO")
    table.add_column("Long run", justify="right")
    table.add_column("Window", justify="right")
    table.add_column("People under band", justify="right")
    table.add_column("of its people", justify="right")
    for row in result["countries"][:top]:
        table.add_row(
            row["name"],
            row["iso_a3"] or row["adm0_a3"],
            _pct(row["fraction"]),
            _pct(row["window_fraction"]),
            _people(row["population_under_band"]),
            _pct(row["population_share_under_band"], 0),
        )
    table.add_row("Ocean", "", _pct(result["ocean_fraction"]), _pct(w["ocean_fraction"]), "", "")
    _out.print(table)
    p = result["population"]
    _out.print(
        f"{_people(p['under_band'])} people ({_pct(p['share_under_band'], 1)} of the world's "
        f"{_people(p['world'])}, GPW v4 {p['year']}) live under the band.  "
        f"Long-run and window shares differ by at most {_pct(w['max_abs_difference'])} "
        "(absolute): a window samples longitudes unevenly; the long-run figure is the limit."
    )
    cities = result["cities_under_band"]
    if cities:
        names = ", ".join(c["name"] for c in cities[:40])
        more = f" and {len(cities) - 40} more" if len(cities) > 40 else ""
        _out.print(f"{len(cities)} cities of over 1 million under the band: {names}{more}.")
    if plot is not None:
        _out.print(f"Map written to {plot}")
    _warn(result["warnings"])


@app.command()
def summary(
    obj: Annotated[
        str, typer.Argument(help="ISS (default), a catalogue number or a file.")
    ] = "ISS",
    as_json: JsonOpt = False,
    online: OnlineOpt = False,
    norad: NoradOpt = None,
    db: DbOpt = None,
    lenient: LenientOpt = False,
) -> None:
    """A readable summary: orbit, element epoch, top countries, and who is under the track."""
    from deorbit.jobs import exposure_job, run_exposure
    from deorbit.summary import summarise

    options = _options(online, norad, db, lenient)
    result = summarise(exposure_job(run_exposure(obj, options=options)))
    if as_json:
        _print_json(result)
    else:
        for line in result["text"]:
            _out.print(line, highlight=False)
    _warn(result["warnings"])


@app.command()
def predict(
    obj: ObjectArg,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Predict as of this time (ISO 8601 UTC): only sets up to it."),
    ] = None,
    samples: Annotated[int, typer.Option(help="Monte Carlo samples.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same answer).")] = 1,
    space_weather: Annotated[
        str,
        typer.Option(
            "--space-weather",
            help="asof: what was known at the prediction time; observed: hindcast on the record.",
        ),
    ] = "asof",
    f107: Annotated[
        float | None, typer.Option("--f107", help="Constant F10.7 = F10.7A (sfu) instead.")
    ] = None,
    ap: Annotated[float | None, typer.Option("--ap", help="Constant daily Ap instead.")] = None,
    bc_m2_per_kg: Annotated[
        float | None, typer.Option("--bc-m2-per-kg", help="Ballistic coefficient Cd*A/m.")
    ] = None,
    mass_kg: Annotated[
        float | None, typer.Option("--mass-kg", help="Mass (with --area-m2).")
    ] = None,
    area_m2: Annotated[float | None, typer.Option("--area-m2", help="Drag area.")] = None,
    cd: Annotated[
        float | None, typer.Option("--cd", help="Drag coefficient (default 2.2).")
    ] = None,
    density_model: Annotated[
        str, typer.Option("--density-model", help="msis21 (NRLMSIS 2.1) or msis00 (NRLMSISE-00).")
    ] = "msis21",
    stop_alt_km: Annotated[
        float, typer.Option("--stop-alt-km", help="Altitude that counts as re-entry.")
    ] = 80.0,
    no_reboost: Annotated[
        bool, typer.Option("--no-reboost", help="Assume a maintained station's reboosts stop now.")
    ] = False,
    workers: Annotated[
        int, typer.Option(help="Processes for large Monte Carlo runs (same answer for any).")
    ] = 2,
    as_json: JsonOpt = False,
    plot: Annotated[Path | None, typer.Option(help="Draw the decay curve to this PNG.")] = None,
    online: OnlineOpt = False,
    norad: NoradOpt = None,
    db: DbOpt = None,
    lenient: LenientOpt = False,
) -> None:
    """When will it come down?  A re-entry window from element sets and space weather."""
    from deorbit.jobs import parse_time, resolve
    from deorbit.predict import PredictOptions, prediction_json, run_prediction

    if space_weather not in ("asof", "observed"):
        raise InputError("--space-weather must be 'asof' or 'observed'", field="--space-weather")
    if density_model not in ("msis21", "msis00"):
        raise InputError("--density-model must be 'msis21' or 'msis00'", field="--density-model")
    options = PredictOptions(
        as_of_utc=parse_time(as_of, "--as-of") if as_of else None,
        samples=samples,
        seed=seed,
        space_weather=space_weather,  # type: ignore[arg-type]
        f107_sfu=f107,
        ap=ap,
        bc_m2_per_kg=bc_m2_per_kg,
        mass_kg=mass_kg,
        area_m2=area_m2,
        cd=cd,
        density_model=density_model,  # type: ignore[arg-type]
        stop_alt_km=stop_alt_km,
        no_reboost=no_reboost,
        workers=workers,
    )
    options.check()
    resolved = resolve(obj, _options(online, norad, db, lenient))
    with _progress(f"predicting {samples} samples"):
        prediction = run_prediction(resolved, options)
    result = prediction_json(prediction)
    if plot is not None:
        from deorbit.plotting import plot_decay

        plot_decay(prediction, plot)
    if as_json:
        _print_json(result)
        _warn(result["warnings"])
        return
    _render_prediction(result)
    if plot is not None:
        _out.print(f"Decay curve written to {plot}")
    _warn(result["warnings"])


def _render_prediction(r: dict[str, Any]) -> None:
    o = r["object"]
    re = r["reentry"]
    _out.print(
        f"[bold]{o['name']}[/bold] [{o['norad_id']}]: last elements {r['last_element_epoch_utc']} "
        f"({o['perigee_alt_km']:.0f} x {o['apogee_alt_km']:.0f} km, i = {o['inclination_deg']:.2f}°), "
        f"{r['element_sets_used']} set(s) used, as of {r['as_of_utc']}"
    )
    if re["median_utc"] is None:
        _out.print("[bold red]No sample re-entered within the simulated span.[/bold red]")
        return
    _out.print(
        f"Re-entry ({re['stop_alt_km']:g} km): [bold]{re['median_utc']}[/bold] median; "
        f"90% window {re['p05_utc']} to {re['p95_utc']} "
        f"({re['samples_reentered']} of {re['samples']} samples)."
    )
    if re["remaining_days_median"] is not None:
        _out.print(
            f"Remaining lifetime from the last elements: {re['remaining_days_median']:.1f} days (median)."
        )
    table = _table(title="Assumptions")
    table.add_column("Quantity")
    table.add_column("Value")
    table.add_column("Source")
    for a in r["assumptions"]:
        table.add_row(a["quantity"], a["value"], a["source"])
    _out.print(table)


class _progress:
    """A spinner on stderr while a long computation runs (silent when stderr is not a TTY)."""

    def __init__(self, text: str) -> None:
        self.status = _err.status(text) if _err.is_terminal else None

    def __enter__(self) -> None:
        if self.status is not None:
            self.status.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.__exit__(*exc)


@app.command()
def risk(
    obj: ObjectArg,
    fragments: Annotated[
        Path | None,
        typer.Option(help="Fragment list (JSON or YAML): name, mass_kg, area_m2, count."),
    ] = None,
    casualty_area_m2: Annotated[
        float | None, typer.Option("--casualty-area-m2", help="Total casualty area instead.")
    ] = None,
    mass_kg: Annotated[
        float | None, typer.Option("--mass-kg", help="Total mass: default surviving-debris model.")
    ] = None,
    long_run: Annotated[
        bool, typer.Option("--long-run", help="Re-entry time unknown: the long-run distribution.")
    ] = False,
    window: Annotated[
        tuple[str, str] | None,
        typer.Option(help="Re-entry somewhere in START END (ISO 8601 UTC).", metavar="START END"),
    ] = None,
    samples: Annotated[int, typer.Option(help="Re-entry samples.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    breakup_alt_km: Annotated[
        float, typer.Option("--breakup-alt-km", help="Break-up altitude (km).")
    ] = 78.0,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Predict as of this time, e.g. when reboosts stop (UTC)."),
    ] = None,
    no_reboost: Annotated[
        bool, typer.Option("--no-reboost", help="Assume a maintained station's reboosts stop now.")
    ] = False,
    as_json: JsonOpt = False,
    geojson: Annotated[
        Path | None, typer.Option(help="Write the probability grid as GeoJSON.")
    ] = None,
    plot: Annotated[Path | None, typer.Option(help="Draw the heat map to this PNG.")] = None,
    top: Annotated[int, typer.Option(help="Rows in the country table.")] = 20,
    online: OnlineOpt = False,
    norad: NoradOpt = None,
    db: DbOpt = None,
    lenient: LenientOpt = False,
) -> None:
    """Where can it fall, and who could be hurt?  Impact probability and casualty expectation."""
    from deorbit.jobs import parse_time, resolve
    from deorbit.risk import RiskOptions, risk_json, run_risk, write_geojson

    if long_run and window:
        raise InputError("give --long-run or --window, not both", field="--window")
    if as_of and (long_run or window):
        raise InputError("--as-of goes with a prediction, not --long-run/--window", field="--as-of")
    mode = "long-run" if long_run else "window" if window else "prediction"
    options = RiskOptions(
        mode=mode,  # type: ignore[arg-type]
        window_start_utc=parse_time(window[0], "--window") if window else None,
        window_end_utc=parse_time(window[1], "--window") if window else None,
        samples=samples,
        seed=seed,
        fragments_path=fragments,
        casualty_area_m2=casualty_area_m2,
        mass_kg=mass_kg,
        no_reboost=no_reboost,
        breakup_alt_km=breakup_alt_km,
        as_of_utc=parse_time(as_of, "--as-of") if as_of else None,
    )
    options.check()
    resolved = resolve(obj, _options(online, norad, db, lenient))
    with _progress(f"footprint of {samples} samples"):
        run = run_risk(resolved, options)
    result = risk_json(run)
    if geojson is not None:
        write_geojson(run, geojson)
    if plot is not None:
        from deorbit.plotting import plot_risk

        plot_risk(run, plot)
    if as_json:
        _print_json(result)
        _warn(result["warnings"])
        return
    _render_risk(result, top)
    for label, path in (("GeoJSON", geojson), ("Heat map", plot)):
        if path is not None:
            _out.print(f"{label} written to {path}")
    _warn(result["warnings"])


def _render_risk(r: dict[str, Any], top: int) -> None:
    o = r["object"]
    when = {
        "long-run": "re-entry time unknown (long run)",
        "window": "re-entry in a window",
        "prediction": "re-entry window predicted",
    }[r["mode"]]
    _out.print(
        f"[bold]{o['name']}[/bold] [{o['norad_id']}], i = {o['inclination_deg']:.2f}°: {when}"
    )
    if r["window"]:
        _out.print(f"Window: {r['window']['start_utc']} to {r['window']['end_utc']}")
    f = r["fragments"]
    _out.print(
        f"Fragments: {f['pieces']:,} surviving pieces in {f['classes']} classes, "
        f"{f['surviving_mass_kg']:,.0f} kg ({f['source']})."
    )
    table = _table(
        title=f"Impact probability and casualty expectation ({r['samples_valid']} samples)"
    )
    table.add_column("Country")
    table.add_column("P(impact)", justify="right")
    table.add_column("E_c", justify="right")
    for row in r["countries"][:top]:
        table.add_row(row["name"], _pct(row["probability"]), f"{row['casualty_expectation']:.2e}")
    table.add_row("Ocean", _pct(r["ocean_probability"]), "")
    _out.print(table)
    foc = r["focus"]
    _out.print(
        "Named in the 2022 claims: "
        + "; ".join(f"{v['name']} {_pct(v['probability'])}" for v in foc.values())
    )
    verdict = "[red]above[/red]" if r["ratio_to_limit"] > 1 else "[green]below[/green]"
    _out.print(
        f"Casualty area {r['casualty_area_m2']:,.1f} m²; expected casualties E_c = "
        f"[bold]{r['casualty_expectation']:.3g}[/bold] (1 in {r['one_in']:,.0f}); "
        f"P(at least one) = {r['probability_of_casualty']:.3g}; {r['ratio_to_limit']:.3g} x the "
        f"1e-4 limit ({verdict}).  Long-run E_c for this inclination: "
        f"{r['long_run_casualty_expectation']:.3g}."
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Run the local dashboard and JSON API (FastAPI on uvicorn)."""
    if not 0 < port < 65536:
        raise InputError(f"--port must be 1..65535, got {port}", field="--port")
    try:
        from deorbit.service import serve as run_server
    except ImportError as exc:  # the optional [service] extra is missing
        raise InputError(
            f"the service needs FastAPI and uvicorn ({exc}); pip install 'deorbit[service]'"
        ) from None
    _err.print(f"deorbit dashboard on http://{host}:{port}/  (Ctrl-C to stop)")
    run_server(host=host, port=port)


@app.command()
def report(
    obj: ObjectArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="The HTML file to write.")],
    png: Annotated[Path | None, typer.Option(help="Also write the figures as PNG here.")] = None,
    samples: Annotated[
        int, typer.Option(help="Monte Carlo samples of the prediction (0: no prediction).")
    ] = 100,
    risk_samples: Annotated[
        int, typer.Option("--risk-samples", help="Long-run risk samples (0: no risk section).")
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    days: Annotated[float, typer.Option(help="Ground-track window in days.")] = 30.0,
    start: Annotated[str | None, typer.Option(help="Window start (ISO 8601 UTC).")] = None,
    no_reboost: Annotated[
        bool, typer.Option("--no-reboost", help="Assume a maintained station's reboosts stop now.")
    ] = False,
    online: OnlineOpt = False,
    norad: NoradOpt = None,
    db: DbOpt = None,
    lenient: LenientOpt = False,
) -> None:
    """Write one self-contained HTML report (maps, decay curve, tables; no external links)."""
    from deorbit.predict import PredictOptions
    from deorbit.report import write_report

    if samples < 0 or risk_samples < 0:
        raise InputError("--samples and --risk-samples must be >= 0", field="--samples")
    with _progress("writing the report"):
        path = write_report(
            obj,
            output,
            png_dir=png,
            start=start,
            days=days,
            samples=samples,
            risk_samples=risk_samples,
            seed=seed,
            options=_options(online, norad, db, lenient),
            predict_options=PredictOptions(samples=samples, seed=seed, no_reboost=no_reboost)
            if samples > 0
            else None,
        )
    _out.print(f"Report written to {path}")


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="TLE, OMM (KVN/XML) or GP (JSON/CSV) files.")],
    db: DbOpt = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Stop at the first bad record instead of skipping it.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Bulk-load element sets into the element-history store (new / duplicate / rejected)."""
    from deorbit.catalogue.ingest import ingest_files
    from deorbit.store import ElementStore

    with ElementStore(db) as store:
        report_ = ingest_files(files, store, lenient=not strict)
        path = str(store.path)
    if as_json:
        _print_json(
            {
                "store": path,
                "new": report_.new,
                "duplicate": report_.duplicate,
                "rejected": [
                    {"file": str(f), "line": ln, "message": m} for f, ln, m in report_.rejected
                ],
            }
        )
        return
    _out.print(f"{report_.describe()}\n[dim]store: {path}[/dim]")


@app.command()
def watch(
    db: DbOpt = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Replay as of this time (ISO 8601 UTC).")
    ] = None,
    days: Annotated[float, typer.Option(help="Horizon in days.")] = 30.0,
    workers: Annotated[int, typer.Option(help="Local Dask workers (0: in-process).")] = 2,
    scheduler: Annotated[
        str | None, typer.Option(help="An existing Dask scheduler, tcp://HOST:PORT.")
    ] = None,
    samples: Annotated[int, typer.Option(help="Monte Carlo samples per candidate.")] = 100,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    as_json: JsonOpt = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
) -> None:
    """Screen the stored catalogue and rank what comes down next (Dask for scale-out)."""
    from deorbit.catalogue.watch import rich_progress
    from deorbit.catalogue.watch import watch as run_watch
    from deorbit.jobs import parse_time
    from deorbit.store import ElementStore

    if days <= 0 or not 1 <= samples <= 100_000 or workers < 0:
        raise InputError("--days must be > 0, --samples 1..100000, --workers >= 0")
    as_of_utc = parse_time(as_of, "--as-of") if as_of else None
    with ElementStore(db) as store:
        if as_json or as_csv:
            result = run_watch(
                store, as_of_utc=as_of_utc, days=days, workers=workers,
                scheduler=scheduler, samples=samples, seed=seed,
            )  # fmt: skip
        else:
            with rich_progress() as progress:
                result = run_watch(
                    store, as_of_utc=as_of_utc, days=days, workers=workers,
                    scheduler=scheduler, samples=samples, seed=seed, progress=progress,
                )  # fmt: skip
    if as_json:
        sys.stdout.write(result.dumps() + "\n")
        return
    if as_csv:
        sys.stdout.write(result.to_csv())
        return
    data = result.to_json()
    table = _table(
        title=f"Upcoming re-entries within {days:g} days of {data['as_of_utc']} "
        f"({data['screened']} screened, {data['candidates']} predicted)"
    )
    for col in ("#", "Name", "NORAD", "Median", "5%", "95%", "Incl.", "Elements age"):
        table.add_column(col)
    for o in data["objects"]:
        r = o["reentry"]
        table.add_row(
            str(o.get("rank", "")),
            o["name"],
            str(o["norad_id"]),
            r["median_utc"] or "-",
            r["p05_utc"] or "-",
            r["p95_utc"] or "-",
            f"{o.get('inclination_deg', float('nan')):.1f}",
            f"{o.get('element_age_days', float('nan')):.1f} d",
        )
    _out.print(table)
    flagged = ", ".join(f"{k}: {v}" for k, v in data["flagged"].items() if v)
    if flagged:
        _out.print(f"Flagged, not predicted: {flagged}")


@app.command()
def reboost(
    obj: ObjectArg,
    band: Annotated[
        tuple[float, float], typer.Option(help="Mean-altitude band to hold, LOW HIGH in km.")
    ],
    years: Annotated[float, typer.Option(help="Years to simulate.")] = 1.0,
    vehicle: Annotated[
        str, typer.Option(help="progress-ms, zvezda, cygnus, dragon-boost-trunk or usdv.")
    ] = "progress-ms",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Space weather as known then (ISO 8601 UTC).")
    ] = None,
    space_weather: Annotated[
        str, typer.Option("--space-weather", help="asof or observed.")
    ] = "observed",
    finite_burns: Annotated[
        bool, typer.Option("--finite-burns", help="Continuous thrust instead of impulses.")
    ] = False,
    mass_kg: Annotated[float | None, typer.Option("--mass-kg")] = None,
    area_m2: Annotated[float | None, typer.Option("--area-m2")] = None,
    cd: Annotated[float | None, typer.Option("--cd")] = None,
    bc_m2_per_kg: Annotated[float | None, typer.Option("--bc-m2-per-kg")] = None,
    as_json: JsonOpt = False,
    online: OnlineOpt = False,
    norad: NoradOpt = None,
    db: DbOpt = None,
    lenient: LenientOpt = False,
) -> None:
    """Station-keeping budget: reboosts that hold an altitude band, Δv and propellant per year."""
    from deorbit.elements import check_in_orbit
    from deorbit.jobs import nominal_density, parse_time, resolve, station_properties
    from deorbit.reboost import plan_reboosts, reboost_json
    from deorbit.vehicles import get_vehicle

    if space_weather not in ("asof", "observed"):
        raise InputError("--space-weather must be 'asof' or 'observed'", field="--space-weather")
    if not 0 < years <= 30:
        raise InputError(f"--years must be in (0, 30], got {years:g}", field="--years")
    low, high = band
    if low >= high:
        raise InputError(f"--band: low {low:g} km is not below high {high:g} km", field="--band")
    if low < 150:
        raise InputError(
            f"--band: {low:g} km is below 150 km, where nothing can be held", field="--band"
        )
    obj_ = resolve(obj, _options(online, norad, db, lenient))
    es = check_in_orbit(obj_.latest)
    mass, bc = station_properties(obj_, mass_kg, area_m2, cd, bc_m2_per_kg)
    as_of_utc = parse_time(as_of, "--as-of") if as_of else None
    density = nominal_density(es, as_of_utc, space_weather, years * 365.25)
    plan = plan_reboosts(
        es,
        band_low_km=low,
        band_high_km=high,
        years=years,
        vehicle=get_vehicle(vehicle),
        density=density,
        bc_m2_per_kg=bc,
        mass_kg=mass,
        start_utc=as_of_utc,
        finite_burns=finite_burns,
    )
    result = reboost_json(plan)
    if as_json:
        _print_json(result)
        _warn(obj_.warnings)
        return
    _out.print(
        f"[bold]{es.name}[/bold] [{es.norad_id}] held in {low:g}-{high:g} km for {years:g} "
        f"year(s) by {result['vehicle']['name']}: [bold]{result['delta_v_m_s_per_year']:.1f} "
        f"m/s per year[/bold], {result['propellant_kg_per_year']:,.0f} kg of propellant per year, "
        f"{len(result['burns'])} burns (mass {mass:,.0f} kg, BC {bc:.5f} m²/kg)."
    )
    table = _table(title="Reboosts")
    table.add_column("Epoch (UTC)")
    table.add_column("Δv m/s", justify="right")
    for b in result["burns"][:40]:
        table.add_row(b["epoch_utc"], f"{b['delta_v_m_s']:.2f}")
    _out.print(table)
    _warn(obj_.warnings)


@app.command("deorbit-plan")
def deorbit_plan(
    obj: ObjectArg,
    target: Annotated[
        str, typer.Option(help="spoua (South Pacific Ocean Uninhabited Area) or a GeoJSON file.")
    ] = "spoua",
    vehicle: Annotated[str, typer.Option(help="Vehicle preset (default: usdv).")] = "usdv",
    samples: Annotated[int, typer.Option(help="Monte Carlo samples of the footprint.")] = 50,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    decay_to_km: Annotated[
        float | None,
        typer.Option(
            "--decay-to-km",
            help="Let drag lower the orbit to this circular altitude first (NASA's ISS plan: ~330).",
        ),
    ] = None,
    mass_kg: Annotated[float | None, typer.Option("--mass-kg")] = None,
    area_m2: Annotated[float | None, typer.Option("--area-m2")] = None,
    cd: Annotated[float | None, typer.Option("--cd")] = None,
    bc_m2_per_kg: Annotated[float | None, typer.Option("--bc-m2-per-kg")] = None,
    as_json: JsonOpt = False,
    online: OnlineOpt = False,
    norad: NoradOpt = None,
    db: DbOpt = None,
    lenient: LenientOpt = False,
) -> None:
    """Controlled deorbit: burns that put the whole debris footprint inside a target zone."""
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

    if not 1 <= samples <= 2000:
        raise InputError(f"--samples must be 1..2000, got {samples}", field="--samples")
    zone = load_zone(None if target.lower() == "spoua" else Path(target))
    obj_ = resolve(obj, _options(online, norad, db, lenient))
    es = check_in_orbit(obj_.latest)
    mass, bc = station_properties(obj_, mass_kg, area_m2, cd, bc_m2_per_kg)
    density = nominal_density(es, None, "asof", 30.0)
    if decay_to_km is not None:
        es = after_natural_decay(es, decay_to_km)
    with _progress(f"planning the deorbit ({samples} samples)"):
        plan = plan_deorbit(
            es,
            vehicle=get_vehicle(vehicle),
            density=density,
            mass_kg=mass,
            bc_m2_per_kg=bc,
            zone=zone,
            samples=samples,
            seed=seed,
        )
    require_enough_propellant(plan)
    result = deorbit_plan_json(plan)
    if as_json:
        _print_json(result)
        _warn(obj_.warnings)
        return
    _out.print(
        f"[bold]{es.name}[/bold] [{es.norad_id}] into {result['zone']['name']}: total Δv "
        f"[bold]{result['delta_v_total_m_s']:.1f} m/s[/bold] in {len(result['burns'])} burns; "
        f"P(footprint inside) = {result['footprint_inside_probability']:.3f}; "
        f"E_c = {result['casualty_expectation']:.2g}."
    )
    table = _table(title="Burns")
    for col in ("Epoch (UTC)", "Δv m/s", "Purpose"):
        table.add_column(col)
    for b in result["burns"]:
        table.add_row(
            str(b.get("epoch_utc", "")), f"{b['delta_v_m_s']:.2f}", str(b.get("kind", ""))
        )
    _out.print(table)
    _out.print(
        f"Propellant {result['propellant_total_kg']:,.0f} kg; nearest land to the footprint "
        f"{result['min_land_distance_km']:,.0f} km (NASA-STD-8719.14 asks >= 370 km: "
        f"{'met' if result['meets_nasa_std_8719_14_370km'] else 'NOT met'})."
    )
    _warn(list(obj_.warnings) + list(result.get("warnings", [])))


@app.command("update-space-weather")
def update_space_weather(
    url: Annotated[str | None, typer.Option(help="Where to download SW-All.csv from.")] = None,
) -> None:
    """Refresh the space-weather file (CelesTrak SW-All.csv) into the user data folder."""
    from deorbit.spaceweather import fetch_space_weather, load_space_weather

    path = fetch_space_weather(url=url)
    sw = load_space_weather()
    _out.print(f"Space weather written to {path}; observed to {sw.last_observed_date}.")


@app.command()
def fetch(
    catnr: Annotated[
        list[int] | None, typer.Argument(help="Catalogue numbers to fetch.", show_default=False)
    ] = None,
    name: Annotated[str | None, typer.Option(help="Fetch by (part of a) name.")] = None,
    group: Annotated[
        str | None, typer.Option(help="Fetch a CelesTrak group, e.g. stations, last-30-days.")
    ] = None,
    db: DbOpt = None,
    lenient: LenientOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Fetch current element sets from CelesTrak into the local store (the offline cache)."""
    from deorbit.celestrak import GPQuery
    from deorbit.objects import fetch as fetch_query
    from deorbit.store import ElementStore

    queries = [GPQuery.catnr(n) for n in catnr or []]
    queries += [GPQuery.name(name)] if name else []
    queries += [GPQuery.group(group)] if group else []
    if not queries:
        raise InputError("say what to fetch: catalogue numbers, --name or --group")
    rows = []
    with ElementStore(db) as store:
        for query in queries:
            result = fetch_query(query, store=store, lenient=lenient)
            rows.append(
                {
                    "query": query.key,
                    "url": result.url,
                    "fetched_utc": result.fetched_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "objects": len(result.norad_ids),
                    "new": result.new,
                    "duplicate": result.duplicate,
                    "skipped": len(result.skipped),
                }
            )
        path = str(store.path)
    if as_json:
        _print_json({"store": path, "queries": rows})
        return
    for r in rows:
        _out.print(
            f"{r['query']}: {r['objects']} objects, {r['new']} new and {r['duplicate']} known "
            f"element sets" + (f", {r['skipped']} skipped" if r["skipped"] else "")
        )
    _out.print(f"[dim]store: {path}[/dim]")


@app.command()
def elements(
    file: Annotated[Path, typer.Argument(help="An element-set file (TLE, OMM, GP JSON/CSV).")],
    lenient: LenientOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Parse and validate an element-set file; report its objects, epochs and any problems."""
    from deorbit.elements import format_utc
    from deorbit.formats import load_elements

    result = load_elements(file, lenient=lenient)
    objects: dict[int, list] = {}
    for es in result.elements:
        objects.setdefault(es.norad_id, []).append(es)
    summary_rows = [
        {
            "norad_id": n,
            "name": sets[-1].name,
            "element_sets": len(sets),
            "first_epoch_utc": format_utc(sets[0].epoch_utc),
            "last_epoch_utc": format_utc(sets[-1].epoch_utc),
            "perigee_alt_km": round(sets[-1].perigee_alt_km, 1),
            "apogee_alt_km": round(sets[-1].apogee_alt_km, 1),
            "inclination_deg": sets[-1].inclination_deg,
        }
        for n, sets in objects.items()
    ]
    data = {
        "file": str(file),
        "format": result.format,
        "element_sets": len(result.elements),
        "duplicates": result.duplicates,
        "skipped": len(result.skipped),
        "skipped_errors": [str(e) for e in result.skipped[:20]],
        "objects": summary_rows,
    }
    if as_json:
        _print_json(data)
        return
    table = _table(title=f"{file}: {result.format}, {len(result.elements)} element sets")
    for col in ("NORAD", "Name", "Sets", "First epoch", "Last epoch", "Perigee km", "Apogee km"):
        table.add_column(col)
    for r in summary_rows[:200]:
        table.add_row(
            str(r["norad_id"]),
            r["name"],
            str(r["element_sets"]),
            r["first_epoch_utc"],
            r["last_epoch_utc"],
            f"{r['perigee_alt_km']:.0f}",
            f"{r['apogee_alt_km']:.0f}",
        )
    _out.print(table)
    if result.duplicates:
        _out.print(f"{result.duplicates} duplicate records dropped")
    if result.skipped:
        _err.print(f"[yellow]{result.describe_skipped()}[/yellow]", highlight=False)


def _render_object(o: dict[str, Any]) -> None:
    _out.print(
        f"[bold]{o['name']}[/bold] (NORAD {o['norad_id']}, {o['intl_designator']})  "
        f"elements of {o['epoch_utc']}  i = {o['inclination_deg']:.2f}°  "
        f"{o['perigee_alt_km']:.0f} x {o['apogee_alt_km']:.0f} km  "
        f"period {o['period_min']:.1f} min\n[dim]source: {o['source']}[/dim]"
    )


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: run the app, map errors to one line and an exit status.

    Usage errors are reported by the CLI framework itself (exit status 2); deorbit's own
    errors become ``deorbit: error: <what and where>`` and their exit code (2 for bad input).
    """
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="deorbit", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except DeorbitError as exc:
        sys.stderr.write(f"deorbit: error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("deorbit: interrupted\n")
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

__all__ = ["app", "main"]
