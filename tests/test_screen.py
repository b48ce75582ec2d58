"""Screening: King-Hele lifetimes against the full decay, BC from the decay rate, flags."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from deorbit.catalogue.screen import (
    STATUS,
    STOP_PERIGEE_KM,
    ScreenInput,
    ScreenOptions,
    ScreenOutput,
    estimate_bc,
    king_hele_lifetime_days,
    screen_atmosphere,
    screen_chunk,
    semi_major_axis_km,
)
from deorbit.decay import MeanOrbit, lifetime_days, propagate_decay
from deorbit.store import utc_to_us

AS_OF = datetime(2022, 9, 24, tzinfo=UTC)
R_EQ = 6378.137


@pytest.fixture(scope="module")
def atm():
    return screen_atmosphere(AS_OF)


def test_atmosphere_uses_the_space_weather_known_then(atm):
    assert 60 < atm.f107a_sfu < 300 and 0 <= atm.ap < 400
    assert "as known at 2022-09-24" in atm.description
    fixed = screen_atmosphere(AS_OF, f107_sfu=70.0, ap=4.0)
    assert fixed.f107_sfu == 70.0 and "given" in fixed.description
    # quiet sun: lower density at 400 km
    assert fixed.rho_kg_m3(400.0) < atm.rho_kg_m3(400.0)
    h = atm.scale_height_km(np.array([200.0, 400.0, 600.0]))
    assert np.all(np.diff(h) > 0) and 20 < h[0] < 50


@pytest.mark.parametrize(
    ("perigee_km", "e", "bc", "low", "high"),
    [
        (250.0, 0.0005, 0.02, 0.75, 0.95),  # circular: ellipsoid offset makes it ~15 % short
        (350.0, 0.0005, 0.02, 0.75, 0.95),
        (200.0, 0.05, 0.01, 0.9, 1.1),  # moderately eccentric: within 10 %
    ],
)
def test_king_hele_against_the_full_decay(atm, perigee_km, e, bc, low, high):
    """Same density profile in both, so only the King-Hele approximation differs."""
    a = (R_EQ + perigee_km) / (1.0 - e)
    kh = float(king_hele_lifetime_days(a, e, 51.6, bc, atm, max_days=3650))
    orbit = MeanOrbit.make(AS_OF, a, e, 51.6)
    full = propagate_decay(
        orbit, bc, atm, handover_alt_km=STOP_PERIGEE_KM, max_days=3650, record_history=False
    )
    ratio = kh / float(lifetime_days(full, orbit)[0])
    assert low < ratio < high, ratio


def test_king_hele_scales_and_caps(atm):
    a = R_EQ + 300.0
    base, double_bc, denser = king_hele_lifetime_days(
        a, 0.0, 51.6, [0.02, 0.04, 0.02], atm, density_scale=[1.0, 1.0, 2.0]
    )
    assert double_bc == pytest.approx(base / 2, rel=0.02) and denser == pytest.approx(double_bc)
    assert np.isinf(king_hele_lifetime_days(R_EQ + 800.0, 0.0, 98.0, 0.01, atm, max_days=30))
    assert king_hele_lifetime_days(R_EQ + 110.0, 0.0, 51.6, 0.02, atm) == 0.0


def _input(n_rev_day, e=0.0, inc=53.0, prev_n=np.nan, dt_days=5.0, bstar=0.0, ndot2=0.0):
    n = np.atleast_1d(np.asarray(n_rev_day, dtype=float))
    k = n.size
    epoch = np.full(k, utc_to_us(AS_OF))

    def arr(v):
        return np.broadcast_to(np.asarray(v, dtype=float), (k,)).copy()

    prev = arr(prev_n)
    return ScreenInput(
        norad_id=np.arange(1, k + 1, dtype=np.int64),
        epoch_utc_us=epoch,
        mean_motion_rev_per_day=n,
        eccentricity=arr(e),
        inclination_deg=arr(inc),
        bstar_per_earth_radii=arr(bstar),
        mean_motion_dot_rev_per_day2=arr(ndot2),
        prev_epoch_utc_us=np.where(np.isfinite(prev), epoch - int(dt_days * 86_400e6), 0),
        prev_mean_motion_rev_per_day=prev,
    )


def test_bc_is_recovered_from_the_decay_rate(atm):
    """A history that decays exactly as King-Hele says for BC = 0.03 gives back 0.03."""
    from deorbit.catalogue.screen import _bracket

    n_now = 15.9
    a = semi_major_axis_km(n_now)
    da_dt = 0.03 * _bracket(np.array([a]), np.array([0.0]), np.array([53.0]), atm)[0][0]
    dn_dt = -1.5 * n_now / a * da_dt * 86400.0  # rev/day^2
    inp = _input([n_now, n_now, n_now], prev_n=[n_now - 5 * dn_dt, n_now + 0.01, np.nan],
                 bstar=[0.0, 0.002, 0.0], ndot2=[0.0, 0.0, 0.0])  # fmt: skip
    bc, method = estimate_bc(inp, atm)
    assert bc[0] == pytest.approx(0.03, rel=1e-6) and method[0] == 0  # decay
    assert bc[1] == pytest.approx(0.002 * 12.741621) and method[1] == 2  # raised orbit: B*
    assert bc[2] == 0.02 and method[2] == 3  # nothing usable: default


def test_flags_and_candidates(atm):
    as_of = utc_to_us(AS_OF)
    n_low, n_decayed, n_high = 16.2, 17.5, 14.8  # ~240 km, below 100 km, ~650 km
    inp = _input([n_low, n_decayed, n_high, n_low, 16.4], ndot2=[1e-3, 1e-3, 1e-3, 1e-3, 2e-2])
    stale = inp.epoch_utc_us.copy()
    stale[3] -= 40 * 86_400_000_000  # 40 days old: stale
    stale[4] -= 29 * 86_400_000_000  # 29 days old at ~180 km: must have come down
    inp = ScreenInput(**{**inp.__dict__, "epoch_utc_us": stale})
    out = screen_chunk(inp, atm, as_of, ScreenOptions())
    assert [STATUS[s] for s in out.status] == [
        "candidate", "decayed", "ok", "stale", "presumed_decayed"
    ]  # fmt: skip
    assert out.perigee_alt_km[1] < 100 and out.lifetime_days[0] < 60


def test_result_of_an_object_does_not_depend_on_its_chunk(atm):
    """Bit for bit, whatever chunk an object lands in and whoever shares it: what lets the
    watch cut chunks by perigee height and run them on any number of workers."""
    rng = np.random.default_rng(4)
    n = rng.uniform(15.0, 16.3, 200)
    inp = _input(n, e=rng.uniform(0, 0.01, 200), inc=rng.uniform(0, 98, 200), ndot2=2e-4)
    whole = screen_chunk(inp, atm, utc_to_us(AS_OF), ScreenOptions())
    parts = ScreenOutput.concatenate(
        [screen_chunk(inp.take(slice(k, k + 37)), atm, utc_to_us(AS_OF), ScreenOptions())
         for k in range(0, 200, 37)]
    )  # fmt: skip
    order = rng.permutation(200)
    shuffled = ScreenOutput.concatenate(
        [screen_chunk(inp.take(order[k : k + 64]), atm, utc_to_us(AS_OF), ScreenOptions())
         for k in range(0, 200, 64)]
    )  # fmt: skip
    inverse = np.empty_like(order)
    inverse[order] = np.arange(200)
    back = shuffled.take(inverse)
    for name in ("lifetime_days", "reentry_utc_us", "status", "bc_m2_per_kg", "norad_id"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(parts, name))
        np.testing.assert_array_equal(getattr(whole, name), getattr(back, name))


def test_monte_carlo_samples_do_not_depend_on_their_neighbours(atm):
    """The same holds for King-Hele over samples (the screen engine's Monte Carlo)."""
    rng = np.random.default_rng(5)
    bc = 0.02 * np.exp(rng.standard_normal(50))
    scale = np.exp(0.25 * rng.standard_normal(50))
    a = R_EQ + 330.0
    together = king_hele_lifetime_days(a, 0.001, 51.6, bc, atm, density_scale=scale)
    alone = [
        king_hele_lifetime_days(a, 0.001, 51.6, bc[k], atm, density_scale=scale[k])
        for k in range(50)
    ]
    np.testing.assert_array_equal(together, alone)


def test_atmosphere_outside_its_table_follows_the_end_slopes(atm):
    x, y = atm.alt_km, atm.ln_rho
    below, above = x[0] - 20.0, x[-1] + 100.0
    lo = y[0] + (y[1] - y[0]) / (x[1] - x[0]) * (below - x[0])
    hi = y[-1] + (y[-1] - y[-2]) / (x[-1] - x[-2]) * (above - x[-1])
    rho = atm.rho_kg_m3(np.array([below, x[0], 400.0, x[-1], above]))
    assert rho[0] == pytest.approx(np.exp(lo), rel=1e-12)
    assert rho[-1] == pytest.approx(np.exp(hi), rel=1e-12)
    assert rho[2] == pytest.approx(np.exp(np.interp(400.0, x, y)), rel=1e-12)
    h = atm.scale_height_km(np.array([below, 400.0, above]))
    assert h[0] == pytest.approx(-(x[1] - x[0]) / (y[1] - y[0]))
    assert h[2] == pytest.approx(-(x[-1] - x[-2]) / (y[-1] - y[-2]))
    assert atm.rho_kg_m3(np.zeros(0)).shape == (0,)


def test_thirty_thousand_objects_screen_quickly(atm):
    import time

    rng = np.random.default_rng(1)
    n = 30_000
    inp = _input(rng.uniform(14.5, 16.3, n), e=rng.uniform(0, 0.02, n), ndot2=1e-4,
                 inc=rng.uniform(0, 98, n))  # fmt: skip
    start = time.process_time()
    out = screen_chunk(inp, atm, utc_to_us(AS_OF), ScreenOptions())
    assert time.process_time() - start < 20.0
    assert np.count_nonzero(out.status == 1) > 0
