"""Ballistic-coefficient estimation from an element-set history, through the prediction's own
drag model.

What it does
    :func:`fit_ballistic_coefficient` returns the BC = Cd A / m (m^2/kg) that makes the decay
    propagator (:func:`deorbit.decay.propagate_decay`, with the density provider given) reproduce
    the observed decay of the mean semi-major axis over the object's last manoeuvre-free arc
    (:func:`deorbit.manoeuvres.last_free_arc`).  Because the same model is used to fit and to
    predict, the fitted BC absorbs the density model's bias at that altitude and solar
    activity (a "model-consistent" BC), which is what a prediction wants.

Method
    1. Keep the sets with epoch <= ``as_of_utc`` (nothing from after the prediction time).
    2. Detect manoeuvres and outliers; take the last manoeuvre-free arc, trimmed to its last
       ``max_arc_days`` and to the sets within ``max_decay_km`` (30 km) of the last one's a
       (near re-entry the density errors change over a scale height, so the recent decay
       is the relevant one); drop outliers.  At 200-250 km that band is crossed in about a
       day, so the arc is extended back inside the free arc until it holds ``min_sets`` (5)
       sets over ``min_arc_days`` (1 day); the added sets are down-weighted by
       exp(-excess / :data:`DECAY_WEIGHT_KM`), excess = km above the band.  A one-day arc
       near re-entry holds tens of km of decay against ~0.1 km of noise, so it pins the BC
       far better than B* (which was 2-4x low on the validation Starlinks and GeneSat-1).
    3. One vectorised :func:`propagate_decay` run from the arc's first set with ``n_grid``
       log-spaced candidate BCs as the sample axis; each sample's a(t) is interpolated to the
       set epochs.  Over an arc the decay is close to linear in BC, so the simulated a(t_i) is
       interpolated linearly in BC between grid values, and the cost is evaluated on a fine
       grid of 2,000 log-spaced BCs.
    4. Model: a_obs(t_i) = a_sim(t_i; BC) + c, with a free offset c (the first set's own
       noise must not set the level).  Cost: least squares, then one pass with the residuals
       beyond 4 robust sigmas (1.4826 MAD) dropped (outlier-robust).
    5. Uncertainty of ln BC, combined in quadrature:
       - statistical: sigma_r / sqrt(sum_i (J_i - mean J)^2), J_i = d a_sim(t_i) / d ln BC,
         sigma_r the robust residual scatter, inflated by sqrt(n_sets / n_days) when there is
         more than one set per day (TLE errors are correlated over the ~1-day fit spans);
       - sub-arc spread: |ln BC_1 - ln BC_2| / 2 from separate fits to the two halves;
       - a floor of :data:`SIGMA_LN_FLOOR` (0.16) for the arc-to-arc variation of the
         model-consistent BC: the robust spread of ln BC between neighbouring 10-day windows
         of passive decay (ISS, GeneSat-1, Starlinks), less the fits' own sigma; the BC a
         prediction flies is not the one of the arc it was fitted on (docs/notes/bcfit.md).
    When there is no usable arc (fewer than 4 sets, or a free arc shorter than
    ``min_arc_days`` or with fewer than ``min_sets`` sets), the BC comes from the decay rate
    that the element sets themselves state: the TLE/OMM field ndot/2 (first derivative of the
    mean motion, fitted by the catalogue's differential correction, ignored by SGP4) gives
    da/dt = -(2/3) a (2 ndot/2) / n, and :func:`bc_from_decay_rate` finds the BC for which the
    prediction's own decay model loses a at that rate from that set (a short vectorised
    :func:`propagate_decay` run; the decay is linear in BC over hours).  Like the arc fit, the
    result is model-consistent.  The median over the sets of the last
    :data:`NDOT_RECENT_DAYS` with a positive ndot is used, with ``sigma_ln`` =
    :data:`SIGMA_LN_NDOT`.  Measured (``benchmarks/validate_reentry.py single-set``, 616 sets
    of the ISS 2021-22 and 2024-25 histories, GeneSat-1 and four Starlinks, each against the
    BC fitted on the 10-day arc around it, observed space weather): ln(BC_ndot / BC_arc) has
    median -0.03, robust sd 0.15 and 5-95 % range -0.50..+0.32, while ln(BC_B* / BC_arc) has
    median -1.71 (B* gives BCs ~5x too small against NRLMSIS: SGP4's power-law density is
    several times too dense above ~250 km) and robust sd 0.54.  Tiangong-1, 45 days out from
    its last two sets: BC 0.0063 m^2/kg from ndot against 0.0018 from B*.

    When no set has a positive ndot, the BC comes from SGP4's B*:

        B* = rho0 BC / 2,  rho0 = 2.461e-5 kg m^-2 per km x 6378.135 km/ER = 0.15696615 kg/(m^2 ER)

    (Hoots & Roehrich 1980, Spacetrack Report No. 3; Vallado et al. 2006, AIAA 2006-6753;
    rho0 is the 2.461e-8 kg/m^3 reference density at q0 = 120 km times the Earth radius), so
    BC = 2 B* / 0.15696615.  B* is fitted by the catalogue together with a static density
    model and absorbs that model's errors; it is often noisy and sometimes negative, so the
    estimate gets ``sigma_ln`` = :data:`SIGMA_LN_BSTAR` (0.7, a factor of 2 at 1 sigma).  The
    median B* of the sets in the last ``max_arc_days`` is used.  A negative or tiny
    (< 1e-6 /ER, BC < 1.3e-5 m^2/kg) B* is unusable: the estimate is then
    :data:`DEFAULT_BC_M2_PER_KG` (0.01 m^2/kg, typical of intact spacecraft and rocket bodies)
    with ``sigma_ln`` = 1.0, and a warning says so.

Accuracy
    Synthetic histories (exponential density, known BC, 10-30 m TLE-like noise) are
    recovered within the reported sigma (tests/test_bcfit.py); ISS and re-entry numbers are in
    docs/notes/bcfit.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from deorbit.decay import mean_orbit_from_element_set, propagate_decay, to_datetime64
from deorbit.drag import DensityProvider
from deorbit.elements import ElementSet, format_utc
from deorbit.errors import InputError
from deorbit.gravity import R_EQ_KM
from deorbit.manoeuvres import detect_manoeuvres, last_free_arc

ArrayF = npt.NDArray[np.float64]

#: Hoots & Roehrich (1980) reference density times Earth radius: B* = RHO0 * BC / 2 (kg/m^2/ER).
BSTAR_RHO0_KG_M2_PER_ER = 2.461e-5 * 6378.135
#: 1-sigma spread of ln BC when BC comes from B* (a factor of ~2).
SIGMA_LN_BSTAR = 0.7
#: Floor on the 1-sigma spread of ln BC from an arc fit: the arc-to-arc variation of the
#: model-consistent BC, measured as the robust sd (0.181) of ln BC(k+1) - ln BC(k) between
#: neighbouring 10-day windows of passive decay (ISS 2021-22 and 2024-25, GeneSat-1, four
#: Starlinks; 108 pairs), less the fits' own median sigma (0.078) in quadrature: 0.164.
#: ``benchmarks/validate_reentry.py bc-spread``; docs/notes/bcfit.md.
SIGMA_LN_FLOOR = 0.16
#: 1-sigma of ln BC from the sets' decay rate (ndot): the measured 5-95 % spread of
#: ln(BC_ndot / BC of the surrounding 10-day arc fit), 0.82 / 3.29 = 0.25 (heavier-tailed than
#: its robust sd 0.15), with the arc-to-arc floor in quadrature.
SIGMA_LN_NDOT = 0.30
#: The ndot estimate is the median over the sets of this many days before the last one.
NDOT_RECENT_DAYS = 3.0
#: BC used when neither an arc nor B* gives one (m^2/kg), with sigma_ln 1.0.
DEFAULT_BC_M2_PER_KG = 0.01
SIGMA_LN_DEFAULT = 1.0
#: e-folding (km of a above the band of the last ``max_decay_km``) of the weights of the sets
#: an arc is extended by to reach ``min_sets`` / ``min_arc_days``.
DECAY_WEIGHT_KM = 10.0
_MIN_BSTAR = 1e-6
_NDOT_REF_BC = 0.01
_EPOCH0 = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class BCEstimate:
    """A ballistic coefficient with its uncertainty and where it came from.

    ``bc_m2_per_kg`` is the median estimate; ln BC is taken as normal with standard deviation
    ``sigma_ln``.  ``method`` is ``"arc-fit"``, ``"bstar"`` or ``"default"``.  ``arc_start_utc``
    and ``arc_end_utc`` bound the sets used (both the last set's epoch for a single-set B*),
    ``n_sets`` counts them, ``residual_rms_km`` is the robust RMS of the fit residuals in mean
    semi-major axis (NaN for B*), ``warnings`` explain fallbacks.
    """

    bc_m2_per_kg: float
    sigma_ln: float
    arc_start_utc: datetime
    arc_end_utc: datetime
    n_sets: int
    method: str
    residual_rms_km: float
    warnings: tuple[str, ...] = ()

    def quantiles(self, p: npt.ArrayLike) -> ArrayF:
        """BC at probabilities ``p`` of the log-normal (m^2/kg)."""
        from statistics import NormalDist

        z = np.vectorize(NormalDist().inv_cdf)(np.asarray(p, dtype=float))
        return self.bc_m2_per_kg * np.exp(self.sigma_ln * z)


def bc_from_bstar(bstar_per_earth_radii: float) -> float:
    """BC (m^2/kg) = 2 B* / rho0 (Hoots & Roehrich 1980); no check on the sign."""
    return 2.0 * bstar_per_earth_radii / BSTAR_RHO0_KG_M2_PER_ER


def bc_from_decay_rate(
    es: ElementSet, density: DensityProvider, *, span_days: float = 0.25
) -> float:
    """BC (m^2/kg) for which the decay model, started from ``es``, loses semi-major axis at the
    rate the set's own ndot states: da/dt = -(2/3) a (2 ndot/2) / n.  NaN when ndot/2 <= 0 or
    the model cannot follow the set for ``span_days`` (halved up to three times near
    re-entry).  Over hours the decay is linear in BC, so one reference BC suffices."""
    ndot = 2.0 * es.mean_motion_dot_rev_per_day2  # rev/day^2
    if not ndot > 0:
        return math.nan
    a_km = float(mean_orbit_from_element_set(es).a_km[0])
    rate_km_per_day = -(2.0 / 3.0) * a_km * ndot / es.mean_motion_rev_per_day
    t0 = (es.epoch_utc - _EPOCH0) / timedelta(days=1)
    ref = np.array([_NDOT_REF_BC, _NDOT_REF_BC * 1.001])
    for _ in range(4):
        sim = simulate_arc(es, np.array([t0, t0 + span_days]), ref, density)
        da_sim = float(sim[1, 0] - sim[0, 0])
        if math.isfinite(da_sim) and da_sim < 0:
            return _NDOT_REF_BC * rate_km_per_day * span_days / da_sim
        span_days /= 2.0
    return math.nan


def _single_set_estimate(
    sets: Sequence[ElementSet], density: DensityProvider, why: str
) -> BCEstimate:
    """No usable arc: the BC from the recent sets' ndot, else from B* (module docstring)."""
    t_last = sets[-1].epoch_utc
    recent = [es for es in sets if es.epoch_utc >= t_last - timedelta(days=NDOT_RECENT_DAYS)]
    values = np.array([bc_from_decay_rate(es, density) for es in recent])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size:
        return BCEstimate(
            float(np.median(values)),
            SIGMA_LN_NDOT,
            recent[0].epoch_utc,
            t_last,
            int(values.size),
            "ndot",
            math.nan,
            (
                f"{why}; BC from the decay rate (ndot) stated by {values.size} set(s), "
                f"sigma_ln {SIGMA_LN_NDOT}",
            ),
        )
    return _bstar_estimate(sets, f"{why}; no set states a positive decay rate (ndot)")


def _bstar_estimate(sets: Sequence[ElementSet], why: str) -> BCEstimate:
    bstars = np.array([es.bstar_per_earth_radii for es in sets])
    bstar = float(np.median(bstars))
    warnings = [why]
    if bstar < _MIN_BSTAR:
        warnings.append(
            f"B* = {bstar:.3g} /ER (median of {len(sets)} set(s)) is negative or tiny and "
            f"cannot give a ballistic coefficient; using the default "
            f"{DEFAULT_BC_M2_PER_KG} m^2/kg with sigma_ln {SIGMA_LN_DEFAULT}"
        )
        return BCEstimate(
            DEFAULT_BC_M2_PER_KG,
            SIGMA_LN_DEFAULT,
            sets[0].epoch_utc,
            sets[-1].epoch_utc,
            len(sets),
            "default",
            math.nan,
            tuple(warnings),
        )
    return BCEstimate(
        bc_from_bstar(bstar),
        SIGMA_LN_BSTAR,
        sets[0].epoch_utc,
        sets[-1].epoch_utc,
        len(sets),
        "bstar",
        math.nan,
        tuple(warnings),
    )


def simulate_arc(
    start: ElementSet,
    t_obs_days: ArrayF,
    bc_grid_m2_per_kg: ArrayF,
    density: DensityProvider,
    *,
    max_step_days: float = 0.5,
) -> ArrayF:
    """a(t) (km) of the decay model from ``start`` at ``t_obs_days`` (days since 1970 UTC) for
    each BC of the grid: shape (len(t_obs), len(grid)); NaN where a sample stopped (handover
    at 120 km) before that time.  One vectorised :func:`propagate_decay` call."""
    grid = np.asarray(bc_grid_m2_per_kg, dtype=float)
    orbit0 = mean_orbit_from_element_set(start)
    orbit = type(orbit0).make(
        orbit0.epoch_utc[0],
        orbit0.a_km[0],
        orbit0.e[0],
        orbit0.inc_deg[0],
        orbit0.raan_deg[0],
        orbit0.argp_deg[0],
        orbit0.mean_arg_lat_deg[0],
        n=grid.size,
    )
    t0 = (start.epoch_utc - _EPOCH0) / timedelta(days=1)
    span = float(np.max(t_obs_days) - t0)
    res = propagate_decay(
        orbit,
        grid,
        density,
        handover_alt_km=120.0,
        max_days=span + 1e-6,
        max_step_days=max_step_days,
        max_da_km=1.0,
        record_history=True,
    )
    h = res.history
    t_rec = (h.t_utc - to_datetime64(_EPOCH0)).astype(np.int64) / 86400e9
    out = np.full((t_obs_days.size, grid.size), np.nan)
    for k in range(grid.size):
        tk, ak = t_rec[:, k], h.mean_alt_km[:, k] + R_EQ_KM
        last = np.searchsorted(tk, tk[-1], side="left") + 1  # rows after a stop repeat it
        tk, ak = tk[:last], ak[:last]
        ok = t_obs_days <= tk[-1] + 1e-9
        out[ok, k] = np.interp(t_obs_days[ok], tk, ak)
    return out


def _fit_on(
    a_obs: ArrayF,
    sim: ArrayF,
    grid: ArrayF,
    fine: ArrayF,
    use: npt.NDArray[np.bool_],
    weight: ArrayF | None = None,
) -> tuple[float, ArrayF]:
    """Best ln BC on ``fine`` for the observations ``use`` (weighted least squares with a free
    offset; ``weight`` defaults to 1), and the residuals at that BC for all observations."""
    wt = np.ones(a_obs.size) if weight is None else weight
    a_use, s_use, w_use = a_obs[use], sim[use], wt[use]
    ok = np.all(np.isfinite(s_use), axis=0)
    g, s = grid[ok], s_use[:, ok]
    fine_ok = fine[(fine >= g[0]) & (fine <= g[-1])]
    # linear interpolation in BC between grid columns, for every fine BC
    j = np.clip(np.searchsorted(g, fine_ok) - 1, 0, g.size - 2)
    w = (fine_ok - g[j]) / (g[j + 1] - g[j])
    model = s[:, j] * (1 - w) + s[:, j + 1] * w  # (n_obs, n_fine)
    resid = a_use[:, None] - model
    resid = resid - (w_use @ resid) / w_use.sum()
    cost = w_use @ resid**2
    best = int(np.argmin(cost))
    bc = float(fine_ok[best])
    # residuals for all observations at the best BC
    jj = int(np.clip(np.searchsorted(g, bc) - 1, 0, g.size - 2))
    ww = (bc - g[jj]) / (g[jj + 1] - g[jj])
    sim_all = sim[:, ok]
    m_all = sim_all[:, jj] * (1 - ww) + sim_all[:, jj + 1] * ww
    r_all = a_obs - m_all
    r_all = r_all - (w_use @ r_all[use]) / w_use.sum()
    return bc, r_all


def fit_ballistic_coefficient(
    history: Sequence[ElementSet],
    density: DensityProvider,
    *,
    as_of_utc: datetime | None = None,
    min_arc_days: float = 1.0,
    min_sets: int = 5,
    max_arc_days: float = 30.0,
    max_decay_km: float = 30.0,
    n_grid: int = 32,
    bc_range_m2_per_kg: tuple[float, float] = (1e-4, 0.3),
    max_step_days: float = 0.5,
) -> BCEstimate:
    """Fit the ballistic coefficient (m^2/kg) to the last manoeuvre-free arc of ``history``.

    ``density`` is the provider the prediction will use (so the BC is model-consistent).
    Only sets with epoch <= ``as_of_utc`` (default: all) are used.  The arc is the last
    manoeuvre-free one, cut to its last ``max_arc_days`` and to its last ``max_decay_km`` of
    decay (about half a scale height near re-entry), extended back to ``min_sets`` sets over
    ``min_arc_days`` days when the free arc allows (those extra sets down-weighted); an arc
    still shorter falls back to B*.  ``bc_range_m2_per_kg`` bounds the ``n_grid``
    log-spaced candidates; an estimate at a bound comes with a warning.  See the module
    docstring for the method and the uncertainty.  Raises :class:`InputError` when no set is
    at or before ``as_of_utc``.
    """
    sets = list(history)
    if as_of_utc is not None:
        if as_of_utc.tzinfo is None:
            raise ValueError("as_of_utc must be tz-aware UTC")
        sets = [es for es in sets if es.epoch_utc <= as_of_utc]
    if not sets:
        when = f" at or before {format_utc(as_of_utc)}" if as_of_utc is not None else ""
        raise InputError(f"no element set{when} to estimate a ballistic coefficient from")
    t_last = sets[-1].epoch_utc
    recent = [es for es in sets if es.epoch_utc >= t_last - timedelta(days=max_arc_days)]
    if len(sets) < 4:
        return _single_set_estimate(recent, density, f"only {len(sets)} element set(s)")
    analysis = detect_manoeuvres(sets)
    try:
        arc = last_free_arc(sets, min_days=0.0, analysis=analysis)
    except InputError as exc:
        return _single_set_estimate(recent, density, str(exc))
    idx = np.arange(arc.start_index, arc.end_index + 1)
    t_all, a_all = analysis.t_days, analysis.a_km
    t_end = t_all[arc.end_index]
    idx = idx[(t_all[idx] >= t_end - max_arc_days) & ~analysis.outlier[idx]]
    # Near re-entry keep only the last max_decay_km of decay: one BC through the same density
    # model cannot follow a descent through several scale heights.  But at 200-250 km that
    # band is crossed in about a day, so the arc is extended back (inside the free arc) until
    # it holds min_sets sets over min_arc_days; the sets added beyond the band get weights
    # falling off as exp(-excess / DECAY_WEIGHT_KM), so the recent decay still dominates.
    weight = np.ones(idx.size)
    if idx.size:
        above = a_all[idx] - a_all[idx[-1]] - max_decay_km
        k0 = int(np.flatnonzero(above > 0)[-1]) + 1 if np.any(above > 0) else 0
        while k0 > 0 and (
            idx.size - k0 < min_sets or t_all[idx[-1]] - t_all[idx[k0]] < min_arc_days
        ):
            k0 -= 1
        idx, above = idx[k0:], above[k0:]
        weight = np.exp(-np.maximum(above, 0.0) / DECAY_WEIGHT_KM)
    arc_days = float(t_all[idx[-1]] - t_all[idx[0]]) if idx.size else 0.0
    if idx.size < min_sets or arc_days < min_arc_days:
        return _single_set_estimate(
            recent,
            density,
            f"last manoeuvre-free arc too short ({idx.size} sets, {arc_days:.1f} days; need "
            f"{min_sets} sets over {min_arc_days:g} days)",
        )
    t_obs, a_obs = t_all[idx], a_all[idx]
    grid = np.geomspace(*bc_range_m2_per_kg, n_grid)
    sim = simulate_arc(sets[idx[0]], t_obs, grid, density, max_step_days=max_step_days)
    fine = np.geomspace(*bc_range_m2_per_kg, 2000)
    use = np.ones(t_obs.size, dtype=bool)
    bc, resid = _fit_on(a_obs, sim, grid, fine, use, weight)
    scale = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
    if scale > 0:
        use = np.abs(resid) <= 4.0 * scale
        use[0] = True
        bc, resid = _fit_on(a_obs, sim, grid, fine, use, weight)
    r = resid[use]
    sigma_r = max(1.4826 * float(np.median(np.abs(r - np.median(r)))), 1e-6)
    rms = float(np.sqrt(np.mean(r**2)))
    # statistical: sensitivity of a_sim to ln BC at the optimum, by finite differences
    warnings: list[str] = []
    ok_cols = np.all(np.isfinite(sim[use]), axis=0)
    g_ok = grid[ok_cols]
    k = int(np.clip(np.searchsorted(g_ok, bc), 1, g_ok.size - 1))
    s_ok = sim[:, ok_cols]
    jac = (s_ok[:, k] - s_ok[:, k - 1]) / math.log(g_ok[k] / g_ok[k - 1])
    ju = jac[use] - np.mean(jac[use])
    per_day = use.sum() / max(arc_days, 1e-9)
    inflate = math.sqrt(max(per_day, 1.0))
    denom = float(np.sqrt(np.sum(ju**2)))
    sig_stat = inflate * sigma_r / denom if denom > 0 else math.inf
    # sub-arc spread
    half = t_obs[0] + 0.5 * arc_days
    sig_split = 0.0
    first, second = use & (t_obs <= half), use & (t_obs >= half)
    if first.sum() >= 3 and second.sum() >= 3:
        b1, _ = _fit_on(a_obs, sim, grid, fine, first, weight)
        b2, _ = _fit_on(a_obs, sim, grid, fine, second, weight)
        sig_split = abs(math.log(b1 / b2)) / 2.0
    sigma_ln = math.sqrt(sig_stat**2 + sig_split**2 + SIGMA_LN_FLOOR**2)
    if bc <= fine[1] or bc >= fine[-2]:
        warnings.append(
            f"fitted BC {bc:.3g} m^2/kg is at the edge of the search range "
            f"{bc_range_m2_per_kg}: the decay is not resolved by this arc"
        )
    if not math.isfinite(sigma_ln) or sigma_ln > SIGMA_LN_BSTAR:
        warnings.append(
            f"arc fit poorly constrained (sigma_ln {sigma_ln:.2f}): observed decay "
            f"{a_obs[0] - a_obs[-1]:.3f} km against noise {sigma_r:.3f} km"
        )
        sigma_ln = min(sigma_ln, 2.0) if math.isfinite(sigma_ln) else 2.0
    return BCEstimate(
        bc,
        sigma_ln,
        sets[idx[0]].epoch_utc,
        sets[idx[-1]].epoch_utc,
        int(use.sum()),
        "arc-fit",
        rms,
        tuple(warnings),
    )


__all__ = [
    "BCEstimate",
    "BSTAR_RHO0_KG_M2_PER_ER",
    "DEFAULT_BC_M2_PER_KG",
    "SIGMA_LN_BSTAR",
    "SIGMA_LN_FLOOR",
    "SIGMA_LN_NDOT",
    "bc_from_bstar",
    "bc_from_decay_rate",
    "fit_ballistic_coefficient",
    "simulate_arc",
]
