"""Start-up stays light: the CLI and `deorbit predict` do not import what they do not use.

A deterministic `deorbit predict` is meant to take under a second, so the CLI module imports
only its framework, and each command imports what it needs when it runs.  These are behaviour
tests (which modules a fresh interpreter holds), never timing tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

#: Optional or heavy dependencies no command needs just to start.
HEAVY = ("shapely", "matplotlib", "fastapi", "uvicorn", "dask", "distributed", "httpx")
#: The HTTP stack (only fetching from CelesTrak or space weather needs it).
HTTP = ("http.client", "urllib.request")
#: The exposure job's own modules (countries, population, polygons).
EXPOSURE = ("deorbit.geography", "deorbit.geography.countries", "deorbit.exposure")


def _loaded_after(code: str, watch: tuple[str, ...]) -> list[str]:
    """Run ``code`` in a fresh interpreter; return which of ``watch`` ended up in sys.modules."""
    script = (
        "import json, sys\n"
        f"{code}\n"
        f"print(json.dumps([m for m in {list(watch)!r} if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_heavy_module():
    loaded = _loaded_after("import deorbit.cli", HEAVY + HTTP + EXPOSURE + ("deorbit.jobs",))
    assert loaded == []


def test_resolving_an_object_offline_loads_no_http_or_geography():
    """What every command does first: deorbit.jobs, resolve() and parse_time()."""
    code = (
        "from deorbit.jobs import parse_time, resolve\n"
        "import deorbit.predict\n"
        "assert resolve('ISS').norad_id == 25544\n"
        "parse_time('2025-11-29T00:00Z', '--as-of')"
    )
    assert _loaded_after(code, HEAVY + HTTP + EXPOSURE) == []


def test_a_deterministic_prediction_loads_no_heavy_module():
    code = (
        "from contextlib import redirect_stdout\n"
        "import io\n"
        "from deorbit.cli import main\n"
        "with redirect_stdout(io.StringIO()) as out:\n"
        "    code = main(['predict', 'ISS', '--no-reboost', '--samples', '1', '--json'])\n"
        "assert code == 0, code\n"
        "assert json.loads(out.getvalue())['reentry']['samples_reentered'] == 1"
    )
    assert _loaded_after(code, HEAVY + HTTP + EXPOSURE) == []


def test_the_exposure_job_still_finds_its_modules():
    """The lazy imports are still there when the command that needs them runs."""
    code = (
        "from deorbit.jobs import exposure_job, run_exposure\n"
        "result = exposure_job(run_exposure('ISS', days=0.1, step_s=600))\n"
        "assert result['land_fraction'] > 0"
    )
    assert _loaded_after(code, ("shapely", "deorbit.geography.countries")) == [
        "shapely",
        "deorbit.geography.countries",
    ]
