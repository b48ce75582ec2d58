"""The analytic long-run exposure against a propagated month of the real ISS track."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from deorbit.exposure import latitude_distribution, long_run_exposure, window_exposure
from deorbit.geography import load_countries
from deorbit.groundtrack import ground_track
from deorbit.objects import resolve_object


@pytest.fixture(scope="module")
def iss_month():
    obj = resolve_object("ISS")
    es = obj.latest
    track = ground_track(es, es.epoch_utc, es.epoch_utc + timedelta(days=30), 20.0)
    return es, track


def test_analytic_matches_a_propagated_month(iss_month):
    es, track = iss_month
    countries = load_countries()
    alt = 0.5 * (es.perigee_alt_km + es.apogee_alt_km)
    analytic = long_run_exposure(countries, es.inclination_deg, alt)
    window = window_exposure(countries, track.lat_deg, track.lon_deg)
    # Land/ocean split: a month of ~465 revolutions samples longitudes finely.
    assert window.land_fraction == pytest.approx(analytic.land_fraction, abs=0.004)
    big = analytic.fraction > 0.005
    assert big.sum() >= 10
    rel = np.abs(window.fraction[big] - analytic.fraction[big]) / analytic.fraction[big]
    assert rel.max() < 0.08, rel
    assert np.median(rel) < 0.03


def test_track_latitude_histogram_follows_the_analytic_density(iss_month):
    es, track = iss_month
    dist = latitude_distribution(es.inclination_deg, 0.5 * (es.perigee_alt_km + es.apogee_alt_km))
    lat = track.lat_deg[np.isfinite(track.lat_deg)]
    # The band edge from the propagated track is within a few hundredths of a degree.
    assert abs(np.abs(lat).max() - dist.max_lat_deg) < 0.05
    edges = np.linspace(-dist.max_lat_deg, dist.max_lat_deg, 21)
    counts, _ = np.histogram(lat, edges)
    expected = np.diff(dist.cdf(edges)) * lat.size
    np.testing.assert_allclose(counts, expected, rtol=0.03)
