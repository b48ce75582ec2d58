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
    predictor-corrector (PECE) with a fixed 60 s step: two force evaluations per step, started
    by RK4 sub-steps.  Against DOP853 at rtol 1e-10 the position after one day at 250 km
    differs by ~1 m (RK4 at 30 s: ~140 m; RK4 at 60 s: ~3.5 km), at half RK4's cost.
    A sample switches to classical RK4 with a per-sample step

        dt = min(max_step_s, eta |v_rel| / |a_D|, dh_max / |dr/dt|)

    (eta = 2e-3, dh_max = 1 km, max 30 s) once that control asks for less than 60 s or it is
    within 20 km of ``stop_alt_km``: in the last minutes the step shrinks to seconds as the
    deceleration reaches g.  The crossing of ``stop_alt_km`` is located inside the last step
    on the cubic Hermite interpolant of the position (from r and v at both ends) by bisection;
    its error is far below the step's own error.  ``method="rk4"`` uses RK4 throughout.

    ``method="dop853"`` integrates each sample with ``scipy.integrate.solve_ivp`` (DOP853,
    rtol 1e-10, terminal altitude event): a slower reference used by the tests.

Handover from mean elements
    :func:`osculating_from_mean` turns the long-term phase's mean orbit into a state vector:
    a Kepler state from the mean elements, then two corrections of the semi-major axis so that
    a gravity-only one-revolution integration has the same time-averaged radius as the mean
    orbit (the J2 short-period terms shift the mean radius by a few km otherwise).

Frame and time
    Earth rotation enters through GMST (IAU 1982, :func:`deorbit.gravity.gmst_rad`) for the
    longitude, local time and co-rotating atmosphere.  Times are per sample (datetime64[ns]).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from deorbit.decay import MeanOrbit, _add_seconds
from deorbit.drag import DensityProvider, drag_acceleration_km_s2, relative_velocity_km_s
from deorbit.gravity import MU_KM3_S2, geodetic_from_eci, zonal_acceleration_km_s2

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


def osculating_from_mean(orbit: MeanOrbit, *, iterations: int = 2) -> tuple[ArrayF, ArrayF]:
    """ECI position (km) and velocity (km/s), (N, 3), at ``orbit.epoch_utc``.

    Starts from the Kepler state of the mean elements and corrects the semi-major axis
    ``iterations`` times by <r>_target - <r>_integrated, where <r>_target = a (1 + e^2/2) and
    <r>_integrated is the time-averaged radius of a one-revolution J2-J4 integration.  This
    makes the numerically integrated orbit fly at the altitudes the mean orbit stood for.
    """
    m_deg = orbit.mean_arg_lat_deg - orbit.argp_deg
    target = orbit.a_km * (1.0 + 0.5 * orbit.e**2)
    a = orbit.a_km.copy()
    elements = (orbit.e, orbit.inc_deg, orbit.raan_deg, orbit.argp_deg, m_deg)
    for _ in range(iterations):
        r, v = kepler_to_state(a, *elements)
        mean_r = _rk4_gravity_mean_radius(r, v, orbit.period_s, 120)
        a = a + (target - mean_r)
    return kepler_to_state(a, *elements)


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
    def __init__(self, t_ref, bc, scale, density, max_degree):
        self.t_ref, self.bc, self.scale, self.density = t_ref, bc, scale, density
        self.max_degree = max_degree

    def __call__(self, t_s, r, v, idx):
        tt = _add_seconds(self.t_ref, t_s)
        lat, lon, alt = geodetic_from_eci(r, tt)
        rho = self.density(tt, lat, lon, alt, sample=idx) * self.scale[idx]
        a_d = drag_acceleration_km_s2(r, v, rho, self.bc[idx])
        return zonal_acceleration_km_s2(r, max_degree=self.max_degree) + a_d, a_d, alt


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


def _dt_control(r: ArrayF, v: ArrayF, a_d: ArrayF, max_step_s: float) -> ArrayF:
    """min(max_step, eta |v_rel| / |a_D|, 1 km / |dr/dt|) per sample (see module docstring)."""
    vrel = np.linalg.norm(relative_velocity_km_s(r, v), axis=1)
    adn = np.maximum(np.linalg.norm(a_d, axis=1), 1e-30)
    hdot = np.abs(np.sum(r * v, axis=1)) / np.linalg.norm(r, axis=1)
    dt = np.minimum(max_step_s, 2e-3 * vrel / adn)
    return np.minimum(dt, 1.0 / np.maximum(hdot, 1e-12))


def _rk4_step(forces, t, r, v, acc, dt, idx):
    d = dt[:, None]
    k2r = v + 0.5 * d * acc
    k2v, _, _ = forces(t + dt / 2, r + 0.5 * d * v, k2r, idx)
    k3r = v + 0.5 * d * k2v
    k3v, _, _ = forces(t + dt / 2, r + 0.5 * d * k2r, k3r, idx)
    k4r = v + d * k3v
    k4v, _, _ = forces(t + dt, r + d * k3r, k4r, idx)
    r_new = r + d / 6.0 * (v + 2 * k2r + 2 * k3r + k4r)
    v_new = v + d / 6.0 * (acc + 2 * k2v + 2 * k3v + k4v)
    return r_new, v_new


