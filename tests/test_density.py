"""Fast zonal-mean density provider, index sources, forecast perturbations, model error."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest

from deorbit.atmosphere import load_density_model, msis_density_kg_m3
from deorbit.decay import mean_orbit_from_element_set
from deorbit.density import (
    ConstantIndices,
    MsisPointDensity,
    SolarForecastError,
    SpaceWeatherIndices,
    ZonalMeanDensity,
    day_number,
    density_model_error,
)
from deorbit.drag import MsisDensity, orbit_averaged_drag_rates
from deorbit.reentry import predict_reentry
from deorbit.spaceweather import load_space_weather

sys.path.insert(0, str(Path(__file__).parent))
from test_reentry import ISS  # noqa: E402

T0 = np.datetime64("2024-03-01T00", "ns")


def _days(x: np.ndarray) -> np.ndarray:
    return (np.asarray(x) * 86400e9).astype(np.int64).astype("timedelta64[ns]")


def _doy(t: np.ndarray) -> np.ndarray:
    d = t.astype("datetime64[D]")
    return ((d - d.astype("datetime64[Y]")).astype(np.int64) + 1).astype(float)


def _local_time_mean_msis(t, lat, alt, f107, f107a, ap, version, n_lt=24):
    """pymsis averaged over n_lt local times (each at its own longitude) on t's UTC day."""
    day = t.astype("datetime64[D]").astype("datetime64[ns]")
    acc = 0.0
    for k in range(n_lt):
        lon = (k * 137.50776 + 11.0) % 360.0 - 180.0
        ut_h = ((k + 0.5) * 24.0 / n_lt - lon / 15.0) % 24.0
        tt = day + np.timedelta64(int(ut_h * 3600e9), "ns")
        acc = acc + msis_density_kg_m3(tt, lat, lon, alt, f107, f107a, ap, version=version)
    return acc / n_lt


@pytest.mark.parametrize(
    ("doy_step_days", "rtol"),
    # step 1 (default): every integer day of year has its own slice -> exact up to float32
    # rounding.  step 2: linear in day of year between slices 2 days apart, measured against
    # the trigonometric interpolant over the whole table at 6.5e-4 max (5e-5 rms) in ln rho.
    [(1, 2e-5), (2, 1e-3)],
)
def test_fast_path_equals_the_table_interpolant(doy_step_days, rtol):
    """Grouped evaluation (slab and cached modes, perturbed samples) = direct 6-D interpolation."""
    rng = np.random.default_rng(3)
    n = 300
    t = T0 + _days(rng.uniform(-20, 200, n))
    lat = rng.uniform(-90, 90, n)
    alt = np.concatenate([rng.uniform(70, 1100, n - 4), [70.0, 79.0, 1060.0, 1100.0]])
    src = ConstantIndices(120.0, 140.0, 12.0, as_of_utc=T0).perturbed(
        SolarForecastError().draw(np.random.default_rng(0), 50)
    )
    sample = rng.integers(0, 50, n)
    f107, f107a, ap = src.indices(t, sample)
    model = load_density_model(0)
    ref = model.zonal_mean_density_kg_m3(lat, alt, _doy(t), f107, f107a, ap)
    fast = ZonalMeanDensity(src, model_version=0, doy_step_days=doy_step_days)
    slab_mode = fast(t[:, None], lat[:, None], 0.0, alt[:, None] + np.zeros(2), sample[:, None])
    np.testing.assert_allclose(slab_mode[:, 0], ref, rtol=rtol)
    np.testing.assert_allclose(fast(t, lat, 0.0, alt, sample=sample), ref, rtol=rtol)  # cached
    np.testing.assert_allclose(fast(t, lat, 0.0, alt, sample=sample), ref, rtol=rtol)  # hit
    f0 = src.indices(t)
    ref0 = model.zonal_mean_density_kg_m3(lat, alt, _doy(t), *f0)
    np.testing.assert_allclose(fast(t, lat, 5.0, alt), ref0, rtol=rtol)
    assert fast(t[:0], lat[:0], 0.0, alt[:0]).shape == (0,)


