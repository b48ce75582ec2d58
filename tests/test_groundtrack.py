"""Ground tracks: geometry of the ISS track, the time grid, error flagging, chunking, shapes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

import deorbit.groundtrack as gt
from deorbit.frames import itrs_to_geodetic, teme_to_itrs
from deorbit.groundtrack import ground_track, ground_track_at, ground_tracks, subpoints
from deorbit.propagate import SGP4_DECAYED, propagate_history, propagate_one
from deorbit.timescales import as_datetime64_utc
from test_propagate import iss, make_history


def test_iss_track_reaches_a_bit_above_its_inclination():
    es = iss()
    track = ground_track(es, "2025-11-30T00:00Z", "2025-12-01T00:00Z", 10.0)
    assert len(track) == 8641 and track.ok.all()
    # Geodetic latitude of the turning point exceeds the (geocentric) inclination 51.63 deg
    # by ~0.18 deg at this latitude (geodetic - geocentric ~ e^2 sin 2phi / 2 * 180/pi).
    assert es.inclination_deg < track.lat_deg.max() < es.inclination_deg + 0.25
    assert -es.inclination_deg - 0.25 < track.lat_deg.min() < -es.inclination_deg
    assert track.alt_km.min() > 400 and track.alt_km.max() < 440
    assert track.lon_deg.min() >= -180 and track.lon_deg.max() < 180
    # ~15.5 revolutions: the track crosses the equator northbound 15 or 16 times.
    north = np.count_nonzero((track.lat_deg[:-1] < 0) & (track.lat_deg[1:] >= 0))
    assert north in (15, 16)
    # Consecutive points 10 s apart are ~70 km apart on the ground: longitude steps are small
    # except at the antimeridian wrap.
    dlon = (np.diff(track.lon_deg) + 180) % 360 - 180
    assert np.abs(dlon).max() < 2.0


def test_time_grid_of_track():
    track = ground_track(iss(), "2025-11-30T00:00Z", "2025-11-30T01:00:10Z", 30.0)
    assert track.times_utc.dtype == np.dtype("M8[ns]")
    assert len(track) == 121
    assert track.times_utc[0] == np.datetime64("2025-11-30T00:00", "ns")
    assert track.times_utc[-1] == np.datetime64("2025-11-30T01:00", "ns")
    assert (np.diff(track.times_utc) == np.timedelta64(30, "s")).all()
    for a in (track.lat_deg, track.lon_deg, track.alt_km, track.error):
        assert a.shape == (121,)


def test_track_equals_the_explicit_pipeline():
    es = iss()
    times = np.datetime64("2025-11-30", "ns") + np.arange(0, 7200, 45) * 10**9
    track = ground_track_at(es, times, dut1_s=0.05)
    st = propagate_one(es, times)
    lat, lon, alt = itrs_to_geodetic(teme_to_itrs(st.r_km, None, times, dut1_s=0.05)[0])
    np.testing.assert_array_equal(track.lat_deg, lat)
    np.testing.assert_array_equal(track.lon_deg, lon)
    np.testing.assert_array_equal(track.alt_km, alt)


def test_decaying_object_points_are_flagged_not_plotted():
    low = replace(
        iss(), mean_motion_rev_per_day=15.8, eccentricity=0.005, bstar_per_earth_radii=0.01
    )
    start = low.epoch_utc
    track = ground_track(low, start, start + timedelta(days=12), 60.0)
    bad = ~track.ok
    assert bad.any() and track.ok[0]
    assert (track.error[bad] != 0).all() and SGP4_DECAYED in track.error
    for a in (track.lat_deg, track.lon_deg, track.alt_km):
        assert np.isnan(a[bad]).all() and np.isfinite(a[~bad]).all()
    # Before SGP4 gives up the height has fallen well below the start.
    first_bad = np.argmax(bad)
    assert track.alt_km[first_bad - 30 : first_bad].max() < track.alt_km[:100].min() - 50


def test_subpoints_force_nan_for_any_error_code():
    es = iss()
    st = propagate_one(es, np.datetime64("2025-11-30", "ns") + np.arange(4) * 10**9)
    err = st.error.copy()
    err[2] = 3  # pretend SGP4 failed here but left finite numbers
    faked = replace(st, error=err)
    track = subpoints(faked)
    assert np.isnan(track.lat_deg[2]) and track.error[2] == 3
    assert np.isfinite(track.lat_deg[[0, 1, 3]]).all()


def test_chunking_changes_nothing(monkeypatch):
    es = iss()
    whole = ground_track(es, "2025-11-30T00:00Z", "2025-11-30T06:00Z", 7.0, dut1_s=-0.2)
    monkeypatch.setattr(gt, "CHUNK_POINTS", 1000)
    chunked = ground_track(es, "2025-11-30T00:00Z", "2025-11-30T06:00Z", 7.0, dut1_s=-0.2)
    assert len(whole) == 3086
    for f in ("times_utc", "lat_deg", "lon_deg", "alt_km", "error"):
        np.testing.assert_array_equal(getattr(chunked, f), getattr(whole, f))
    # Per-instant dUT1 is chunked along with the instants.
    times = whole.times_utc
    per_point = ground_track_at(es, times, dut1_s=np.full(times.shape, -0.2))
    np.testing.assert_array_equal(per_point.lon_deg, whole.lon_deg)


def test_multi_object_tracks():
    a = iss()
    b = replace(a, norad_id=99999, raan_deg=(a.raan_deg + 90) % 360)
    multi = ground_tracks([a, b, a], "2025-11-30T00:00Z", "2025-11-30T03:00Z", 60.0)
    assert multi.lat_deg.shape == (3, 181) and multi.error.shape == (3, 181)
    assert multi.times_utc.shape == (181,)
    single_b = ground_track(b, "2025-11-30T00:00Z", "2025-11-30T03:00Z", 60.0)
    np.testing.assert_array_equal(multi.lat_deg[1], single_b.lat_deg)
    np.testing.assert_array_equal(multi.lon_deg[0], multi.lon_deg[2])
    assert not np.allclose(multi.lon_deg[0], multi.lon_deg[1])


def test_multi_object_chunking_over_objects_and_times(monkeypatch):
    a = iss()
    sets = [replace(a, raan_deg=(a.raan_deg + 7 * k) % 360) for k in range(7)]
    whole = ground_tracks(sets, "2025-11-30T00:00Z", "2025-11-30T02:00Z", 20.0, dut1_s=0.3)
    monkeypatch.setattr(gt, "CHUNK_POINTS", 50)
    monkeypatch.setattr(gt, "CHUNK_OBJECTS", 3)
    chunked = ground_tracks(sets, "2025-11-30T00:00Z", "2025-11-30T02:00Z", 20.0, dut1_s=0.3)
    assert chunked.lat_deg.shape == (7, 361)
    for f in ("lat_deg", "lon_deg", "alt_km", "error"):
        np.testing.assert_array_equal(getattr(chunked, f), getattr(whole, f))


def test_track_from_history_switches_sets():
    hist = make_history(3)
    start = hist[0].epoch_utc
    track = ground_track(hist, start, start + timedelta(days=2, hours=12), 600.0)
    st = propagate_history(hist, track.times_utc)
    assert set(np.unique(st.element_index)) == {0, 1, 2}
    lat, _, _ = itrs_to_geodetic(teme_to_itrs(st.r_km, None, track.times_utc)[0])
    np.testing.assert_array_equal(track.lat_deg, lat)
    # A one-element "history" is simply that element set.
    one = ground_track([hist[0]], start, start + timedelta(hours=1), 60.0)
    np.testing.assert_array_equal(
        one.lat_deg, ground_track(hist[0], start, start + timedelta(hours=1), 60.0).lat_deg
    )


def test_times_are_validated():
    from deorbit.errors import InputError

    with pytest.raises(InputError):
        ground_track(iss(), "2025-11-30T01:00Z", "2025-11-30T00:00Z", 60.0)
    assert (
        as_datetime64_utc("2025-11-30T00:00Z")
        == ground_track(iss(), "2025-11-30T00:00Z", "2025-11-30T00:00Z").times_utc[0]
    )
