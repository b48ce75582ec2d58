"""Load test of the local service: many concurrent exposure requests over loopback.

Starts ``uvicorn deorbit.service.app:create_app`` on a free 127.0.0.1 port (a separate
process, with a throw-away cache folder), then, with an async httpx client:

1. *cold*: ``--distinct`` different windows (start offsets), each requested
   ``--concurrency / --distinct`` times at once: every window is computed once (single
   flight), the other requests wait for it;
2. *warm*: ``--concurrency`` simultaneous requests for one cached window, ``--rounds`` times.

Reports p50/p90/p99/max latency, throughput and the number of errors for each phase, as
JSON on stdout.  Bounded: loopback only, at most ``--concurrency`` requests in flight.

    .venv/bin/python benchmarks/load_service.py --concurrency 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import httpx
import numpy as np


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workdir: str) -> tuple[subprocess.Popen, str]:
    """uvicorn on a free loopback port; returns (process, base URL) once it answers."""
    port = _free_port()
    env = dict(os.environ)
    env.setdefault("DEORBIT_CACHE_DIR", os.path.join(workdir, "cache"))
    env.setdefault("DEORBIT_DATA_DIR", os.path.join(workdir, "data"))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "deorbit.service.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--limit-concurrency",
            "1000",
            # keep idle connections between the phases (uvicorn's default closes them after
            # 5 s, and a client reusing one then sees "server disconnected")
            "--timeout-keep-alive",
            "60",
        ],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not start")


def _stats(latencies: list[float], errors: int, wall_s: float) -> dict[str, float | int]:
    ms = np.asarray(latencies) * 1000.0
    return {
        "requests": len(latencies) + errors,
        "errors": errors,
        "p50_ms": round(float(np.percentile(ms, 50)), 1) if ms.size else None,
        "p90_ms": round(float(np.percentile(ms, 90)), 1) if ms.size else None,
        "p99_ms": round(float(np.percentile(ms, 99)), 1) if ms.size else None,
        "max_ms": round(float(ms.max()), 1) if ms.size else None,
        "wall_s": round(wall_s, 3),
        "requests_per_s": round((len(latencies) + errors) / wall_s, 1),
    }


async def _burst(client: httpx.AsyncClient, url: str, params: list[dict]) -> dict:
    latencies: list[float] = []
    errors = 0

    async def one(p: dict) -> None:
        nonlocal errors
        t0 = time.perf_counter()
        try:
            r = await client.get(f"{url}/api/exposure", params=p)
            r.raise_for_status()
            if not r.json()["countries"]:
                raise ValueError("empty answer")
            latencies.append(time.perf_counter() - t0)
        except (httpx.HTTPError, ValueError, KeyError):
            errors += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(one(p) for p in params))
    return _stats(latencies, errors, time.perf_counter() - t0)


async def run(url: str, concurrency: int, distinct: int, rounds: int, days: float) -> dict:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=120.0) as client:
        # cold: `distinct` windows never computed before, requested together
        starts = [f"2025-11-{20 + k % 9:02d}T{k // 9:02d}:00:00Z" for k in range(distinct)]
        cold_params = [
            {"object": "ISS", "days": days, "start": starts[i % distinct]}
            for i in range(concurrency)
        ]
        cold = await _burst(client, url, cold_params)
        warm = []
        for _ in range(rounds):
            warm.append(await _burst(client, url, [{"object": "ISS", "days": days}] * concurrency))
        health = (await client.get(f"{url}/api/health")).json()
    return {"cold": cold, "warm": warm, "cache": health["exposure_cache"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--distinct", type=int, default=10, help="windows in the cold phase")
    parser.add_argument("--rounds", type=int, default=3, help="warm bursts")
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--url", help="use a running server instead of starting one")
    args = parser.parse_args()
    if not 1 <= args.concurrency <= 1000:
        parser.error("--concurrency must be 1..1000 (this is a bounded loopback test)")
    with tempfile.TemporaryDirectory() as workdir:
        proc = None
        url = args.url
        if url is None:
            proc, url = start_server(workdir)
        try:
            # warm the process (imports, borders, population) without filling the cache
            httpx.get(f"{url}/api/countries.geojson", timeout=60)
            result = asyncio.run(run(url, args.concurrency, args.distinct, args.rounds, args.days))
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(10)
    result["params"] = vars(args)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