def test_doy_nodes_over_years_of_epochs_and_pickling():
    """Samples spread over 3 years (gather path) agree with one-point-per-sample calls; slices
    2 days apart agree with the exact per-day slices to the measured error; pickles drop the
    slices."""
    import pickle

    rng = np.random.default_rng(8)
    n, k = 120, 16
    t = T0 + _days(rng.uniform(0, 1100, n))[:, None] + _days(np.linspace(0, 0.06, k))[None, :]
    lat = rng.uniform(-52, 52, (n, k))
    alt = rng.uniform(150, 450, n)[:, None] + rng.uniform(-10, 10, (n, k))
    src = ConstantIndices(150.0, 140.0, 15.0, as_of_utc=T0).perturbed(
        SolarForecastError().draw(np.random.default_rng(2), n)
    )
    sample = np.arange(n)[:, None]
    fast = ZonalMeanDensity(src)  # exact integer-doy slices
    spread = fast(t, lat, 0.0, alt, sample=sample)
    coarse = ZonalMeanDensity(src, doy_step_days=2)(t, lat, 0.0, alt, sample=sample)
    err = np.log(coarse / spread)  # linear between slices 2 days apart: measured 6.5e-4 max
    assert np.abs(err).max() < 7e-4 and np.sqrt(np.mean(err**2)) < 1e-4
    per_point = fast(t.ravel(), lat.ravel(), 0.0, alt.ravel(), np.repeat(np.arange(n), k))
    np.testing.assert_allclose(per_point.reshape(n, k), spread, rtol=2e-5)
    # per-sample windows kept across calls: all hits, then a mix of hits and misses
    np.testing.assert_array_equal(fast(t, lat, 0.0, alt, sample=sample), spread)
    fast.forget_samples()  # recomputed windows: the same numbers
    np.testing.assert_array_equal(fast(t, lat, 0.0, alt, sample=sample), spread)
    moved = alt + np.where(np.arange(n) % 2 == 0, 0.0, 40.0)[:, None]
    per_point = fast(t.ravel(), lat.ravel(), 0.0, moved.ravel(), np.repeat(np.arange(n), k))
    got = fast(t, lat, 0.0, moved, sample=sample)
    np.testing.assert_allclose(got, per_point.reshape(n, k), rtol=2e-5)
    # day of year 366 (leap year) is the last slice / lies beyond the last odd node
    leap = np.array(["2024-12-31T12", "2024-12-30T12"], dtype="datetime64[ns]")
    ref = load_density_model(2.1).zonal_mean_density_kg_m3(
        10.0, 400.0, np.array([366.0, 365.0]), *src.indices(leap)
    )
    for step, rtol in ((1, 2e-5), (2, 1e-3)):
        got = ZonalMeanDensity(src, doy_step_days=step)(leap, 10.0, 0.0, 400.0)
        np.testing.assert_allclose(got, ref, rtol=rtol)
    clone = pickle.loads(pickle.dumps(fast))
    # only the index source and settings are shipped, not the 0.7 MB slices or caches
    assert len(pickle.dumps(fast)) < len(pickle.dumps(src)) + 10_000
    np.testing.assert_array_equal(clone(t, lat, 0.0, alt, sample=sample), spread)


@pytest.mark.parametrize("version", [2.1, 0])
def test_against_pymsis_local_and_local_time_mean(version):
    rng = np.random.default_rng(11)
    n = 150
    for f107a, ratio, ap in ((70.0, 1.15, 4.0), (230.0, 0.9, 60.0)):
        f107 = f107a * ratio
        t = T0 + _days(rng.uniform(0, 365, n))
        lat = rng.uniform(-80, 80, n)
        lon = rng.uniform(-180, 180, n)
        alt = rng.uniform(150, 600, n)
        src = ConstantIndices(f107, f107a, ap)
        fast = ZonalMeanDensity(src, model_version=version)(t, lat, lon, alt)
        ltm = _local_time_mean_msis(t, lat, alt, f107, f107a, ap, version)
        local = msis_density_kg_m3(t, lat, lon, alt, f107, f107a, ap, version=version)
        e_mean = np.log(fast / ltm)
        e_local = np.log(fast / local)
        assert np.sqrt(np.mean(e_mean**2)) < 0.01 and np.abs(e_mean).max() < 0.04
        # the diurnal bulge is averaged out: tens of % against the local density
        assert 0.08 < np.sqrt(np.mean(e_local**2)) < 0.6


