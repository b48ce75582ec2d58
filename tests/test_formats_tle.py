"""TLE reading and writing: real histories, sgp4's own verification file, every malformation."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sgp4
from sgp4.api import Satrec
from sgp4.io import compute_checksum

from deorbit.errors import ElementSetError, InputError
from deorbit.formats import detect_format, load_elements, parse_bytes, parse_text
from deorbit.formats.tle import format_tle, tle_checksum

DATA = Path(__file__).parent / "data" / "formats"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
ISS = (DATA / "iss.tle").read_text().splitlines()
NAME, L1, L2 = ISS


def parse(text: str, **kw):
    return parse_text(text, "test.tle", now_utc=NOW, **kw)


def with_checksum(line: str) -> str:
    return line[:68] + str(compute_checksum(line[:68]))


def expect_error(text: str, line: int, field: str, fragment: str = "") -> ElementSetError:
    with pytest.raises(ElementSetError) as info:
        parse(text)
    err = info.value
    assert (err.source, err.line, err.field) == ("test.tle", line, field), str(err)
    assert fragment in err.message
    return err


# -- fields -------------------------------------------------------------------------------


def test_iss_fields_match_the_published_values():
    (es,) = parse("\n".join(ISS)).elements
    assert es.norad_id == 25544
    assert es.name == "ISS (ZARYA)"
    assert es.intl_designator == "1998-067A"
    # day 333.83453771 of 2025 = 29 Nov, 0.83453771 * 86400 s = 72104.058144 s exactly
    assert es.epoch_utc == datetime(2025, 11, 29, 20, 1, 44, 58144, tzinfo=UTC)
    assert es.mean_motion_rev_per_day == 15.49193835
    assert es.eccentricity == 0.0003723
    assert (es.inclination_deg, es.raan_deg) == (51.6312, 206.3646)
    assert (es.arg_perigee_deg, es.mean_anomaly_deg) == (184.1118, 175.984)
    assert es.bstar_per_earth_radii == 0.15237e-3
    assert es.mean_motion_dot_rev_per_day2 == 0.00008010
    assert es.mean_motion_ddot_rev_per_day3 == 0.0
    assert (es.classification, es.element_set_no, es.rev_at_epoch) == ("U", 999, 54085)
    assert es.ephemeris_type == 0
    assert (es.source, es.line) == ("test.tle", 1)


@pytest.mark.parametrize(
    ("field", "expected"),
    [(" 30074-3", 0.30074e-3), ("-11606-4", -0.11606e-4), (" 00000+0", 0.0), ("+12345+1", 1.2345)],
)
def test_implied_decimal_exponent_fields(field, expected):
    line1 = with_checksum(L1[:53] + field + L1[61:])
    (es,) = parse(f"{line1}\n{L2}\n").elements
    assert es.bstar_per_earth_radii == expected


@pytest.mark.parametrize(
    ("yy", "year"), [("57", 1957), ("99", 1999), ("00", 2000), ("24", 2024), ("56", 2056)]
)
def test_two_digit_epoch_years(yy, year):
    line1 = with_checksum(L1[:18] + yy + "300.50000000" + L1[32:])
    now = datetime(2056, 6, 1, tzinfo=UTC)
    (es,) = parse_text(f"{line1}\n{L2}\n", "t", now_utc=now).elements
    # day 300 is 299 days after 1 January, whatever the year
    assert es.epoch_utc == datetime(year, 1, 1, 12, tzinfo=UTC) + timedelta(days=299)


def test_alpha5_catalogue_numbers():
    line1 = with_checksum(L1[:2] + "A0001" + L1[7:])
    line2 = with_checksum(L2[:2] + "A0001" + L2[7:])
    (es,) = parse(f"{line1}\n{line2}\n").elements
    assert es.norad_id == 100001
    z = format_tle(replace(es, norad_id=339999), with_name=False).splitlines()
    assert z[0][2:7] == "Z9999" and z[1][2:7] == "Z9999"
    assert parse("\n".join(z)).elements[0].norad_id == 339999


def test_checksum_counts_minus_signs_as_one():
    assert tle_checksum("1 -") == 2
    assert tle_checksum("-" * 68 + "9") == 68 % 10
    for line in (L1, L2):
        assert tle_checksum(line) == int(line[68]) == compute_checksum(line)


# -- layout -----------------------------------------------------------------------------------


def test_mixed_two_and_three_line_sets_crlf_and_trailing_blanks():
    other = format_tle(
        replace(parse("\n".join(ISS)).elements[0], norad_id=12345, name="OTHER"), with_name=False
    ).splitlines()
    later_l1 = with_checksum(L1[:20] + "334.00000000" + L1[32:])
    text = "\r\n".join(
        [
            "0 ISS (ZARYA)   ",
            later_l1 + "   ",
            L2,
            "",
            "# a comment line",
            *other,
            NAME,
            L1,
            L2 + "\t",
        ]
    )
    result = parse(text)
    assert result.format == "tle"
    ids = [(es.norad_id, es.epoch_utc.day, es.name, es.line) for es in result.elements]
    # sorted by (norad_id, epoch); lines are the record starts (the name line for 3-line sets)
    assert ids == [(12345, 29, "", 6), (25544, 29, "ISS (ZARYA)", 8), (25544, 30, "ISS (ZARYA)", 1)]


def test_extra_columns_after_a_blank_column_70_are_ignored_otherwise_rejected():
    (es,) = parse(f"{L1}\n{L2}      0.0      1440.0   360.00\n").elements
    assert es.norad_id == 25544
    expect_error(f"{L1}\n{L2}7\n", 2, "line 2 length", "column 70")


def test_identical_sets_are_counted_once_and_conflicts_are_errors():
    text = "\n".join(ISS + ISS)
    result = parse(text)
    assert (len(result.elements), result.duplicates) == (1, 1)
    # same epoch, different element set number: bookkeeping only, still a duplicate
    renumbered = with_checksum(L1[:64] + " 998" + L1[68:])
    assert parse("\n".join([*ISS, NAME, renumbered, L2])).duplicates == 1
    changed = with_checksum(L2[:52] + "15.49193836" + L2[63:])
    conflict = "\n".join([*ISS, NAME, L1, changed])
    expect_error(conflict, 4, "epoch", "same epoch")
    lenient = parse(conflict, lenient=True)
    assert len(lenient.elements) == 1 and len(lenient.skipped) == 1
    assert lenient.elements[0].mean_motion_rev_per_day == 15.49193835
    latest = parse(conflict, on_conflict="latest")
    assert latest.elements[0].mean_motion_rev_per_day == 15.49193836
    assert latest.duplicates == 1 and not latest.skipped


# -- malformed records ------------------------------------------------------------------------


def test_bad_checksum():
    bad = L2[:68] + str((int(L2[68]) + 1) % 10)
    expect_error("\n".join([NAME, L1, bad]), 3, "checksum", "checksum")


def test_wrong_line_number_character():
    expect_error("\n".join([NAME, "3" + L1[1:], L2]), 2, "line 1 column 1", "'1'")
    expect_error("\n".join([NAME, L1, "3" + L2[1:]]), 3, "line 2 column 1", "'2'")


def test_mismatched_catalogue_numbers():
    line2 = with_checksum(L2[:2] + "25545" + L2[7:])
    expect_error("\n".join([NAME, L1, line2]), 3, "norad_id", "differ")


def test_eccentricity_with_letters():
    line2 = with_checksum(L2[:26] + "00O3723" + L2[33:])
    err = expect_error("\n".join([NAME, L1, line2]), 3, "eccentricity", "columns 27-33")
    assert "00O3723" in err.message


def test_zero_mean_motion_is_caught_by_validation():
    line2 = with_checksum(L2[:52] + " 0.00000000" + L2[63:])
    expect_error("\n".join([NAME, L1, line2]), 3, "mean_motion", "not positive")


def test_missing_line_2():
    expect_error(f"{NAME}\n{L1}\n", 2, "line 2", "not followed by line 2")
    expect_error(f"{NAME}\n{L1}\n{NAME}\n{L1}\n{L2}\n", 2, "line 2")


def test_missing_line_1():
    expect_error(f"{NAME}\n{L2}\n", 2, "line 1", "without a line 1")
    expect_error(f"{NAME}\nGARBAGE\n{L1}\n{L2}\n", 1, "line 1", "not followed by TLE line 1")


def test_truncated_line():
    expect_error(f"{L1}\n{L2[:50]}\n", 2, "line 2 length", "truncated")
    expect_error(f"{L1[:68]}\n{L2}\n", 1, "line 1 length", "checksum in column 69 is missing")


def test_misplaced_separator_and_bad_epoch_day():
    line1 = with_checksum(L1[:32] + "x" + L1[33:])
    expect_error(f"{line1}\n{L2}\n", 1, "line 1 column 33")
    line1 = with_checksum(L1[:18] + "25367.00000000" + L1[32:])
    expect_error(f"{line1}\n{L2}\n", 1, "epoch", "day of year")


def test_lenient_mode_counts_skipped_records():
    bad = L2[:68] + str((int(L2[68]) + 1) % 10)
    other = with_checksum(L1[:20] + "334.00000000" + L1[32:])
    text = "\n".join([NAME, L1, bad, NAME, other, L2, "ORPHAN", NAME, L1])
    with pytest.raises(ElementSetError):
        parse(text)
    result = parse(text, lenient=True)
    assert len(result.elements) == 1 and result.elements[0].line == 4
    assert [(e.line, e.field) for e in result.skipped] == [
        (3, "checksum"),
        (7, "line 1"),
        (9, "line 2"),
    ]
    assert result.describe_skipped(2).startswith("3 record(s) skipped")


def test_empty_binary_and_unrecognised_input():
    for empty in (b"", b"  \n\r\n"):
        with pytest.raises(InputError, match="file is empty"):
            parse_bytes(empty, "e.tle")
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    with pytest.raises(InputError, match="not a text element-set file") as info:
        parse_bytes(png, "picture.png")
    assert info.value.source == "picture.png"
    with pytest.raises(InputError, match="not a text element-set file"):
        parse_bytes(b"ISS\n\xff\xfe\n", "x")
    with pytest.raises(InputError, match="tried TLE, CCSDS OMM") as info:
        parse_text("hello world\nthis is not orbital data\n", "notes.txt")
    assert type(info.value) is InputError and info.value.source == "notes.txt"
    with pytest.raises(InputError, match="no element sets"):
        parse_text("# only a comment\n", "c.tle", fmt="tle")


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nope.tle"
    with pytest.raises(InputError, match="cannot read") as info:
        load_elements(path)
    assert info.value.source == str(path)
    with pytest.raises(InputError, match="cannot read"):
        load_elements(tmp_path)


def test_detect_format_on_tle_text():
    assert detect_format("\n".join(ISS)) == "tle"
    assert detect_format("\n".join(ISS[1:])) == "tle"


# -- writing ----------------------------------------------------------------------------------


def test_format_tle_reproduces_published_lines():
    es = parse("\n".join(ISS)).elements[0]
    assert format_tle(es) == "\n".join(ISS) + "\n"
    assert format_tle(es, with_name=False) == f"{L1}\n{L2}\n"


def test_format_tle_rounds_epoch_across_a_year_end():
    es = replace(
        parse("\n".join(ISS)).elements[0],
        epoch_utc=datetime(2024, 12, 31, 23, 59, 59, 999900, tzinfo=UTC),
    )
    l1 = format_tle(es, with_name=False).splitlines()[0]
    assert l1[18:32] == "25001.00000000"
    assert tle_checksum(l1) == int(l1[68])


def test_format_tle_refuses_what_a_tle_cannot_hold():
    es = parse("\n".join(ISS)).elements[0]
    with pytest.raises(ElementSetError, match="two-digit") as info:
        format_tle(replace(es, epoch_utc=datetime(2060, 1, 1, tzinfo=UTC)))
    assert info.value.field == "epoch"
    with pytest.raises(ElementSetError) as info:
        format_tle(replace(es, mean_motion_dot_rev_per_day2=1.5))
    assert info.value.field == "mean_motion_dot"


# -- real data --------------------------------------------------------------------------------

#: Sets in each validation file, and how many re-issues at an identical epoch it holds:
#: verbatim repeats (same elements, perhaps renumbered) and corrections (different elements).
REAL_FILES = {
    "iss/25544_1998-2004.tle": (10213, 34, 39),
    "iss/25544_2021-2022.tle": (2056, 0, 32),
    "iss/25544_2024-2025_from_omm.tle": (499, 0, 0),
    "iss/25544_2025-11-29.tle": (1, 0, 0),
    "tles/45601.tle": (33, 0, 1),
    "tles/37820.tle": (2, 0, 0),
    "tles/29655.tle": (2209, 37, 8),
    "tles/44238.tle": (2553, 322, 0),
}


@pytest.mark.parametrize("name", sorted(REAL_FILES))
def test_real_histories(shared_dir, name):
    path = shared_dir / "validation" / name
    records, repeats, corrections = REAL_FILES[name]
    # The record count is an outside fact: the README's figure and the file's line count.
    assert path.read_text().count("\n") == 3 * records
    result = load_elements(path, now_utc=NOW, on_conflict="latest")
    assert len(result.elements) == records - repeats - corrections
    assert result.duplicates == repeats + corrections
    lenient = load_elements(path, now_utc=NOW, lenient=True)
    assert len(lenient.skipped) == corrections and lenient.duplicates == repeats
    if corrections:
        with pytest.raises(ElementSetError, match="same epoch"):
            load_elements(path, now_utc=NOW)
    keys = [(es.norad_id, es.epoch_utc) for es in result.elements]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


_EXACT = ("satnum", "inclo", "nodeo", "ecco", "argpo", "mo", "no_kozai")
_MINUTES = (-1440.0, 0.0, 97.0, 720.0, 4320.0)


def assert_same_as_twoline2rv(es, l1: str, l2: str, *, positions: bool = True) -> None:
    """What SGP4 receives from ``es.to_satrec()`` equals what ``Satrec.twoline2rv`` reads.

    Angles, eccentricity and mean motion must be bit-identical.  sgp4 builds B* and nddot as
    mantissa * 10**exponent, we as the correctly rounded decimal: they may differ by an ulp.
    The epoch must agree to 1 microsecond (ElementSet epochs are microsecond datetimes and
    ``to_satrec`` passes a float day count: ~0.2 us rounding).  Positions are compared at equal
    times since epoch, to 1 mm.
    """
    reference = Satrec.twoline2rv(l1[:69], l2[:69])
    ours = es.to_satrec()
    for name in _EXACT:
        assert getattr(ours, name) == getattr(reference, name), (name, es.label())
    for name in ("bstar", "ndot", "nddot"):
        assert getattr(ours, name) == pytest.approx(getattr(reference, name), rel=1e-15, abs=0)
    epoch_diff_s = (
        (reference.jdsatepoch - ours.jdsatepoch) + (reference.jdsatepochF - ours.jdsatepochF)
    ) * 86400.0
    assert abs(epoch_diff_s) < 1e-6
    if not positions:
        return
    for minutes in _MINUTES:
        e1, r1, _ = reference.sgp4_tsince(minutes)
        e2, r2, _ = ours.sgp4_tsince(minutes)
        assert e1 == e2
        if e1 == 0:
            assert max(abs(a - b) for a, b in zip(r1, r2, strict=True)) < 1e-6  # km


@pytest.mark.parametrize(
    "name", ["iss/25544_1998-2004.tle", "iss/25544_2024-2025_from_omm.tle", "tles/45601.tle"]
)
def test_real_sets_propagate_like_sgp4_twoline2rv(shared_dir, name):
    path = shared_dir / "validation" / name
    lines = path.read_text().splitlines()
    result = load_elements(path, now_utc=NOW, lenient=True)
    for es in result.elements[:: max(1, len(result.elements) // 40)]:
        # es.line is the 1-based name line, so lines[es.line] is TLE line 1
        assert_same_as_twoline2rv(es, lines[es.line], lines[es.line + 1])


def _sgp4_verification_file() -> Path:
    return Path(os.path.dirname(sgp4.__file__)) / "SGP4-VER.TLE"


def test_sgp4_verification_file():
    """SGP4-VER.TLE: '#' comment lines, start/stop/step columns after column 69 on line 2,
    blank designators, and three deliberately corrupted test sets (33333-33335) whose
    line-1 checksums were not updated: strict mode rejects them, lenient mode skips them."""
    path = _sgp4_verification_file()
    lines = path.read_bytes().decode().splitlines()
    records = [ln for ln in lines if ln.startswith("1 ")]
    with pytest.raises(ElementSetError) as info:
        load_elements(path, now_utc=NOW)
    assert info.value.field == "checksum"
    assert lines[info.value.line - 1].startswith("1 33333")
    result = load_elements(path, now_utc=NOW, lenient=True)
    assert [e.field for e in result.skipped] == ["checksum"] * 3
    assert len(result.elements) + result.duplicates + 3 == len(records)
    by_id = {es.norad_id: es for es in result.elements}
    assert by_id[11801].intl_designator == "" and by_id[11801].element_set_no == 1
    assert by_id[29141].intl_designator == "1985-108AA"
    for es in result.elements:
        # Deep-space sets (period >= 225 min) also use the float epoch inside their lunar-solar
        # terms, so ~0.2 us of epoch rounding moves them by millimetres: elements only there.
        near_earth = es.period_min < 225.0
        assert_same_as_twoline2rv(es, lines[es.line - 1], lines[es.line], positions=near_earth)
