"""The catalogue watch on Dask: same seed, same answer for any number of workers; replays of
real Starlink decays; JSON/CSV; clear errors for a bad scheduler."""

from __future__ import annotations

import csv
import glob
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from deorbit.catalogue.ingest import ingest_files
from deorbit.catalogue.synthetic import synthetic_catalogue, write_tle
from deorbit.catalogue.watch import dask_client, object_seed, watch
from deorbit.errors import InputError
from deorbit.store import ElementStore

VALIDATION = Path(__file__).resolve().parents[2] / "shared" / "validation"
AS_OF = datetime(2025, 6, 1, 12, tzinfo=UTC)
STARLINKS = (44238, 44240, 44249, 44252)


@pytest.fixture(scope="module")
def client():
    with dask_client(workers=2) as opened:
        yield opened


@pytest.fixture(scope="module")
def catalogue_store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("watch")
    path = tmp / "cat.tle"
    write_tle(synthetic_catalogue(2100, sets_per_object=3, spacing_days=2.0, seed=9), path)
    store = ElementStore(tmp / "e.sqlite")
    ingest_files([path], store)
    yield store
    store.close()


def _comparable(result):
    j = result.to_json()
    j.pop("timings_s")
    return j


def test_same_seed_same_answer_whatever_the_workers(catalogue_store, client):
    seen = []
    kwargs = dict(as_of_utc=AS_OF, days=10.0, samples=16, seed=7, engine="screen", record=False)
    local = watch(catalogue_store, workers=0, **kwargs)
    on_two = watch(catalogue_store, client=client, progress=lambda *a: seen.append(a), **kwargs)
    assert _comparable(local) == _comparable(on_two)
    assert local.screened == 2100 and local.candidates > 0 and local.objects
    assert {s for s, _, _ in seen} == {"screen", "monte-carlo"}
    assert ("screen", 2, 2) in seen  # 2100 objects = 2 chunks of 2048
    other_seed = watch(catalogue_store, workers=0, **{**kwargs, "seed": 8})
    assert _comparable(other_seed)["objects"] != _comparable(local)["objects"]
    # ranked by median, all within the horizon by their 5 % quantile
    medians = [e.median_utc for e in local.objects]
    assert medians == sorted(medians)
    assert all(e.p05_utc <= AS_OF + timedelta(days=10) for e in local.objects)
    assert [e.rank for e in local.objects] == list(range(1, len(local.objects) + 1))


def test_json_csv_and_recorded_predictions(catalogue_store):
    result = watch(catalogue_store, as_of_utc=AS_OF, workers=0, samples=20, seed=3,
                   engine="screen")  # fmt: skip
    j = json.loads(result.dumps())
    assert j["as_of_utc"] == "2025-06-01T12:00:00Z"
    first = j["objects"][0]
    assert set(first["reentry"]) == {"median_utc", "p05_utc", "p95_utc"}
    assert {"norad_id", "name", "inclination_deg", "element_age_days"} <= set(first)
    rows = list(csv.DictReader(io.StringIO(result.to_csv())))
    assert len(rows) == len(j["objects"]) and rows[0]["norad_id"] == str(first["norad_id"])
    stored = catalogue_store.predictions(first["norad_id"], as_of_utc=AS_OF)
    assert stored and stored[-1].seed == object_seed(3, first["norad_id"])
    assert stored[-1].samples == 20 and stored[-1].engine == "screen"
    assert stored[-1].median_utc.strftime("%Y-%m-%dT%H:%M:%SZ") == first["reentry"]["median_utc"]


def test_bad_scheduler_addresses_are_input_errors():
    with (
        pytest.raises(InputError, match="not of the form tcp://HOST:PORT"),
        dask_client(scheduler="localhost:8786"),
    ):
        pass
    with (
        pytest.raises(InputError, match="cannot reach the Dask scheduler"),
        dask_client(scheduler="tcp://127.0.0.1:1"),
    ):
        pass


def test_bad_options(catalogue_store):
    with pytest.raises(InputError, match="--days"):
        watch(catalogue_store, days=0, workers=0)
    with pytest.raises(InputError, match="time zone"):
        watch(catalogue_store, as_of_utc=datetime(2025, 1, 1), workers=0)


def _truths():
    rows = csv.DictReader((VALIDATION / "events.csv").open())
    return {
        int(r["norad_id"]): datetime.fromisoformat(r["actual_reentry_utc"].replace("Z", "+00:00"))
        for r in rows
    }


@pytest.fixture(scope="module")
def validation_store(tmp_path_factory):
    if not VALIDATION.is_dir():
        pytest.skip("validation data missing")
    store = ElementStore(tmp_path_factory.mktemp("val") / "e.sqlite")
    report = ingest_files(sorted(glob.glob(str(VALIDATION / "tles" / "*.tle"))), store)
    assert not report.rejected and report.new > 9000
    yield store
    store.close()


@pytest.mark.parametrize("norad_id", STARLINKS)
def test_starlinks_are_marked_for_monte_carlo_a_month_before(validation_store, norad_id):
    """The screen (fast) must hand each Starlink to the Monte Carlo 30 days out; the ranking
    itself needs the full pipeline (slow test below).  The screen-engine Monte Carlo is
    biased late on these (+9 to +26 days: constant as-of space weather), so it is not used
    to rank here."""
    truth = _truths()[norad_id]
    result = watch(validation_store, as_of_utc=truth - timedelta(days=30), workers=0,
                   samples=20, seed=1, engine="screen", record=False)  # fmt: skip
    out = result.screen
    k = list(out.norad_id).index(norad_id)
    assert out.status[k] == 1  # candidate
    assert result.candidates <= 2  # of 7 objects: the other histories are stale by then
    assert norad_id in {e.norad_id for e in result.objects} | set(result.beyond)


@pytest.mark.slow
@pytest.mark.parametrize("norad_id", STARLINKS)
def test_starlinks_full_pipeline_replay(validation_store, client, norad_id):
    truth = _truths()[norad_id]
    result = watch(validation_store, as_of_utc=truth - timedelta(days=30), client=client,
                   samples=100, seed=1, engine="predict", record=False)  # fmt: skip
    entry = next(e for e in result.objects if e.norad_id == norad_id)
    assert entry.rank <= 2 and entry.engine == "predict"
    assert entry.p05_utc <= truth <= entry.p95_utc
