"""Static figures (matplotlib, Agg backend), written atomically as PNG files."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from deorbit.fileio import atomic_write_bytes

if TYPE_CHECKING:
    from deorbit.jobs import ExposureRun

__all__ = ["plot_exposure", "split_at_antimeridian"]


def split_at_antimeridian(
    lon_deg: np.ndarray, lat_deg: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Insert NaN breaks where a track jumps across ±180° so lines are not drawn across the map."""
    lon = np.asarray(lon_deg, dtype=float)
    lat = np.asarray(lat_deg, dtype=float)
    jumps = np.flatnonzero(np.abs(np.diff(lon)) > 180.0) + 1
    return np.insert(lon, jumps, np.nan), np.insert(lat, jumps, np.nan)


def _save(fig, path: str | Path) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=130, bbox_inches="tight")
    return atomic_write_bytes(path, buf.getvalue())


def plot_exposure(run: ExposureRun, path: str | Path, track_hours: float = 24.0) -> Path:
    """Map of long-run share per country with the first ``track_hours`` of ground track."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import shapely
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import LogNorm

    countries = run.countries
    share = run.analytic.fraction
    fig, (ax, bx) = plt.subplots(
        2, 1, figsize=(12, 9.5), gridspec_kw={"height_ratios": [3, 1.4]}, layout="constrained"
    )
    polys, values = [], []
    for c in countries.countries:
        for part in shapely.get_parts(countries.geometry(c.index)):
            polys.append(np.asarray(part.exterior.coords))
            values.append(share[c.index])
    values = np.asarray(values)
    positive = values[values > 0]
    norm = LogNorm(vmin=max(positive.min(), 1e-5), vmax=positive.max()) if positive.size else None
    coll = PolyCollection(polys, cmap="YlOrRd", norm=norm, edgecolors="#555555", linewidths=0.2)
    coll.set_array(np.where(values > 0, values, np.nan))
    coll.set_cmap(coll.get_cmap().with_extremes(bad="#e8e8e8"))
    ax.add_collection(coll)
    ax.set_facecolor("#dbe9f6")
    t = run.track.times_utc
    n = int(np.searchsorted(t, t[0] + np.timedelta64(int(track_hours * 3600), "s")))
    lon, lat = split_at_antimeridian(run.track.lon_deg[:n], run.track.lat_deg[:n])
    ax.plot(lon, lat, color="#1f4e79", lw=0.7, label=f"ground track, first {track_hours:g} h")
    for sign in (1, -1):
        ax.axhline(sign * run.max_lat_deg, color="#1f4e79", ls="--", lw=0.8)
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_aspect("equal")
    ax.set_xlabel("longitude (deg)")
    ax.set_ylabel("geodetic latitude (deg)")
    es = run.obj.latest
    ax.set_title(
        f"{es.name} [{es.norad_id}]: long-run share of time overhead "
        f"(land {100 * run.analytic.land_fraction:.1f}%), band ±{run.max_lat_deg:.2f}°"
    )
    ax.legend(loc="lower left", fontsize=8)
    fig.colorbar(coll, ax=ax, shrink=0.6, label="share of time (log scale)")

    top = run.analytic.ranked()[:15]
    names = [countries.countries[k].name for k, _ in top]
    x = np.arange(len(top))
    bx.bar(x - 0.2, [100 * f for _, f in top], width=0.4, label="long run (analytic)")
    bx.bar(x + 0.2, [100 * run.window.fraction[k] for k, _ in top], width=0.4, label="window")
    bx.set_xticks(x, names, rotation=35, ha="right", fontsize=8)
    bx.set_ylabel("% of time overhead")
    bx.legend(fontsize=8)
    out = _save(fig, path)
    plt.close(fig)
    return out
