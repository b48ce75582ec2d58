"""Browser-ready data shared by the web service and the HTML report (no web framework here).

The JSON answers of the CLI (:func:`deorbit.jobs.exposure_job`, :func:`deorbit.predict.
prediction_json`) are the schemas of the API.  A map and a chart need a little more, and this
module makes it, from the same computed objects:

- :func:`countries_geojson` -- the bundled Natural Earth 1:50m admin-0 borders, simplified for
  drawing (Douglas-Peucker at 0.1 deg, coordinates on a 0.01 deg grid: ~340 kB instead of
  2.4 MB).  Each feature carries ``adm0_a3``, the key of the exposure rows, so the browser joins
  shares to shapes without guessing.  Drawing only: every number is computed on the full
  1:50m polygons.
- :func:`track_json` -- the first hours of a ground track, thinned to at most one point a
  minute, as column arrays.
- :func:`decay_curve` -- the decay curve of a prediction: nominal mean altitude, the 5-50-95 %
  band of the Monte Carlo samples on a common time grid, and the observed element history.

:func:`dumps` encodes JSON strictly: NaN and infinity become ``null`` (browsers reject NaN).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from deorbit.jobs import ExposureRun
    from deorbit.predict import Prediction

__all__ = [
    "SIMPLIFY_TOLERANCE_DEG",
    "countries_geojson",
    "countries_geojson_bytes",
    "decay_curve",
    "dumps",
    "track_json",
]

#: Douglas-Peucker tolerance for the drawn borders (0.1 deg is ~11 km, below a screen pixel of
#: a world map ~1000 px wide: 0.36 deg).
SIMPLIFY_TOLERANCE_DEG = 0.1
#: Grid the drawn coordinates are snapped to.
GRID_DEG = 0.01
#: Earth equatorial radius used for "mean altitude a - R_eq" (WGS-84), km.
_R_EQ_KM = 6378.137
_NS_PER_S = 1_000_000_000


def _clean(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None (recursively)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def dumps(value: Any) -> bytes:
    """Compact, strict JSON (UTF-8): NaN/inf become null instead of invalid ``NaN`` tokens."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError:
        text = json.dumps(_clean(value), separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def _floats(values: np.ndarray, digits: int) -> list[float | None]:
    """Rounded floats for JSON, None where not finite."""
    out = np.round(np.asarray(values, dtype=float), digits)
    return [float(v) if math.isfinite(v) else None for v in out.tolist()]


def _unix_s(t64: np.ndarray) -> np.ndarray:
    """datetime64 -> float seconds since 1970 (NaT -> NaN)."""
    t = np.asarray(t64).astype("datetime64[ns]")
    out = t.astype(np.int64).astype(float) / _NS_PER_S
    out[np.isnat(t)] = np.nan
    return out


# -- borders ---------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def countries_geojson() -> dict[str, Any]:
    """The bundled borders as a GeoJSON FeatureCollection for drawing (see module docstring).

    Properties: ``adm0_a3`` (Natural Earth key, as in the exposure rows), ``iso_a3`` (may be
    null) and ``name``.  Countries too small to survive simplification keep their
    unsimplified outline, so every country of the exposure table can be drawn.
    """
    import shapely

    from deorbit.geography import load_countries

    cmap = load_countries()
    features = []
    for c in cmap.countries:
        full = cmap.geometry(c.index)
        drawn = shapely.set_precision(
            shapely.simplify(full, SIMPLIFY_TOLERANCE_DEG, preserve_topology=True), GRID_DEG
        )
        if drawn.is_empty:
            drawn = full
        features.append(
            {
                "type": "Feature",
                "properties": {"adm0_a3": c.adm0_a3, "iso_a3": c.iso_a3, "name": c.name},
                "geometry": json.loads(shapely.to_geojson(drawn)),
            }
        )
    return {
        "type": "FeatureCollection",
        "name": "Natural Earth 1:50m admin-0 countries (simplified for drawing)",
        "source": (
            "Natural Earth (public domain), bundled with deorbit; "
            f"simplified at {SIMPLIFY_TOLERANCE_DEG} deg, coordinates to {GRID_DEG} deg"
        ),
        "features": features,
    }


@lru_cache(maxsize=1)
def countries_geojson_bytes() -> bytes:
    """:func:`countries_geojson` encoded once."""
    return dumps(countries_geojson())


# -- ground track ----------------------------------------------------------------------------
def track_json(run: ExposureRun, hours: float = 24.0, min_step_s: float = 60.0) -> dict[str, Any]:
    """The first ``hours`` of the window's ground track, at most one point per ``min_step_s``.

    Columns: ``t_unix_s``, ``lat_deg``, ``lon_deg`` (null where SGP4 failed).  The browser
    splits the line where it crosses +-180 deg.
    """
    t = run.track.times_utc
    if t.size == 0:
        idx = np.zeros(0, dtype=int)
        step_s = None
    else:
        end = t[0] + np.timedelta64(int(hours * 3600), "s")
        n = int(np.searchsorted(t, end, side="right"))
        native_s = float((t[1] - t[0]) / np.timedelta64(1, "s")) if t.size > 1 else min_step_s
        every = max(1, int(math.ceil(min_step_s / native_s - 1e-9)))
        idx = np.arange(0, n, every)
        step_s = native_s * every
    es = run.obj.latest
    return {
        "object": {"norad_id": es.norad_id, "name": es.name},
        "hours": hours,
        "step_s": step_s,
        "max_lat_deg": round(run.max_lat_deg, 4),
        "t_unix_s": _floats(_unix_s(t[idx]), 0),
        "lat_deg": _floats(run.track.lat_deg[idx], 3),
        "lon_deg": _floats(run.track.lon_deg[idx], 3),
    }


# -- decay curve -----------------------------------------------------------------------------
def _band_on_grid(t_ns: np.ndarray, alt_km: np.ndarray, grid_ns: np.ndarray) -> np.ndarray:
    """Each sample's altitude interpolated onto ``grid_ns``: (n_grid, N), NaN outside its span.

    Every sample has its own time steps (the integrator adapts per sample), so the band can
    only be taken after putting all of them on one grid.
    """
    out = np.full((grid_ns.size, t_ns.shape[1]), np.nan)
    nat = np.iinfo(np.int64).min
    for k in range(t_ns.shape[1]):
        ok = np.isfinite(alt_km[:, k]) & (t_ns[:, k] != nat)
        if np.count_nonzero(ok) >= 2:
            tk, ak = t_ns[ok, k], alt_km[ok, k]
            inside = (grid_ns >= tk[0]) & (grid_ns <= tk[-1])
            out[inside, k] = np.interp(grid_ns[inside], tk, ak)
    return out


def decay_curve(p: Prediction, n_grid: int = 240, history_days: float = 365.0) -> dict[str, Any]:
    """The decay curve of a prediction, ready to draw.

    ``band`` holds the 5th, 50th and 95th percentile of mean altitude (a - R_eq) over the
    samples on a common grid of ``n_grid`` instants; a point is left null where fewer than
    a tenth of the samples (and fewer than 2) are still flying there, because the percentiles
    of the few survivors describe them, not the ensemble.  ``nominal`` is the nominal run
    (central ballistic coefficient and density), ``observed`` the element sets of the last
    ``history_days`` before the prediction start (a - R_eq of each set), and ``window`` the
    re-entry quantiles also found in the prediction's JSON.
    """
    hist = p.result.history
    t_ns = np.asarray(hist.t_utc).astype("datetime64[ns]").astype(np.int64)
    if t_ns.ndim == 1:
        t_ns = t_ns[:, None]
    alt = np.asarray(hist.mean_alt_km, dtype=float).reshape(t_ns.shape)
    nat = np.iinfo(np.int64).min
    valid = t_ns[t_ns != nat]
    band: dict[str, Any] = {"t_unix_s": [], "p05_km": [], "p50_km": [], "p95_km": []}
    if valid.size >= 2 and valid.max() > valid.min():
        grid = np.linspace(valid.min(), valid.max(), n_grid).astype(np.int64)
        on_grid = _band_on_grid(t_ns, alt, grid)
        flying = np.count_nonzero(np.isfinite(on_grid), axis=1)
        enough = flying >= max(2, on_grid.shape[1] // 10)
        q = np.full((3, grid.size), np.nan)
        if enough.any():
            q[:, enough] = np.nanpercentile(on_grid[enough], [5, 50, 95], axis=1)
        band = {
            "t_unix_s": _floats(grid / _NS_PER_S, 0),
            "p05_km": _floats(q[0], 3),
            "p50_km": _floats(q[1], 3),
            "p95_km": _floats(q[2], 3),
            "samples_flying": flying.astype(int).tolist(),
        }
    nh = p.nominal.history
    nt = np.asarray(nh.t_utc)
    nt = nt[:, 0] if nt.ndim == 2 else nt
    nalt = np.asarray(nh.mean_alt_km, dtype=float)
    nalt = nalt[:, 0] if nalt.ndim == 2 else nalt
    ok = ~np.isnat(nt.astype("datetime64[ns]"))
    start = p.start.epoch_utc
    observed = [
        es for es in p.history if (start - es.epoch_utc).total_seconds() <= history_days * 86400.0
    ]
    q05, q50, q95 = p.quantiles_utc()
    return {
        "quantity": "mean altitude a - R_eq (km)",
        "samples": int(p.result.reentered.size),
        "band": band,
        "nominal": {
            "t_unix_s": _floats(_unix_s(nt[ok]), 0),
            "mean_alt_km": _floats(nalt[ok], 3),
        },
        "observed": {
            "t_unix_s": [_epoch_s(es.epoch_utc) for es in observed],
            "mean_alt_km": [round(es.semi_major_axis_km - _R_EQ_KM, 3) for es in observed],
        },
        "window": {
            "p05_unix_s": _epoch_s(q05) if q05 else None,
            "median_unix_s": _epoch_s(q50) if q50 else None,
            "p95_unix_s": _epoch_s(q95) if q95 else None,
        },
    }


def _epoch_s(t: datetime) -> float:
    return round((t - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds(), 3)