def test_orbit_averaged_iss_decay_rate_over_a_node_cycle():
    """da/dt with the fast provider vs direct MSIS, 30 revolutions over 60 days."""
    mo = mean_orbit_from_element_set(ISS)
    n = 30
    t = mo.epoch_utc[0] + _days(2.0 * np.arange(n))
    raan = mo.raan_deg[0] - 4.95 * 2.0 * np.arange(n)  # J2 node regression of the ISS
    args = (
        np.full(n, mo.a_km[0]),
        np.full(n, mo.e[0]),
        np.full(n, mo.inc_deg[0]),
        raan,
        np.full(n, mo.argp_deg[0]),
        0.00838,
        t,
    )
    ref = orbit_averaged_drag_rates(*args, MsisDensity(150.0, 150.0, 15.0, version=0))
    fast = orbit_averaged_drag_rates(
        *args, ZonalMeanDensity(ConstantIndices(150.0, 150.0, 15.0), model_version=0)
    )
    q = fast.da_dt_km_s / ref.da_dt_km_s
    assert abs(q.mean() - 1.0) < 0.02  # measured 1.007
    assert 0.01 < q.std() < 0.06  # measured 0.031: the node local time (beta angle) effect


def test_iss_peer_cross_check_with_the_fast_provider():
    """Same inputs as tests/test_reentry.py (direct NRLMSISE-00: day 525.6)."""
    fast = ZonalMeanDensity(ConstantIndices(150.0, 150.0, 15.0), model_version=0)
    t0 = time.perf_counter()
    res = predict_reentry(ISS, None, 2.2 * 1600.0 / 420000.0, fast, stop_alt_km=120.0)
    wall = time.perf_counter() - t0
    day = res.days_after_start[0]
    assert res.reentered[0]
    assert abs(day - 525.6) < 0.01 * 525.6  # measured 524.91
    assert wall < 60.0


def test_space_weather_indices_match_the_record_and_refuse_outside_span():
    sw = load_space_weather()
    as_of = np.datetime64("2024-06-01T00", "ns")
    src = SpaceWeatherIndices(sw, as_of, first_utc=as_of - _days(100), last_utc=as_of + _days(800))
    rng = np.random.default_rng(5)
    t = as_of + _days(rng.uniform(-99, 799, 200))
    ind = sw.indices(t, as_of_utc=as_of)
    got = src.indices(t)
    np.testing.assert_array_equal(got[0], ind.f107_sfu)
    np.testing.assert_array_equal(got[1], ind.f107a_sfu)
    np.testing.assert_array_equal(got[2], ind.ap_daily)
    with pytest.raises(ValueError, match="outside"):
        src.indices(as_of + _days(np.array([900.0])))
    obs = SpaceWeatherIndices(sw, as_of, mode="observed", last_utc=as_of + _days(30))
    t_past = as_of - _days(np.array([200.3, 150.9, 20.5]))
    np.testing.assert_array_equal(
        obs.indices(t_past)[0], sw.indices(t_past, mode="observed").f107_sfu
    )


