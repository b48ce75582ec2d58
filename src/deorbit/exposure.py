"""Overflight exposure: the share of time an object spends above each country and the ocean.

When the time of a re-entry is unknown, the probability that it happens above a region equals
the object's long-run share of time above that region.  deorbit computes that share two ways:

**Analytic (long run).**  On a circular orbit of inclination *i* the argument of latitude *u*
advances uniformly, and the satellite's geocentric latitude obeys ``sin(phi) = sin(i) sin(u)``.
The time spent below latitude *phi* is therefore

    F(phi) = 1/2 + arcsin(sin(phi) / sin(i)) / pi        for |phi| <= i,

whose density ``cos(phi) / (pi sqrt(sin^2 i - sin^2 phi))`` is singular, but integrable, at the
band edge.  Over many days the Earth's rotation and the node's precession make the longitude
uniform, so time is distributed with the measure ``dF(phi) dlambda / 360``.  The share of a
country is the area of its polygons in the plane (lambda / 360, F(phi)).  deorbit evaluates that
area with Green's theorem, edge by edge, *exactly* for the straight lon/lat edges that Natural
Earth polygons are made of:

    area = - sum over edges of  (x2 - x1) * (G(phi2) - G(phi1)) / (phi2 - phi1),

with ``x = lambda / 360`` and ``G`` the antiderivative of ``F`` (the edge-wise form of
``-closed integral of F dx``).  ``F`` is continuous and ``G`` smooth, so tabulating
them on a fine grid costs no accuracy at the singular edge, which is where naive gridding fails.

The sub-satellite point is reported in *geodetic* latitude, which at ISS height exceeds the
geocentric latitude by up to ~0.18 deg; the mapping between them is applied exactly through
:func:`deorbit.frames.itrs_to_geodetic`, so the band reaches a little beyond the inclination, as
propagated tracks do.  Eccentric orbits are treated with this circular-orbit formula at their
mean radius; their latitude density also depends on the argument of perigee (reported as a
caveat by the callers when e > 0.01).

**Windowed.**  For a chosen window the share comes from the propagated ground track itself
(:func:`window_exposure`): each sample of the track, taken at a uniform time step, is looked up
in the country map.  Over a window of a day the longitudes are far from uniform, and shares can
differ a lot from the long-run figure; over a month they converge to it within a few per cent
for the larger countries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from deorbit.elements import EARTH_RADIUS_KM
from deorbit.errors import InputError
from deorbit.frames import itrs_to_geodetic

if TYPE_CHECKING:
    import shapely

    from deorbit.geography import CountryMap

__all__ = [
    "Exposure",
    "LatitudeDistribution",
    "latitude_distribution",
    "long_run_exposure",
    "polygon_shares",
    "window_exposure",
]

# Samples of the argument of latitude over a quarter orbit.  Uniform steps in u cluster the
# latitude samples quadratically towards the band edge, exactly where F changes fastest.
_N_U = 20001


@dataclass(frozen=True)
class LatitudeDistribution:
    """Time distribution of the sub-satellite geodetic latitude of a circular orbit.

    ``cdf(lat_deg)`` is the share of time spent south of ``lat_deg``; ``antiderivative`` is
    its integral over latitude (in degree units), used for exact edge integrals.
    """

    inclination_deg: float
    radius_km: float
    #: Highest geodetic latitude the sub-satellite point reaches.
    max_lat_deg: float
    _lat_deg: np.ndarray
    _cdf: np.ndarray
    _integral: np.ndarray

    def cdf(self, lat_deg: np.ndarray) -> np.ndarray:
        """Share of time with sub-satellite geodetic latitude below ``lat_deg``."""
        return np.interp(lat_deg, self._lat_deg, self._cdf, left=0.0, right=1.0)

    def antiderivative(self, lat_deg: np.ndarray) -> np.ndarray:
        """``G(lat) = integral of cdf from -90 deg to lat`` (units: degrees)."""
        lat = np.asarray(lat_deg, dtype=float)
        g = np.interp(lat, self._lat_deg, self._integral)
        # Beyond the band the cdf is 0 (south) or 1 (north): G is linear there.
        north = lat > self._lat_deg[-1]
        g = np.where(north, self._integral[-1] + (lat - self._lat_deg[-1]), g)
        return np.where(lat < self._lat_deg[0], 0.0, g)

    def band_fraction(self, south_deg: np.ndarray, north_deg: np.ndarray) -> np.ndarray:
        """Share of time between two latitudes."""
        return self.cdf(north_deg) - self.cdf(south_deg)


@lru_cache(maxsize=64)
def latitude_distribution(inclination_deg: float, alt_km: float = 400.0) -> LatitudeDistribution:
    """The long-run distribution of geodetic sub-satellite latitude for a circular orbit.

    ``inclination_deg`` in [0, 180]; retrograde orbits reach ``180 - i``.  ``alt_km`` is the
    orbit's mean height above the equatorial radius; it only sets the small
    geocentric-to-geodetic correction.
    """
    if not 0.0 <= inclination_deg <= 180.0:
        raise InputError(
            f"inclination {inclination_deg} deg is not in [0, 180]", field="inclination"
        )
    i_eff = min(inclination_deg, 180.0 - inclination_deg)
    radius_km = EARTH_RADIUS_KM + float(alt_km)
    if i_eff < 1e-6:  # equatorial: all time on the equator
        lat = np.array([-1e-9, 1e-9])
        cdf = np.array([0.0, 1.0])
        integral = np.array([0.0, 0.0])
        return LatitudeDistribution(inclination_deg, radius_km, 0.0, lat, cdf, integral)
    u = np.linspace(-np.pi / 2, np.pi / 2, 2 * _N_U - 1)
    sin_phi_c = np.sin(np.radians(i_eff)) * np.sin(u)
    cos_phi_c = np.sqrt(1.0 - sin_phi_c**2)
    r = np.stack([radius_km * cos_phi_c, np.zeros_like(u), radius_km * sin_phi_c], axis=-1)
    lat_deg, _, _ = itrs_to_geodetic(r)
    lat_deg = np.maximum.accumulate(np.asarray(lat_deg, dtype=float))
    cdf = 0.5 + u / np.pi
    # G = integral of F dlat by the trapezoid rule on the clustered grid (F is continuous).
    integral = np.concatenate([[0.0], np.cumsum(0.5 * (cdf[1:] + cdf[:-1]) * np.diff(lat_deg))])
    return LatitudeDistribution(
        inclination_deg, radius_km, float(lat_deg[-1]), lat_deg, cdf, integral
    )


@dataclass(frozen=True)
class Exposure:
    """Share of time above each country (indexed like ``CountryMap.countries``) and the ocean."""

    method: str
    fraction: np.ndarray
    ocean_fraction: float
    #: For windowed exposure: the number of track samples used (None for analytic).
    n_samples: int | None = None

    @property
    def land_fraction(self) -> float:
        return float(self.fraction.sum())

    def ranked(self, minimum: float = 0.0) -> list[tuple[int, float]]:
        """(country index, share) pairs sorted by decreasing share, above ``minimum``."""
        order = np.argsort(-self.fraction, kind="stable")
        return [(int(k), float(self.fraction[k])) for k in order if self.fraction[k] > minimum]


def long_run_exposure(
    countries: CountryMap, inclination_deg: float, alt_km: float = 400.0
) -> Exposure:
    """Analytic long-run share of time above each country for a circular orbit.

    Exact (to the ~1e-9 accuracy of the tabulated latitude distribution) for the polygons as
    drawn.  See the module docstring for the method.
    """
    dist = latitude_distribution(float(inclination_deg), float(alt_km))
    geoms = [countries.geometry(c.index) for c in countries.countries]
    fraction = polygon_shares(geoms, dist)
    # Rings wholly outside the band sum to zero up to round-off (~1e-17): make that exact.
    fraction[fraction < 1e-12] = 0.0
    return Exposure("analytic", fraction, float(max(0.0, 1.0 - fraction.sum())))


def polygon_shares(
    geometries: Sequence[shapely.Geometry], dist: LatitudeDistribution
) -> np.ndarray:
    """Long-run share of time above each (multi)polygon in lon/lat degrees.

    Edges are straight in longitude/latitude; the integral over each is exact through the
    antiderivative of the latitude CDF (see the module docstring).
    """
    x1, y1, x2, y2, owner = _ring_edges(tuple(geometries))
    dy = y2 - y1
    flat = np.abs(dy) < 1e-9
    # Mean of F along the edge: exact through G, or F itself on (near-)parallels.
    mean_f = np.where(
        flat,
        dist.cdf(0.5 * (y1 + y2)),
        (dist.antiderivative(y2) - dist.antiderivative(y1)) / np.where(flat, 1.0, dy),
    )
    contrib = -(x2 - x1) * mean_f / 360.0
    return np.bincount(owner, weights=contrib, minlength=len(geometries))


def window_exposure(countries: CountryMap, lat_deg: np.ndarray, lon_deg: np.ndarray) -> Exposure:
    """Share of time above each country from ground-track samples at a uniform time step.

    Samples with NaN coordinates (SGP4 errors) are dropped; if none remain an
    :class:`InputError` is raised.
    """
    from deorbit.geography import OCEAN

    lat = np.ravel(np.asarray(lat_deg, dtype=float))
    lon = np.ravel(np.asarray(lon_deg, dtype=float))
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        raise InputError("the ground track has no valid points (SGP4 failed over the window)")
    idx = countries.lookup(lat[ok], lon[ok]).astype(np.int64)
    n = int(ok.sum())
    counts = np.bincount(idx[idx != OCEAN], minlength=len(countries.countries))
    return Exposure(
        "propagated",
        counts / n,
        float(np.count_nonzero(idx == OCEAN) / n),
        n_samples=n,
    )


@lru_cache(maxsize=8)
def _ring_edges(geometries: tuple[shapely.Geometry, ...]) -> tuple[np.ndarray, ...]:
    """All ring edges of the geometries, oriented (exteriors counter-clockwise, holes clockwise),
    with the index of the geometry each belongs to."""
    import shapely

    parts = []
    owners = []
    for k, geom in enumerate(geometries):
        rings = shapely.get_rings(shapely.get_parts(shapely.orient_polygons(geom)))
        for ring in rings:
            xy = shapely.get_coordinates(ring)
            parts.append(np.concatenate([xy[:-1], xy[1:]], axis=1))
            owners.append(np.full(len(xy) - 1, k, dtype=np.int64))
    edges = np.concatenate(parts)
    return edges[:, 0], edges[:, 1], edges[:, 2], edges[:, 3], np.concatenate(owners)