def _abm_phase(forces, t, r, v, t_end, h, stop_alt_km, record) -> int:
    """Adams-Bashforth-Moulton 8 (PECE, fixed step ``h``) for all samples while drag is weak.

    Two force evaluations per step instead of RK4's four, and eighth order.  A sample leaves
    (its state stays in ``r``, ``v``, ``t``) when the step control asks for less than ``h``,
    when it comes within 20 km of ``stop_alt_km`` or when ``t_end`` is near; the RK4 loop
    then finishes it.  Started with 7 steps of 4 RK4 sub-steps each.  Returns the step count.
    """
    idx = np.arange(t.size)
    hh = np.full(idx.size, h)
    acc, a_d, alt = forces(t, r, v, idx)
    ok = (_dt_control(r, v, a_d, h) >= h) & (alt > stop_alt_km + 20.0) & (t + 9 * h < t_end)
    idx = idx[ok]
    if idx.size == 0:
        return 0
    hist = [np.concatenate([v[idx], acc[idx]], axis=1)]
    ti, ri, vi, ai = t[idx], r[idx], v[idx], acc[idx]
    sub = hh[idx] / 4.0
    for _ in range(7):
        for _ in range(4):
            ri, vi = _rk4_step(forces, ti, ri, vi, ai, sub, idx)
            ti = ti + sub
            ai, _, _ = forces(ti, ri, vi, idx)
        hist.insert(0, np.concatenate([vi, ai], axis=1))
    steps = 7
    y = np.concatenate([ri, vi], axis=1)
    while idx.size:
        pred = y + h * sum(_AB8[j] * hist[j] for j in range(8))
        fp, _, _ = forces(ti + h, pred[:, :3], pred[:, 3:], idx)
        fp = np.concatenate([pred[:, 3:], fp], axis=1)
        corr = y + h * (_AM8[0] * fp + sum(_AM8[j + 1] * hist[j] for j in range(8)))
        ac, adc, altc = forces(ti + h, corr[:, :3], corr[:, 3:], idx)
        steps += 1
        crossed = altc <= stop_alt_km
        t_new = ti + h
        # keep the old state where the step went below the stop altitude
        y = np.where(crossed[:, None], y, corr)
        ti = np.where(crossed, ti, t_new)
        hist.insert(0, np.concatenate([corr[:, 3:], ac], axis=1))
        hist.pop()
        r[idx], v[idx], t[idx] = y[:, :3], y[:, 3:], ti
        record(idx, ti, y[:, :3])
        stay = (
            ~crossed
            & (_dt_control(y[:, :3], y[:, 3:], adc, h) >= h)
            & (altc > stop_alt_km + 20.0)
            & (ti + h < t_end[idx])
        )
        if not np.all(stay):
            idx, y, ti = idx[stay], y[stay], ti[stay]
            hist = [f[stay] for f in hist]
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
    max_days: float = 30.0,
    max_degree: int = 4,
    track_every: int = 2,
    method: str = "abm",
    abm_step_s: float = 60.0,
) -> CowellResult:
    """Integrate N state vectors (ECI, (N, 3)) from their epochs until ``stop_alt_km``.

    ``epoch_utc`` is datetime64 of shape (N,) (each sample its own handover epoch);
    ``bc_m2_per_kg`` and ``density_scale`` broadcast to (N,).  See the module docstring.
    """
    r = np.atleast_2d(np.asarray(r_km, dtype=float)).copy()
    v = np.atleast_2d(np.asarray(v_km_s, dtype=float)).copy()
    n = r.shape[0]
    ep = np.broadcast_to(np.asarray(epoch_utc, dtype="datetime64[ns]"), (n,))
    t_ref = ep.min()
    t = (ep - t_ref).astype(np.int64) / 1e9
    bc = np.broadcast_to(np.asarray(bc_m2_per_kg, dtype=float), (n,)).copy()
    scale = np.broadcast_to(np.asarray(density_scale, dtype=float), (n,)).copy()
    forces = _Forces(t_ref, bc, scale, density, max_degree)
    if method == "dop853":
        return _dop853(r, v, t, t_ref, forces, stop_alt_km, max_days)
    if method not in ("rk4", "abm"):
        raise ValueError(f"unknown method {method!r} (abm, rk4 or dop853)")
    t_end = t + max_days * 86400.0
    active = np.ones(n, dtype=bool)
    reentered = np.zeros(n, dtype=bool)
    out_lat, out_lon = np.full(n, np.nan), np.full(n, np.nan)
    track: list[tuple[ArrayF, ArrayF, ArrayF, ArrayF]] = []
    all_idx = np.arange(n)

    def record(idx, tt, la, lo, al):
        row = [np.full(n, np.nan) for _ in range(4)]
        for k, val in enumerate((tt, la, lo, al)):
            row[k][idx] = val
        track.append(tuple(row))

    def record_r(idx, tt, rr):
        la, lo, al = geodetic_from_eci(rr, _add_seconds(t_ref, tt))
        record(idx, tt, la, lo, al)

    record_r(all_idx, t, r)
    n_steps = 0
    if method == "abm":
        n_steps += _abm_phase(forces, t, r, v, t_end, abm_step_s, stop_alt_km, record_r)
    acc, a_d, alt = forces(t, r, v, all_idx)
    while np.any(active):
        idx = np.flatnonzero(active)
        ta, ra, va, aa, ada = t[idx], r[idx], v[idx], acc[idx], a_d[idx]
        dt = _dt_control(ra, va, ada, max_step_s)
        dt = np.maximum(np.minimum(dt, t_end[idx] - ta), 1e-3)
        r_new, v_new = _rk4_step(forces, ta, ra, va, aa, dt, idx)
        t_new = ta + dt
        acc_new, ad_new, alt_new = forces(t_new, r_new, v_new, idx)
        n_steps += 1
        crossed = alt_new <= stop_alt_km
        if np.any(crossed):
            c = np.flatnonzero(crossed)
            lo, hi = np.zeros(c.size), np.ones(c.size)
            for _ in range(40):
                mid = 0.5 * (lo + hi)
                pos = _hermite(ra[c], va[c], r_new[c], v_new[c], dt[c], mid)
                _, _, am = geodetic_from_eci(pos, _add_seconds(t_ref, ta[c] + mid * dt[c]))
                below = am <= stop_alt_km
                hi = np.where(below, mid, hi)
                lo = np.where(below, lo, mid)
            s = 0.5 * (lo + hi)
            t_new[c] = ta[c] + s * dt[c]
            r_new[c] = _hermite(ra[c], va[c], r_new[c], v_new[c], dt[c], s)
            v_new[c] = va[c] + s[:, None] * (v_new[c] - va[c])
            alt_new[c] = stop_alt_km
        r[idx], v[idx], t[idx] = r_new, v_new, t_new
        acc[idx], a_d[idx] = acc_new, ad_new
        timed_out = t_new >= t_end[idx]
        done = crossed | timed_out
        reentered[idx[crossed]] = True
        if n_steps % track_every == 0 or np.any(done):
            la, lo_, _ = geodetic_from_eci(r_new, _add_seconds(t_ref, t_new))
            keep = done if n_steps % track_every else np.ones(idx.size, dtype=bool)
            record(idx[keep], t_new[keep], la[keep], lo_[keep], alt_new[keep])
            out_lat[idx[done]], out_lon[idx[done]] = la[done], lo_[done]
        active[idx[done]] = False
    return _result(t, t_ref, out_lat, out_lon, r, v, reentered, track, n_steps)


