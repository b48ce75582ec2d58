"""A self-contained HTML report of one object: ``deorbit report OBJECT -o report.html``.

One file, to e-mail or archive, that opens anywhere without a network: the dashboard's
script and styles (Leaflet, uPlot and deorbit's own code, ~235 kB) and all the data are
inlined.  It shows

* the object and its orbit, and the warnings of the computation;
* the interactive map: country borders (Natural Earth, simplified for drawing) shaded by share
  of time overhead, the first day of ground track, the latitude band, and the re-entry points
  of the prediction's samples;
* the country table (every country ever overhead) and the biggest cities under the band --
  plain HTML, readable even with scripts disabled;
* when a prediction is included (``samples`` > 0): the re-entry window, the decay curve with
  its 5-95 % band and the observed element history, and the assumptions table;
* the long-run casualty risk (``deorbit risk --json``, long-run mode, when ``risk_samples``
  > 0, ~2 s): the casualty expectation E_c of an uncontrolled re-entry, its ratio to the
  1e-4 limit, and the impact probabilities of Russia, the USA, the EU27, India and China.

The numbers are exactly those of ``deorbit exposure --json`` and ``deorbit predict --json``
and ``deorbit risk --json`` (the embedded JSON *is* those answers).  With ``png_dir`` the matplotlib figures of
:mod:`deorbit.plotting` are written too (``exposure.png``, ``decay.png``).

If the prediction fails (for example the object is already down, or the prediction
pipeline is not available in this build) the report still gets written, and says why.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from deorbit import __version__
from deorbit.errors import DeorbitError
from deorbit.fileio import atomic_write_text
from deorbit.jobs import ObjectOptions, exposure_job, run_exposure

__all__ = ["render_report", "write_report"]


def _asset(name: str) -> str:
    """A built dashboard asset (see docs/notes/service.md for how it is built)."""
    path = resources.files("deorbit.service") / "static" / name
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DeorbitError(
            f"the dashboard asset {name} is missing from this installation "
            "(build it: cd frontend && npm ci && npm run build)"
        ) from None


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _pct(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{100.0 * x:.{digits}f}%"


def _people(x: float | None) -> str:
    if x is None:
        return "–"
    if x >= 1e9:
        return f"{x / 1e9:.2f} bn"
    if x >= 1e6:
        return f"{x / 1e6:.1f} M"
    if x >= 1e3:
        return f"{x / 1e3:.0f} k"
    return f"{x:.0f}"


def _table(headers: list[tuple[str, bool]], rows: list[list[str]], table_id: str) -> str:
    """An HTML table; ``headers`` are (title, numeric) pairs; cells are escaped here."""
    head = "".join(f'<th class="{"num" if num else ""}">{_e(t)}</th>' for t, num in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"num" if num else ""}">{_e(cell)}</td>'
            for cell, (_, num) in zip(row, headers, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    return (
        f'<table class="data" id="{table_id}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def _script_json(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">`` (no ``</script>`` can close it)."""
    from deorbit.service.views import dumps

    text = dumps(data).decode("utf-8")
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _inline_js(code: str) -> str:
    if "</script" in code.lower():
        code = code.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")
    return code


def _exposure_html(e: dict[str, Any]) -> str:
    o, w, pop = e["object"], e["window"], e["population"]
    rows = [
        [
            r["name"],
            r["iso_a3"] or r["adm0_a3"],
            _pct(r["fraction"], 3),
            _pct(r["window_fraction"], 3),
            _people(r["population_under_band"]),
            _pct(r["population_share_under_band"], 1),
        ]
        for r in e["countries"]
    ]
    countries = _table(
        [
            ("Country", False),
            ("ISO", False),
            ("Long run", True),
            ("Window", True),
            ("People under band", True),
            ("of its people", True),
        ],
        rows,
        "country-table",
    )
    cities = _table(
        [("City", False), ("Country", False), ("Latitude", True), ("People", True)],
        [
            [c["name"], c["iso_a3"], f"{c['lat_deg']:.2f}°", _people(c["population"])]
            for c in e["cities_under_band"][:20]
        ],
        "city-table",
    )
    facts = [
        (
            f"{o['perigee_alt_km']:.0f} × {o['apogee_alt_km']:.0f} km",
            f"orbit, i = {o['inclination_deg']:.2f}°, period {o['period_min']:.1f} min",
        ),
        (o["epoch_utc"], f"newest elements ({o['element_sets']} sets; {o['source']})"),
        (f"±{e['max_lat_deg']:.2f}°", "latitude band it flies over"),
        (
            _pct(e["land_fraction"], 1),
            f"of the time over land in the long run; {_pct(w['land_fraction'], 1)} in the window",
        ),
        (
            _people(pop["under_band"]),
            f"people under the band ({_pct(pop['share_under_band'], 1)} of the "
            f"{pop['year']} world population)",
        ),
        (
            f"{w['start_utc']} → {w['end_utc']}",
            f"window, {w['samples']} samples every {w['step_s']:g} s",
        ),
    ]
    facts_html = "".join(f"<div><b>{_e(v)}</b><span>{_e(t)}</span></div>" for v, t in facts)
    return f"""
<div class="facts card">{facts_html}</div>
{_warnings_html(e["warnings"])}
<h2>Where does it fly?</h2>
<div class="map" id="map"></div>
<p class="muted">Shading: long-run share of time overhead (log scale); line: first 24 h of the
window's ground track; dashed: the latitude band. {_e(e["method_note"])}.</p>
<h2>Who is under it? Share of time over each country</h2>
{countries}
<h2>Biggest cities under the band</h2>
{cities}
"""


