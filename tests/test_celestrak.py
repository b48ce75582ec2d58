"""The CelesTrak GP client against a real HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from deorbit.celestrak import (
    USER_AGENT,
    CelestrakError,
    GPQuery,
    base_url,
    fetch_gp,
    gp_url,
)
from deorbit.errors import FetchError, InputError, UnknownObjectError
from deorbit.objects import bundled_history
from httpserver import GP_PATH, FakeCelestrak, LocalHTTPServer, Reply, gp_record

ISS = bundled_history(25544)[-1]
TIANHE = replace(ISS, norad_id=48274, name="CSS (TIANHE)", intl_designator="2021-035A")
ISS_DEB = replace(ISS, norad_id=49863, name="ISS DEB", intl_designator="1998-067SX")


@pytest.fixture
def server(monkeypatch):
    with LocalHTTPServer() as srv:
        monkeypatch.setenv("DEORBIT_CELESTRAK_URL", srv.url + "/")
        yield srv


@pytest.fixture
def celestrak(server):
    fake = FakeCelestrak([ISS, TIANHE, ISS_DEB], groups={"stations": [25544, 48274]})
    fake.install(server)
    return fake


# -- GPQuery ---------------------------------------------------------------------------------
def test_query_keys_are_canonical():
    assert GPQuery("CATNR", "025544").key == "CATNR=25544"
    assert GPQuery.catnr(25544) == GPQuery("catnr", " 25544 ")
    assert GPQuery.name("  iss  (zarya) ").key == "NAME=ISS (ZARYA)"
    assert GPQuery.group("Stations").key == "GROUP=stations"
    assert GPQuery.group("last-30-days").key == "GROUP=last-30-days"
    for key in ("CATNR=25544", "NAME=ISS (ZARYA)", "GROUP=active"):
        assert GPQuery.parse(key).key == key
    assert GPQuery.catnr(25544).norad_id == 25544
    assert GPQuery.name("ISS").norad_id is None


@pytest.mark.parametrize(
    ("kind", "value", "needle"),
    [
        ("CATNR", "abc", "not an integer"),
        ("CATNR", "0", "1..339999"),
        ("CATNR", "400000", "1..339999"),
        ("NAME", "   ", "empty"),
        ("GROUP", "stations&FORMAT=tle", "not a group name"),
        ("INTDES", "1998-067A", "unknown CelesTrak query kind"),
    ],
)
def test_invalid_queries_are_input_errors(kind, value, needle):
    with pytest.raises(InputError, match=needle):
        GPQuery(kind, value)


def test_parse_rejects_text_without_equals():
    with pytest.raises(InputError, match="KIND=VALUE"):
        GPQuery.parse("25544")


def test_url_uses_env_base_and_encodes_values(monkeypatch):
    monkeypatch.setenv("DEORBIT_CELESTRAK_URL", "http://example.invalid:8080/")
    assert base_url() == "http://example.invalid:8080"
    assert gp_url(GPQuery.catnr(25544)) == (
        "http://example.invalid:8080/NORAD/elements/gp.php?CATNR=25544&FORMAT=json"
    )
    assert gp_url(GPQuery.name("ISS (ZARYA)"), "https://x.org") == (
        "https://x.org/NORAD/elements/gp.php?NAME=ISS+%28ZARYA%29&FORMAT=json"
    )
    monkeypatch.delenv("DEORBIT_CELESTRAK_URL")
    assert base_url() == "https://celestrak.org"


# -- successful fetches ----------------------------------------------------------------------
def test_catnr_fetch_round_trips_the_bundled_set(celestrak, server):
    response = fetch_gp(GPQuery.catnr(25544), timeout_s=5)
    assert response.elements == [ISS]  # every field, through JSON and the GP parser
    assert response.norad_ids == [25544]
    assert response.url == f"{server.url}/NORAD/elements/gp.php?CATNR=25544&FORMAT=json"
    assert response.elements[0].source == response.url
    assert response.fetched_utc.tzinfo is not None
    request = server.requests[-1]
    assert request.path == GP_PATH
    assert request.query == {"CATNR": ["25544"], "FORMAT": ["json"]}
    assert request.headers["User-Agent"] == USER_AGENT
    assert "deorbit" in USER_AGENT


def test_name_fetch_returns_every_match(celestrak):
    response = fetch_gp(GPQuery.name("iss"), timeout_s=5)
    assert response.norad_ids == [25544, 49863]
    assert {es.name for es in response.elements} == {"ISS (ZARYA)", "ISS DEB"}


def test_group_fetch(celestrak, server):
    response = fetch_gp(GPQuery.group("stations"), timeout_s=5)
    assert response.norad_ids == [25544, 48274]
    assert server.requests[-1].query["GROUP"] == ["stations"]


def test_gzip_answers_are_decompressed(server):
    server.route(GP_PATH, Reply(200, json.dumps([gp_record(ISS)]).encode(), gzip=True))
    assert fetch_gp(GPQuery.catnr(25544), timeout_s=5).elements == [ISS]


def test_now_utc_stamps_the_fetch(celestrak):
    now = datetime(2025, 12, 1, 12, tzinfo=UTC)
    response = fetch_gp(GPQuery.catnr(25544), timeout_s=5, now_utc=now)
    assert response.fetched_utc == now


def test_lenient_skips_bad_records_strict_fails(server):
    bad = gp_record(ISS_DEB) | {"ECCENTRICITY": 2.5}
    body = json.dumps([gp_record(ISS), bad]).encode()
    server.route(GP_PATH, Reply(200, body))
    response = fetch_gp(GPQuery.name("ISS"), timeout_s=5, lenient=True)
    assert response.elements == [ISS]
    assert len(response.skipped) == 1
    with pytest.raises(FetchError, match=r"bad GP record: .*eccentricity"):
        fetch_gp(GPQuery.name("ISS"), timeout_s=5)


# -- failures ---------------------------------------------------------------------------------
ONE = json.dumps([gp_record(ISS)]).encode()

BAD_REPLIES = {
    "http-500": (Reply(500, b"oops", content_type="text/plain"), r"HTTP 500 .*server error"),
    "http-403": (Reply(403, b"Forbidden", content_type="text/html"), r"HTTP 403 .*poll too often"),
    "http-429": (
        Reply(429, b"slow down", headers={"Retry-After": "7200"}),
        r"HTTP 429 .*Retry-After: 7200",
    ),
    "http-404": (Reply(404, b"", content_type="text/plain"), r"HTTP 404 .*DEORBIT_CELESTRAK_URL"),
    "empty": (Reply(200, b""), r"empty answer"),
    "blank": (Reply(200, b" \n\t\n"), r"empty answer"),
    "garbage": (Reply(200, bytes(range(256)) * 4), r"not text"),
    "ascii-garbage": (Reply(200, b"x1!@#$%^&*()zzz"), r"invalid JSON"),
    "html": (
        Reply(200, b"<!DOCTYPE html><html><body>Captive portal</body></html>", "text/html"),
        r"HTML/XML page instead of JSON",
    ),
    "truncated-json": (Reply(200, ONE[: len(ONE) // 2]), r"invalid JSON .*truncated"),
    "json-object": (Reply(200, b'{"error": "rate limited"}'), r"not a list of GP records"),
    "json-list-of-numbers": (Reply(200, b"[1, 2, 3]"), r"list containing int"),
    "json-wrong-keys": (Reply(200, b'[{"name": "ISS"}]'), r"lack NORAD_CAT_ID or EPOCH"),
    "wrong-object": (
        Reply(200, json.dumps([gp_record(TIANHE)]).encode()),
        r"catalogue number\(s\) 48274 instead of 25544",
    ),
    "truncated-transfer": (
        Reply(200, ONE, truncate=True),
        r"connection closed early: got \d+ of \d+ bytes",
    ),
    "corrupt-gzip": (
        Reply(200, b"\x1f\x8b\x08\x00garbage", headers={"Content-Encoding": "gzip"}),
        r"gzip",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_REPLIES))
def test_bad_answers_become_one_line_fetch_errors(server, case):
    reply, pattern = BAD_REPLIES[case]
    server.route(GP_PATH, reply)
    query = GPQuery.catnr(25544)
    with pytest.raises(FetchError, match=pattern) as info:
        fetch_gp(query, timeout_s=5)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"CelesTrak CATNR=25544 ({gp_url(query)}): ")
    assert isinstance(info.value, CelestrakError)
    assert info.value.reason and info.value.reason in message
    assert info.value.exit_code == 2


@pytest.mark.parametrize("body", [b"No GP data found", b"No GP data found\n", b"[]"])
def test_no_gp_data_is_unknown_object(server, body):
    server.route(GP_PATH, Reply(200, body, content_type="text/plain"))
    with pytest.raises(UnknownObjectError, match=r"no GP data for CATNR=99999 .*decayed") as info:
        fetch_gp(GPQuery.catnr(99999), timeout_s=5)
    assert "gp.php?CATNR=99999" in str(info.value)


def test_unknown_name_from_fake_is_unknown_object(celestrak):
    with pytest.raises(UnknownObjectError, match="NAME=NOSUCHSAT"):
        fetch_gp(GPQuery.name("nosuchsat"), timeout_s=5)


def test_slow_server_times_out_quickly(server):
    server.route(GP_PATH, Reply(200, ONE, delay_s=3.0))
    start = time.monotonic()
    with pytest.raises(FetchError, match=r"timed out after 0.3 s"):
        fetch_gp(GPQuery.catnr(25544), timeout_s=0.3)
    assert time.monotonic() - start < 2.0


def test_connection_refused_is_a_fetch_error():
    # conftest points DEORBIT_CELESTRAK_URL at the discard port, where nothing listens.
    with pytest.raises(FetchError, match=r"cannot connect") as info:
        fetch_gp(GPQuery.catnr(25544), timeout_s=2)
    assert "127.0.0.1:9" in str(info.value)


def test_unresolvable_host_is_a_fetch_error():
    with pytest.raises(FetchError, match=r"cannot connect|connection failed"):
        fetch_gp(GPQuery.catnr(25544), base="http://deorbit-test.invalid", timeout_s=2)


def test_malformed_base_url_is_a_fetch_error():
    with pytest.raises(FetchError, match=r"CelesTrak CATNR=25544"):
        fetch_gp(GPQuery.catnr(25544), base="htp:/nonsense", timeout_s=2)
