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


def _band_on_grid(t_ns: np.ndarray, alt_km: np.ndarray, grid_ns: np.ndarray) -> np.ndarray:
    """Each sample's altitude on a common time grid; 0 km after it came down.

    Counting re-entered samples as "below everything" keeps the percentiles honest: the 5 %
    line drops to the ground once 5 % of the samples are down, instead of jumping between the
    survivors.
    """
    out = np.zeros((grid_ns.size, t_ns.shape[1]))
    for k in range(t_ns.shape[1]):  # per sample: each has its own time steps
        ok = np.isfinite(alt_km[:, k]) & (t_ns[:, k] > np.iinfo(np.int64).min)
        if ok.sum() >= 2:
            tk, ak = t_ns[ok, k], alt_km[ok, k]
            before = grid_ns < tk[0]
            out[:, k] = np.where(grid_ns <= tk[-1], np.interp(grid_ns, tk, ak), 0.0)
            out[before, k] = np.nan
    return out


def plot_decay(prediction, path: str | Path) -> Path:
    """Decay curve: mean altitude of the nominal run, the 5-95% band of the samples, the
    observed element history, and the re-entry window."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    p = prediction
    hist = p.result.history
    t_ns = hist.t_utc.astype("datetime64[ns]").astype(np.int64)
    valid = t_ns[t_ns > np.iinfo(np.int64).min]
    grid = np.linspace(valid.min(), valid.max(), 400).astype(np.int64)
    band = _band_on_grid(t_ns, hist.mean_alt_km, grid)
    grid_dt = grid.astype("datetime64[ns]")
    fig, ax = plt.subplots(figsize=(10, 5.5), layout="constrained")
    with np.errstate(all="ignore"):
        lo = np.nanpercentile(band, 5, axis=1)
        hi = np.nanpercentile(band, 95, axis=1)
    if band.shape[1] > 1:
        ax.fill_between(grid_dt, lo, hi, color="#f4a582", alpha=0.6, label="5-95% of samples")
    nh = p.nominal.history
    nt = nh.t_utc[:, 0]
    ok = ~np.isnat(nt)
    ax.plot(nt[ok], nh.mean_alt_km[ok, 0], color="#b2182b", lw=1.5, label="nominal")
    obs_t = np.array([np.datetime64(es.epoch_utc.replace(tzinfo=None), "ns") for es in p.history])
    obs_alt = np.array([es.semi_major_axis_km - 6378.137 for es in p.history])
    recent = obs_t >= obs_t[-1] - np.timedelta64(365, "D")
    ax.plot(
        obs_t[recent], obs_alt[recent], ".", ms=3, color="#2166ac", label="element sets (a - R)"
    )
    q05, q50, q95 = p.quantiles_utc()
    if q50 is not None:
        ax.axvspan(
            q05.replace(tzinfo=None),
            q95.replace(tzinfo=None),
            color="#999999",
            alpha=0.25,
            label="re-entry 5-95%",
        )
        ax.axvline(
            q50.replace(tzinfo=None),
            color="k",
            lw=1,
            ls="--",
            label=f"median {q50:%Y-%m-%d %H:%M}Z",
        )
    top = max(float(np.nanmax(obs_alt[recent])), float(np.nanmax(hi))) + 10
    ax.set_ylim(100, top)
    ax.set_ylabel("mean altitude a - R_eq (km)")
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(mdates.AutoDateLocator()))
    es = p.start
    ax.set_title(
        f"{es.name} [{es.norad_id}]: decay from {es.epoch_utc:%Y-%m-%d}, BC {p.bc_m2_per_kg:.4g} m²/kg "
        f"({p.bc_method}), {p.result.reentered.size} samples"
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    out = _save(fig, path)
    plt.close(fig)
    return out


def plot_risk(run, path: str | Path) -> Path:
    """Impact-probability heat map (per km^2, log scale) with country borders."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    g = run.grid
    density = g.fall / g.area_km2
    positive = density[density > 0]
    fig, ax = plt.subplots(figsize=(12, 6.5), layout="constrained")
    ax.set_facecolor("#dbe9f6")
    for lon, lat in run.countries.boundaries():
        ax.plot(lon, lat, color="#555555", lw=0.3)
    if positive.size:
        masked = np.ma.masked_less_equal(density, 0)
        mesh = ax.pcolormesh(
            g.lon_edges_deg,
            g.lat_edges_deg,
            masked,
            cmap="inferno_r",
            norm=LogNorm(vmin=max(positive.min(), positive.max() * 1e-6), vmax=positive.max()),
            shading="flat",
        )
        fig.colorbar(mesh, ax=ax, shrink=0.7, label="impact probability per km² (log scale)")
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_aspect("equal")
    ax.set_xlabel("longitude (deg)")
    ax.set_ylabel("latitude (deg)")
    es = run.obj.latest
    cas = run.casualty
    when = run.options.mode
    if run.window is not None:
        when += f" {run.window[0]:%Y-%m-%d %H:%M} to {run.window[1]:%Y-%m-%d %H:%M}Z"
    ax.set_title(
        f"{es.name} [{es.norad_id}] debris footprint ({when}); "
        f"E_c = {cas.ec:.2g} (1 in {cas.one_in:,.0f}), casualty area {cas.casualty_area_m2:,.0f} m²"
    )
    out = _save(fig, path)
    plt.close(fig)
    return out
