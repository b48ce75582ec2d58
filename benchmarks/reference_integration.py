"""The reference: a plain Cowell integration of the ISS case, epoch to 120 km, MSIS every call.

What it is
    The brute-force answer deorbit's two-phase engine (orbit-averaged decay, then Cowell) is
    compared with.  Nothing is averaged, tabulated or switched: the SGP4 state of the ISS
    element set at its epoch (TEME, osculating) is integrated with
    ``scipy.integrate.solve_ivp`` (DOP853, ``--rtol`` 1e-10, ``--atol`` 10 x rtol in km and
    km/s, no step cap unless ``--max-step-s``) under

    * point-mass gravity plus the J2, J3 and J4 zonals (EGM2008 values, Vallado 2013 eq. 8-30),
    * drag a = -1/2 rho BC |v_rel| v_rel in an atmosphere co-rotating with the Earth, with
      ``pymsis.calculate`` (NRLMSISE-00 by default) called at *every* force evaluation at the
      point's geodetic latitude, longitude and altitude above WGS-84 and its UTC instant,
      F10.7 = F10.7A = 150 and Ap = 15 passed explicitly,

    until the geodetic altitude falls to ``--stop-alt-km`` (120 km): a terminal event located
    on DOP853's dense output.  The same physics as deorbit's Cowell phase, but for ~1.5 years of
    flight (~8000 revolutions), so it takes minutes: run it once, by hand.  Nothing is cached.

    .venv/bin/python benchmarks/reference_integration.py            # ~2 min CPU (rtol 1e-10)
    .venv/bin/python benchmarks/reference_integration.py --rtol 1e-12  # ~4 min CPU
    .venv/bin/python benchmarks/reference_integration.py --max-step-s 100
    .venv/bin/python benchmarks/reference_integration.py --version 2.1

    The ``REFERENCE days=... cpu_s=... wall_s=...`` line is machine-readable and is what
    ``bench_reentry.py --reference-days/--reference-seconds`` want.

Convergence (measured, docs/notes/decay.md "Reference comparison")
    rtol 1e-10, 1e-11, 1e-12 (atol 10 x rtol) and rtol 1e-10 with steps capped at 100 s reach
    120 km within 23 s of one another (5e-7 of the 525-day flight; the default is 21 s from
    rtol 1e-12).  That is ~4000 times below the 0.2 % between the reference and deorbit, so
    the default tolerance is enough to judge deorbit's epoch.  Re-run at a tighter rtol after
    any change to the force model here.

What pymsis does with the inputs (the same in deorbit, which calls the same function)
    ``pymsis.calculate`` truncates the instant to whole seconds and gives NRLMSISE-00 an
    integer day of year, so the density is piecewise constant in time: steps of ~2e-5
    (relative) each second and of a few tenths of a percent at each UTC midnight (the annual
    and semi-annual terms advance by a day; 0.4-0.8 % at 120-400 km on 2024-06-02).  The
    right-hand side is therefore not smooth; the adaptive steps take the jumps (the
    convergence runs above include them), and the reference integrates exactly the model
    deorbit's ``MsisDensity`` evaluates, jumps included.  Space weather is constant here: no
    index interpolation enters.

Scalar arithmetic
    At one state vector numpy's per-call overhead (~1 us per operation) would dominate, so the
    geometry (zonal gravity, GMST, Bowring's geodetic latitude) is written with :mod:`math` on
    Python floats; it is checked against :mod:`deorbit.gravity` at start-up (agreement to
    1e-12 relative).  GMST is linear in time from the epoch (IAU 1982 value and rate at the
    epoch; the neglected quadratic term reaches 2e-9 rad, 1.5 cm at LEO, after 525 days).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pymsis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_reentry import BC_ISS, ISS  # noqa: E402

from deorbit.gravity import (  # noqa: E402
    E2,
    J2,
    J3,
    J4,
    MU_KM3_S2,
    OMEGA_EARTH_RAD_S,
    R_EQ_KM,
    R_POL_KM,
    geodetic_from_eci,
    gmst_rad,
    gmst_rate_rad_s,
    zonal_acceleration_km_s2,
)

_EP2 = E2 / (1.0 - E2)


def zonal_acc(x: float, y: float, z: float) -> tuple[float, float, float]:
    """Point mass + J2..J4 (km/s^2), the scalar twin of ``zonal_acceleration_km_s2``."""
    r2 = x * x + y * y + z * z
    rn = math.sqrt(r2)
    q = R_EQ_KM / rn
    s = z / rn
    s2 = s * s
    q2 = q * q
    c2 = 1.5 * J2 * q2
    c3 = 2.5 * J3 * q2 * q
    c4 = -1.875 * J4 * q2 * q2
    poly = 21.0 * s2 * s2
    fxy = c2 * (1.0 - 5.0 * s2) + c3 * (3.0 * s - 7.0 * s * s2) + c4 * (1.0 - 14.0 * s2 + poly)
    fz = c2 * (3.0 - 5.0 * s2) + c4 * (5.0 - 70.0 / 3.0 * s2 + poly)
    gz = c3 * (6.0 * s2 - 7.0 * s2 * s2 - 0.6)
    k = -MU_KM3_S2 / (r2 * rn)
    return k * x * (1.0 + fxy), k * y * (1.0 + fxy), k * (z * (1.0 + fz) + gz * rn)


def geodetic(x: float, y: float, z: float, theta: float) -> tuple[float, float, float]:
    """Geodetic lat (deg), lon (deg) and WGS-84 altitude (km) of an ECI point, GMST theta."""
    c, s = math.cos(theta), math.sin(theta)
    xe, ye = c * x + s * y, -s * x + c * y
    p = math.hypot(xe, ye)
    beta = math.atan2(z * R_EQ_KM, p * R_POL_KM)
    sb, cb = math.sin(beta), math.cos(beta)
    lat = math.atan2(z + _EP2 * R_POL_KM * sb**3, p - E2 * R_EQ_KM * cb**3)
    sl, cl = math.sin(lat), math.cos(lat)
    alt = p * cl + z * sl - R_EQ_KM * math.sqrt(1.0 - E2 * sl * sl)
    return math.degrees(lat), math.degrees(math.atan2(ye, xe)), alt


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--version", type=float, default=0.0, help="MSIS version (0 or 2.1)")
    p.add_argument("--stop-alt-km", type=float, default=120.0)
    p.add_argument("--rtol", type=float, default=1e-10)
    p.add_argument("--atol", type=float, help="km and km/s (default 10 * rtol)")
    p.add_argument("--max-step-s", type=float, default=math.inf, help="DOP853 max_step (s)")
    p.add_argument("--max-days", type=float, default=1000.0)
    p.add_argument("--bc", type=float, default=BC_ISS, help="Cd A / m (m^2/kg)")
    args = p.parse_args()
    from scipy.integrate import solve_ivp

    sat = ISS.to_satrec()
    err, r0, v0 = sat.sgp4(sat.jdsatepoch, sat.jdsatepochF)
    if err:
        raise SystemExit(f"SGP4 error {err}")
    epoch = np.datetime64(int(round(ISS.epoch_utc.timestamp() * 1e6)), "us").astype(
        "datetime64[ns]"
    )
    epoch_ns = int(epoch.astype(np.int64))
    theta0 = float(gmst_rad(epoch))
    theta_dot = float(gmst_rate_rad_s(epoch))
    # the scalar geometry against the library's vectorised one
    rr = np.array([[6500.0, 1200.0, 2500.0], [100.0, -200.0, 6900.0], [6800.0, 0.0, 0.0]])
    for row, lib in zip(rr, zonal_acceleration_km_s2(rr), strict=True):
        np.testing.assert_allclose(zonal_acc(*row), lib, rtol=1e-12, atol=1e-18)
    t_chk = epoch + np.timedelta64(86400 * 300, "s")
    la, lo, al = geodetic_from_eci(rr, t_chk)
    for i, row in enumerate(rr):
        got = geodetic(*row, theta0 + theta_dot * 86400 * 300)
        np.testing.assert_allclose(got, (la[i], lo[i], al[i]), rtol=1e-9, atol=1e-8)

    f107 = np.array([150.0])
    f107a = np.array([150.0])
    ap = np.zeros((1, 7))
    ap[0, 0] = 15.0
    version = args.version if args.version else 0
    bc = args.bc
    atol = args.atol if args.atol is not None else 10.0 * args.rtol
    n_calls = 0

    def rhs(t: float, y: np.ndarray) -> list[float]:
        nonlocal n_calls
        n_calls += 1
        x, yy, z, vx, vy, vz = y.tolist()
        lat, lon, alt = geodetic(x, yy, z, theta0 + theta_dot * t)
        when = np.array([epoch_ns + int(t * 1e9)], dtype="datetime64[ns]")
        rho = float(
            pymsis.calculate(when, [lon], [lat], [alt], f107, f107a, ap, version=version)[0, 0]
        )
        vrx, vry = vx + OMEGA_EARTH_RAD_S * yy, vy - OMEGA_EARTH_RAD_S * x
        k = -0.5e3 * rho * bc * math.sqrt(vrx * vrx + vry * vry + vz * vz)
        gx, gy, gz = zonal_acc(x, yy, z)
        return [vx, vy, vz, gx + k * vrx, gy + k * vry, gz + k * vz]

    def below(t: float, y: np.ndarray) -> float:
        return geodetic(y[0], y[1], y[2], theta0 + theta_dot * t)[2] - args.stop_alt_km

    below.terminal = True
    below.direction = -1

    cpu0, wall0 = time.process_time(), time.perf_counter()
    sol = solve_ivp(
        rhs,
        (0.0, args.max_days * 86400.0),
        np.concatenate([r0, v0]),
        method="DOP853",
        rtol=args.rtol,
        atol=atol,
        max_step=args.max_step_s,
        events=below,
    )
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    if not sol.t_events[0].size:
        raise SystemExit(f"did not reach {args.stop_alt_km} km in {args.max_days} days")
    t_hit = float(sol.t_events[0][0])
    y_hit = sol.y_events[0][0]
    lat, lon, _ = geodetic(*y_hit[:3], theta0 + theta_dot * t_hit)
    when = epoch + np.timedelta64(int(round(t_hit * 1e9)), "ns")
    days = t_hit / 86400.0
    name = "NRLMSISE-00" if version == 0 else f"NRLMSIS {version}"
    print(
        f"reference: DOP853 rtol {args.rtol:g} atol {atol:g} max_step {args.max_step_s:g} s, "
        f"J2-J4, {name} at every force evaluation"
    )
    print(f"start (SGP4 state at epoch): {ISS.epoch_utc.isoformat()}, BC {bc:.7f} m^2/kg")
    print(f"reached {args.stop_alt_km:g} km: {when} UTC, day {days:.4f}")
    print(f"  lat {lat:.2f} deg, lon {lon:.2f} deg")
    print(f"  {sol.t.size - 1} steps, {n_calls} force evaluations (= pymsis calls)")
    print(f"  wall {wall:.1f} s, CPU {cpu:.1f} s ({cpu / n_calls * 1e6:.1f} us per evaluation)")
    print(
        f"REFERENCE days={days:.7f} cpu_s={cpu:.2f} wall_s={wall:.2f} stop_km={args.stop_alt_km:g}"
        f" rtol={args.rtol:g} atol={atol:g}"
    )
    print(f"(run at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")


if __name__ == "__main__":
    main()