def _result(t, t_ref, lat, lon, r, v, reentered, track, n_steps) -> CowellResult:
    cols = [np.array(c) for c in zip(*track, strict=True)]
    t_trk = _add_seconds(t_ref, np.nan_to_num(cols[0]))
    t_trk = np.where(np.isnan(cols[0]), np.datetime64("NaT"), t_trk)
    return CowellResult(
        _add_seconds(t_ref, t),
        lat,
        lon,
        r,
        v,
        reentered,
        FinalTrack(t_trk.astype("datetime64[ns]"), cols[1], cols[2], cols[3]),
        n_steps,
    )


def _dop853(r, v, t, t_ref, forces, stop_alt_km, max_days) -> CowellResult:
    from scipy.integrate import solve_ivp

    n = r.shape[0]
    lat, lon = np.full(n, np.nan), np.full(n, np.nan)
    reentered = np.zeros(n, dtype=bool)
    rows: list[tuple[ArrayF, ...]] = []
    tracks = []
    n_steps = 0
    for i in range(n):
        idx = np.array([i])

        def rhs(tt, y, idx=idx):
            acc, _, _ = forces(np.array([tt]), y[None, :3], y[None, 3:], idx)
            return np.concatenate([y[3:], acc[0]])

        def event(tt, y):
            _, _, alt = geodetic_from_eci(y[None, :3], _add_seconds(t_ref, np.array([tt])))
            return float(alt[0]) - stop_alt_km

        event.terminal = True
        event.direction = -1
        sol = solve_ivp(
            rhs,
            (t[i], t[i] + max_days * 86400.0),
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
        la, lo, al = geodetic_from_eci(np.vstack([sol.y[:3].T, y[:3]]), _add_seconds(t_ref, tt))
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
    return _result(t, t_ref, lat, lon, r, v, reentered, rows, n_steps)
