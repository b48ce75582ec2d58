"""End to end in a real headless Chromium: the dashboard served by uvicorn, and the report file.

Needs Debian's ``chromium`` and ``chromium-driver`` (``apt-get install -y chromium
chromium-driver``) and the ``selenium`` package.  Skipped only when the browser or its
driver is missing, and the reason says so.  The server is a real uvicorn process on a free
loopback port, with the test's isolated cache and data folders.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="headless Chromium is not installed (apt-get install -y chromium chromium-driver)",
)


#: STARLINK-26's element history (re-entered 2021-04-10), beside the repository.
STARLINK_TLE = Path(__file__).resolve().parents[2] / "shared" / "validation" / "tles" / "44240.tle"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """uvicorn serving create_app() on 127.0.0.1:<free port>, in its own process."""
    home = tmp_path_factory.mktemp("served")
    env = dict(os.environ)
    env["DEORBIT_CACHE_DIR"] = str(home / "cache")
    env["DEORBIT_DATA_DIR"] = str(home / "data")
    env["DEORBIT_CELESTRAK_URL"] = "http://127.0.0.1:9/"
    if STARLINK_TLE.is_file():  # a real element store for the watchlist page
        from deorbit.catalogue.ingest import ingest_files
        from deorbit.store import ElementStore

        with ElementStore(home / "data" / "elements.sqlite") as store:
            ingest_files([STARLINK_TLE], store)
    port = _free_port()
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
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            out = proc.stdout.read().decode() if proc.stdout else ""
            proc.kill()
            pytest.fail(f"uvicorn did not start: {out}")
        time.sleep(0.2)
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def browser(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1300,1800",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _wait_for(driver, script: str, timeout_s: float = 90.0):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout_s, poll_frequency=0.2).until(
        lambda d: d.execute_script(script)
    )


def _errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


MAP_DRAWN = "const m = document.getElementById('map'); return m && m.dataset.rendered === 'true';"


def test_iss_dashboard_renders_map_and_table(server, browser, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/#/object/25544?days=3")
    _wait_for(browser, MAP_DRAWN)
    paths = browser.find_elements(By.CSS_SELECTOR, "#map svg path")
    countries = int(
        browser.execute_script("return document.getElementById('map').dataset.countries")
    )
    assert countries > 200
    # every country, the two band lines and the track are SVG paths
    assert len(paths) >= countries + 3
    assert (
        int(browser.execute_script("return document.getElementById('map').dataset.trackLines")) > 5
    )
    table = browser.find_element(By.ID, "country-table").text
    assert "Russia" in table and "China" in table
    # the numbers in the page are the API's
    api = httpx.get(f"{server}/api/exposure", params={"object": "ISS", "days": 3}).json()
    main = browser.find_element(By.TAG_NAME, "main").text
    assert f"±{api['max_lat_deg']:.2f}°" in main
    assert f"{100 * api['countries'][0]['fraction']:.3f}%" in table
    # the ISS page places "reboosts stop" beside the controlled deorbit, run as two jobs
    comparison = browser.find_element(By.ID, "iss-comparison").text
    assert "Reboosts stop" in comparison and "Controlled deorbit" in comparison
    for row in ("E_c ÷ 1e-4 limit", "P(footprint inside the target zone)", "Δv", "Russia", "EU27"):
        assert row in comparison or row.replace("EU27", "European Union (27)") in comparison
    assert "not run yet" in comparison
    shot = tmp_path / "iss-dashboard.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 20_000
    assert _errors(browser) == []


def test_search_and_watchlist_pages(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/#/")
    _wait_for(browser, "return document.querySelectorAll('.results a').length > 0;")
    link = browser.find_element(By.CSS_SELECTOR, ".results a")
    assert "ISS" in link.text
    link.click()
    _wait_for(browser, MAP_DRAWN)
    browser.get(f"{server}/#/object/NOSUCHTHING")
    _wait_for(browser, "return !!document.getElementById('page-error');")
    assert "unknown object" in browser.find_element(By.ID, "page-error").text


def test_watchlist_ranks_the_store(server, browser):
    """The watchlist page runs the watch job and lists the ranked objects of the store."""
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/#/watchlist")
    _wait_for(browser, "return !!document.getElementById('watch-status');")
    status = browser.find_element(By.ID, "watch-status").text
    if not STARLINK_TLE.is_file():
        # no store in the served home: the page says so, and so does a run
        assert "No element store yet" in status
        browser.find_element(By.ID, "watch-button").click()
        _wait_for(browser, "return !!document.querySelector('.jobstatus .error');")
        assert "deorbit ingest" in browser.find_element(By.CSS_SELECTOR, ".jobstatus .error").text
        return
    assert "Ranks the objects" in status
    browser.find_element(By.NAME, "as_of").send_keys("2021-03-10T00:00Z")
    days = browser.find_element(By.NAME, "days")
    days.clear()
    days.send_keys("60")
    samples = browser.find_element(By.NAME, "samples")
    samples.clear()
    samples.send_keys("8")
    browser.find_element(By.ID, "watch-button").click()
    _wait_for(browser, "return !!document.getElementById('watch-table');", 300)
    table = browser.find_element(By.ID, "watch-table").text
    assert "44240" in table and "2021-0" in table
    assert "2021-03-10 00:00:00 UTC" in browser.find_element(By.ID, "watch-summary").text
    assert _errors(browser) == []


def test_iss_comparison_runs_both_jobs(server, browser):
    """The "Compare" button runs the risk (no reboosts) and deorbit-plan jobs and fills both columns."""
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/#/object/25544?days=1")
    _wait_for(browser, MAP_DRAWN)
    samples = browser.find_element(By.NAME, "risk-samples")
    samples.clear()
    samples.send_keys("40")
    browser.find_element(By.ID, "compare-button").click()
    filled = (
        "const c = document.querySelector('[data-cell=\"{side}-dv\"]');"
        " return c && !c.textContent.includes('not run yet');"
    )
    _wait_for(browser, filled.format(side="controlled"), 600)
    _wait_for(browser, filled.format(side="uncontrolled"), 600)
    cell = lambda key: browser.find_element(By.CSS_SELECTOR, f"[data-cell='{key}']").text  # noqa: E731
    assert "m/s" in cell("controlled-dv")
    assert "%" in cell("controlled-inside")
    assert "×" in cell("uncontrolled-ratio") and "×" in cell("controlled-ratio")
    assert "%" in cell("uncontrolled-focus-RUS") and "%" in cell("uncontrolled-focus-EU27")
    assert "not computed per country" in cell("controlled-focus-USA")
    api = httpx.get(f"{server}/api/jobs").json()["jobs"]
    risk = [j for j in api if j["kind"] == "risk"]
    assert risk and risk[-1]["params"]["no_reboost"] is True
    assert risk[-1]["params"]["mode"] == "prediction"
    assert _errors(browser) == []


def test_report_file_renders_offline(browser, tmp_path):
    """The report opened from disk draws its map with no server at all."""
    from selenium.webdriver.common.by import By

    from deorbit.report import write_report

    path: Path = write_report("ISS", tmp_path / "iss.html", days=1, samples=0)
    browser.get(path.as_uri())
    _wait_for(browser, MAP_DRAWN, 60)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#map svg path")) > 200
    assert "Russia" in browser.find_element(By.ID, "country-table").text
    browser.save_screenshot(str(tmp_path / "report.png"))
    assert _errors(browser) == []


def test_report_decay_chart_renders(browser, tmp_path):
    """The decay chart (uPlot: band, nominal, element sets, re-entry window) draws from a
    prediction-shaped input, and the re-entry points land on the map."""
    from selenium.webdriver.common.by import By

    from deorbit.jobs import exposure_job, run_exposure
    from deorbit.report import render_report
    from deorbit.service.views import countries_geojson, decay_curve, track_json
    from test_report import _fake_prediction

    run = run_exposure("ISS", days=1)
    fake = _fake_prediction()
    curve = decay_curve(fake)
    prediction = {
        "as_of_utc": "2025-11-29T20:01:44Z",
        "ballistic_coefficient_m2_per_kg": 0.005,
        "ballistic_coefficient_method": "test",
        "reentry": {
            "median_utc": "2026-08-06T20:00:00Z",
            "p05_utc": "2026-06-20T00:00:00Z",
            "p95_utc": "2026-09-20T00:00:00Z",
            "samples": 40,
            "samples_reentered": 40,
            "stop_alt_km": 80.0,
            "remaining_days_median": 250.0,
            "points": [
                {"epoch_utc": "2026-08-06T20:00:00Z", "lat_deg": 10.0 * k, "lon_deg": 30.0 * k}
                for k in range(-4, 5)
            ],
        },
        "assumptions": [],
        "warnings": [],
    }
    html = render_report(exposure_job(run), track_json(run), countries_geojson(), prediction, curve)
    path = tmp_path / "with-prediction.html"
    path.write_text(html, encoding="utf-8")
    browser.get(path.as_uri())
    _wait_for(browser, MAP_DRAWN, 60)
    _wait_for(browser, "return document.getElementById('decay').dataset.rendered === 'true';")
    assert browser.find_elements(By.CSS_SELECTOR, "#decay canvas")
    assert (
        browser.execute_script("return document.getElementById('map').dataset.reentryPoints") == "9"
    )
    browser.save_screenshot(str(tmp_path / "decay.png"))
    assert _errors(browser) == []
