"""CCSDS OMM in KVN and XML: equality with the TLE, and every malformation named."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from deorbit.errors import ElementSetError, InputError
from deorbit.formats import detect_format, load_elements, parse_text
from deorbit.formats.omm import parse_epoch

DATA = Path(__file__).parent / "data" / "formats"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
KVN = (DATA / "iss.kvn").read_text()
XML = (DATA / "iss.xml").read_text()


def parse(text: str, source: str = "t.omm", **kw):
    return parse_text(text, source, now_utc=NOW, **kw)


def error_of(text: str, **kw) -> InputError:
    with pytest.raises(InputError) as info:
        parse(text, **kw)
    return info.value


@pytest.fixture(scope="module")
def iss_from_tle():
    (es,) = load_elements(DATA / "iss.tle", now_utc=NOW).elements
    return es


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("iss.kvn", "omm-kvn"),
        ("iss.xml", "omm-xml"),
        ("iss_namespaced.xml", "omm-xml"),
        ("iss.json", "gp-json"),
        ("iss.csv", "gp-csv"),
    ],
)
def test_same_iss_set_in_every_format_equals_the_tle(iss_from_tle, name, fmt):
    result = load_elements(DATA / name, now_utc=NOW)
    assert result.format == fmt
    es = next(e for e in result.elements if e.norad_id == 25544)
    assert es == iss_from_tle  # every field except source and line
    assert es.source == str(DATA / name)


def test_namespaced_ndm_with_two_omms_keeps_lines():
    result = load_elements(DATA / "iss_namespaced.xml", now_utc=NOW)
    assert [(es.norad_id, es.line) for es in result.elements] == [(25544, 10), (48274, 46)]
    css = result.elements[1]
    assert (css.name, css.intl_designator, css.element_set_no) == ("CSS (TIANHE)", "2021-035A", 999)


def test_several_kvn_messages_in_one_file():
    second = KVN.replace("NORAD_CAT_ID = 25544", "NORAD_CAT_ID = 25545")
    result = parse(KVN + "\n" + second)
    assert [(es.norad_id, es.line) for es in result.elements] == [(25544, 1), (25545, 27)]


def test_epoch_forms():
    expected = datetime(2025, 11, 29, 20, 1, 44, 58144, tzinfo=UTC)
    assert parse_epoch("2025-11-29T20:01:44.058144") == expected
    assert parse_epoch("2025-11-29T20:01:44.058144Z") == expected
    assert parse_epoch("2025-11-29T20:01:44.05814351") == expected  # rounded to the us
    assert parse_epoch("2025-333T20:01:44.058144") == expected  # CCSDS day-of-year form
    assert parse_epoch("2025-12-31T23:59:59.9999996") == datetime(2026, 1, 1, tzinfo=UTC)
    for bad in ("2025-13-01T00:00:00", "2025-11-29", "2025-366T00:00:00", "2025-11-29T20:01:60"):
        with pytest.raises(ValueError):
            parse_epoch(bad)


def test_kvn_missing_mandatory_key():
    text = KVN.replace("ECCENTRICITY = .0003723\n", "")
    err = error_of(text)
    assert isinstance(err, ElementSetError)
    assert (err.source, err.line, err.field) == ("t.omm", 1, "ECCENTRICITY")
    assert "mandatory" in err.message


def test_kvn_bad_value_points_at_its_line():
    err = error_of(KVN.replace("ECCENTRICITY = .0003723", "ECCENTRICITY = 0.00O3723"))
    assert (err.line, err.field) == (13, "ECCENTRICITY")
    err = error_of(KVN.replace("MEAN_MOTION = 15.49193835", "MEAN_MOTION = 0"))
    assert (err.line, err.field) == (12, "MEAN_MOTION") and "not positive" in err.message
    err = error_of(KVN.replace("EPOCH = 2025-11-29T20:01:44.058144", "EPOCH = yesterday"))
    assert (err.line, err.field) == (11, "EPOCH")
    err = error_of(KVN.replace("[deg]", "[rad]", 1))
    assert (err.line, err.field) == (14, "INCLINATION") and "[rad]" in err.message
    err = error_of(KVN.replace("REF_FRAME = TEME", "REF_FRAME = GCRF"))
    assert (err.line, err.field) == (8, "REF_FRAME")
    err = error_of(KVN.replace("BSTAR = .15237E-3", "BSTAR = nan"))
    assert err.field == "BSTAR"
    err = error_of(KVN + "NORAD_CAT_ID = 1\n")
    assert (err.line, err.field) == (26, "NORAD_CAT_ID") and "twice" in err.message
    err = error_of(KVN.replace("ORIGINATOR = 18 SPCS", "ORIGINATOR: 18 SPCS"))
    assert err.line == 4 and "KEYWORD = value" in err.message


def test_kvn_lenient_skips_bad_message():
    bad = KVN.replace("NORAD_CAT_ID = 25544", "NORAD_CAT_ID = 2554X")
    second = KVN.replace("NORAD_CAT_ID = 25544", "NORAD_CAT_ID = 25545")
    result = parse(bad + second, lenient=True)
    assert [es.norad_id for es in result.elements] == [25545]
    assert [(e.line, e.field) for e in result.skipped] == [(20, "NORAD_CAT_ID")]


def test_xml_bad_value_points_at_its_element_line():
    text = (DATA / "iss_namespaced.xml").read_text()
    err = error_of(text.replace("<n:ECCENTRICITY>0.0003723<", "<n:ECCENTRICITY>1.5<"))
    assert (err.line, err.field) == (23, "ECCENTRICITY")
    err = error_of(text.replace("<n:NORAD_CAT_ID>48274</n:NORAD_CAT_ID>", ""))
    assert (err.line, err.field) == (46, "NORAD_CAT_ID")
    err = error_of(text.replace('units="deg">51.6312', 'units="rad">51.6312'))
    assert (err.line, err.field) == (24, "INCLINATION")
    result = parse(text.replace("<n:BSTAR>2.0E-4<", "<n:BSTAR>lots<"), lenient=True)
    assert [es.norad_id for es in result.elements] == [25544]
    assert [(e.line, e.field) for e in result.skipped] == [(63, "BSTAR")]


def test_xml_that_is_not_omm():
    err = error_of('<?xml version="1.0"?>\n<opm><header/></opm>\n')
    assert type(err) is InputError and "not a CCSDS OMM" in err.message and err.line == 2
    err = error_of("<ndm><opm/></ndm>")
    assert "no <omm>" in err.message
    err = error_of("<html><body>Service unavailable</body></html>")
    assert "<html>" in err.message


def test_malformed_xml_reports_expat_line():
    err = error_of(XML.replace("</segment>", "</segmnt>"))
    assert type(err) is InputError and err.line == 5 and "malformed XML" in err.message


def test_xml_with_a_dtd_is_refused():
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;">]>\n<omm>&lol2;</omm>\n'
    )
    err = error_of(bomb)
    assert "document type declaration" in err.message


def test_detect_format():
    assert detect_format(KVN) == "omm-kvn"
    assert detect_format("\ufeff  \n" + XML) == "omm-xml"
    assert detect_format("COMMENT hello\nCCSDS_OMM_VERS = 2.0\n") == "omm-kvn"
