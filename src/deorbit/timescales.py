"""Instants in UTC, and the Julian dates SGP4 and the Earth-rotation formulas want.

deorbit keeps every instant as a :class:`numpy.datetime64` in **UTC with nanosecond
resolution** (``datetime64[ns]``), the convention of numpy and pandas: a datetime64 carries no
time zone, and here it always means UTC.  Python ``datetime`` values at the edges of the API
must be time-zone aware; they are converted to UTC.

Julian dates are handed around *split* as ``(whole, fraction)``, the way the ``sgp4`` package
takes them: ``whole`` is the Julian date of the preceding 0 h UTC (always ``xxx.5``, an exact
float) and ``fraction`` the part of the day in ``[0, 1)``.  A single float64 Julian date
(about 2.46e6) resolves only ~40 microseconds; the split form keeps the fraction to ~1e-16
day, i.e. picoseconds.

Time scales
-----------
UTC
    SGP4 runs on UTC: element-set epochs are UTC, and ``tsince`` is a difference of two UTC
    instants.  **Leap seconds are therefore not needed for propagation**; a difference of two
    UTC datetimes across a leap second is off by that second, which is the same convention the
    element sets were fitted with (and well below SGP4's km-level accuracy).  deorbit does not
    carry TAI or TT.
UT1
    Earth rotation angle (and so GMST) is a function of UT1 = UTC + dUT1.  IERS keeps
    ``|dUT1| < 0.9 s``.  Ignoring it (``dut1_s=0``, the default everywhere) turns the Earth by
    at most ``0.9 s * 360 deg / 86164 s = 0.0038 deg`` too little or too much: at most about
    **420 m of longitude at the equator** (less at higher latitudes, by cos(latitude)).  That is
    far below SGP4's own along-track error of ~1 km at epoch growing by km per day, so the
    default is reasonable; pass the IERS value when comparing with other software.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from deorbit.errors import InputError

#: Julian date of the numpy/Unix epoch 1970-01-01T00:00:00 UTC.
JD_UNIX_EPOCH = 2440587.5
#: Julian date of J2000.0 (2000-01-01T12:00 TT; used as an epoch on the UT1 axis by IAU-1982).
JD_J2000 = 2451545.0
NS_PER_DAY = 86_400_000_000_000
NS_PER_S = 1_000_000_000
_DT64_NS = np.dtype("datetime64[ns]")
_UNIX_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)

TimesLike = Any
"""Anything :func:`as_datetime64_utc` accepts: datetime, ISO string, datetime64, or arrays/
sequences of those."""


def _parse_iso(text: str) -> np.datetime64:
    """One ISO 8601 string to datetime64[ns] UTC; a string without an offset is taken as UTC."""
    s = text.strip()
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        raise InputError(f"cannot read {text!r} as an ISO 8601 time", field="time") from None
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    # Through numpy (not timestamp()) so that sub-microsecond digits are not lost.
    frac_ns = 0
    if "." in s:  # datetime keeps only microseconds; numpy can read nanoseconds
        digits = s.split(".", 1)[1]
        digits = digits[: len(digits) - len(digits.lstrip("0123456789"))]
        if len(digits) > 6:
            frac_ns = int(digits[6:9].ljust(3, "0"))
    return np.datetime64(dt.replace(tzinfo=None), "ns") + np.timedelta64(frac_ns, "ns")


def _from_datetime(dt: datetime) -> np.datetime64:
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise InputError(
            f"datetime {dt.isoformat()} has no time zone; deorbit needs UTC-aware datetimes "
            "(e.g. datetime(..., tzinfo=datetime.UTC))",
            field="time",
        )
    # Integer arithmetic: exact to the microsecond for any date.
    us = (dt - _UNIX_EPOCH_UTC) // timedelta(microseconds=1)
    return np.datetime64(us, "us").astype(_DT64_NS)


def as_datetime64_utc(x: TimesLike) -> np.ndarray | np.datetime64:
    """Convert instants to ``datetime64[ns]`` (UTC).

    Accepts a time-zone-aware :class:`~datetime.datetime` (any zone; converted to UTC), an ISO
    8601 string (``"2025-11-29T20:01:44Z"``, ``"2025-11-29 20:01:44.123+01:00"``; a string
    without an offset is read as UTC), a :class:`numpy.datetime64` or datetime64 array of any
    unit (taken as UTC, numpy's convention), or a list/tuple/array of any of these.

    A scalar gives a scalar ``np.datetime64``; anything else an ``ndarray`` of the same shape.
    Naive ``datetime`` objects are refused (:class:`~deorbit.errors.InputError`): a naive
    ``datetime.now()`` is local time, a classic source of hour-sized errors.  Units coarser
    than ns are converted exactly; the datetime64[ns] range is years 1678-2261.
    """
    if isinstance(x, np.ndarray):
        if np.issubdtype(x.dtype, np.datetime64):
            return x.astype(_DT64_NS, copy=False)
        if x.dtype == object or x.dtype.kind in "US":
            flat = [as_datetime64_utc(item) for item in x.ravel().tolist()]
            return np.array(flat, dtype=_DT64_NS).reshape(x.shape)
        raise InputError(f"cannot read an array of {x.dtype} as times", field="time")
    if isinstance(x, np.datetime64):
        return x.astype(_DT64_NS)
    if isinstance(x, datetime):
        return _from_datetime(x)
    if isinstance(x, str):
        return _parse_iso(x)
    if isinstance(x, Iterable):
        return np.array([as_datetime64_utc(item) for item in x], dtype=_DT64_NS)
    raise InputError(f"cannot read {x!r} as a time", field="time")


def to_datetime_utc(t: np.datetime64 | datetime | str) -> datetime:
    """One instant as a UTC-aware :class:`~datetime.datetime` (truncated to the microsecond)."""
    ns = int(np.asarray(as_datetime64_utc(t)).astype(np.int64))
    return _UNIX_EPOCH_UTC + timedelta(microseconds=ns // 1000)


def jd_utc_split(times_utc: TimesLike) -> tuple[np.ndarray, np.ndarray]:
    """Julian date of UTC instants, split as ``(whole, fraction)`` for ``sgp4``.

    ``whole`` is the JD of the preceding 0 h UTC (``xxxxxxx.5``) and ``fraction`` is in
    ``[0, 1)``.  Computed from integer nanoseconds, so ``whole`` is exact and ``fraction`` is
    correct to float64 rounding (~1e-16 day).  Returns float64 arrays of the input's shape
    (0-d for a scalar).
    """
    ns = np.asarray(as_datetime64_utc(times_utc)).astype(np.int64)
    days, rem_ns = np.divmod(ns, NS_PER_DAY)
    whole = days.astype(np.float64)
    whole += JD_UNIX_EPOCH
    return whole, rem_ns / float(NS_PER_DAY)


def jd_ut1_split(
    times_utc: TimesLike, dut1_s: float | np.ndarray = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Julian date of UT1 = UTC + ``dut1_s``, split as ``(whole, fraction)``.

    ``whole`` is the same as in :func:`jd_utc_split`; ``fraction`` gets ``dut1_s / 86400``
    added and may therefore fall slightly outside ``[0, 1)`` (by < 1e-5), which every consumer
    of split dates accepts.  ``dut1_s`` is a scalar or broadcasts against the times (IERS
    Bulletin A/B value, |dUT1| < 0.9 s; default 0 costs < ~420 m of longitude, see module doc).
    """
    whole, frac = jd_utc_split(times_utc)
    if np.any(dut1_s):
        frac = frac + np.asarray(dut1_s, dtype=np.float64) / 86400.0
    return whole, frac


def datetime64_from_jd(
    jd_whole: np.ndarray | float, jd_frac: np.ndarray | float = 0.0
) -> np.ndarray:
    """Inverse of :func:`jd_utc_split`: split (or single) UTC Julian dates to datetime64[ns].

    Rounded to the nearest nanosecond.  A single float JD resolves only ~40 us; prefer the
    split form.
    """
    w = np.asarray(jd_whole, dtype=np.float64) - JD_UNIX_EPOCH
    w_days = np.floor(w)
    f = (w - w_days) + np.asarray(jd_frac, dtype=np.float64)
    ns = w_days.astype(np.int64) * NS_PER_DAY + np.rint(f * NS_PER_DAY).astype(np.int64)
    return ns.astype(_DT64_NS)


def time_grid(start_utc: TimesLike, end_utc: TimesLike, step_s: float) -> np.ndarray:
    """Evenly spaced instants ``start, start + step, ...`` up to and including ``end``.

    ``end`` is included when it falls on the grid (to the nanosecond); the last instant is
    never after ``end``.  ``step_s`` (seconds, > 0) is rounded to whole nanoseconds and the
    grid is built from integer nanoseconds, so there is no accumulated rounding drift even
    over years.  Returns ``datetime64[ns]`` of length ``floor((end - start) / step) + 1``.
    """
    start = np.int64(np.asarray(as_datetime64_utc(start_utc)).astype(np.int64))
    end = np.int64(np.asarray(as_datetime64_utc(end_utc)).astype(np.int64))
    if not (np.isfinite(step_s) and step_s > 0):
        raise InputError(f"time step {step_s} s is not positive", field="step")
    step_ns = np.int64(round(step_s * NS_PER_S))
    if step_ns <= 0:
        raise InputError(f"time step {step_s} s is below one nanosecond", field="step")
    if end < start:
        raise InputError("the end time is before the start time", field="time")
    n = int((end - start) // step_ns) + 1
    return (start + step_ns * np.arange(n, dtype=np.int64)).astype(_DT64_NS)