def _warnings_html(warnings: list[str]) -> str:
    if not warnings:
        return ""
    items = "".join(f"<li>warning: {_e(w)}</li>" for w in warnings)
    return f'<ul class="warnings">{items}</ul>'


def _prediction_html(p: dict[str, Any] | None, failure: str | None) -> str:
    if p is None:
        why = failure or "not requested (samples = 0)"
        return (
            '<h2>When will it come down?</h2><p class="card notyet" id="prediction-missing">'
            f"No re-entry prediction in this report: {_e(why)}</p>"
        )
    re = p["reentry"]
    if re["median_utc"] is None:
        window = "No sample re-entered within the simulated span."
    else:
        window = (
            f"Re-entry ({re['stop_alt_km']:g} km): <b>{_e(re['median_utc'])}</b> median; "
            f"90% window {_e(re['p05_utc'])} to {_e(re['p95_utc'])} "
            f"({re['samples_reentered']} of {re['samples']} samples)."
        )
        if re["remaining_days_median"] is not None:
            window += (
                f" Remaining lifetime from the last elements: "
                f"{re['remaining_days_median']:.1f} days (median)."
            )
    assumptions = _table(
        [("Assumption", False), ("Value", False), ("Source", False)],
        [[a["quantity"], a["value"], a["source"]] for a in p["assumptions"]],
        "assumption-table",
    )
    return f"""
<h2>When will it come down?</h2>
<p id="reentry-window">{window}</p>
<p class="muted">As of {_e(p["as_of_utc"])}; ballistic coefficient
{p["ballistic_coefficient_m2_per_kg"]:.4g} m²/kg ({_e(p["ballistic_coefficient_method"])}).
Chart: mean altitude of the nominal run, the 5–95 % band of the samples, the observed element
sets, and the re-entry window (grey, dashed line: median).</p>
<div class="chart" id="decay"></div>
{assumptions}
{_warnings_html(p["warnings"])}
"""


#: The casualty-expectation limit of one uncontrolled re-entry (NASA-STD-8719.14, ESA).
EC_LIMIT = 1e-4


def _risk_html(r: dict[str, Any] | None, failure: str | None) -> str:
    """The long-run casualty risk: E_c, ratio to the limit, the focus countries."""
    if r is None:
        why = failure or "not requested (risk samples = 0)"
        return (
            '<h2>Where can it fall? Casualty risk</h2><p class="card notyet" id="risk-missing">'
            f"No casualty-risk estimate in this report: {_e(why)}</p>"
        )
    ratio = r["ratio_to_limit"]
    verdict = "above" if ratio > 1 else "within"
    rows = [
        [
            f["name"],
            _pct(f["probability"], 2),
            f"{f['casualty_expectation']:.2e}",
        ]
        for f in r["focus"].values()
    ]
    focus = _table(
        [("Country", False), ("Impact probability", True), ("E_c contribution", True)],
        rows,
        "risk-focus-table",
    )
    one_in = f"1 in {r['one_in']:,.0f}" if r.get("one_in") else "–"
    return f"""
<h2>Where can it fall? Casualty risk</h2>
<p id="risk-summary">If it re-entered uncontrolled (long run: anywhere under its band, weighted
by the time spent over each place), the casualty expectation would be
<b>E_c = {r["casualty_expectation"]:.2e}</b> ({one_in}), <b>{ratio:.1f}×</b> the
{EC_LIMIT:g} limit ({verdict} it), for a casualty area of {r["casualty_area_m2"]:.1f} m²
({r["fragments"]["pieces"]} surviving pieces, {r["fragments"]["surviving_mass_kg"]:,.0f} kg).
Probability of landing in the ocean: {_pct(r["ocean_probability"], 1)}.</p>
{focus}
<p class="muted">{r["samples"]} re-entry samples, seed {r["seed"]}; population
{r["population_year"]}; EU27 sums the 27 member states. Fragments: {_e(r["fragments"]["source"])}.
The controlled-deorbit alternative is computed by <code>deorbit deorbit-plan</code> (not in
this report).</p>
{_warnings_html(r["warnings"])}
"""


