"""Shared test fixtures.  Tests never reach the internet and never write outside tmp_path."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Session-wide defaults, so that module- and session-scoped fixtures (which run before the
# per-test fixture below) never touch the user's real cache or CelesTrak either.
_SESSION_HOME = Path(tempfile.mkdtemp(prefix="deorbit-tests-"))
os.environ["DEORBIT_CACHE_DIR"] = str(_SESSION_HOME / "cache")
os.environ["DEORBIT_DATA_DIR"] = str(_SESSION_HOME / "data")
os.environ["DEORBIT_CELESTRAK_URL"] = "http://127.0.0.1:9/"

REPO = Path(__file__).resolve().parent.parent
#: The read-only shared material beside the repository (validation data, reference data).
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Point every cache and data directory at a temporary folder, and forbid real CelesTrak."""
    home = tmp_path_factory.mktemp("deorbit-home")
    monkeypatch.setenv("DEORBIT_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("DEORBIT_DATA_DIR", str(home / "data"))
    monkeypatch.setenv(
        "DEORBIT_CELESTRAK_URL", "http://127.0.0.1:9/"
    )  # discard port: never answers


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/ is not beside the repository")
    return SHARED
