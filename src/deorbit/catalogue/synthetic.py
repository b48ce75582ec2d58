"""Synthetic LEO catalogues for benchmarks and tests, written as TLE text.

The mix resembles the tracked low-Earth-orbit population (CelesTrak SATCAT, 2024-2025) closely
enough that screening and ingest see realistic work: most objects high and long-lived, a few
percent decaying.  Each object is drawn from one of these families (fractions of the total):

==============  =====  ===============================  ==========  ===============  ==========
family          share  perigee altitude (km)             e           inclination      BC (m2/kg)
==============  =====  ===============================  ==========  ===============  ==========
starlink        0.40   N(550, 5); 5 % in decay: U(200,   U(1, 3)e-4  53.0/53.2/70/    LN(0.03,
                       400)                                          97.6 (mix)       0.3)
sso             0.18   U(450, 800)                       U(0, 2e-3)  SSO i(h) + N(0,  LN(0.015,
                                                                     0.1)             0.5)
iss_like        0.02   U(380, 430)                       U(0, 1e-3)  51.6 +- 0.1      LN(0.008,
                                                                                      0.3)
debris          0.25   U(300, 1000)                      U(0, 0.01)  U(30, 100)       LN(0.03,
                                                                                      0.7)
debris_high_e   0.10   U(150, 600)                       apogee U(1000,  U(0, 30) or  LN(0.01,
                                                         36000)      U(50, 65)        0.5)
decaying        0.05   U(140, 320)                       U(0, 5e-3)  U(40, 98)        LN(0.02,
                                                                                      0.6)
==============  =====  ===============================  ==========  ===============  ==========

(LN(m, s): lognormal with median m and sigma s of ln.)  RAAN, argument of perigee and mean
anomaly are uniform.  B* is the BC converted with the usual SGP4 relation B* = BC rho0 / 2
(rho0 = 0.15696615 kg/m^2/earth-radius, so B* = BC / 12.741621), i.e. consistent with the BC.

History: ``sets_per_object`` element sets per object, ``spacing_days`` apart, ending at
``epoch_utc``; the mean motion grows along the history at the rate the exponential
atmosphere (:class:`~deorbit.drag.ExponentialDensity` re-anchored by family) gives for that BC,
so screening's decay-rate estimate sees a consistent signal.  Everything is drawn from one
seeded generator: same seed, same catalogue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from deorbit.elements import EARTH_RADIUS_KM, MU_EARTH_KM3_S2
from deorbit.formats.tle import tle_checksum

__all__ = ["FAMILIES", "SyntheticCatalogue", "synthetic_catalogue", "write_tle"]

#: (family, share of the catalogue)
FAMILIES: tuple[tuple[str, float], ...] = (
    ("starlink", 0.40),
    ("sso", 0.18),
    ("iss_like", 0.02),
    ("debris", 0.25),
    ("debris_high_e", 0.10),
    ("decaying", 0.05),
)
BSTAR_PER_BC = 1.0 / 12.741621
_FIRST_NORAD = 60000


@dataclass(frozen=True)
class SyntheticCatalogue:
    """Arrays of shape (n_objects,), plus the history layout."""

    norad_id: np.ndarray
    family: np.ndarray  # str
    perigee_alt_km: np.ndarray
    eccentricity: np.ndarray
    inclination_deg: np.ndarray
    raan_deg: np.ndarray
    arg_perigee_deg: np.ndarray
    mean_anomaly_deg: np.ndarray
    bc_m2_per_kg: np.ndarray
    mean_motion_rev_per_day: np.ndarray  # at the last epoch
    mean_motion_dot_rev_per_day2: np.ndarray  # ndot / 2
    epoch_utc: datetime  # of the last set
    sets_per_object: int
    spacing_days: float

    @property
    def n_objects(self) -> int:
        return int(self.norad_id.size)

    @property
    def n_sets(self) -> int:
        return self.n_objects * self.sets_per_object


def _exp_density_kg_m3(alt_km: np.ndarray) -> np.ndarray:
    """A crude mean-activity exponential profile (scale height growing with altitude)."""
    h = np.clip(alt_km, 100.0, 1500.0)
    scale = 20.0 + 0.12 * (h - 150.0)
    return 2.0e-9 * np.exp(-(h - 150.0) / np.maximum(scale, 15.0) * 1.0)


def synthetic_catalogue(
    n_objects: int,
    *,
    sets_per_object: int = 1,
    spacing_days: float = 1.0,
    seed: int = 0,
    epoch_utc: datetime = datetime(2025, 6, 1, tzinfo=UTC),
) -> SyntheticCatalogue:
    """Draw ``n_objects`` objects from :data:`FAMILIES` (see the module docstring)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5A7]))
    shares = np.array([s for _, s in FAMILIES])
    fam_idx = rng.choice(len(FAMILIES), size=n_objects, p=shares / shares.sum())
    names = np.array([f for f, _ in FAMILIES])
    fam = names[fam_idx]
    hp = np.empty(n_objects)
    ecc = np.empty(n_objects)
    inc = np.empty(n_objects)
    bc = np.empty(n_objects)

    def pick(name: str) -> np.ndarray:
        return np.flatnonzero(fam == name)

    def ln(median: float, sigma: float, k: int) -> np.ndarray:
        return median * np.exp(sigma * rng.standard_normal(k))

    k = pick("starlink")
    decaying = rng.random(k.size) < 0.05
    hp[k] = np.where(decaying, rng.uniform(200, 400, k.size), rng.normal(550, 5, k.size))
    ecc[k] = rng.uniform(1e-4, 3e-4, k.size)
    inc[k] = rng.choice([53.0, 53.2, 70.0, 97.6], size=k.size, p=[0.45, 0.35, 0.1, 0.1])
    bc[k] = ln(0.03, 0.3, k.size)
    k = pick("sso")
    hp[k] = rng.uniform(450, 800, k.size)
    ecc[k] = rng.uniform(0, 2e-3, k.size)
    a = EARTH_RADIUS_KM + hp[k]
    # sun-synchronous: cos i = -(a / 12352 km)^(7/2) (J2 precession of 0.9856 deg/day)
    inc[k] = np.degrees(np.arccos(-((a / 12352.0) ** 3.5))) + rng.normal(0, 0.1, k.size)
    bc[k] = ln(0.015, 0.5, k.size)
    k = pick("iss_like")
    hp[k] = rng.uniform(380, 430, k.size)
    ecc[k] = rng.uniform(0, 1e-3, k.size)
    inc[k] = 51.6 + rng.normal(0, 0.1, k.size)
    bc[k] = ln(0.008, 0.3, k.size)
    k = pick("debris")
    hp[k] = rng.uniform(300, 1000, k.size)
    ecc[k] = rng.uniform(0, 0.01, k.size)
    inc[k] = rng.uniform(30, 100, k.size)
    bc[k] = ln(0.03, 0.7, k.size)
    k = pick("debris_high_e")
    hp[k] = rng.uniform(150, 600, k.size)
    ha = rng.uniform(1000, 36000, k.size)
    ecc[k] = (ha - hp[k]) / (ha + hp[k] + 2 * EARTH_RADIUS_KM)
    inc[k] = np.where(
        rng.random(k.size) < 0.6, rng.uniform(0, 30, k.size), rng.uniform(50, 65, k.size)
    )
    bc[k] = ln(0.01, 0.5, k.size)
    k = pick("decaying")
    hp[k] = rng.uniform(140, 320, k.size)
    ecc[k] = rng.uniform(0, 5e-3, k.size)
    inc[k] = rng.uniform(40, 98, k.size)
    bc[k] = ln(0.02, 0.6, k.size)
    inc = np.clip(inc, 0.0, 179.9)
    a_km = (EARTH_RADIUS_KM + hp) / (1.0 - ecc)
    n_rad_s = np.sqrt(MU_EARTH_KM3_S2 / a_km**3)
    mean_motion = n_rad_s * 86400.0 / (2.0 * math.pi)
    # orbit-mean decay: perigee density with the King-Hele factor exp(-x) I0(x) ~ 1/sqrt(2 pi x)
    rho = _exp_density_kg_m3(hp)
    x = a_km * ecc / 40.0
    factor = np.where(x < 1.0, 1.0, 1.0 / np.sqrt(2.0 * np.pi * np.maximum(x, 1.0)))
    da_dt_km_day = bc * rho * factor * 1e3 * np.sqrt(MU_EARTH_KM3_S2 * a_km) * 86400.0
    dn_dt = 1.5 * mean_motion / a_km * da_dt_km_day  # rev/day^2
    ndot2 = np.minimum(dn_dt / 2.0, 0.0999)
    return SyntheticCatalogue(
        norad_id=_FIRST_NORAD + np.arange(n_objects),
        family=fam,
        perigee_alt_km=hp,
        eccentricity=ecc,
        inclination_deg=inc,
        raan_deg=rng.uniform(0, 360, n_objects),
        arg_perigee_deg=rng.uniform(0, 360, n_objects),
        mean_anomaly_deg=rng.uniform(0, 360, n_objects),
        bc_m2_per_kg=bc,
        mean_motion_rev_per_day=np.minimum(mean_motion, 17.5),
        mean_motion_dot_rev_per_day2=ndot2,
        epoch_utc=epoch_utc,
        sets_per_object=sets_per_object,
        spacing_days=spacing_days,
    )