def render_report(
    exposure: dict[str, Any],
    track: dict[str, Any],
    countries: dict[str, Any],
    prediction: dict[str, Any] | None = None,
    decay: dict[str, Any] | None = None,
    prediction_failure: str | None = None,
    risk: dict[str, Any] | None = None,
    risk_failure: str | None = None,
) -> str:
    """The report's HTML from computed answers (the JSON of the CLI and the map/chart data).

    ``risk`` is ``deorbit risk --json`` (long run); without it the section says why not.
    """
    o = exposure["object"]
    title = f"{o['name']} [{o['norad_id']}] – deorbit report"
    generated = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    data = {
        "generated_utc": generated,
        "deorbit_version": __version__,
        "exposure": exposure,
        "track": track,
        "countries": countries,
        "prediction": prediction,
        "decay_curve": decay,
        "risk": risk,
    }
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="deorbit {_e(__version__)}">
<title>{_e(title)}</title>
<style>
{_asset("app.css")}
</style>
</head>
<body>
<header class="top"><span class="brand">deorbit</span><span>report</span>
<span class="tag">generated {_e(generated)} · self-contained, works offline</span></header>
<main>
<h1>{_e(o["name"])} <span class="muted">[{o["norad_id"]}] {_e(o["intl_designator"])}</span></h1>
{_exposure_html(exposure)}
{_prediction_html(prediction, prediction_failure)}
{_risk_html(risk, risk_failure)}
</main>
<footer class="foot">deorbit {_e(__version__)}. Borders: Natural Earth (public domain).
Population: GPW v4 (2020). Orbits: SGP4 from the element sets named above. The data behind
this page is embedded in it (script #deorbit-data: the JSON answers of
<code>deorbit exposure --json</code>, <code>deorbit predict --json</code> and
<code>deorbit risk --json</code>).</footer>
<script type="application/json" id="deorbit-data">{_script_json(data)}</script>
<script>
{_inline_js(_asset("app.js"))}
</script>
</body>
</html>
"""


def write_report(
    spec: str,
    path: str | Path,
    *,
    png_dir: str | Path | None = None,
    start: str | datetime | None = None,
    days: float = 30.0,
    step_s: float = 30.0,
    samples: int = 100,
    seed: int = 1,
    options: ObjectOptions | None = None,
    predict_options: Any = None,
    risk_samples: int = 1000,
) -> Path:
    """Compute and write the report of ``spec`` to ``path`` (atomically); the path written.

    ``start``/``days``/``step_s`` are those of ``deorbit exposure``.  A prediction with
    ``samples`` Monte Carlo samples and ``seed`` is included unless ``samples`` is 0;
    ``predict_options`` (a :class:`deorbit.predict.PredictOptions`) overrides both.  ``spec``
    and ``options`` are resolved as by every command (here a file is fine: this is the CLI).
    ``risk_samples`` re-entry samples (0: none) give the long-run casualty risk (seed ``seed``).
    """
    from deorbit.service.views import countries_geojson, decay_curve, track_json

    options = options or ObjectOptions()
    run = run_exposure(spec, start=start, days=days, step_s=step_s, options=options)
    exposure = exposure_job(run)
    track = track_json(run, hours=24.0)
    prediction = decay = failure = None
    predicted = None
    if predict_options is not None or samples > 0:
        try:
            from deorbit.predict import PredictOptions, prediction_json, run_prediction

            popts = predict_options or PredictOptions(samples=samples, seed=seed)
            predicted = run_prediction(run.obj, popts)
            prediction = prediction_json(predicted)
            decay = decay_curve(predicted)
        except ImportError as exc:
            failure = f"the prediction pipeline is not available in this build ({exc})"
        except DeorbitError as exc:
            failure = str(exc)
    risk = risk_failure = None
    if risk_samples > 0:
        try:
            from deorbit.risk import RiskOptions, risk_json, run_risk

            ropts = RiskOptions(mode="long-run", samples=risk_samples, seed=seed)
            ropts.check()
            risk = risk_json(run_risk(run.obj, ropts), top=20)
        except ImportError as exc:
            risk_failure = f"the risk model is not available in this build ({exc})"
        except DeorbitError as exc:
            risk_failure = str(exc)
    text = render_report(
        exposure, track, countries_geojson(), prediction, decay, failure, risk, risk_failure
    )
    out = atomic_write_text(path, text)
    if png_dir is not None:
        from deorbit.plotting import plot_exposure

        folder = Path(png_dir)
        plot_exposure(run, folder / "exposure.png")
        if predicted is not None:
            from deorbit.plotting import plot_decay

            plot_decay(predicted, folder / "decay.png")
    return out
