"""Who could be hit: casualty area, casualty expectation E_c and probability of a casualty.

Casualty area (NASA DAS)
    A fragment of mean projected area A hurts anyone standing within the area swept by a
    person's projected outline around it:
    ``A_c = (sqrt(A_h) + sqrt(A))^2`` with ``A_h`` = :data:`HUMAN_AREA_M2` = 0.36 m^2 (a standing
    person seen from above, 0.6 m x 0.6 m; NASA-STD-8719.14 "Process for Limiting Orbital
    Debris", sec. 4.7, and the DAS 3.x user guide, NASA/TP-2020-..., "Debris Casualty Area").
    An object's casualty area is the sum over its surviving pieces,
    ``A_c = sum_i count_i (0.6 + sqrt(A_i))^2``; demising pieces carry none.  (DAS also drops
    pieces hitting with less than 15 J; a fragment list given here is taken as the survivors
    that matter.)

Casualty expectation
    ``E_c`` is the expected number of people hit: casualty area times the population density
    where the pieces land.  For a Monte Carlo footprint (:mod:`deorbit.footprint`) each sample
    s gives ``E_c,s = sum_k A_c,k rho(p_sk)`` with ``rho`` the GPW v4 2020 density of the
    0.5 deg cell containing the impact point (persons/km^2 x 1e-6 = persons/m^2), and
    ``E_c = mean_s E_c,s``; per country, each point counts for the country it lands in (a
    point in the sea part of a coastal cell counts as "ocean" but with the cell's density).
    The probability of at least one casualty follows from a Poisson number of casualties
    (rare, independent hits): ``P = 1 - exp(-E_c)``, ~E_c when E_c << 1.  The per-sample
    mean ``mean_s (1 - exp(-E_c,s))`` is also reported (it is smaller, by Jensen's
    inequality, when E_c,s varies a lot between samples).  The limit of NASA-STD-8719.14
    (Requirement 4.7-1) and of ESA's re-entry safety requirements (ESSB-ST-U-004) is
    E_c <= 1e-4 (1 in 10,000) per re-entry: :data:`EC_LIMIT`.

Long-run E_c per m^2 (unknown re-entry time)
    When the time of re-entry is unknown, the impact latitude follows the orbit's long-run
    latitude distribution and the longitude is uniform, so (Byers et al. 2022, Nature
    Astronomy 6, 1093, "Unnecessary risks created by uncontrolled rocket reentries", Methods)
    ``E_c / A_c = sum over latitude rows of dF(row) x (row population / row area)``,
    with F the latitude CDF of :func:`deorbit.exposure.latitude_distribution` (geodetic,
    exact arcsine law) and GPW rows of equal-area cells (:func:`long_run_ec_per_m2`).
    :func:`band_ec_per_m2` is an independent check: fine latitude bands, the closed-form
    geocentric arcsine law and ``PopulationGrid.per_latitude_band``; the two agree within
    ~1 % for 0-98 deg (docs/notes/risk.md).  Population changes with time: UARS (2011) and
    ROSAT (2011) were assessed with the population of their day; GPW 2005 and 2020 grids
    bracket it (:func:`long_run_ec_per_m2` takes either grid).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from deorbit.errors import InputError
from deorbit.fragments import FragmentList

if TYPE_CHECKING:
    from deorbit.footprint import Footprint
    from deorbit.geography import PopulationGrid

__all__ = [
    "EC_LIMIT",
    "HUMAN_AREA_M2",
    "CasualtyResult",
    "band_ec_per_m2",
    "casualty_area_m2",
    "casualty_area_per_class_m2",
    "expected_casualties",
    "long_run_ec_per_m2",
    "probability_of_casualty",
]

ArrayF = npt.NDArray[np.float64]

#: Projected area of a standing person (m^2), NASA-STD-8719.14 / DAS.
HUMAN_AREA_M2 = 0.36
#: Casualty-expectation limit per re-entry (NASA-STD-8719.14 Req. 4.7-1; ESA ESSB-ST-U-004).
EC_LIMIT = 1e-4
_KM2_PER_M2 = 1e-6


def casualty_area_per_class_m2(fragments: FragmentList) -> ArrayF:
    """Casualty area (m^2) of each fragment class, all its pieces: count (0.6 + sqrt(A))^2;
    0 for demising classes."""
    ac = fragments.count * (np.sqrt(HUMAN_AREA_M2) + np.sqrt(fragments.area_m2)) ** 2
    return np.where(fragments.demise, 0.0, ac)


def casualty_area_m2(fragments: FragmentList) -> float:
    """Total casualty area of the surviving pieces (m^2), NASA DAS definition."""
    return float(casualty_area_per_class_m2(fragments).sum())


def probability_of_casualty(ec: npt.ArrayLike) -> ArrayF:
    """Probability of at least one casualty for a Poisson number with mean ``ec``."""
    e = np.asarray(ec, dtype=float)
    if np.any(~(e >= 0)):
        raise InputError("casualty expectation must be >= 0", field="ec")
    return -np.expm1(-e)


@dataclass(frozen=True)
class CasualtyResult:
    """Casualty expectation of a footprint (persons), total and per country.

    ``ec_per_country`` is indexed like ``CountryMap.countries``; ``ec_ocean`` is E_c from points
    classed as sea (coastal cells); ``ec_per_sample`` (N,) is NaN for invalid samples.
    """

    casualty_area_m2: float
    ec: float
    ec_per_country: ArrayF
    ec_ocean: float
    ec_per_sample: ArrayF
    population_year: int

    @property
    def p_casualty(self) -> float:
        """P(at least one casualty) = 1 - exp(-E_c)."""
        return float(probability_of_casualty(self.ec))

    @property
    def p_casualty_sample_mean(self) -> float:
        """Mean over samples of 1 - exp(-E_c,s)."""
        e = self.ec_per_sample[np.isfinite(self.ec_per_sample)]
        return float(np.mean(probability_of_casualty(e)))

    @property
    def ratio_to_limit(self) -> float:
        """E_c / 1e-4: above 1 the re-entry breaks the NASA/ESA limit."""
        return self.ec / EC_LIMIT

    @property
    def one_in(self) -> float:
        """E_c as odds "1 in X"."""
        return 1.0 / self.ec if self.ec > 0 else float("inf")


def expected_casualties(fp: Footprint, population: PopulationGrid) -> CasualtyResult:
    """Casualty expectation of a footprint (see the module docstring)."""
    ok = fp.points.valid
    n_valid = int(ok.sum())
    if n_valid == 0:
        raise InputError("no valid sample in the footprint", field="reentered")
    lat = np.where(ok[:, None], fp.points.lat_deg, 0.0)
    lon = np.where(ok[:, None], fp.points.lon_deg, 0.0)
    rho_m2 = population.at(lat, lon) * _KM2_PER_M2  # persons per m^2
    hit = rho_m2 * fp.casualty_area_m2[None, :]  # (N, K) expected casualties per point
    hit[~ok] = 0.0
    per_sample = np.where(ok, hit.sum(axis=1), np.nan)
    land = fp.country >= 0
    per_country = (
        np.bincount(fp.country[land].astype(np.int64), weights=hit[land], minlength=fp.n_countries)
        / n_valid
    )
    ocean = float(hit[fp.country == -1].sum() / n_valid)
    return CasualtyResult(
        casualty_area_m2=float(fp.casualty_area_m2.sum()),
        ec=float(np.nanmean(per_sample)),
        ec_per_country=per_country,
        ec_ocean=ocean,
        ec_per_sample=per_sample,
        population_year=population.year,
    )


def long_run_ec_per_m2(
    inclination_deg: float, alt_km: float = 400.0, population: PopulationGrid | None = None
) -> float:
    """Long-run casualty expectation per m^2 of casualty area (persons/m^2) for a circular orbit.

    The average population density under the orbit weighted by its long-run time share of each
    latitude (Byers et al. 2022): ``sum_rows dF(row) x population(row) / area(row)``.
    ``population`` defaults to GPW v4 2020 at 0.5 deg.  Multiply by a casualty area (m^2) to
    get E_c for a re-entry at an unknown time.  ``alt_km`` only sets the small geodetic
    correction of the band edge.
    """
    from deorbit.exposure import latitude_distribution
    from deorbit.geography import load_population

    pop = population if population is not None else load_population(2020)
    dist = latitude_distribution(float(inclination_deg), float(alt_km))
    df = dist.cdf(pop.lat_edges_deg[:-1]) - dist.cdf(pop.lat_edges_deg[1:])  # rows run N -> S
    row_density = pop.count.sum(axis=1) / pop.area_km2.sum(axis=1) * _KM2_PER_M2
    return float(df @ row_density)


def band_ec_per_m2(
    inclination_deg: float,
    alt_km: float = 400.0,
    population: PopulationGrid | None = None,
    *,
    band_deg: float = 0.05,
) -> float:
    """Independent direct computation of :func:`long_run_ec_per_m2` for validation.

    Latitude bands of ``band_deg`` in *geocentric* latitude from -i to i, time share of each
    band from the closed form ``F = 1/2 + arcsin(sin(phi_c)/sin(i))/pi``; the band edges are
    then mapped to the geodetic latitude of the sub-satellite point at ``alt_km`` above the
    equatorial radius (:func:`deorbit.frames.itrs_to_geodetic`; up to 0.19 deg, which matters
    at low inclinations where the singular band edge sits next to a grid row edge: 8 % at 6 deg
    without it).  People per band from ``PopulationGrid.per_latitude_band`` (cells split by
    area), band area from the ellipsoidal row areas split the same way.  An equatorial orbit
    gets the mean of the two bands touching the equator.
    """
    from deorbit.elements import EARTH_RADIUS_KM
    from deorbit.frames import itrs_to_geodetic
    from deorbit.geography import load_population

    if not 0.0 <= inclination_deg <= 180.0:
        raise InputError(f"inclination {inclination_deg} is not in [0, 180]", field="inclination")
    pop = population if population is not None else load_population(2020)
    i_eff = min(inclination_deg, 180.0 - inclination_deg)
    if i_eff < 1e-6:
        edges = np.array([-band_deg, 0.0, band_deg])
        share = np.array([0.5, 0.5])
    else:
        n = max(2, int(np.ceil(2 * i_eff / band_deg)))
        edges = np.linspace(-i_eff, i_eff, n + 1)
        s = np.clip(np.sin(np.radians(edges)) / np.sin(np.radians(i_eff)), -1.0, 1.0)
        share = np.diff(0.5 + np.arcsin(s) / np.pi)
        r_km = EARTH_RADIUS_KM + float(alt_km)
        phi = np.radians(edges)
        xyz = np.stack([r_km * np.cos(phi), np.zeros_like(phi), r_km * np.sin(phi)], axis=-1)
        edges = np.clip(np.asarray(itrs_to_geodetic(xyz)[0], dtype=float), -90.0, 90.0)
    people = pop.per_latitude_band(edges)
    row_area = pop.area_km2.sum(axis=1)
    area = np.array(
        [row_area @ pop.band_fraction(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    )
    return float(np.sum(share * people / area) * _KM2_PER_M2)
