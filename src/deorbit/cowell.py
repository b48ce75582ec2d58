"""Cowell integration of the final re-entry phase: position and velocity under J2-J4 gravity
and drag, down to a configurable geodetic altitude.

What it does
    Integrates r'' = a_grav(r) + a_drag(r, v, t) in TEME/ECI (treated as inertial over the last
    day or two) for N samples stacked in one array, stops each sample when its geodetic
    altitude above WGS-84 falls to ``stop_alt_km`` (default 80 km, where break-up begins and
    the remaining flight is a few hundred km of ground track), and returns the epoch, latitude
    and longitude of that point and the sampled final track.

Method (``method="abm"``, the default)
    While drag is weak (most of the phase), an eighth-order Adams-Bashforth-Moulton
    predictor-corrector (PECE) with a fixed step per sample, ``abm_step_s`` (60 s here, 120 s
    in :func:`deorbit.reentry.predict_reentry`) or a power-of-two fraction of it for strongly
    eccentric orbits: two force evaluations per step, started by RK4 sub-steps.  Eccentric
    orbits stay on ABM (CZ-5B 153 x 305 km: 120 s steps, epoch within 21-49 s of DOP853 after
    ~3 days; 150 x 2000 km: 60 s steps, 5 m after 3 days) where the former |dr/dt| limit sent
    them to ~11 s RK4 steps for the whole phase (30-100x the cost).  Against DOP853 at rtol 1e-10, 250 km, position after one day: ABM 60 s 1.3 m,
    90 s 23 m, 120 s 0.28 km (radial 4 m), 180 s 7.7 km (near its stability limit); RK4 at
    30 s ~140 m at twice the force calls.  ISS to 120 km (NRLMSISE-00, from the 160 km
    handover, 15.3 h): ABM 120 s lands 1.4 s after DOP853, ABM 60 s 0.3 s, RK4 30 s 24 s
    before.  A sample leaves ABM for classical RK4 with a per-sample step

        dt = min(max_step_s, eta |v_rel| / |a_D|, dh_max / |dr/dt|)

    (eta = 2e-3, dh_max = 1 km, max 30 s) when its ABM limit (:func:`_abm_step_limit`: strong
    drag, drag-driven sink of 0.2 H per step, or an eccentric orbit's perigee density pulse
    narrower than two steps) falls below its ABM step, i.e. below ~100 km, or when an
    ABM step would cross ``stop_alt_km`` (the step is discarded; RK4 redoes it in short steps):
    in the last minutes the step shrinks to seconds as the deceleration reaches g.  The
    crossing of ``stop_alt_km`` is located inside the last step on the cubic Hermite
    interpolant of the position (from r and v at both ends) by bisection; its error is far
    below the step's own error.  ``method="rk4"`` uses RK4 throughout.

    ``method="dop853"`` integrates each sample with ``scipy.integrate.solve_ivp`` (DOP853,
    rtol 1e-10, terminal altitude event): a slower reference used by the tests.

Handover from mean elements
    :func:`osculating_from_mean` turns the long-term phase's mean orbit into a state vector:
    a Kepler state from the mean elements, then two corrections of the semi-major axis so that
    a gravity-only one-revolution integration has the same time-averaged radius as the mean
    orbit (the J2 short-period terms shift the mean radius by a few km otherwise).

Frame and time
    Earth rotation enters through GMST (IAU 1982, :func:`deorbit.gravity.gmst_rad`) for the
    longitude, local time and co-rotating atmosphere.  Each sample's time is float seconds
    since its own epoch (:class:`deorbit.gravity.EarthClock`: GMST linear in those seconds,
    datetime64 made only for the density call), so a sample's numbers do not depend on the
    other samples in the batch.

Cost
    At N = 1 numpy's per-call overhead (~1 us per operation) is the cost, not arithmetic: the
    force evaluation works on x, y, z component arrays (no (N, 3) stacking), uses the
    component forms in :mod:`deorbit.gravity`, and returns its by-products (|a_D|, |v_rel|,
    latitude, longitude, altitude) for the step control and the track.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from deorbit.decay import MeanOrbit
from deorbit.drag import DensityProvider, reference_scale_height_km
from deorbit.gravity import (
    MU_KM3_S2,
    OMEGA_EARTH_RAD_S,
    R_EQ_KM,
    EarthClock,
    geodetic_from_eci_gmst,
    zonal_acceleration_km_s2,
    zonal_acceleration_xyz,
)

ArrayF = npt.NDArray[np.float64]


def kepler_to_state(
    a_km: npt.ArrayLike,
    e: npt.ArrayLike,
    inc_deg: npt.ArrayLike,
    raan_deg: npt.ArrayLike,
    argp_deg: npt.ArrayLike,
    mean_anomaly_deg: npt.ArrayLike,
) -> tuple[ArrayF, ArrayF]:
    """Position (km) and velocity (km/s), shape (N, 3), of Keplerian elements (two-body).

    Kepler's equation is solved by Newton iteration (converges to 1e-15 in <= 8 steps for
    e < 0.9).
    """
    a, ecc, inc, raan, argp, m = (
        np.atleast_1d(np.asarray(x, dtype=float))
        for x in (
            a_km,
            e,
            np.radians(inc_deg),
            np.radians(raan_deg),
            np.radians(argp_deg),
            np.radians(mean_anomaly_deg),
        )
    )
    a, ecc, inc, raan, argp, m = np.broadcast_arrays(a, ecc, inc, raan, argp, m)
    big_e = m + ecc * np.sin(m)
    for _ in range(12):
        big_e = big_e - (big_e - ecc * np.sin(big_e) - m) / (1.0 - ecc * np.cos(big_e))
    ce, se = np.cos(big_e), np.sin(big_e)
    eta = np.sqrt(1.0 - ecc * ecc)
    r = a * (1.0 - ecc * ce)
    xp, yp = a * (ce - ecc), a * eta * se
    vf = np.sqrt(MU_KM3_S2 * a) / r
    vxp, vyp = -vf * se, vf * eta * ce
    co, so, cw, sw, ci, si = (
        np.cos(raan),
        np.sin(raan),
        np.cos(argp),
        np.sin(argp),
        np.cos(inc),
        np.sin(inc),
    )
    p_hat = np.stack([co * cw - so * sw * ci, so * cw + co * sw * ci, sw * si], -1)
    q_hat = np.stack([-co * sw - so * cw * ci, -so * sw + co * cw * ci, cw * si], -1)
    return xp[:, None] * p_hat + yp[:, None] * q_hat, vxp[:, None] * p_hat + vyp[:, None] * q_hat


def _rk4_gravity_mean_radius(r: ArrayF, v: ArrayF, period_s: ArrayF, steps: int) -> ArrayF:
    """Time-averaged |r| over one period of a gravity-only (J2-J4) RK4 integration."""
    dt = (period_s / steps)[:, None]
    total = np.zeros(r.shape[0])

    def f(rr: ArrayF, vv: ArrayF) -> tuple[ArrayF, ArrayF]:
        return vv, zonal_acceleration_km_s2(rr)

    for _ in range(steps):
        total += np.linalg.norm(r, axis=1)
        k1r, k1v = f(r, v)
        k2r, k2v = f(r + 0.5 * dt * k1r, v + 0.5 * dt * k1v)
        k3r, k3v = f(r + 0.5 * dt * k2r, v + 0.5 * dt * k2v)
        k4r, k4v = f(r + dt * k3r, v + dt * k3v)
        r = r + dt / 6.0 * (k1r + 2 * k2r + 2 * k3r + k4r)
        v = v + dt / 6.0 * (k1v + 2 * k2v + 2 * k3v + k4v)
    return total / steps


def _rk4_gravity_radius_harmonics(
    r: ArrayF, v: ArrayF, period_s: ArrayF, steps: int, phase0: ArrayF
) -> tuple[ArrayF, ArrayF, ArrayF]:
    """Mean radius and first harmonic of |r(t)| over one period of a gravity-only integration.

    With phi = phase0 + 2 pi t / period (the mean argument of latitude), a Kepler ellipse has
    |r| = a - a (e_x cos phi + e_y sin phi) + O(e^2): returns (<r>, e_x a, e_y a) measured.
    """
    dt = (period_s / steps)[:, None]
    total, c, s = np.zeros(r.shape[0]), np.zeros(r.shape[0]), np.zeros(r.shape[0])

    def f(rr: ArrayF, vv: ArrayF) -> tuple[ArrayF, ArrayF]:
        return vv, zonal_acceleration_km_s2(rr)

    for j in range(steps):
        rn = np.linalg.norm(r, axis=1)
        phi = phase0 + 2.0 * np.pi * j / steps
        total += rn
        c += rn * np.cos(phi)
        s += rn * np.sin(phi)
        k1r, k1v = f(r, v)
        k2r, k2v = f(r + 0.5 * dt * k1r, v + 0.5 * dt * k1v)
        k3r, k3v = f(r + 0.5 * dt * k2r, v + 0.5 * dt * k2v)
        k4r, k4v = f(r + dt * k3r, v + dt * k3v)
        r = r + dt / 6.0 * (k1r + 2 * k2r + 2 * k3r + k4r)
        v = v + dt / 6.0 * (k1v + 2 * k2v + 2 * k3v + k4v)
    return total / steps, -2.0 * c / steps, -2.0 * s / steps


def osculating_from_mean(orbit: MeanOrbit, *, iterations: int = 2) -> tuple[ArrayF, ArrayF]:
    """ECI position (km) and velocity (km/s), (N, 3), at ``orbit.epoch_utc``.

    Starts from the Kepler state of the mean elements and corrects it ``iterations`` times so
    that a one-revolution J2-J4 integration has the mean orbit's radius profile:

    * the semi-major axis by <r>_target - <r>_integrated, <r>_target = a (1 + e^2/2);
    * the eccentricity vector (e cos w, e sin w) by target - measured, the measured one from
      the first harmonic of |r| in the mean argument of latitude u_M (kept fixed, so the
      along-track phase is unchanged).

    The second correction matters for eccentric orbits: the J2 short-period terms move the
    osculating e by ~J2 (R/a)^2 ~ 1e-3, i.e. a e by ~6 km.  Without it the CZ-5B core stage
    (mean 153 x 305 km, e = 0.0116) started Cowell at 146.7 x 313.3 km (SGP4: 153.3 x 305.5)
    and re-entered ~14 h (20 %) early.  With it the integrated orbit flies at the altitudes
    the mean orbit stood for; a near-circular orbit's a e changes by ~1 km at most.
    """
    target = orbit.a_km * (1.0 + 0.5 * orbit.e**2)
    argp = np.radians(orbit.argp_deg)
    ex_t, ey_t = orbit.e * np.cos(argp), orbit.e * np.sin(argp)
    u_m = orbit.mean_arg_lat_deg
    phase0 = np.radians(u_m)
    a, ex, ey = orbit.a_km.copy(), ex_t.copy(), ey_t.copy()

    def state(a: ArrayF, ex: ArrayF, ey: ArrayF) -> tuple[ArrayF, ArrayF]:
        w = np.degrees(np.arctan2(ey, ex))
        return kepler_to_state(a, np.hypot(ex, ey), orbit.inc_deg, orbit.raan_deg, w, u_m - w)

    for _ in range(iterations):
        r, v = state(a, ex, ey)
        mean_r, aex, aey = _rk4_gravity_radius_harmonics(r, v, orbit.period_s, 120, phase0)
        a = a + (target - mean_r)
        ex = ex + (ex_t - aex / orbit.a_km)
        ey = ey + (ey_t - aey / orbit.a_km)
    return state(a, ex, ey)


@dataclass(frozen=True)
class FinalTrack:
    """Sampled trajectory of the Cowell phase, (M, N): row j is the j-th recorded point.

    Samples that stopped earlier are padded with NaT / NaN.  The last valid row of each
    column is the ``stop_alt_km`` point.
    """

    t_utc: np.ndarray
    lat_deg: ArrayF
    lon_deg: ArrayF
    alt_km: ArrayF


@dataclass(frozen=True)
class CowellResult:
    """Where and when each sample reached the stop altitude (arrays of shape (N,)).

    ``reentered`` is False where ``max_days`` ran out first (the other fields then describe
    the last state).
    """

    epoch_utc: np.ndarray
    lat_deg: ArrayF
    lon_deg: ArrayF
    r_km: ArrayF
    v_km_s: ArrayF
    reentered: np.ndarray
    track: FinalTrack
    n_steps: int


class _Forces:
    """The right-hand side r'' = a_grav + a_drag for a subset of samples (``take``).

    Time is each sample's seconds since its own origin (``clock``); GMST and the UTC instant
    for the density come from :class:`~deorbit.gravity.EarthClock`.  Returns the total
    acceleration (n, 3) and a :class:`_Aux` with what the step control and the track need,
    so that nothing is computed twice.
    """

    def __init__(self, clock, bc, scale, density, max_degree, sample):
        self.clock, self.bc, self.scale, self.density = clock, bc, scale, density
        self.max_degree, self.sample = max_degree, sample

    def take(self, idx: np.ndarray) -> _Forces:
        return _Forces(
            self.clock.take(idx),
            self.bc[idx],
            self.scale[idx],
            self.density,
            self.max_degree,
            self.sample[idx],
        )

    def __call__(self, t_s: ArrayF, r: ArrayF, v: ArrayF) -> tuple[ArrayF, _Aux]:
        x, y, z = r[:, 0], r[:, 1], r[:, 2]
        lat, lon, alt = geodetic_from_eci_gmst(x, y, z, self.clock.gmst_rad(t_s))
        rho = self.density(self.clock.utc(t_s), lat, lon, alt, sample=self.sample)
        # drag in an atmosphere co-rotating with the Earth: a = k v_rel, k = -1/2 rho BC |v_rel|
        vrx = v[:, 0] + OMEGA_EARTH_RAD_S * y
        vry = v[:, 1] - OMEGA_EARTH_RAD_S * x
        vrz = v[:, 2]
        vrel = np.sqrt(vrx * vrx + vry * vry + vrz * vrz)
        k = (-0.5e3 * self.bc * self.scale) * rho * vrel
        gx, gy, gz = zonal_acceleration_xyz(x, y, z, max_degree=self.max_degree)
        acc = np.empty_like(r)
        acc[:, 0] = gx + k * vrx
        acc[:, 1] = gy + k * vry
        acc[:, 2] = gz + k * vrz
        return acc, _Aux(np.abs(k) * vrel, vrel, lat, lon, alt)


@dataclass(frozen=True)
class _Aux:
    """By-products of one force evaluation, (n,) each."""

    drag_km_s2: ArrayF  # |a_D|
    vrel_km_s: ArrayF  # |v - omega_E x r|
    lat_deg: ArrayF
    lon_deg: ArrayF
    alt_km: ArrayF


def _hermite(r0, v0, r1, v1, dt, s):
    """Cubic Hermite position at fraction s (N,) of steps dt (N,)."""
    s = s[:, None]
    h00 = 2 * s**3 - 3 * s**2 + 1
    h10 = s**3 - 2 * s**2 + s
    h01 = -2 * s**3 + 3 * s**2
    h11 = s**3 - s**2
    d = dt[:, None]
    return h00 * r0 + h10 * d * v0 + h01 * r1 + h11 * d * v1


def _adams_coefficients(k: int) -> tuple[ArrayF, ArrayF]:
    """Adams-Bashforth (k steps, nodes 0, -1, .., -(k-1)) and Adams-Moulton (k + 1 nodes:
    1, 0, .., -(k-1)) weights, from integrating the Lagrange basis over [0, 1]."""

    def weights(nodes: np.ndarray) -> ArrayF:
        out = []
        for j in range(nodes.size):
            others = np.delete(nodes, j)
            poly = np.poly1d(others, r=True) / np.prod(nodes[j] - others)
            integral = np.polyint(poly)
            out.append(integral(1.0) - integral(0.0))
        return np.array(out)

    ab = weights(-np.arange(k, dtype=float))
    am = weights(np.concatenate([[1.0], -np.arange(k, dtype=float)]))
    return ab, am


_AB8, _AM8 = _adams_coefficients(8)
#: ABM: allowed drag-driven altitude change per step, as a fraction of the scale height
_ABM_DECAY_PER_H = 0.2
#: ABM: steps per e-folding half-width of the perigee density pulse (see _abm_step_limit)
_ABM_STEPS_PER_PULSE = 2.0
#: ABM: smallest per-sample step, as a fraction of ``abm_step_s`` (below it: RK4)
_ABM_MIN_FRACTION = 1.0 / 8.0


def _abm_step_limit(r: ArrayF, v: ArrayF, aux: _Aux) -> ArrayF:
    """Largest ABM step (s) at which the drag along this orbit is smooth enough, per sample.

    Two time scales (the gravity part alone is accurate at 120 s, see the module docstring):

    * the perigee density pulse of an eccentric orbit.  Near perigee the height rises as
      a e (1 - cos E) ~ a e E^2 / 2, so rho ~ exp(-a e E^2 / (2 H)): a Gaussian in E of
      half-width sqrt(H / (a e)), in time sigma_t = sqrt(H / (a e)) (1 - e) / n.  The step is
      kept to sigma_t / 2 (CZ-5B 150 x 300 km: sigma_t ~ 470 s; 150 x 2000 km: ~140 s).
      This replaces the old limit "4 km / |dr/dt|", which let the eccentricity's own radial
      speed (90 m/s at e = 0.012, harmless at apogee) push eccentric orbits off to RK4 steps
      of ~11 s for days.
    * the drag-driven decay: the altitude may sink by 0.2 H(alt) per step, with the sink rate
      |da/dt| = 2 a^2 |v . a_D| / mu taken at the current point (for a circular orbit the
      real one; near an eccentric orbit's perigee an upper bound).

    H is the CIRA-72 reference scale height (:func:`deorbit.drag.reference_scale_height_km`).
    """
    x, y, z = r[:, 0], r[:, 1], r[:, 2]
    vx, vy, vz = v[:, 0], v[:, 1], v[:, 2]
    rn = np.sqrt(x * x + y * y + z * z)
    v2 = vx * vx + vy * vy + vz * vz
    rv = x * vx + y * vy + z * vz
    a = 1.0 / (2.0 / rn - v2 / MU_KM3_S2)
    c1 = v2 - MU_KM3_S2 / rn
    ex, ey, ez = (
        (c1 * x - rv * vx) / MU_KM3_S2,
        (c1 * y - rv * vy) / MU_KM3_S2,
        (c1 * z - rv * vz) / MU_KM3_S2,
    )
    e = np.sqrt(ex * ex + ey * ey + ez * ez)
    n = np.sqrt(MU_KM3_S2 / a**3)
    h_peri = reference_scale_height_km(a * (1.0 - e) - R_EQ_KM)
    with np.errstate(divide="ignore"):
        pulse = np.sqrt(h_peri / np.maximum(a * e, 0.0)) * (1.0 - e) / n
    sink = 2.0 * a * a * aux.drag_km_s2 * np.sqrt(v2) / MU_KM3_S2
    decay = _ABM_DECAY_PER_H * reference_scale_height_km(aux.alt_km) / np.maximum(sink, 1e-30)
    strong = 2e-3 * aux.vrel_km_s / np.maximum(aux.drag_km_s2, 1e-30)
    return np.minimum(np.minimum(pulse / _ABM_STEPS_PER_PULSE, decay), strong)


def _abm_step_for(limit: ArrayF, h: float) -> ArrayF:
    """Per-sample ABM step: ``h`` halved until it is within ``limit``, or 0 (use RK4) below
    ``h`` x _ABM_MIN_FRACTION.  Powers of two keep the step a function of the sample alone."""
    k = np.ceil(np.log2(np.maximum(h / np.maximum(limit, 1e-30), 1.0)))
    hs = h / 2.0**k
    return np.where(hs >= h * _ABM_MIN_FRACTION, hs, 0.0)


def _dt_control(r: ArrayF, v: ArrayF, aux: _Aux, max_step_s: float, dh_km: float = 1.0) -> ArrayF:
    """min(max_step, eta |v_rel| / |a_D|, dh / |dr/dt|) per sample (see module docstring):
    the RK4 step, ``dh_km`` the altitude change allowed per step.  (ABM: _abm_step_limit.)"""
    x, y, z = r[:, 0], r[:, 1], r[:, 2]
    hdot = np.abs(x * v[:, 0] + y * v[:, 1] + z * v[:, 2]) / np.sqrt(x * x + y * y + z * z)
    dt = np.minimum(max_step_s, 2e-3 * aux.vrel_km_s / np.maximum(aux.drag_km_s2, 1e-30))
    return np.minimum(dt, dh_km / np.maximum(hdot, 1e-12))


def _rk4_step(forces, t, r, v, acc, dt):
    d = dt[:, None]
    k2r = v + 0.5 * d * acc
    k2v, _ = forces(t + dt / 2, r + 0.5 * d * v, k2r)
    k3r = v + 0.5 * d * k2v
    k3v, _ = forces(t + dt / 2, r + 0.5 * d * k2r, k3r)
    k4r = v + d * k3v
    k4v, _ = forces(t + dt, r + d * k3r, k4r)
    r_new = r + d / 6.0 * (v + 2 * (k2r + k3r) + k4r)
    v_new = v + d / 6.0 * (acc + 2 * (k2v + k3v) + k4v)
    return r_new, v_new


def _abm_phase(forces_all, t, r, v, t_end, h_max, stop_alt_km, record) -> int:
    """Adams-Bashforth-Moulton 8 (PECE) for all samples while drag is weak.

    Each sample gets a fixed step of its own, ``h_max`` / 2^k, within :func:`_abm_step_limit`
    at the start (120 s for near-circular and mildly eccentric orbits, 60 s for 150 x 2000 km).
    Two force evaluations per step instead of RK4's four, and eighth order.  A sample leaves
    (its state stays in ``r``, ``v``, ``t``) when the limit falls below its step (drag strong,
    or the perigee pulse narrower), when a step would take it below ``stop_alt_km`` (the step
    is discarded: the RK4 loop then finishes it with short steps and locates the crossing) or
    when ``t_end`` is near.  Started with 7 steps of 4 RK4 sub-steps each.  Returns the step
    count (per batch, as each sample's steps are taken together).

    The derivative history is an (8, n, 6) array, newest first, shifted in place.
    """
    idx = np.arange(t.size)
    acc, aux = forces_all(t, r, v)
    h_all = _abm_step_for(_abm_step_limit(r, v, aux), h_max)
    ok = (h_all > 0) & (aux.alt_km > stop_alt_km)
    ok &= t + 9 * h_all < t_end
    idx = idx[ok]
    if idx.size == 0:
        return 0
    forces = forces_all.take(idx)
    n = idx.size
    h = h_all[idx]
    hist = np.empty((8, n, 6))
    hist[7, :, :3], hist[7, :, 3:] = v[idx], acc[idx]
    ti, ri, vi, ai = t[idx], r[idx], v[idx], acc[idx]
    sub = h / 4.0
    for j in range(7):
        for _ in range(4):
            ri, vi = _rk4_step(forces, ti, ri, vi, ai, sub)
            ti = ti + sub
            ai, _ = forces(ti, ri, vi)
        hist[6 - j, :, :3], hist[6 - j, :, 3:] = vi, ai
    steps = 7
    y = np.concatenate([ri, vi], axis=1)

    def weights_for(hh: ArrayF) -> tuple[ArrayF, ArrayF, ArrayF]:
        col = hh[None, :, None]
        return _AB8[:, None, None] * col, _AM8[0] * hh[:, None], _AM8[1:, None, None] * col

    ab, am_new, am_old = weights_for(h)
    fp = np.empty((n, 6))

    def weighted(w: ArrayF, hh: ArrayF) -> ArrayF:
        # sum_j w_j hh_j element by element (not BLAS: the same rounding whatever n is)
        out = w[0] * hh[0]
        for j in range(1, 8):
            out += w[j] * hh[j]
        return out

    while idx.size:
        pred = y + weighted(ab, hist)
        fp[:, :3] = pred[:, 3:]
        fp[:, 3:], _ = forces(ti + h, pred[:, :3], pred[:, 3:])
        corr = y + (am_new * fp + weighted(am_old, hist))
        ac, aux = forces(ti + h, corr[:, :3], corr[:, 3:])
        steps += 1
        crossed = aux.alt_km <= stop_alt_km
        stay = (
            ~crossed
            & (ti + 2 * h < t_end[idx])
            & (_abm_step_limit(corr[:, :3], corr[:, 3:], aux) >= h)
        )
        adv = ~crossed  # samples whose step is kept
        if np.all(adv):
            y = corr
            ti = ti + h
            record(idx, ti, aux.lat_deg, aux.lon_deg, aux.alt_km)
        else:
            y = np.where(adv[:, None], corr, y)
            ti = np.where(adv, ti + h, ti)
            record(idx[adv], ti[adv], aux.lat_deg[adv], aux.lon_deg[adv], aux.alt_km[adv])
        r[idx], v[idx], t[idx] = y[:, :3], y[:, 3:], ti
        hist[1:] = hist[:-1]
        hist[0, :, :3], hist[0, :, 3:] = corr[:, 3:], ac
        if not np.all(stay):
            idx, y, ti, hist, h = idx[stay], y[stay], ti[stay], hist[:, stay], h[stay]
            fp = fp[stay]
            ab, am_new, am_old = weights_for(h)
            forces = forces.take(np.flatnonzero(stay))
    return steps


def propagate_to_altitude(
    r_km: npt.ArrayLike,
    v_km_s: npt.ArrayLike,
    epoch_utc: npt.ArrayLike,
    bc_m2_per_kg: npt.ArrayLike,
    density: DensityProvider,
    *,
    density_scale: npt.ArrayLike = 1.0,
    stop_alt_km: float = 80.0,
    max_step_s: float = 30.0,
    max_days: npt.ArrayLike = 30.0,
    max_degree: int = 4,
    track_every: int = 2,
    method: str = "abm",
    abm_step_s: float = 60.0,
    sample_index: npt.ArrayLike | None = None,
) -> CowellResult:
    """Integrate N state vectors (ECI, (N, 3)) from their epochs until ``stop_alt_km``.

    ``epoch_utc`` is datetime64 of shape (N,) (each sample its own handover epoch);
    ``bc_m2_per_kg`` and ``density_scale`` broadcast to (N,); ``sample_index`` (N,) names the
    samples for the density provider (default 0..N-1); ``max_days`` (per sample or one value)
    bounds each sample's flight time.  Each sample's time runs from its own
    epoch, so its numbers do not depend on the other samples in the batch.  See the module
    docstring for the methods.
    """
    r = np.atleast_2d(np.asarray(r_km, dtype=float)).copy()
    v = np.atleast_2d(np.asarray(v_km_s, dtype=float)).copy()
    n = r.shape[0]
    ep = np.broadcast_to(np.asarray(epoch_utc, dtype="datetime64[ns]"), (n,))
    clock = EarthClock.at(ep)
    t = np.zeros(n)  # seconds since each sample's own epoch
    bc = np.broadcast_to(np.asarray(bc_m2_per_kg, dtype=float), (n,)).copy()
    scale = np.broadcast_to(np.asarray(density_scale, dtype=float), (n,)).copy()
    sample = np.arange(n) if sample_index is None else np.asarray(sample_index).reshape(n)
    forces = _Forces(clock, bc, scale, density, max_degree, sample)
    if method == "dop853":
        return _dop853(r, v, t, clock, forces, stop_alt_km, np.broadcast_to(max_days, (n,)))
    if method not in ("rk4", "abm"):
        raise ValueError(f"unknown method {method!r} (abm, rk4 or dop853)")
    t_end = t + np.broadcast_to(np.asarray(max_days, dtype=float), (n,)) * 86400.0
    reentered = np.zeros(n, dtype=bool)
    out_lat, out_lon = np.full(n, np.nan), np.full(n, np.nan)
    track: list[tuple[ArrayF, ArrayF, ArrayF, ArrayF]] = []
    all_idx = np.arange(n)

    def record(idx, tt, la, lo, al):
        if idx.size == n:
            track.append((tt, la, lo, al))
            return
        row = [np.full(n, np.nan) for _ in range(4)]
        for k, val in enumerate((tt, la, lo, al)):
            row[k][idx] = val
        track.append(tuple(row))

    _, aux0 = forces(t, r, v)
    record(all_idx, t.copy(), aux0.lat_deg, aux0.lon_deg, aux0.alt_km)
    n_steps = 0
    if method == "abm":
        n_steps += _abm_phase(forces, t, r, v, t_end, abm_step_s, stop_alt_km, record)
    acc, aux = forces(t, r, v)
    idx = all_idx
    fa = forces
    k_rk = np.zeros(n, dtype=np.int64)  # each sample's own RK4 step count (track thinning)
    while idx.size:
        ta, ra, va, aa = t[idx], r[idx], v[idx], acc[idx]
        dt = _dt_control(ra, va, aux, max_step_s)
        dt = np.maximum(np.minimum(dt, t_end[idx] - ta), 1e-3)
        r_new, v_new = _rk4_step(fa, ta, ra, va, aa, dt)
        t_new = ta + dt
        acc_new, aux = fa(t_new, r_new, v_new)
        alt_new, la, lo_ = aux.alt_km, aux.lat_deg, aux.lon_deg
        n_steps += 1
        crossed = alt_new <= stop_alt_km
        if np.any(crossed):
            c = np.flatnonzero(crossed)
            clk = fa.clock.take(c)
            lo, hi = np.zeros(c.size), np.ones(c.size)
            for _ in range(40):
                mid = 0.5 * (lo + hi)
                pos = _hermite(ra[c], va[c], r_new[c], v_new[c], dt[c], mid)
                tm = ta[c] + mid * dt[c]
                _, _, am = geodetic_from_eci_gmst(pos[:, 0], pos[:, 1], pos[:, 2], clk.gmst_rad(tm))
                below = am <= stop_alt_km
                hi = np.where(below, mid, hi)
                lo = np.where(below, lo, mid)
            s = 0.5 * (lo + hi)
            t_new[c] = ta[c] + s * dt[c]
            r_new[c] = _hermite(ra[c], va[c], r_new[c], v_new[c], dt[c], s)
            v_new[c] = va[c] + s[:, None] * (v_new[c] - va[c])
            lac, loc, _ = geodetic_from_eci_gmst(
                r_new[c, 0], r_new[c, 1], r_new[c, 2], clk.gmst_rad(t_new[c])
            )
            la, lo_, alt_new = la.copy(), lo_.copy(), alt_new.copy()
            la[c], lo_[c], alt_new[c] = lac, loc, stop_alt_km
        r[idx], v[idx], t[idx] = r_new, v_new, t_new
        acc[idx] = acc_new
        timed_out = t_new >= t_end[idx]
        done = crossed | timed_out
        reentered[idx[crossed]] = True
        k_rk[idx] += 1
        keep = done | (k_rk[idx] % track_every == 0)
        if np.any(keep):
            record(idx[keep], t_new[keep], la[keep], lo_[keep], alt_new[keep])
            out_lat[idx[done]], out_lon[idx[done]] = la[done], lo_[done]
        if np.any(done):
            keep = ~done
            idx = idx[keep]
            fa = fa.take(np.flatnonzero(keep))
            aux = _Aux(*(getattr(aux, f)[keep] for f in _Aux.__dataclass_fields__))
    return _result(t, clock, out_lat, out_lon, r, v, reentered, track, n_steps)


def _result(t, clock, lat, lon, r, v, reentered, track, n_steps) -> CowellResult:
    cols = [np.array(c) for c in zip(*track, strict=True)]
    # row j = each sample's j-th recorded point: valid entries moved up, in order, so the
    # layout depends on the sample alone, not on which samples stepped together
    valid = ~np.isnan(cols[3])
    order = np.argsort(~valid, axis=0, kind="stable")
    m = max(int(valid.sum(axis=0).max(initial=0)), 1)
    cols = [np.take_along_axis(c, order, axis=0)[:m] for c in cols]
    t_trk = clock.utc(np.nan_to_num(cols[0]).T).T
    t_trk = np.where(np.isnan(cols[0]), np.datetime64("NaT"), t_trk)
    return CowellResult(
        clock.utc(t),
        lat,
        lon,
        r,
        v,
        reentered,
        FinalTrack(t_trk.astype("datetime64[ns]"), cols[1], cols[2], cols[3]),
        n_steps,
    )


def _dop853(r, v, t, clock, forces, stop_alt_km, max_days) -> CowellResult:
    from scipy.integrate import solve_ivp

    n = r.shape[0]
    lat, lon = np.full(n, np.nan), np.full(n, np.nan)
    reentered = np.zeros(n, dtype=bool)
    rows: list[tuple[ArrayF, ...]] = []
    tracks = []
    n_steps = 0
    for i in range(n):
        one = forces.take(np.array([i]))

        def rhs(tt, y, one=one):
            acc, _ = one(np.array([tt]), y[None, :3], y[None, 3:])
            return np.concatenate([y[3:], acc[0]])

        def event(tt, y, one=one):
            theta = one.clock.gmst_rad(np.array([tt]))
            return float(geodetic_from_eci_gmst(y[:1], y[1:2], y[2:3], theta)[2][0]) - stop_alt_km

        event.terminal = True
        event.direction = -1
        sol = solve_ivp(
            rhs,
            (t[i], t[i] + float(max_days[i]) * 86400.0),
            np.concatenate([r[i], v[i]]),
            method="DOP853",
            rtol=1e-10,
            atol=1e-7,
            events=event,
            max_step=60.0,
        )
        n_steps += sol.t.size
        if sol.t_events[0].size:
            reentered[i] = True
            t[i] = sol.t_events[0][0]
            y = sol.y_events[0][0]
        else:
            t[i] = sol.t[-1]
            y = sol.y[:, -1]
        r[i], v[i] = y[:3], y[3:]
        tt = np.append(sol.t, t[i])
        pts = np.vstack([sol.y[:3].T, y[:3]])
        theta = one.clock.gmst0_rad[0] + one.clock.rate_rad_s[0] * tt
        la, lo, al = geodetic_from_eci_gmst(pts[:, 0], pts[:, 1], pts[:, 2], theta)
        lat[i], lon[i] = la[-1], lo[-1]
        tracks.append((tt, la, lo, al))
    m = max(len(tr[0]) for tr in tracks)
    for j in range(m):
        row = [np.full(n, np.nan) for _ in range(4)]
        for i, tr in enumerate(tracks):
            if j < tr[0].size:
                for k in range(4):
                    row[k][i] = tr[k][j]
        rows.append(tuple(row))
    return _result(t, clock, lat, lon, r, v, reentered, rows, n_steps)