def test_perturbations_are_seeded_and_leave_the_past_alone():
    sw = load_space_weather()
    as_of = np.datetime64("2024-06-01T00", "ns")
    base = SpaceWeatherIndices(sw, as_of, last_utc=as_of + _days(1200))
    model = SolarForecastError()
    d1 = model.draw(np.random.default_rng(42), 2000)
    d2 = model.draw(np.random.default_rng(42), 2000)
    np.testing.assert_array_equal(d1.z_f107, d2.z_f107)
    np.testing.assert_array_equal(d1.z_ap, d2.z_ap)
    src = base.perturbed(d1)
    day0 = day_number(as_of)
    s = np.arange(2000)[:, None]
    days = day0 + np.arange(-120, 1000)[None, :]
    f, fa, ap = src.daily_indices(days, s)
    f_0, fa_0, ap_0 = base.daily_indices(days[0])
    np.testing.assert_array_equal(src.daily_indices(days, s)[0], f)  # deterministic lookups
    k = np.arange(-120, 1000)
    # past: F10.7 (previous day's flux, so also the as-of day itself) and Ap untouched
    np.testing.assert_array_equal(f[:, k <= 0], np.broadcast_to(f_0[k <= 0], (2000, 121)))
    np.testing.assert_array_equal(ap[:, k < 0], np.broadcast_to(ap_0[k < 0], (2000, 120)))
    # F10.7A untouched until its 81-day window reaches the as-of day
    np.testing.assert_array_equal(fa[:, k < -40], np.broadcast_to(fa_0[k < -40], (2000, 80)))
    assert np.all(fa[:, k == -40] != fa_0[k == -40])
    # spread grows with lead time towards the saturation value
    lf = np.log(f / f_0).std(axis=0)
    ok = ap_0 > 0  # Ap = 0 days carry no multiplicative information
    la = np.full(k.size, np.nan)
    la[ok] = np.log(ap[:, ok] / ap_0[ok]).std(axis=0)
    assert abs(lf[k == 2][0] - model.f107_sigma_ln_1day) < 0.01
    assert abs(lf[k == 999][0] - model.f107_sigma_ln_sat) < 0.02
    assert np.all(np.diff(lf[k >= 2]) > -1e-3)
    assert abs(np.nanmean(la[k == 0]) - model.ap_sigma_ln_1day) < 0.02
    assert abs(np.nanmean(la[(k > 900) & ok]) - model.ap_sigma_ln_sat) < 0.03
    # sample=None: the unperturbed forecast; providers pick each point's sample
    np.testing.assert_array_equal(src.daily_indices(days[0])[0], f_0)
    t = as_of + _days(np.array([-45.0, 30.0]))  # F10.7A window entirely in the past, future
    msis = MsisPointDensity(src, version=0)
    hi, lo = int(np.argmax(d1.z_f107)), int(np.argmin(d1.z_f107))
    rho_hi = msis(t, 10.0, 20.0, 400.0, sample=np.array([hi, hi]))
    rho_lo = msis(t, 10.0, 20.0, 400.0, sample=np.array([lo, lo]))
    assert rho_hi[0] == rho_lo[0] and rho_hi[1] > 1.2 * rho_lo[1]
    fast = ZonalMeanDensity(src, model_version=0)
    z_hi = fast(t, 10.0, 20.0, 400.0, sample=np.array([hi, hi]))
    assert z_hi[1] > fast(t, 10.0, 20.0, 400.0)[1]
    with pytest.raises(ValueError):
        src.daily_indices(days[:, :2], np.array([[2000]]))
    with pytest.raises(ValueError, match="as-of"):
        ConstantIndices(150, 150, 15).perturbed(d1)


def test_msis_point_density_uses_the_source_indices():
    src = ConstantIndices(180.0, 160.0, 22.0)
    t = T0 + _days(np.array([0.3, 40.7]))
    got = MsisPointDensity(src, version=2.1)(t, np.array([5.0, -40.0]), 100.0, 350.0)
    ref = msis_density_kg_m3(t, [5.0, -40.0], 100.0, 350.0, 180.0, 160.0, 22.0)
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    ref_drag = MsisDensity(180.0, 160.0, 22.0)(t, np.array([5.0, -40.0]), 100.0, 350.0)
    np.testing.assert_allclose(got, ref_drag, rtol=1e-12)


def test_density_model_error_distribution():
    a = density_model_error(np.random.default_rng(1), 20000, sigma_ln=0.15)
    b = density_model_error(np.random.default_rng(1), 20000, sigma_ln=0.15)
    np.testing.assert_array_equal(a, b)
    assert abs(np.log(a).std() - 0.15) < 0.005 and abs(np.median(a) - 1.0) < 0.01
    assert np.all(density_model_error(np.random.default_rng(1), 5, sigma_ln=0.0) == 1.0)
    with pytest.raises(ValueError):
        density_model_error(np.random.default_rng(1), 5, sigma_ln=-0.1)


