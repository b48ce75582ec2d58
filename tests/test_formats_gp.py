"""CelesTrak GP JSON and CSV."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deorbit.errors import ElementSetError, InputError, UnknownObjectError
from deorbit.formats import detect_format, load_elements, parse_bytes, parse_text

DATA = Path(__file__).parent / "data" / "formats"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
RECORD = json.loads((DATA / "iss.json").read_text())[0]
CSV = (DATA / "iss.csv").read_bytes().decode()  # keeps its CRLF line ends


def parse(text: str, **kw):
    return parse_text(text, "gp.json", now_utc=NOW, **kw)


def test_no_gp_data_found_is_an_unknown_object():
    for answer in (b"No GP data found", b"No GP data found\r\n"):
        with pytest.raises(UnknownObjectError, match="No GP data found") as info:
            parse_bytes(answer, "https://celestrak.org/NORAD/elements/gp.php?CATNR=99999")
        assert isinstance(info.value, InputError)
        assert info.value.source.startswith("https://celestrak.org")
    with pytest.raises(UnknownObjectError):
        parse_text("No GP data found", "x", fmt="gp-json")


def test_single_object_and_list_agree():
    single = parse(json.dumps(RECORD)).elements
    listed = parse(json.dumps([RECORD])).elements
    assert single == listed and len(single) == 1


def test_space_track_style_string_values():
    as_strings = {key: str(value) for key, value in RECORD.items()}
    assert parse(json.dumps([as_strings])).elements == parse(json.dumps([RECORD])).elements


def test_json_record_lines_and_errors():
    other = dict(RECORD, NORAD_CAT_ID=25545)
    bad = dict(RECORD, NORAD_CAT_ID=25546, ECCENTRICITY="0.00O1")
    text = json.dumps([RECORD, other, bad], indent=1)
    starts = [number for number, ln in enumerate(text.split("\n"), 1) if ln == " {"]
    assert len(starts) == 3
    with pytest.raises(ElementSetError) as info:
        parse(text)
    assert (info.value.line, info.value.field) == (starts[2], "ECCENTRICITY")
    result = parse(text, lenient=True)
    assert [(es.norad_id, es.line) for es in result.elements] == [(25544, 2), (25545, starts[1])]
    assert len(result.skipped) == 1


def test_json_type_errors_are_input_errors():
    for value, field in ((True, "MEAN_MOTION"), ([1], "MEAN_MOTION"), (None, "MEAN_MOTION")):
        with pytest.raises(ElementSetError) as info:
            parse(json.dumps([dict(RECORD, MEAN_MOTION=value)]))
        assert info.value.field == field
    with pytest.raises(ElementSetError, match="expected an object"):
        parse("[1, 2]")
    with pytest.raises(InputError, match="malformed JSON") as info:
        parse('[\n{"NORAD_CAT_ID": 25544,\n')
    assert info.value.line == 3
    with pytest.raises(InputError, match="nested too deeply"):
        parse("[" * 100_000)
    with pytest.raises(InputError, match="no element sets"):
        parse("[]")


def test_csv_rows_lines_and_errors():
    header, row = CSV.strip().split("\r\n")
    second = row.replace(",25544,", ",25545,")
    result = parse_text(f"{header}\n{row}\n\n{second}\n", "gp.csv", now_utc=NOW)
    assert result.format == "gp-csv"
    assert [(es.norad_id, es.line) for es in result.elements] == [(25544, 2), (25545, 4)]
    short = ",".join(row.split(",")[:-1])
    with pytest.raises(ElementSetError, match="cells") as info:
        parse_text(f"{header}\n{row}\n{short}\n", "gp.csv", now_utc=NOW)
    assert info.value.line == 3
    with pytest.raises(InputError, match="header lacks BSTAR") as info:
        parse_text(header.replace("BSTAR", "B_STAR") + "\n" + row, "gp.csv", now_utc=NOW)
    assert info.value.line == 1
    lenient = parse_text(
        f"{header}\n{row}\n{short}\n{second}\n", "gp.csv", now_utc=NOW, lenient=True
    )
    assert len(lenient.elements) == 2 and [e.line for e in lenient.skipped] == [3]


def test_csv_multiline_quoted_name_keeps_row_start_line():
    header, row = CSV.strip().split("\r\n")
    odd = row.replace('"ISS (ZARYA)"', '"ISS\n(ZARYA)"').replace(",999,", ",-1,")
    with pytest.raises(ElementSetError) as info:
        parse_text(f"{header}\n{row.replace(',25544,', ',1,')}\n{odd}\n", "c.csv", now_utc=NOW)
    assert (info.value.line, info.value.field) == (3, "ELEMENT_SET_NO")


def test_future_epoch_uses_now_utc():
    record = dict(RECORD, EPOCH="2027-06-01T00:00:00")
    with pytest.raises(ElementSetError, match="future") as info:
        parse(json.dumps(record))
    assert info.value.field == "EPOCH"
    later = datetime(2027, 1, 1, tzinfo=UTC)
    assert parse_text(json.dumps(record), "x", now_utc=later).elements


def test_detect_format():
    assert detect_format(json.dumps([RECORD])) == "gp-json"
    assert detect_format(CSV) == "gp-csv"
    assert load_elements(DATA / "iss.csv", now_utc=NOW).format == "gp-csv"
