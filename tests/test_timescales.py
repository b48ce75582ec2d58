"""UTC instants, split Julian dates, time grids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from sgp4.api import jday

from deorbit.errors import InputError
from deorbit.timescales import (
    as_datetime64_utc,
    datetime64_from_jd,
    jd_ut1_split,
    jd_utc_split,
    time_grid,
    to_datetime_utc,
)


def test_jd_split_known_dates():
    assert jd_utc_split(np.datetime64("2000-01-01T12:00")) == (2451544.5, 0.5)
    assert jd_utc_split("1970-01-01T00:00:00Z") == (2440587.5, 0.0)
    whole, frac = jd_utc_split("1957-10-04T19:28:34Z")  # before 1970: negative ns
    w, f = jday(1957, 10, 4, 19, 28, 34)
    assert w == whole and abs(f - frac) < 1e-15
    assert whole == 2436115.5 and 0 <= frac < 1


def test_jd_split_matches_sgp4_jday_and_round_trips_to_the_nanosecond():
    rng = np.random.default_rng(7)
    ns = rng.integers(-(10**18), 2 * 10**18, 10_000)
    t = ns.astype("M8[ns]")
    whole, frac = jd_utc_split(t)
    assert np.all(whole % 1.0 == 0.5) and np.all((frac >= 0) & (frac < 1))
    np.testing.assert_array_equal(datetime64_from_jd(whole, frac), t)
    for k in range(20):
        dt = to_datetime_utc(t[k])
        w, f = jday(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second + dt.microsecond / 1e6)
        # to_datetime_utc truncates to the microsecond (1.2e-11 day)
        assert w == whole[k] and abs(f - frac[k]) < 1.2e-11


def test_ut1_adds_dut1():
    t = np.array(["2025-01-01T00:00", "2025-01-01T06:00"], dtype="M8[ns]")
    w0, f0 = jd_utc_split(t)
    w1, f1 = jd_ut1_split(t, dut1_s=np.array([0.3, -0.5]))
    np.testing.assert_array_equal(w0, w1)
    np.testing.assert_allclose((f1 - f0) * 86400, [0.3, -0.5], atol=1e-9)
    assert jd_ut1_split(t)[1] is not None and np.array_equal(jd_ut1_split(t)[1], f0)


def test_as_datetime64_accepts_everything_reasonable():
    ref = np.datetime64("2025-11-29T20:01:44", "ns")
    assert as_datetime64_utc(datetime(2025, 11, 29, 20, 1, 44, tzinfo=UTC)) == ref
    plus2 = timezone(timedelta(hours=2))
    assert as_datetime64_utc(datetime(2025, 11, 29, 22, 1, 44, tzinfo=plus2)) == ref
    assert as_datetime64_utc("2025-11-29T20:01:44Z") == ref
    assert as_datetime64_utc("2025-11-29 21:01:44+01:00") == ref
    assert as_datetime64_utc("2025-11-29T20:01:44") == ref  # no offset: UTC
    assert as_datetime64_utc("2025-11-29T20:01:44.000000123Z") == ref + np.timedelta64(123, "ns")
    assert as_datetime64_utc(np.datetime64("2025-11-29T20:01:44.000000", "us")) == ref
    out = as_datetime64_utc(
        ["2025-11-29T20:01:44Z", ref, datetime(2025, 11, 29, 20, 1, 44, tzinfo=UTC)]
    )
    assert out.dtype == np.dtype("M8[ns]") and (out == ref).all()
    grid = as_datetime64_utc(np.array([["2025-11-29T20:01:44Z"] * 2] * 3))
    assert grid.shape == (3, 2) and (grid == ref).all()
    us = np.array(["2025-11-29T20:01:44"], dtype="M8[us]")
    assert as_datetime64_utc(us).dtype == np.dtype("M8[ns]")
    assert to_datetime_utc(ref) == datetime(2025, 11, 29, 20, 1, 44, tzinfo=UTC)


@pytest.mark.parametrize(
    "bad", [datetime(2025, 1, 1), "yesterday", "2025-13-01", 3.5, np.arange(3)]
)
def test_as_datetime64_refuses_naive_datetimes_and_garbage(bad):
    with pytest.raises(InputError):
        as_datetime64_utc(bad)


def test_time_grid_is_exact_and_inclusive():
    g = time_grid("2025-01-01T00:00Z", "2025-01-01T01:00Z", 30.0)
    assert g.dtype == np.dtype("M8[ns]") and len(g) == 121
    assert g[0] == np.datetime64("2025-01-01T00:00", "ns")
    assert g[-1] == np.datetime64("2025-01-01T01:00", "ns")
    assert (np.diff(g) == np.timedelta64(30, "s")).all()
    # End not on the grid: the last point is the one before it.
    g = time_grid("2025-01-01T00:00Z", "2025-01-01T00:01:10Z", 30.0)
    assert len(g) == 3 and g[-1] == np.datetime64("2025-01-01T00:01", "ns")
    # A year at a step that is not a whole number of seconds: no drift at all.
    g = time_grid("2024-01-01T00:00Z", "2025-01-01T00:00Z", 0.1 * 600)
    assert len(g) == 366 * 1440 + 1 and g[-1] == np.datetime64("2025-01-01T00:00", "ns")
    g = time_grid("2024-01-01T00:00Z", "2024-01-01T00:00:01Z", 1 / 3)
    assert len(g) == 4 and g[-1] == np.datetime64("2024-01-01T00:00:00.999999999", "ns")
    assert len(time_grid("2024-01-01T00:00Z", "2024-01-01T00:00Z", 10)) == 1


@pytest.mark.parametrize("step", [0.0, -1.0, float("nan"), 1e-12])
def test_time_grid_refuses_bad_steps(step):
    with pytest.raises(InputError):
        time_grid("2024-01-01T00:00Z", "2024-01-02T00:00Z", step)


def test_time_grid_refuses_reversed_span():
    with pytest.raises(InputError):
        time_grid("2024-01-02T00:00Z", "2024-01-01T00:00Z", 60)
