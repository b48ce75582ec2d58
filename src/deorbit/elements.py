"""The element set: one object's mean orbital elements at one epoch.

Every source deorbit reads (TLE files, CCSDS OMM in KVN or XML, CelesTrak GP JSON or CSV,
the local cache, the bundled ISS snapshot) produces :class:`ElementSet` values, and every
later layer (propagation, decay, risk) consumes them.  The elements are SGP4 *mean* elements
(Kozai mean motion, TEME frame), exactly as published; nothing here converts them.

Field names carry their units.  Two fields keep the TLE/OMM conventions on purpose:

``mean_motion_dot_rev_per_day2``
    the TLE line-1 field "first derivative of mean motion divided by two" (OMM
    ``MEAN_MOTION_DOT`` holds the same number);
``mean_motion_ddot_rev_per_day3``
    the TLE field "second derivative divided by six" (OMM ``MEAN_MOTION_DDOT``).

SGP4 ignores both; they are kept so that an element set round-trips.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sgp4.api import WGS72, Satrec

from deorbit.errors import ElementSetError

#: WGS-72 constants, the ones SGP4 is defined with.
MU_EARTH_KM3_S2 = 398600.8
EARTH_RADIUS_WGS72_KM = 6378.135
#: WGS-84 equatorial radius, used for altitudes reported to users.
EARTH_RADIUS_KM = 6378.137

#: Sputnik 1's launch: no element set can be older.
SPACE_AGE_START_UTC = datetime(1957, 10, 4, tzinfo=UTC)
#: SGP4's epoch origin (0 h UT on 1949 December 31).
_SGP4_EPOCH0_UTC = datetime(1949, 12, 31, tzinfo=UTC)
_JD_ORIGIN_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_JD_UNIX_EPOCH_OFFSET = 2440587.5  # Julian date of 1970-01-01 00:00 UTC
_XPDOTP = 1440.0 / (2.0 * math.pi)  # rev/day per rad/min

#: Perigee altitude below which an object is taken to have re-entered already.
DECAYED_PERIGEE_KM = 100.0


@dataclass(frozen=True, slots=True)
class ElementSet:
    """One object's SGP4 mean elements at one epoch, with where they came from."""

    norad_id: int
    name: str
    intl_designator: str
    epoch_utc: datetime
    mean_motion_rev_per_day: float
    eccentricity: float
    inclination_deg: float
    raan_deg: float
    arg_perigee_deg: float
    mean_anomaly_deg: float
    bstar_per_earth_radii: float
    mean_motion_dot_rev_per_day2: float = 0.0
    mean_motion_ddot_rev_per_day3: float = 0.0
    classification: str = "U"
    element_set_no: int = 999
    rev_at_epoch: int = 0
    ephemeris_type: int = 0
    #: File path, URL or "bundled:..." that this set was read from.
    source: str = field(default="", compare=False)
    #: 1-based line in ``source`` where the record starts (None when not line-based).
    line: int | None = field(default=None, compare=False)

    # -- derived quantities ---------------------------------------------------------------
    @property
    def period_min(self) -> float:
        """Orbital period in minutes (from the Kozai mean motion)."""
        return 1440.0 / self.mean_motion_rev_per_day

    @property
    def semi_major_axis_km(self) -> float:
        """Semi-major axis from Kepler's third law with WGS-72 mu (km)."""
        n_rad_s = self.mean_motion_rev_per_day * 2.0 * math.pi / 86400.0
        return (MU_EARTH_KM3_S2 / n_rad_s**2) ** (1.0 / 3.0)

    @property
    def perigee_alt_km(self) -> float:
        """Perigee height above the equatorial radius (km)."""
        return self.semi_major_axis_km * (1.0 - self.eccentricity) - EARTH_RADIUS_KM

    @property
    def apogee_alt_km(self) -> float:
        """Apogee height above the equatorial radius (km)."""
        return self.semi_major_axis_km * (1.0 + self.eccentricity) - EARTH_RADIUS_KM

    @property
    def epoch_days_since_1949(self) -> float:
        """Epoch as SGP4 counts it: days since 1949-12-31 00:00 UT."""
        return (self.epoch_utc - _SGP4_EPOCH0_UTC) / timedelta(days=1)

    def label(self) -> str:
        """A short human label: ``ISS (ZARYA) [25544] @ 2025-11-29T20:01:44Z``."""
        return f"{self.name} [{self.norad_id}] @ {format_utc(self.epoch_utc)}"

    def with_source(self, source: str, line: int | None = None) -> ElementSet:
        """A copy that records a different origin."""
        return replace(self, source=source, line=line)

    def to_satrec(self) -> Satrec:
        """Initialise the ``sgp4`` package's :class:`~sgp4.api.Satrec` from these elements.

        Uses WGS-72 and the improved ('i') operation mode, as ``Satrec.twoline2rv`` does, so
        that a set read from a TLE propagates exactly as the TLE would.
        """
        sat = Satrec()
        deg = math.pi / 180.0
        sat.sgp4init(
            WGS72,
            "i",
            self.norad_id if self.norad_id < 100000 else 0,
            self.epoch_days_since_1949,
            self.bstar_per_earth_radii,
            self.mean_motion_dot_rev_per_day2 / (_XPDOTP * 1440.0),
            self.mean_motion_ddot_rev_per_day3 / (_XPDOTP * 1440.0 * 1440.0),
            self.eccentricity,
            self.arg_perigee_deg * deg,
            self.inclination_deg * deg,
            self.mean_anomaly_deg * deg,
            self.mean_motion_rev_per_day / _XPDOTP,
            self.raan_deg * deg,
        )
        # sgp4init keeps the epoch as one float day count (~0.15 us resolution); restore the
        # exact Julian date split so that times are measured from the true epoch.
        midnight = self.epoch_utc.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        sat.jdsatepoch = (midnight - _JD_ORIGIN_UTC) / timedelta(days=1) + _JD_UNIX_EPOCH_OFFSET
        sat.jdsatepochF = (self.epoch_utc - midnight) / timedelta(days=1)
        return sat


