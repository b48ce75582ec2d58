"""Solar and geomagnetic indices for the atmosphere: parse, load, fetch, and look up *as of* an epoch.

Source
    CelesTrak's ``SW-All.csv`` (format: https://celestrak.org/SpaceData/SpaceWx-format.php):
    one row per day from 1957-10-01 with the eight 3-hourly Kp/ap values, daily Ap, F10.7
    observed and adjusted to 1 AU, and 81-day averages; rows flagged OBS (observed) or INT
    (interpolated gap), then ~45 days of daily forecasts (PRD), then monthly forecasts (PRM,
    first of each month, no Kp/ap).  A copy is bundled; ``fetch_space_weather`` refreshes a
    user copy in ``$DEORBIT_DATA_DIR``, which :func:`load_space_weather` prefers when newer.
    Parsed files are kept as ``.npz`` in the cache folder (``spaceweather/`` under
    ``$DEORBIT_CACHE_DIR``), keyed by a hash of the file's bytes: ~0.01 s to load instead of
    ~0.25 s to parse the 25,000 rows.

What MSIS wants (Picone et al. 2002; Emmert et al. 2022)
    - F10.7: the *observed* (not 1-AU adjusted) flux of the previous day;
    - F10.7A: the 81-day centred mean of observed F10.7;
    - Ap: the daily Ap, or in storm-time mode the 7-vector (daily Ap, 3-h ap now, 3, 6 and 9 h
      before, mean of the eight 3-h values 12-33 h before, mean of those 36-57 h before).

As-of rule (no look-ahead)
    A prediction made at epoch T may use only what was known at T.  :meth:`SpaceWeather.indices`
    builds the daily F10.7 and Ap series *as known at T*: observed values for days before T;
    for later days, the file's forecast when T is after the file's last observation (it is the
    forecast that was available), otherwise *persistence* - the mean of the 81 observed days
    before T for F10.7 (and so for F10.7A) and the mean of the 27 days before T for Ap.  This
    file keeps only its latest forecast, so for a past epoch the forecast issued then is
    unknown; persistence over one solar rotation (27 d) for Ap and three rotations (81 d) for
    F10.7 is the standard no-skill baseline that forecasters beat only by a few percent beyond a
    few weeks, and it uses nothing from after T.  F10.7A is then the centred 81-day mean of that
    series, so near T it mixes observed and predicted days, as an operator's would.
    ``mode="observed"`` uses the file as it stands (observed values, then its forecast) for
    hindcasts.  Beyond the end of the file the last values are held, and
    :meth:`SpaceWeather.staleness` says which dates rest on forecast or persistence.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from deorbit.atmosphere import to_datetime64_utc
from deorbit.data import as_file, data_file
from deorbit.errors import FetchError, InputError
from deorbit.fileio import user_cache_dir, user_data_dir

__all__ = [
    "DEFAULT_URL",
    "Indices",
    "SpaceWeather",
    "fetch_space_weather",
    "load_space_weather",
    "parse_sw_csv",
    "user_data_dir",
]

DEFAULT_URL = "https://celestrak.org/SpaceData/SW-All.csv"
FILENAME = "SW-All.csv"
OBSERVED_TYPES = ("OBS", "INT")
FORECAST_TYPES = ("PRD", "PRM")
_REQUIRED = (
    "DATE", "AP1", "AP2", "AP3", "AP4", "AP5", "AP6", "AP7", "AP8", "AP_AVG",
    "F10.7_OBS", "F10.7_ADJ", "F10.7_DATA_TYPE", "F10.7_OBS_CENTER81", "F10.7_OBS_LAST81",
)  # fmt: skip
_DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class Indices:
    """Space-weather inputs for MSIS at each requested time (arrays of the times' shape).

    ``f107_sfu``: previous day's observed F10.7; ``f107a_sfu``: 81-day centred mean;
    ``ap_daily``: daily Ap; ``ap_history``: (..., 7) storm-time ap vector; ``warnings``:
    human-readable notes on forecast/persistence use (empty when all observed).
    """

    f107_sfu: np.ndarray
    f107a_sfu: np.ndarray
    ap_daily: np.ndarray
    ap_history: np.ndarray
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpaceWeather:
    """The rows of an ``SW-All.csv`` file as arrays (one entry per row; PRM rows are monthly).

    Blank forecast fields are NaN.  ``ap_3h`` has shape (n, 8) (00-03 UT, ..., 21-24 UT).
    """

    source: str
    dates: np.ndarray  # datetime64[D]
    f107_obs: np.ndarray
    f107_adj: np.ndarray
    f107_obs_ctr81: np.ndarray
    f107_obs_last81: np.ndarray
    ap_daily: np.ndarray
    ap_3h: np.ndarray
    data_type: np.ndarray  # str: OBS, INT, PRD, PRM
    last_observed_date: np.datetime64
    _daily: dict = field(default_factory=dict, repr=False, compare=False)

    # -- daily series ---------------------------------------------------------------------------
    def _daily_series(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(days, F10.7 obs, Ap daily, ap 3-h (n, 8)) on every day, monthly rows held daily,
        blank Ap (monthly forecasts) held from the last day that has one."""
        if not self._daily:
            first, last = self.dates[0], self.dates[-1]
            days = np.arange(first, last + _DAY, dtype="datetime64[D]")
            row = np.searchsorted(self.dates, days, side="right") - 1
            f = self.f107_obs[row]
            ap = self.ap_daily[row].copy()
            ap3 = self.ap_3h[row].copy()
            good = np.isfinite(ap)
            hold = np.maximum.accumulate(np.where(good, np.arange(len(ap)), 0))
            ap = ap[hold]
            bad3 = ~np.all(np.isfinite(ap3), axis=1)
            ap3[bad3] = ap[bad3, None]
            self._daily.update(days=days, f=f, ap=ap, ap3=ap3)
        d = self._daily
        return d["days"], d["f"], d["ap"], d["ap3"]

    def _known_series(
        self, as_of_day: np.datetime64 | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        days, f, ap, ap3 = self._daily_series()
        if as_of_day is None or as_of_day > self.last_observed_date:
            return days, f, ap, ap3
        k = int((as_of_day - days[0]) / _DAY)  # first day not known at T
        if k < 27:
            raise InputError(
                f"as-of epoch {as_of_day} is within 27 days of the start of the record",
                source=self.source,
            )
        f, ap, ap3 = f.copy(), ap.copy(), ap3.copy()
        f[k:] = f[max(0, k - 81) : k].mean()
        ap[k:] = ap[k - 27 : k].mean()
        ap3[k:] = ap[k]
        return days, f, ap, ap3

    def indices(
        self,
        times_utc: object,
        *,
        as_of_utc: object | None = None,
        mode: Literal["asof", "observed"] = "asof",
    ) -> Indices:
        """MSIS inputs at ``times_utc`` as known at ``as_of_utc`` (see the module docstring).

        ``as_of_utc`` defaults to the earliest requested time (a prediction starting then).
        ``mode="observed"`` ignores ``as_of_utc`` and uses the file as it stands.
        """
        t = to_datetime64_utc(times_utc)
        if mode not in ("asof", "observed"):
            raise ValueError(f"mode must be 'asof' or 'observed', not {mode!r}")
        as_of_day = None
        if mode == "asof":
            ref = t.min() if as_of_utc is None else to_datetime64_utc(as_of_utc)
            as_of_day = np.datetime64(ref, "D")
        days, f, ap, ap3 = self._known_series(as_of_day)
        d = t.astype("datetime64[D]")
        if np.any(d < days[0] + _DAY):
            raise InputError(
                f"times before {days[0] + _DAY} precede the record", source=self.source
            )
        n = len(days)
        k_raw = ((d - days[0]) / _DAY).astype(np.int64)
        k = np.clip(k_raw, 0, n - 1)  # past the end of the file: hold the last day
        kprev = np.clip(k_raw - 1, 0, n - 1)
        csum = np.concatenate([[0.0], np.cumsum(f)])
        lo = np.clip(k - 40, 0, n)
        hi = np.clip(k + 41, 0, n)
        f107a = (csum[hi] - csum[lo]) / (hi - lo)
        # 3-hourly ap history around each time
        flat = ap3.ravel()
        sec = (t - d).astype("timedelta64[s]").astype(np.int64)
        slot = np.clip(k * 8 + sec // 10800, 0, flat.size - 1)

        def at(offset: int | np.ndarray) -> np.ndarray:
            return flat[np.clip(slot - offset, 0, flat.size - 1)]

        hist = np.stack(
            [
                ap[k],
                at(0),
                at(1),
                at(2),
                at(3),
                np.mean([at(j) for j in range(4, 12)], axis=0),
                np.mean([at(j) for j in range(12, 20)], axis=0),
            ],
            axis=-1,
        )
        return Indices(
            f107_sfu=f[kprev],
            f107a_sfu=f107a,
            ap_daily=ap[k],
            ap_history=hist,
            warnings=tuple(self.staleness(t, as_of_utc=None if as_of_day is None else as_of_day)),
        )

    def staleness(self, times_utc: object, as_of_utc: object | None = None) -> list[str]:
        """Notes on which requested dates rest on forecast or persistence rather than observation."""
        t = to_datetime64_utc(times_utc)
        if t.size == 0:
            return []
        notes = []
        last = self.last_observed_date
        if as_of_utc is not None:
            as_of = np.datetime64(to_datetime64_utc(as_of_utc), "D")
            if as_of <= last:
                first = max(np.datetime64(t.min(), "D"), as_of)
                if np.datetime64(t.max(), "D") >= as_of:
                    notes.append(
                        f"as of {as_of}: using persistence (81-day mean F10.7, 27-day mean Ap) "
                        f"for {first} onwards"
                    )
                return notes
        t_max = np.datetime64(t.max(), "D")
        if t_max > last:
            first = max(np.datetime64(t.min(), "D"), last + _DAY)
            notes.append(
                f"space weather observed only to {last}; using forecast/persistence for "
                f"{first} onwards"
            )
        end = self.dates[-1]
        if t_max > end:
            notes.append(f"space weather file ends {end}; holding its last values after that")
        return notes


def _num(text: str, line: int, name: str, source: str, *, blank_ok: bool) -> float:
    if text == "":
        if blank_ok:
            return float("nan")
        raise InputError("missing value", source=source, line=line, field=name)
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"not a number: {text!r}", source=source, line=line, field=name) from None
    if not np.isfinite(value) or value < 0:
        raise InputError(f"impossible value {text!r}", source=source, line=line, field=name)
    return value


_NUMERIC = (
    "F10.7_OBS",
    "F10.7_ADJ",
    "F10.7_OBS_CENTER81",
    "F10.7_OBS_LAST81",
    "AP_AVG",
    *(f"AP{j}" for j in range(1, 9)),
)


def parse_sw_csv(text: str, source: str = FILENAME) -> SpaceWeather:
    """Parse CelesTrak ``SW-All.csv`` text.  Errors name the source, line and field.

    The structure (field count, date order, data type) is checked row by row; the numbers are
    converted and range-checked as whole columns, and only when a column fails is it walked
    cell by cell to name the line and field (~0.2 s for the 25,000-row file instead of ~1.6 s).
    """
    lines = text.splitlines()
    if not lines:
        raise InputError("empty space-weather file", source=source)
    header = [h.strip() for h in lines[0].split(",")]
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise InputError(
            f"not a CelesTrak SW-All.csv: missing columns {', '.join(missing)}",
            source=source,
            line=1,
        )
    col = {name: header.index(name) for name in _REQUIRED}
    i_date, i_kind = col["DATE"], col["F10.7_DATA_TYPE"]
    numeric_idx = [col[name] for name in _NUMERIC]
    known_kinds = set(OBSERVED_TYPES + FORECAST_TYPES)
    linenos, date_text, types, cells_num = [], [], [], []
    for lineno, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue
        cells = raw.split(",")
        if len(cells) != len(header):
            raise InputError(
                f"{len(cells)} fields, expected {len(header)}", source=source, line=lineno
            )
        kind = cells[i_kind].strip()
        if kind not in known_kinds:
            raise InputError(
                f"unknown data type {kind!r}", source=source, line=lineno, field="F10.7_DATA_TYPE"
            )
        linenos.append(lineno)
        date_text.append(cells[i_date].strip())
        types.append(kind)
        cells_num.append([cells[k].strip() for k in numeric_idx])
    if not linenos:
        raise InputError("no data rows", source=source)
    try:
        dates_arr = np.array(date_text, dtype="datetime64[D]")
    except ValueError:
        for lineno, d in zip(linenos, date_text, strict=True):
            try:
                np.datetime64(d, "D")
            except ValueError:
                raise InputError(
                    f"bad date {d!r}", source=source, line=lineno, field="DATE"
                ) from None
        raise
    back = np.flatnonzero(np.diff(dates_arr) <= np.timedelta64(0, "D"))
    if back.size:
        k = int(back[0]) + 1
        raise InputError(
            f"date {dates_arr[k]} not after {dates_arr[k - 1]}",
            source=source,
            line=linenos[k],
            field="DATE",
        )
    types_arr = np.array(types)
    forecast = np.isin(types_arr, FORECAST_TYPES)
    monthly = types_arr == "PRM"
    strings = np.array(cells_num)
    blank = strings == ""
    # Blank is allowed where CelesTrak leaves it blank: 81-day means and the adjusted flux in
    # forecast rows, Ap in monthly forecast rows; never the observed/forecast flux itself.
    blank_ok = np.zeros_like(blank)
    blank_ok[:, 1:4] = forecast[:, None]
    blank_ok[:, 4:] = monthly[:, None]
    try:
        values = np.where(blank, "nan", strings).astype(float)
    except ValueError:
        values = None
    bad = blank & ~blank_ok
    if values is not None:
        with np.errstate(invalid="ignore"):
            bad |= ~blank & (~np.isfinite(values) | (values < 0))
    if values is None or bad.any():
        rows = range(len(linenos)) if values is None else np.flatnonzero(bad.any(axis=1))
        for r in rows:
            for c, name in enumerate(_NUMERIC):
                _num(strings[r, c], linenos[r], name, source, blank_ok=bool(blank_ok[r, c]))
        raise InputError("unreadable numbers", source=source)  # pragma: no cover
    observed = np.isin(types_arr, OBSERVED_TYPES)
    if not observed.any():
        raise InputError("no observed rows", source=source)
    return SpaceWeather(
        source=source,
        dates=dates_arr,
        f107_obs=values[:, 0].copy(),
        f107_adj=values[:, 1].copy(),
        f107_obs_ctr81=values[:, 2].copy(),
        f107_obs_last81=values[:, 3].copy(),
        ap_daily=values[:, 4].copy(),
        ap_3h=values[:, 5:13].copy(),
        data_type=types_arr,
        last_observed_date=dates_arr[observed][-1],
    )


#: Version of the parsed-file cache layout; part of every cache key (bump when
#: :func:`parse_sw_csv`'s output changes, so old entries are never read).
_CACHE_FORMAT = b"deorbit SW-All parsed v1\0"
#: Parsed files kept in the cache folder (least recently used removed beyond this).
_CACHE_KEEP = 4
_CACHE_FIELDS = (
    "dates", "f107_obs", "f107_adj", "f107_obs_ctr81", "f107_obs_last81", "ap_daily", "ap_3h",
    "data_type", "last_observed_date",
)  # fmt: skip


def _cache_dir() -> Path:
    """Where parsed space-weather files are kept: ``spaceweather/`` in the cache folder
    (:func:`deorbit.fileio.user_cache_dir`)."""
    return user_cache_dir() / "spaceweather"


def _cache_read(file: Path, source: str) -> SpaceWeather | None:
    """The parsed arrays stored in ``file``, or None when missing or unreadable."""
    try:
        with np.load(file, allow_pickle=False) as z:
            arrays = {name: z[name] for name in _CACHE_FIELDS}
    except (OSError, ValueError, KeyError, EOFError):
        return None
    with contextlib.suppress(OSError):
        os.utime(file)  # recently used: kept by the pruning below
    last = arrays.pop("last_observed_date")[()]
    return SpaceWeather(source=source, last_observed_date=last, **arrays)


def _cache_write(file: Path, sw: SpaceWeather) -> None:
    """Store ``sw``'s arrays atomically; best effort (a read-only cache costs only speed)."""
    from deorbit.fileio import atomic_write_bytes

    buf = io.BytesIO()
    np.savez(buf, **{name: np.asarray(getattr(sw, name)) for name in _CACHE_FIELDS})
    try:
        atomic_write_bytes(file, buf.getvalue())
        old = sorted(file.parent.glob("SW-All-*.npz"), key=lambda f: f.stat().st_mtime)
        for stale in old[:-_CACHE_KEEP]:
            stale.unlink(missing_ok=True)
    except OSError:
        pass


@functools.lru_cache(maxsize=4)
def _parse_path_cached(path: str, mtime_ns: int, size: int) -> SpaceWeather:
    """Parse ``path``, or take its arrays from the cache folder.

    Parsing the 25,000-row file costs ~0.25-0.3 s; the cache is keyed by a SHA-256 of the
    file's bytes (and the cache format), so an edited or refreshed file is parsed again and a
    stale entry can never be read; entries are written atomically.
    """
    data = Path(path).read_bytes()
    key = hashlib.sha256(_CACHE_FORMAT + data).hexdigest()[:32]
    file = _cache_dir() / f"SW-All-{key}.npz"
    cached = _cache_read(file, path)
    if cached is not None:
        return cached
    sw = parse_sw_csv(data.decode("utf-8"), source=path)
    _cache_write(file, sw)
    return sw


def _parse_path(path: Path) -> SpaceWeather:
    st = path.stat()
    return _parse_path_cached(str(path), st.st_mtime_ns, st.st_size)


def load_space_weather(path: str | os.PathLike[str] | None = None) -> SpaceWeather:
    """Space weather from ``path``, else the newer of the bundled file and the user copy.

    "Newer" means a later last observed date; a user copy that fails to parse raises (it is
    never silently ignored).  Parsed files are cached by path, modification time and size.
    """
    if path is not None:
        return _parse_path(Path(path))
    with as_file(data_file("spaceweather", FILENAME)) as bundled_path:
        bundled = _parse_path(Path(bundled_path))
    user = user_data_dir() / FILENAME
    if user.is_file():
        mine = _parse_path(user)
        if mine.last_observed_date > bundled.last_observed_date:
            return mine
    return bundled


def fetch_space_weather(
    url: str | None = None,
    dest: str | os.PathLike[str] | None = None,
    timeout_s: float = 30.0,
) -> Path:
    """Download ``SW-All.csv``, check that it parses, and write it atomically; returns the path.

    ``url`` defaults to ``$DEORBIT_SPACEWEATHER_URL`` or :data:`DEFAULT_URL`; ``dest`` to
    ``user_data_dir() / "SW-All.csv"``.  On a network error, an HTTP error or content that is
    not a valid file, raises :class:`FetchError` and leaves any existing file untouched.
    """
    import urllib.error
    import urllib.request

    from deorbit.fileio import atomic_write_bytes

    url = url or os.environ.get("DEORBIT_SPACEWEATHER_URL") or DEFAULT_URL
    target = Path(dest) if dest is not None else user_data_dir() / FILENAME
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise FetchError(f"{url}: {getattr(exc, 'reason', exc)}") from None
    try:
        parse_sw_csv(body.decode("utf-8"), source=url)
    except (InputError, UnicodeDecodeError) as exc:
        raise FetchError(f"{url}: not a valid SW-All.csv ({exc})") from None
    return atomic_write_bytes(target, body)
