"""The local web service: API schemas, refusals, limits and the background job manager.

Real computations (exposure of the bundled ISS) run through the API; the job manager is also
exercised with small job kinds defined here (they sleep, fail on request and report
progress), in threads and in worker processes, so cancellation and timeouts are tested on
jobs that would otherwise run for tens of seconds.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, Field

from deorbit.errors import InputError
from deorbit.jobs import exposure_job, run_exposure
from deorbit.service.app import create_app
from deorbit.service.exposure import EXPOSURE_CACHE
from deorbit.service.objects import check_object_spec
from deorbit.service.registry import REGISTRY, JobKind

BASE = "http://127.0.0.1"


# -- job kinds for testing the manager (module level: workers import them by name) ------------
class SleepParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(0.2, ge=0, le=60)
    fail: bool = False


def sleepy(params: SleepParams, progress) -> dict:
    """Sleep in 20 steps, reporting progress; fail with an InputError when asked to."""
    steps = 20
    for i in range(steps):
        progress(i / steps, f"step {i + 1} of {steps}")
        time.sleep(params.seconds / steps)
    if params.fail:
        raise InputError("asked to fail", field="fail")
    return {"slept_s": params.seconds}


def _kinds(isolation: str, timeout_s: float = 60.0) -> dict[str, JobKind]:
    kind = JobKind(
        name="sleep",
        params=SleepParams,
        run=sleepy,
        summary="sleeps",
        isolation=isolation,  # type: ignore[arg-type]
        timeout_s=timeout_s,
    )
    return {"sleep": kind}


@pytest.fixture
def client():
    with TestClient(create_app(), base_url=BASE) as c:
        yield c


def _wait(c: TestClient, job_id: str, timeout_s: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        doc = c.get(f"/api/jobs/{job_id}", params={"wait": 2}).json()
        if doc["status"] in ("succeeded", "failed", "cancelled") or time.monotonic() > deadline:
            return doc


# -- plain routes ----------------------------------------------------------------------------
def test_health_openapi_and_no_cdn_docs(client):
    health = client.get("/api/health").json()
    assert health["status"] == "ok"
    assert {"exposure", "predict"} <= set(health["kinds"])
    spec = client.get("/openapi.json").json()
    for path in ("/api/exposure", "/api/predict", "/api/objects", "/api/jobs/{job_id}"):
        assert path in spec["paths"], path
    # Swagger UI would load its scripts from a CDN; the service stays offline.
    assert client.get("/docs").status_code == 404


def test_exposure_is_the_cli_json(client):
    r = client.get("/api/exposure", params={"object": "ISS", "days": 2})
    assert r.status_code == 200
    got = r.json()
    want = json.loads(json.dumps(exposure_job(run_exposure("ISS", days=2))))
    got["object"].pop("element_age_days")
    want["object"].pop("element_age_days")
    assert got == want


def test_exposure_names_and_numbers_share_one_cached_answer(client):
    first = client.get("/api/exposure", params={"object": "25544", "days": 1.5})
    hits = client.get("/api/health").json()["exposure_cache"]["hits"]
    for spec in ("ISS", "iss (zarya)", "ZARYA"):
        r = client.get("/api/exposure", params={"object": spec, "days": 1.5})
        assert r.status_code == 200
        assert r.content == first.content
    assert client.get("/api/health").json()["exposure_cache"]["hits"] >= hits + 3


def test_exposure_gzip_when_accepted(client):
    r = client.get("/api/exposure", params={"days": 1}, headers={"accept-encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    raw = client.get("/api/exposure", params={"days": 1}, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert r.json() == raw.json()
    assert gzip.compress(raw.content)  # both decode to the same document


@pytest.mark.parametrize(
    "spec",
    ["../etc/passwd", "/etc/passwd", "C:\\boot.ini", "~root", "elements.tle", "a/b", ".hidden"],
)
def test_path_like_objects_are_refused(client, spec):
    for route in ("/api/exposure", "/api/predict"):
        r = client.get(route, params={"object": spec})
        assert r.status_code == 400, (route, spec, r.text)
        assert "path" in r.json()["detail"]
        assert r.json()["field"] == "object"


def test_a_file_named_like_an_object_is_never_read(client, tmp_path, monkeypatch):
    """The CLI would load ./SECRET as an element file; the service must not even look."""
    tle = (Path(__file__).parent / "data" / "formats" / "iss.tle").read_text()
    (tmp_path / "SECRET").write_text(tle)
    monkeypatch.chdir(tmp_path)
    r = client.get("/api/exposure", params={"object": "SECRET", "days": 1})
    assert r.status_code == 404
    assert "unknown object" in r.json()["detail"]


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"object": "NO SUCH SATELLITE"}, 404, None),
        ({"object": "99999"}, 404, None),
        ({"object": "0"}, 400, "object"),
        ({"object": "ISS<script>"}, 400, "object"),
        ({"object": "x" * 65}, 400, "object"),
        ({"days": -1}, 400, "days"),
        ({"days": 1000}, 400, "days"),
        ({"days": "many"}, 400, "days"),
        ({"step": 0.5}, 400, "step"),
        ({"days": 300, "step": 1}, 400, "step"),
        ({"start": "yesterday-ish"}, 400, "start"),
        ({"colour": "red"}, 400, "colour"),
    ],
)
def test_bad_exposure_requests(client, params, status, field):
    r = client.get("/api/exposure", params=params)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["detail"]
    if field is not None:
        assert body["field"] == field


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"samples": -5}, 400, "samples"),
        ({"samples": 0}, 400, "samples"),
        ({"samples": 5001}, 400, "samples"),
        ({"samples": 10**9}, 400, "samples"),
        ({"samples": "lots"}, 400, "samples"),
        ({"seed": -1}, 400, "seed"),
        ({"object": "NOT A SATELLITE"}, 404, None),
        ({"mass_kg": 1000}, 400, "--mass-kg"),
        ({"as_of": "soon"}, 400, "as_of"),
        ({"space_weather": "guess"}, 400, "space_weather"),
        ({"stop_alt_km": 500}, 400, "stop_alt_km"),
    ],
)
def test_bad_predict_requests(client, params, status, field):
    r = client.get("/api/predict", params=params)
    assert r.status_code == status, r.text
    if field is not None:
        assert r.json()["field"] == field
    body = client.post("/api/jobs/predict", json=params)
    assert body.status_code == status, body.text


def test_predict_get_starts_one_job_and_delete_cancels_it(client):
    r = client.get("/api/predict", params={"object": "ISS", "samples": 3, "seed": 7})
    assert r.status_code == 202
    job = r.json()
    assert r.headers["location"] == f"/api/jobs/{job['id']}"
    assert job["kind"] == "predict"
    assert job["params"]["object"] == "25544"  # the name became a catalogue number
    again = client.get("/api/predict", params={"object": "25544", "samples": 3, "seed": 7})
    assert again.json()["id"] == job["id"]  # same question, same job
    cancelled = client.delete(f"/api/jobs/{job['id']}")
    assert cancelled.status_code in (200, 409)  # 409: it had already finished
    doc = client.get(f"/api/jobs/{job['id']}").json()
    if cancelled.status_code == 200:
        assert doc["status"] == "cancelled"
    listed = client.get("/api/jobs").json()["jobs"]
    assert job["id"] in [j["id"] for j in listed]


def test_track_and_countries_for_the_map(client):
    track = client.get("/api/track", params={"object": "ISS", "hours": 3}).json()
    assert track["object"]["norad_id"] == 25544
    assert track["step_s"] == 60.0
    assert 170 <= len(track["lat_deg"]) <= 181
    assert len(track["lat_deg"]) == len(track["lon_deg"]) == len(track["t_unix_s"])
    assert max(abs(x) for x in track["lat_deg"]) <= track["max_lat_deg"] + 0.5
    assert client.get("/api/track", params={"hours": 100}).status_code == 400

    r = client.get("/api/countries.geojson")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    assert len(r.content) < 600_000
    geo = r.json()
    codes = {f["properties"]["adm0_a3"] for f in geo["features"]}
    exposure = client.get("/api/exposure", params={"days": 1}).json()
    assert {row["adm0_a3"] for row in exposure["countries"]} <= codes
    assert all(f["geometry"]["coordinates"] for f in geo["features"])


def test_object_search(client):
    assert client.get("/api/objects", params={"q": "iss"}).json()["objects"][0]["norad_id"] == 25544
    assert client.get("/api/objects").json()["objects"][0]["source"] == "bundled"
    assert client.get("/api/objects", params={"q": "25544"}).json()["objects"][0]["name"]
    assert client.get("/api/objects", params={"q": "zz-nothing"}).json()["objects"] == []
    assert client.get("/api/objects", params={"q": "../x"}).status_code == 400


def test_object_search_and_exposure_find_the_local_store(client):
    """Objects in the local element store can be searched and used by name."""
    from deorbit.objects import bundled_history
    from deorbit.store import ElementStore

    iss = bundled_history(25544)[-3:]
    tianhe = [dataclasses.replace(es, norad_id=48274, name="CSS (TIANHE)") for es in iss]
    with ElementStore() as store:
        store.add(tianhe, source="test", fetched_utc=tianhe[-1].epoch_utc)
    found = client.get("/api/objects", params={"q": "tianhe"}).json()["objects"]
    assert [(o["norad_id"], o["source"]) for o in found] == [(48274, "local store")]
    r = client.get("/api/exposure", params={"object": "CSS (TIANHE)", "days": 1})
    assert r.status_code == 200, r.text
    assert r.json()["object"]["norad_id"] == 48274


def test_check_object_spec_normalises_and_refuses():
    assert check_object_spec("  iss   (zarya) ") == "iss (zarya)"
    for bad in ("", "   ", "a\0b", "x:y", "..", "foo.JSON"):
        with pytest.raises(InputError):
            check_object_spec(bad)


# -- limits and headers ----------------------------------------------------------------------
def test_limits_and_security_headers(client):
    big = client.post(
        "/api/jobs/predict",
        content=b"{" + b" " * 20_000 + b"}",
        headers={"content-type": "application/json"},
    )
    assert big.status_code == 413
    long_query = client.get("/api/objects", params={"q": "a" * 3000})
    assert long_query.status_code == 414
    evil = client.get("/api/health", headers={"host": "attacker.example"})
    assert evil.status_code == 400  # DNS-rebinding guard
    r = client.get("/api/health", headers={"origin": "http://attacker.example"})
    assert "access-control-allow-origin" not in r.headers  # no CORS
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_dashboard_pages_are_served(client):
    index = client.get("/")
    assert index.status_code == 200
    assert '<script src="/static/app.js">' in index.text
    js = client.get("/static/app.js")
    assert js.status_code == 200 and len(js.content) > 50_000
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/static/../report.py").status_code == 404


# -- the job manager -------------------------------------------------------------------------
@pytest.mark.parametrize("isolation", ["thread", "process"])
def test_job_succeeds_with_progress(isolation):
    with TestClient(create_app(registry=_kinds(isolation)), base_url=BASE) as c:
        r = c.post("/api/jobs/sleep", json={"seconds": 0.4})
        assert r.status_code == 202
        doc = _wait(c, r.json()["id"])
        assert doc["status"] == "succeeded", doc
        assert doc["result"] == {"slept_s": 0.4}
        assert doc["progress"] == 1.0
        assert doc["runtime_s"] >= 0.4
        # the finished job is reused for the same parameters
        again = c.post("/api/jobs/sleep", json={"seconds": 0.4})
        assert again.status_code == 200 and again.json()["id"] == doc["id"]
        # and the GET alias of the kind answers the same
        assert c.get("/api/sleep", params={"seconds": 0.4}).json()["id"] == doc["id"]


@pytest.mark.parametrize("isolation", ["thread", "process"])
def test_job_failure_carries_the_message(isolation):
    with TestClient(create_app(registry=_kinds(isolation)), base_url=BASE) as c:
        job = c.post("/api/jobs/sleep", json={"seconds": 0.1, "fail": True}).json()
        doc = _wait(c, job["id"])
        assert doc["status"] == "failed"
        assert doc["error"]["input_error"] is True
        assert "asked to fail" in doc["error"]["message"]
        # a failed job is not reused: the same request runs again
        assert (
            c.post("/api/jobs/sleep", json={"seconds": 0.1, "fail": True}).json()["id"] != job["id"]
        )


@pytest.mark.parametrize("isolation", ["thread", "process"])
def test_cancel_a_running_job(isolation):
    with TestClient(create_app(registry=_kinds(isolation)), base_url=BASE) as c:
        job = c.post("/api/jobs/sleep", json={"seconds": 30}).json()
        deadline = time.monotonic() + 20
        while c.get(f"/api/jobs/{job['id']}").json()["message"].startswith(("start", "queued")):
            assert time.monotonic() < deadline, "job never reported progress"
            time.sleep(0.05)
        t0 = time.monotonic()
        r = c.delete(f"/api/jobs/{job['id']}")
        assert r.status_code == 200
        assert r.json()["status"] == "cancelled"
        assert time.monotonic() - t0 < 5
        assert c.delete(f"/api/jobs/{job['id']}").status_code == 409


def test_process_job_timeout():
    with TestClient(create_app(registry=_kinds("process", timeout_s=1.0)), base_url=BASE) as c:
        job = c.post("/api/jobs/sleep", json={"seconds": 30}).json()
        doc = _wait(c, job["id"], timeout_s=30)
        assert doc["status"] == "failed"
        assert doc["error"]["type"] == "Timeout"


def test_bounded_queue_and_queued_cancel():
    app = create_app(registry=_kinds("thread"), max_running_jobs=1, max_queued_jobs=1)
    with TestClient(app, base_url=BASE) as c:
        running = c.post("/api/jobs/sleep", json={"seconds": 5}).json()
        queued = c.post("/api/jobs/sleep", json={"seconds": 5.1}).json()
        assert c.get(f"/api/jobs/{queued['id']}").json()["status"] == "queued"
        refused = c.post("/api/jobs/sleep", json={"seconds": 5.2})
        assert refused.status_code == 429
        assert refused.headers["retry-after"]
        assert c.get("/api/health").json()["jobs"] == {
            "running": 1,
            "queued": 1,
            "max_running": 1,
            "max_queued": 1,
        }
        assert c.delete(f"/api/jobs/{queued['id']}").json()["status"] == "cancelled"
        c.delete(f"/api/jobs/{running['id']}")


def test_unknown_kind_and_job(client):
    r = client.post("/api/jobs/footprint", json={})
    assert r.status_code == 404
    assert "predict" in r.json()["detail"]
    assert client.get("/api/jobs/0123456789abcdef").status_code == 404
    kinds = client.get("/api/jobs/kinds").json()["kinds"]
    predict = next(k for k in kinds if k["name"] == "predict")
    assert predict["params_schema"]["properties"]["samples"]["maximum"] == 5000


def test_job_events_stream():
    with TestClient(create_app(registry=_kinds("thread")), base_url=BASE) as c:
        job = c.post("/api/jobs/sleep", json={"seconds": 0.3}).json()
        with c.stream("GET", f"/api/jobs/{job['id']}/events") as r:
            text = "".join(r.iter_text())
        assert "event: progress" in text
        assert "event: end" in text
        end = text.split("event: end\ndata: ")[1].split("\n")[0]
        assert json.loads(end)["status"] == "succeeded"


def test_exposure_kind_runs_as_a_job(client):
    job = client.post("/api/jobs/exposure", json={"object": "ISS", "days": 1}).json()
    doc = _wait(client, job["id"])
    assert doc["status"] == "succeeded"
    assert doc["result"]["object"]["norad_id"] == 25544
    assert doc["extras"]["track"]["lat_deg"]


def test_default_registry_has_the_shipped_kinds():
    assert REGISTRY["predict"].isolation == "process"
    assert REGISTRY["exposure"].isolation == "thread"
    EXPOSURE_CACHE.clear()
    assert EXPOSURE_CACHE.stats()["entries"] == 0


def test_predict_job_end_to_end(client):
    """A real (small) Monte Carlo prediction through the API, in a worker process."""
    r = client.post("/api/jobs/predict", json={"object": "ISS", "samples": 4, "seed": 3})
    assert r.status_code == 202
    doc = _wait(client, r.json()["id"], timeout_s=900)
    assert doc["status"] == "succeeded", doc["error"]
    result = doc["result"]
    assert result["object"]["norad_id"] == 25544
    assert result["reentry"]["samples"] == 4
    assert {"as_of_utc", "assumptions", "warnings", "ballistic_coefficient_method"} <= set(result)
    curve = doc["extras"]["decay_curve"]
    assert curve["samples"] == 4
    assert curve["nominal"]["t_unix_s"] and curve["observed"]["t_unix_s"]
    if result["reentry"]["median_utc"] is not None:
        assert curve["window"]["median_unix_s"] is not None


def test_risk_job_long_run(client):
    """The risk kind is registered and answers with the CLI's schema."""
    r = client.post(
        "/api/jobs/risk",
        json={"object": "ISS", "mode": "long-run", "samples": 500, "casualty_area_m2": 40},
    )
    assert r.status_code == 202, r.text
    doc = _wait(client, r.json()["id"], timeout_s=600)
    assert doc["status"] == "succeeded", doc["error"]
    result = doc["result"]
    assert result["casualty_area_m2"] > 0
    assert result["land_probability"] + result["ocean_probability"] == pytest.approx(1.0)
    assert {"adm0_a3", "name", "probability", "casualty_expectation"} <= set(result["countries"][0])