def format_utc(t: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix, to the second."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def validate(
    es: ElementSet,
    *,
    now_utc: datetime | None = None,
    max_future_days: float = 366.0,
) -> ElementSet:
    """Check value ranges and epoch sanity; return ``es`` or raise :class:`ElementSetError`.

    The error names the source, the line and the offending field.  ``now_utc`` (default: the
    system clock) bounds how far in the future an epoch may lie.
    """

    def bad(fieldname: str, message: str) -> ElementSetError:
        return ElementSetError(message, source=es.source or None, line=es.line, field=fieldname)

    if not 0 < es.norad_id < 340000:
        raise bad("norad_id", f"catalogue number {es.norad_id} is outside 1..339999")
    if not (math.isfinite(es.eccentricity) and 0.0 <= es.eccentricity < 1.0):
        raise bad("eccentricity", f"eccentricity {es.eccentricity} is not in [0, 1)")
    if not (math.isfinite(es.mean_motion_rev_per_day) and es.mean_motion_rev_per_day > 0.0):
        raise bad(
            "mean_motion", f"mean motion {es.mean_motion_rev_per_day} rev/day is not positive"
        )
    if es.mean_motion_rev_per_day > 20.0:
        raise bad(
            "mean_motion",
            f"mean motion {es.mean_motion_rev_per_day} rev/day is faster than any orbit above the Earth",
        )
    if not 0.0 <= es.inclination_deg <= 180.0:
        raise bad("inclination", f"inclination {es.inclination_deg} deg is not in [0, 180]")
    for name, value in (
        ("raan", es.raan_deg),
        ("arg_perigee", es.arg_perigee_deg),
        ("mean_anomaly", es.mean_anomaly_deg),
    ):
        if not (math.isfinite(value) and 0.0 <= value <= 360.0):
            raise bad(name, f"{name} {value} deg is not in [0, 360]")
    if not math.isfinite(es.bstar_per_earth_radii) or abs(es.bstar_per_earth_radii) > 10.0:
        raise bad("bstar", f"B* {es.bstar_per_earth_radii} /earth-radii is absurd")
    if es.epoch_utc.tzinfo is None:
        raise bad("epoch", "epoch has no time zone (expected UTC)")
    if es.epoch_utc < SPACE_AGE_START_UTC:
        raise bad("epoch", f"epoch {format_utc(es.epoch_utc)} is before the space age (1957-10-04)")
    now = now_utc or datetime.now(UTC)
    if es.epoch_utc > now + timedelta(days=max_future_days):
        raise bad(
            "epoch",
            f"epoch {format_utc(es.epoch_utc)} is more than {max_future_days:g} days in the future",
        )
    return es


def check_in_orbit(es: ElementSet) -> ElementSet:
    """Raise :class:`ElementSetError` when the set describes an object that has already re-entered.

    An element set whose perigee lies below :data:`DECAYED_PERIGEE_KM` cannot describe an
    orbiting object: at that height a re-entry completes within a fraction of an orbit.
    """
    if es.perigee_alt_km < DECAYED_PERIGEE_KM:
        raise ElementSetError(
            f"{es.name} [{es.norad_id}] has already decayed: perigee {es.perigee_alt_km:.0f} km "
            f"at epoch {format_utc(es.epoch_utc)} (below {DECAYED_PERIGEE_KM:.0f} km)",
            source=es.source or None,
            line=es.line,
            field="mean_motion",
        )
    return es