def test_doy_rows_built_on_demand_are_the_whole_slices_floats(monkeypatch):
    """A call builds only the (day-of-year node, context) rows it needs, with the same float32
    operations as a whole slice: the density never depends on what was built before."""
    import deorbit.density as density_module
    from deorbit.atmosphere import _trig_weights

    store = density_module._DoySlices(density_module._raw_table(0.0), 1)
    raw = density_module._raw_table(0.0)
    ctx = np.array([[3, 40, 41, 500]])
    store.build(np.array([40]), ctx)
    assert store.n_rows == 4 and np.flatnonzero(store.row_of[40] >= 0).tolist() == [3, 40, 41, 500]
    assert not store.complete[40]
    store.build(np.array([40]))  # the rest of the slice
    assert store.complete[40] and store.n_rows == raw.shape[1]
    w = _trig_weights(raw.shape[0], 40 * raw.shape[0] / 365.25).astype(np.float32)
    whole = raw[0] * w[0]
    for k in range(1, raw.shape[0]):
        whole += raw[k] * w[k]
    np.testing.assert_array_equal(store.pool[store.row_of[40]], whole)
    # through the provider: rows on demand vs whole slices built first
    rng = np.random.default_rng(4)
    t = T0 + _days(rng.uniform(0, 400, 40))
    lat, alt = rng.uniform(-60, 60, 40), rng.uniform(120, 600, 40)
    src = ConstantIndices(130.0, 145.0, 9.0)
    monkeypatch.setattr(density_module, "_SLICES", {})
    lazy = ZonalMeanDensity(src, model_version=0)
    got = [lazy(t[i : i + 1], lat[i : i + 1], 0.0, alt[i : i + 1]) for i in range(40)]
    assert lazy._slices.n_rows <= 40 * 64  # ~64 of 594 contexts per day of year
    monkeypatch.setattr(density_module, "_SLICES", {})
    full = ZonalMeanDensity(src, model_version=0)
    full._slices.build(np.arange(full._slices.complete.size))
    again = [full(t[i : i + 1], lat[i : i + 1], 0.0, alt[i : i + 1]) for i in range(40)]
    np.testing.assert_array_equal(np.concatenate(got), np.concatenate(again))


def test_steady_runs_of_the_index_sources():
    """steady_through_day: the last day with the same indices, a promise that holds."""
    sw = load_space_weather()
    as_of = np.datetime64("2024-06-01T00", "ns")
    d0 = int(day_number(as_of))
    src = SpaceWeatherIndices(sw, as_of, last_utc=as_of + _days(300))
    last = src.first_day + src.f107_sfu.size - 1
    days = np.arange(d0 - 60, last + 1)
    until = src.steady_through_day(days)
    f, fa, ap = src.daily_indices(days)
    for i, (d, u) in enumerate(zip(days, until, strict=True)):
        run = slice(i, i + u - d + 1)
        for x in (f, fa, ap):
            np.testing.assert_allclose(x[run], x[i], rtol=1e-9)
        if u < last:
            assert not all(np.isclose(x[i + u - d + 1], x[i], rtol=1e-9) for x in (f, fa, ap))
    # observed days change daily; persistence is steady once the 81-day mean has only
    # forecast days in it (40 days after the as-of day)
    assert np.all(until[days < d0 - 1] == days[days < d0 - 1])
    assert np.all(until[days >= d0 + 41] == last)
    assert src.steady_through_day(np.array([last + 5]))[0] == last + 5  # outside: no promise
    assert ConstantIndices(150, 150, 15).steady_through_day(np.array([d0]))[0] > d0 + 10**6
    pert = src.perturbed(SolarForecastError().draw(np.random.default_rng(0), 3))
    np.testing.assert_array_equal(pert.steady_through_day(days), until)  # unperturbed base
    s = np.array([0, 2])[:, None]
    np.testing.assert_array_equal(
        pert.steady_through_day(days, s), np.broadcast_to(days, (2, days.size))
    )
    fast = ZonalMeanDensity(src)
    np.testing.assert_array_equal(fast.steady_through_day(days), until)