def test_risk_job_rejects_bad_windows(client):
    r = client.post(
        "/api/jobs/risk",
        json={
            "object": "ISS",
            "mode": "window",
            "window_start": "2026-01-02T00:00Z",
            "window_end": "2026-01-01T00:00Z",
        },
    )
    assert r.status_code == 400
    assert "before it starts" in r.json()["detail"]


def test_reboost_and_deorbit_plan_kinds(client):
    kinds = {k["name"] for k in client.get("/api/jobs/kinds").json()["kinds"]}
    assert {"exposure", "predict", "risk", "reboost", "deorbit-plan"} <= kinds
    r = client.post("/api/jobs/reboost", json={"object": "ISS", "years": 0.25})
    assert r.status_code == 202, r.text
    doc = _wait(client, r.json()["id"], timeout_s=600)
    assert doc["status"] == "succeeded", doc["error"]
    assert doc["result"]["delta_v_m_s_per_year"] > 0
    bad = client.post(
        "/api/jobs/reboost", json={"object": "ISS", "band_low_km": 420, "band_high_km": 410}
    )
    assert bad.status_code == 400


# -- the catalogue watch ------------------------------------------------------------------------
VALIDATION = Path(__file__).resolve().parents[2] / "shared" / "validation"


@pytest.fixture(scope="module")
def starlink_store(tmp_path_factory) -> Path:
    """An element store holding STARLINK-26 (44240), which re-entered on 2021-04-10."""
    from deorbit.catalogue.ingest import ingest_files
    from deorbit.store import ElementStore

    tle = VALIDATION / "tles" / "44240.tle"
    if not tle.is_file():
        pytest.skip("../shared/validation/tles/44240.tle is not beside the repository")
    path = tmp_path_factory.mktemp("watch-store") / "elements.sqlite"
    with ElementStore(path) as store:
        ingest_files([tle], store)
    return path


