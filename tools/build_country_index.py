"""Build the raster country index and the GPW 0.5-degree coverage table from Natural Earth.

    .venv/bin/python tools/build_country_index.py [--resolution 50m] [--cell-deg 0.1]

Writes ``src/deorbit/data/countries/country_index_<res>.npz`` (int16 raster: >= 0 pure country,
-1 pure ocean, <= -2 mixed with reference-point state ``-code - 3``) and, for 50m,
``country_coverage_gpw_30min.npz``.  Both record the SHA-256 of the geojson they were built
from; ``deorbit.geography.countries`` refuses to use them if the shipped geojson differs.

Deterministic: same geojson -> byte-identical npz files (zip entries carry the fixed 1980
timestamp).  Takes ~30 s on one core.  Checks before writing: no reference point lies within
1e-9 deg of an edge, no point is claimed by two countries, and 200,000 random points agree with
``shapely.covers`` on the real polygons.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

import numpy as np
import shapely

from deorbit.geography import countries as C

OUT_DIR = Path(__file__).resolve().parent.parent / "src" / "deorbit" / "data" / "countries"


def classify(cmap: C.CountryMap, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Country index (or OCEAN) at each point, with shapely.covers on the polygon parts.

    Raises if a point is covered by two countries (the lookup would then need a tie rule)."""
    parts, owner = shapely.get_parts(np.asarray(cmap._geoms, dtype=object), return_index=True)
    out = np.full(len(lon), C.OCEAN, dtype=np.int32)
    hits = np.zeros(len(lon), dtype=np.int32)
    order = np.argsort(lon, kind="stable")
    slon = lon[order]
    for part, who in zip(parts, owner, strict=True):
        x0, y0, x1, y1 = part.bounds
        a, b = np.searchsorted(slon, [x0, x1], side="left")[0], np.searchsorted(slon, x1, "right")
        cand = order[a:b]
        cand = cand[(lat[cand] >= y0) & (lat[cand] <= y1)]
        if cand.size == 0:
            continue
        shapely.prepare(part)
        inside = cand[shapely.contains_xy(part, lon[cand], lat[cand])]
        # contains_xy excludes the boundary; points exactly on it are never queried here
        # (cell centres and reference points are checked to be off every edge).
        out[inside] = who
        hits[inside] += 1
    # A point in two parts of the *same* country is impossible (valid MultiPolygons).
    if np.any(hits > 1):
        raise SystemExit(f"{int((hits > 1).sum())} points lie in two countries")
    return out


def segment_distance(px, py, e):
    """Distance (deg) from points to segments e = (x1, y1, x2, y2), vectorised."""
    x1, y1, x2, y2 = e.T
    dx, dy = x2 - x1, y2 - y1
    L2 = dx * dx + dy * dy
    t = np.clip(np.where(L2 > 0, ((px - x1) * dx + (py - y1) * dy) / np.where(L2 > 0, L2, 1), 0),
                0, 1)  # fmt: skip
    return np.hypot(px - (x1 + t * dx), py - (y1 + t * dy))


def save(path: Path, **arrays) -> int:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    path.write_bytes(buf.getvalue())
    return len(buf.getvalue())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolution", default="50m", choices=["50m", "110m"])
    ap.add_argument("--cell-deg", type=float, default=0.1)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    cmap = C.CountryMap(args.resolution)  # does not touch the (possibly stale) index
    cell = args.cell_deg
    n_rows, n_cols = round(180 / cell), round(360 / cell)
    if abs(n_rows * cell - 180) > 1e-9:
        raise SystemExit("--cell-deg must divide 180")
    cells, edge_ids = C._edge_cells(cmap._edges, cell, n_rows, n_cols)
    mixed, starts = np.unique(cells, return_index=True)
    starts = np.append(starts, len(cells))
    n_cells = n_rows * n_cols
    is_mixed = np.zeros(n_cells, dtype=bool)
    is_mixed[mixed] = True
    pure = np.flatnonzero(~is_mixed)

    # Reference points of mixed cells: off every edge that touches the cell.
    rx, ry = C._reference_points(mixed, cell, n_cols)
    per = np.diff(starts)
    d = segment_distance(np.repeat(rx, per), np.repeat(ry, per), cmap._edges[edge_ids])
    if d.min() < 1e-9:
        raise SystemExit(f"a reference point lies {d.min():.2e} deg from an edge; change _REF_F*")

    # Pure cells: their centre (never on an edge: no edge touches the cell).
    prow, pcol = np.divmod(pure, n_cols)
    state = np.empty(n_cells, dtype=np.int32)
    state[pure] = classify(cmap, -180 + (pcol + 0.5) * cell, 90 - (prow + 0.5) * cell)
    state[mixed] = classify(cmap, rx, ry)
    raster = np.where(is_mixed, -3 - state, state).astype(np.int16).reshape(n_rows, n_cols)
    t_index = time.perf_counter() - t0

    meta = {
        "format": C.INDEX_FORMAT,
        "source": C._GEOJSON[args.resolution],
        "source_sha256": cmap.source_sha256,
        "cell_deg": cell,
        "adm0_a3": [c.adm0_a3 for c in cmap.countries],
        "n_edges": len(cmap._edges),
        "ref_fx": C._REF_FX,
        "ref_fy": C._REF_FY,
        "built_by": "tools/build_country_index.py",
    }
    path = OUT_DIR / C.index_file_name(args.resolution)
    size = save(path, raster=raster, meta=np.array(json.dumps(meta, sort_keys=True)))
    print(f"{path.name}: {size:,} bytes; {len(mixed):,} mixed cells of {n_cells:,} "
          f"({100 * len(mixed) / n_cells:.2f} %), {len(cells):,} cell-edge entries; "
          f"built in {t_index:.1f} s")  # fmt: skip

    # Self-test against shapely on random points on the sphere.
    cmap = C.CountryMap(args.resolution)
    rng = np.random.default_rng(20251129)
    n = 200_000
    lon = rng.uniform(-180, 180, n)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    got = cmap.lookup(lat, lon)
    want = classify(cmap, lon, lat)
    bad = np.flatnonzero(got != want)
    if bad.size:
        print("disagreements:", list(zip(lat[bad][:5], lon[bad][:5], got[bad][:5], want[bad][:5],
                                         strict=True)))  # fmt: skip
        return 1
    print(f"self-test: {n:,} random points agree with shapely")

    if args.resolution == "50m":
        t1 = time.perf_counter()
        cov = C.country_coverage(np.linspace(90, -90, 361), np.linspace(-180, 180, 721))
        path = OUT_DIR / C.GPW_COVERAGE_FILE
        meta = {"source": meta["source"], "source_sha256": meta["source_sha256"],
                "grid": "GPW v4 30 arc-minute: row 0 = 90..89.5 N, col 0 = 180..179.5 W",
                "built_by": "tools/build_country_index.py"}  # fmt: skip
        size = save(path, row=cov.row.astype(np.int16), col=cov.col.astype(np.int16),
                    country=cov.country, fraction=cov.fraction.astype(np.float32),
                    meta=np.array(json.dumps(meta, sort_keys=True)))  # fmt: skip
        print(f"{path.name}: {size:,} bytes, {len(cov.row):,} (cell, country) rows, "
              f"built in {time.perf_counter() - t1:.1f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
