"""Atmosphere: the pymsis wrapper's conventions and the fast orbit-mean path against pymsis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pymsis
import pytest

from deorbit.atmosphere import (
    _cubic_stencil,
    _geodetic_from_geocentric,
    _trig_weights,
    load_density_model,
    msis_density_kg_m3,
    orbit_mean_density_msis_kg_m3,
)


def test_wrapper_matches_pymsis_and_broadcasts():
    t = np.datetime64("2024-03-01T06:00", "ns")
    alts = np.array([200.0, 400.0, 600.0])
    rho = msis_density_kg_m3(t, 30.0, -120.0, alts, 150.0, 140.0, 15.0)
    aps = np.full((3, 7), 15.0)
    ref = pymsis.calculate(
        np.full(3, t), np.full(3, -120.0), np.full(3, 30.0), alts, np.full(3, 150.0),
        np.full(3, 140.0), aps,
    )[:, 0]  # fmt: skip
    np.testing.assert_allclose(rho, ref, rtol=1e-6)
    assert msis_density_kg_m3(t, np.zeros((2, 1)), 0.0, alts, 150, 150, 4).shape == (2, 3)
    # longitude 240 E is -120 E; tz-aware datetimes in any zone are the same instant
    dt = datetime(2024, 3, 1, 1, 0, tzinfo=timezone(timedelta(hours=-5)))
    np.testing.assert_allclose(
        msis_density_kg_m3(dt, 30.0, 240.0, alts, 150.0, 140.0, 15.0), rho, rtol=1e-6
    )


def test_wrapper_degrees_versions_and_storm_mode():
    t = np.datetime64("2024-06-21T12:00", "ns")
    day = msis_density_kg_m3(t, 0.0, 0.0, 400.0, 150, 150, 15)  # local noon
    night = msis_density_kg_m3(t, 0.0, 180.0, 400.0, 150, 150, 15)  # local midnight
    assert day > 1.5 * night  # degrees, not radians: the diurnal bulge is where it should be
    v0 = msis_density_kg_m3(t, 0.0, 0.0, 400.0, 150, 150, 15, version=0)
    assert v0 != day and abs(v0 / day - 1) < 0.5
    quiet = msis_density_kg_m3(t, 0.0, 0.0, 400.0, 150, 150, 15, ap_history=np.full(7, 15.0))
    storm = msis_density_kg_m3(
        t, 0.0, 0.0, 400.0, 150, 150, 15, ap_history=[15, 300, 300, 200, 100, 50, 15]
    )
    assert storm > 1.3 * quiet
    with pytest.raises(ValueError, match="time zone"):
        msis_density_kg_m3(datetime(2024, 1, 1), 0, 0, 400, 150, 150, 15)
    with pytest.raises(ValueError, match="version"):
        msis_density_kg_m3(t, 0, 0, 400, 150, 150, 15, version=1)


def test_interpolation_helpers_are_exact_where_they_should_be():
    nodes = np.array([0.0, 1.0, 3.0, 4.0, 7.0, 9.0])
    x = np.linspace(0, 9, 37)
    idx, w = _cubic_stencil(nodes, x)
    cubic = lambda v: 2 - v + 0.3 * v**2 - 0.05 * v**3  # noqa: E731
    np.testing.assert_allclose((cubic(nodes)[idx] * w).sum(-1), cubic(x), atol=1e-12)
    idx, w = _cubic_stencil(nodes, np.array([-2.0, 11.0]), extrapolate=True)
    line = lambda v: 1 + 2 * v  # noqa: E731
    np.testing.assert_allclose((line(nodes)[idx] * w).sum(-1), [-3.0, 23.0])
    phase = np.linspace(0, 8, 50)
    f = lambda p: 1 + np.cos(2 * np.pi * p / 8) + 0.5 * np.sin(4 * np.pi * p / 8 + 1)  # noqa: E731
    np.testing.assert_allclose(_trig_weights(8, phase) @ f(np.arange(8)), f(phase), atol=1e-12)


def test_geodetic_conversion():
    lat, h = _geodetic_from_geocentric(
        np.array([6378.137 + 400, 6378.137 + 400]), np.radians([0, 90])
    )
    np.testing.assert_allclose(lat, [0, 90], atol=1e-9)
    np.testing.assert_allclose(h, [400, 400 + 6378.137 - 6356.7523142], atol=1e-6)


def _errors(version, level, band, n, seed):
    rng = np.random.default_rng(seed)
    f_range, ap_range = {"low": ((65, 80), (2, 7)), "high": ((220, 280), (50, 120))}[level]
    model = load_density_model(version)
    errs = []
    for k in range(n):
        alt = rng.uniform(*band)
        fa = rng.uniform(*f_range)
        f = fa * rng.uniform(0.85, 1.25)
        ap = rng.uniform(*ap_range)
        doy = rng.uniform(1, 366)
        inc = 51.64 if k % 2 else rng.uniform(0, 100)
        ref = orbit_mean_density_msis_kg_m3(alt, f, fa, ap, doy, inc, version=version, seed=k)
        errs.append(model.orbit_mean_density_kg_m3(alt, f, fa, ap, doy, inc) / ref - 1)
    return np.array(errs)


@pytest.mark.parametrize("level", ["low", "high"])
@pytest.mark.parametrize("version", [2.1, 0])
def test_fast_orbit_mean_matches_pymsis(version, level):
    """Off-node conditions, 150-600 km: rms <= 3 % is required; we measure < 0.5 %."""
    e = _errors(version, level, (150, 600), 24, seed=7 if level == "low" else 8)
    assert np.sqrt(np.mean(e**2)) < 0.03
    assert np.max(np.abs(e)) < 0.03


def test_fast_path_vectorises_over_samples():
    model = load_density_model()
    n = 1000
    rng = np.random.default_rng(3)
    alt = rng.uniform(300, 450, n)
    f = rng.uniform(100, 200, n)
    ap = rng.uniform(5, 40, n)
    scalar_doy = model.orbit_mean_density_kg_m3(alt, f, f, ap, 120.5, 51.64)
    array_doy = model.orbit_mean_density_kg_m3(alt, f, f, ap, np.full(n, 120.5), 51.64)
    np.testing.assert_allclose(scalar_doy, array_doy, rtol=1e-12)
    one = [model.orbit_mean_density_kg_m3(alt[i], f[i], f[i], ap[i], 120.5, 51.64) for i in (0, 9)]
    np.testing.assert_allclose(scalar_doy[[0, 9]], one, rtol=1e-12)
    # monotone where physics says so
    base = model.orbit_mean_density_kg_m3(400.0, 150.0, 150.0, 15.0, 100.0, 51.64)
    assert model.orbit_mean_density_kg_m3(420.0, 150.0, 150.0, 15.0, 100.0, 51.64) < base
    assert model.orbit_mean_density_kg_m3(400.0, 200.0, 200.0, 15.0, 100.0, 51.64) > base
    assert model.orbit_mean_density_kg_m3(400.0, 150.0, 150.0, 50.0, 100.0, 51.64) > base
    # i and 180 - i visit the same latitudes
    assert model.orbit_mean_density_kg_m3(400.0, 150, 150, 15, 100, 97.0) == pytest.approx(
        model.orbit_mean_density_kg_m3(400.0, 150, 150, 15, 100, 83.0)
    )
    # below the table: exponential extrapolation continues smoothly
    r = model.orbit_mean_density_kg_m3(np.array([70.0, 80.0, 90.0]), 150, 150, 15, 100, 51.64)
    assert r[0] > r[1] > r[2]


def test_msis00_constant_conditions_cross_check():
    """The later cross-check's conditions (F10.7 = F10.7A = 150, Ap = 15) through NRLMSISE-00."""
    now = datetime(2025, 6, 1, tzinfo=UTC)
    doy = now.timetuple().tm_yday
    model = load_density_model(0)
    for alt in (200.0, 350.0, 500.0):
        ref = orbit_mean_density_msis_kg_m3(alt, 150, 150, 15, doy, 51.64, version=0)
        assert model.orbit_mean_density_kg_m3(alt, 150, 150, 15, doy, 51.64) == pytest.approx(
            ref, rel=0.02
        )