def test_watch_job_ranks_the_store(starlink_store):
    """Replayed a month before its re-entry, STARLINK-26 is on the watchlist."""
    with TestClient(create_app(store_path=starlink_store), base_url=BASE) as c:
        assert "watch" in c.get("/api/health").json()["kinds"]
        r = c.post(
            "/api/jobs/watch",
            json={"as_of": "2021-03-10T00:00Z", "days": 60, "samples": 8, "seed": 2},
        )
        assert r.status_code == 202, r.text
        doc = _wait(c, r.json()["id"], timeout_s=900)
        assert doc["status"] == "succeeded", doc["error"]
        result = doc["result"]
        assert result["as_of_utc"] == "2021-03-10T00:00:00Z"
        assert result["samples"] == 8 and result["screened"] >= 1
        (entry,) = [o for o in result["objects"] if o["norad_id"] == 44240]
        assert entry["rank"] >= 1 and entry["reentry"]["median_utc"].startswith("2021-0")
        # the same parameters by query string find the same job
        again = c.get(
            "/api/watch", params={"as_of": "2021-03-10T00:00Z", "days": 60, "samples": 8, "seed": 2}
        )
        assert again.status_code == 200 and again.json()["id"] == doc["id"]


def test_watch_without_a_store_says_to_ingest(tmp_path):
    missing = tmp_path / "nothing-here.sqlite"
    with TestClient(create_app(store_path=missing), base_url=BASE) as c:
        r = c.post("/api/jobs/watch", json={"days": 10})
        assert r.status_code == 400
        assert "no element store at" in r.json()["detail"]
        assert "deorbit ingest" in r.json()["detail"]
        assert r.json()["field"] == "store"
    assert not missing.exists()  # the service never creates the store


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"days": 0}, "days"),
        ({"days": 10_000}, "days"),
        ({"samples": 100_000}, "samples"),
        ({"samples": 0}, "samples"),
        ({"seed": -1}, "seed"),
        ({"as_of": "yesterday-ish"}, "as_of"),
        ({"engine": "dask"}, "engine"),
        ({"db": "/etc/passwd"}, "db"),
        ({"store": "elements.sqlite"}, "store"),
    ],
)
def test_bad_watch_requests(starlink_store, params, field):
    with TestClient(create_app(store_path=starlink_store), base_url=BASE) as c:
        r = c.post("/api/jobs/watch", json=params)
        assert r.status_code == 400, r.text
        assert r.json()["field"] == field
