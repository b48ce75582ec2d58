"""Ground tracks: where on Earth an object is overhead, at evenly spaced instants.

A ground track is the sub-satellite point (WGS-84 geodetic latitude and longitude: the point
on the ellipsoid whose normal passes through the object) and the object's height above the
ellipsoid, at each instant of a time grid.  The pipeline is

    element set(s) --SGP4--> TEME --GMST82 (+dUT1)--> ITRS --Bowring--> lat, lon, alt

(:mod:`deorbit.propagate`, :mod:`deorbit.frames`).  The arithmetic is exact to millimetres;
the accuracy is SGP4's (about a km at epoch, several km per day away from it), plus up to
~420 m of longitude when ``dut1_s`` is left at 0.

Points where SGP4 reported an error (code in ``error``; 6 = decayed) have NaN latitude,
longitude and altitude, so plots break the line and statistics skip them instead of drawing a
point that does not exist.

Any span and step, any number of objects: the work is done in chunks of :data:`CHUNK_POINTS`
object-instants, so memory stays bounded (the output itself is 25 bytes per point) however
long the track.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from deorbit.elements import ElementSet
from deorbit.errors import InputError
from deorbit.frames import itrs_to_geodetic, teme_to_itrs
from deorbit.propagate import TemeStates, propagate_history, propagate_one, propagate_teme
from deorbit.timescales import TimesLike, as_datetime64_utc, time_grid

#: Object-instants processed per chunk.  Bounds the memory of the intermediate TEME/ITRS
#: arrays (~50 MB per 1e6 points) and keeps them cache-sized: measured on the ISS over 1e6
#: instants, chunks of 2^15..2^17 points run the whole pipeline ~20 % faster than one chunk.
CHUNK_POINTS = 1 << 16
#: Objects per SatrecArray call in :func:`ground_tracks`.
CHUNK_OBJECTS = 1024


@dataclass(frozen=True, slots=True)
class GroundTrack:
    """Sub-satellite points at a series of instants.

    For one object every array has shape ``(n_times,)``; for several (from
    :func:`ground_tracks`) ``lat_deg``, ``lon_deg``, ``alt_km`` and ``error`` have shape
    ``(n_obj, n_times)`` while ``times_utc`` stays ``(n_times,)``.
    """

    #: Instants, ``datetime64[ns]`` UTC.
    times_utc: np.ndarray
    #: WGS-84 geodetic latitude, degrees in [-90, 90]; NaN where ``error != 0``.
    lat_deg: np.ndarray
    #: Longitude, degrees in [-180, 180); NaN where ``error != 0``.
    lon_deg: np.ndarray
    #: Height above the WGS-84 ellipsoid, km; NaN where ``error != 0``.
    alt_km: np.ndarray
    #: SGP4 error code per point (uint8; 0 = valid, 6 = decayed; see :mod:`deorbit.propagate`).
    error: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        """Boolean mask of valid points."""
        return self.error == 0

    def __len__(self) -> int:
        return int(self.times_utc.shape[0])


def subpoints(
    states: TemeStates,
    *,
    dut1_s: float | np.ndarray = 0.0,
    xp_arcsec: float | np.ndarray = 0.0,
    yp_arcsec: float | np.ndarray = 0.0,
) -> GroundTrack:
    """Convert SGP4 states (any shape from :mod:`deorbit.propagate`) to a :class:`GroundTrack`.

    Positions only (velocities are not rotated).  Error points are NaN already (SGP4 returns
    NaN for them) and are forced to NaN here as well, whatever SGP4 returned.
    """
    r_itrs, _ = teme_to_itrs(
        states.r_km, None, states.times_utc, dut1_s=dut1_s, xp_arcsec=xp_arcsec, yp_arcsec=yp_arcsec
    )
    lat, lon, alt = itrs_to_geodetic(r_itrs)
    bad = states.error != 0
    if bad.any():
        lat[bad] = np.nan
        lon[bad] = np.nan
        alt[bad] = np.nan
    return GroundTrack(states.times_utc, lat, lon, alt, states.error)


def _chunked(times: np.ndarray, compute, dut1_s, n_obj: int = 1) -> GroundTrack:
    """Run ``compute(times_chunk)`` -> TemeStates chunk by chunk and concatenate (last axis)."""
    dut1 = np.asarray(dut1_s, dtype=np.float64)
    if dut1.ndim and dut1.shape != times.shape:
        raise InputError(f"dut1_s has shape {dut1.shape}, the times {times.shape}", field="dut1")
    step = max(16, CHUNK_POINTS // max(n_obj, 1))
    parts = []
    for i in range(0, max(times.shape[0], 1), step):
        chunk = times[i : i + step]
        d = dut1 if dut1.ndim == 0 else dut1[i : i + step]
        parts.append(subpoints(compute(chunk), dut1_s=d))
    if len(parts) == 1:
        return parts[0]
    return GroundTrack(
        times,
        *(np.concatenate([getattr(p, f) for p in parts], axis=-1) for f in _FIELDS),
    )


_FIELDS = ("lat_deg", "lon_deg", "alt_km", "error")


def ground_track_at(
    elements_or_history: ElementSet | Sequence[ElementSet],
    times_utc: TimesLike,
    *,
    dut1_s: float | np.ndarray = 0.0,
) -> GroundTrack:
    """One object's sub-satellite points at given instants (1-D, any order).

    ``elements_or_history`` is one :class:`ElementSet`, or a history of the same object (then
    each instant uses the latest set at or before it: :func:`deorbit.propagate.propagate_history`).
    ``dut1_s`` is UT1 - UTC (s), scalar or per instant.
    """
    times = np.atleast_1d(as_datetime64_utc(times_utc))
    if isinstance(elements_or_history, ElementSet):
        es = elements_or_history
        return _chunked(times, lambda t: propagate_one(es, t), dut1_s)
    history = tuple(elements_or_history)
    if len(history) == 1:
        return _chunked(times, lambda t: propagate_one(history[0], t), dut1_s)
    return _chunked(times, lambda t: propagate_history(history, t), dut1_s)


def ground_track(
    elements_or_history: ElementSet | Sequence[ElementSet],
    start_utc: TimesLike,
    end_utc: TimesLike,
    step_s: float = 30.0,
    *,
    dut1_s: float = 0.0,
) -> GroundTrack:
    """One object's ground track from ``start_utc`` to ``end_utc`` (inclusive) every ``step_s``.

    The grid is :func:`deorbit.timescales.time_grid` (exact integer nanoseconds).  An
    :class:`ElementSet` is propagated as is; a sequence is the object's element-set history
    (latest set at or before each instant).  Arrays have shape ``(n_times,)``.  A 30 s step
    samples the ISS every ~230 km along track, fine for maps; use <= 10 s for country
    crossings.
    """
    return ground_track_at(
        elements_or_history, time_grid(start_utc, end_utc, step_s), dut1_s=dut1_s
    )


def ground_tracks(
    elements: Sequence[ElementSet],
    start_utc: TimesLike,
    end_utc: TimesLike,
    step_s: float = 30.0,
    *,
    dut1_s: float = 0.0,
) -> GroundTrack:
    """Ground tracks of several objects on one time grid; arrays of shape ``(n_obj, n_times)``.

    Each element set is one object (row ``i`` belongs to ``elements[i]``), propagated with
    :class:`sgp4.api.SatrecArray` over blocks of up to :data:`CHUNK_OBJECTS` objects and
    chunks of instants (see :data:`CHUNK_POINTS`).
    """
    sets = tuple(elements)
    if not sets:
        raise InputError("no element sets given")
    times = time_grid(start_utc, end_utc, step_s)
    blocks = []
    for j in range(0, len(sets), CHUNK_OBJECTS):
        block = sets[j : j + CHUNK_OBJECTS]
        blocks.append(_chunked(times, lambda t, b=block: propagate_teme(b, t), dut1_s, len(block)))
    if len(blocks) == 1:
        return blocks[0]
    return GroundTrack(
        times, *(np.concatenate([getattr(b, f) for b in blocks], axis=0) for f in _FIELDS)
    )