def _exp_text(value: float) -> str:
    if value == 0.0:
        return " 00000+0"
    digits, _, exponent = f"{abs(value):.4e}".partition("e")
    power = int(exponent) + 1
    if power < -9:
        return " 00000+0"
    return f"{'-' if value < 0 else ' '}{digits.replace('.', '')}{'-' if power < 0 else '+'}{abs(power)}"


def _epoch_text(t: datetime) -> str:
    jan1 = datetime(t.year, 1, 1, tzinfo=UTC)
    steps = round((t - jan1) / timedelta(microseconds=864))
    day, frac = divmod(steps, 100_000_000)
    return f"{t.year % 100:02d}{day + 1:03d}.{frac:08d}"


def write_tle(catalogue: SyntheticCatalogue, path: str | Path | None = None) -> str:
    """The catalogue as 3-line TLE text (object by object, epochs ascending); written to
    ``path`` when given.  Each object's name is ``"<FAMILY>-<norad_id>"``."""
    c = catalogue
    out: list[str] = []
    step = timedelta(days=c.spacing_days)
    fam_upper = {f: f.upper().replace("_", "-") for f, _ in FAMILIES}
    for j in range(c.n_objects):
        norad = int(c.norad_id[j])
        name = f"{fam_upper[str(c.family[j])]}-{norad}"
        cat = f"{norad:05d}"
        intl = f"{20 + j % 5:02d}{(j // 5) % 999 + 1:03d}{'ABCDEFGH'[j % 8]}  "
        ndot2 = float(c.mean_motion_dot_rev_per_day2[j])
        bstar = _exp_text(float(c.bc_m2_per_kg[j]) * BSTAR_PER_BC)
        ecc = f"{min(round(float(c.eccentricity[j]) * 1e7), 9_999_999):07d}"
        inc = f"{float(c.inclination_deg[j]):8.4f}"
        raan0, argp0, ma0 = (
            float(c.raan_deg[j]),
            float(c.arg_perigee_deg[j]),
            float(c.mean_anomaly_deg[j]),
        )
        n_last = float(c.mean_motion_rev_per_day[j])
        if c.sets_per_object > 1:  # keep the history's mean motion within 2 % of the last
            span_days = (c.sets_per_object - 1) * c.spacing_days
            ndot2 = min(ndot2, 0.01 * n_last / span_days)
        ndot_text = f"{abs(ndot2):.8f}"[1:]
        ndot_field = f"{'-' if ndot2 < 0 else ' '}{ndot_text}"
        for s in range(c.sets_per_object):
            back = c.sets_per_object - 1 - s
            t = c.epoch_utc - back * step
            n = n_last - 2.0 * ndot2 * back * c.spacing_days
            line1 = (
                f"1 {cat}U {intl} {_epoch_text(t)} {ndot_field}  00000-0 {bstar} 0 "
                f"{(s + 1) % 10000:4d}"
            )
            line2 = (
                f"2 {cat} {inc} {(raan0 - 5.0 * s) % 360.0:8.4f} {ecc} "
                f"{(argp0 + 3.0 * s) % 360.0:8.4f} {(ma0 + 97.0 * s) % 360.0:8.4f} "
                f"{n:11.8f}{(1000 + s) % 100000:5d}"
            )
            out.append(f"{name}\n{line1}{tle_checksum(line1)}\n{line2}{tle_checksum(line2)}\n")
    text = "".join(out)
    if path is not None:
        Path(path).write_text(text)
    return text
