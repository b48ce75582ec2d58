"""Property-based tests: round trips, and no exception but InputError whatever the input."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deorbit.elements import ElementSet, validate
from deorbit.errors import InputError
from deorbit.formats import FORMATS, parse_bytes, parse_text
from deorbit.formats.omm import MANDATORY_KEYS, OPTIONAL_KEYS
from deorbit.formats.tle import format_tle

DATA = Path(__file__).parent / "data" / "formats"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
ISS_TLE = (DATA / "iss.tle").read_text()
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _exp_value(mantissa: int, power: int, negative: bool) -> float:
    return (-1 if negative else 1) * mantissa * 10.0 ** (power - 5)


@st.composite
def element_sets(draw) -> ElementSet:
    epoch = draw(
        st.datetimes(datetime(1957, 10, 5), datetime(2026, 12, 31), timezones=st.just(UTC))
    )
    angle = st.floats(0.0, 359.9999, allow_nan=False)
    es = ElementSet(
        norad_id=draw(st.integers(1, 339999)),
        name=draw(st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=24)),
        intl_designator=draw(
            st.one_of(
                st.just(""),
                st.builds(
                    lambda y, n, p: f"{y}-{n:03d}{p}",
                    st.integers(1957, 2056),
                    st.integers(1, 999),
                    st.text("ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=1, max_size=3),
                ),
            )
        ),
        epoch_utc=epoch,
        mean_motion_rev_per_day=draw(st.floats(0.05, 17.0)),
        eccentricity=draw(st.floats(0.0, 0.99)),
        inclination_deg=draw(st.floats(0.0, 180.0)),
        raan_deg=draw(angle),
        arg_perigee_deg=draw(angle),
        mean_anomaly_deg=draw(angle),
        bstar_per_earth_radii=_exp_value(
            draw(st.integers(10000, 99999)), draw(st.integers(-9, 0)), draw(st.booleans())
        ),
        mean_motion_dot_rev_per_day2=draw(st.floats(-0.99, 0.99)),
        mean_motion_ddot_rev_per_day3=_exp_value(
            draw(st.integers(0, 99999)), draw(st.integers(-9, 0)), draw(st.booleans())
        ),
        classification=draw(st.sampled_from("UCS")),
        element_set_no=draw(st.integers(0, 9999)),
        rev_at_epoch=draw(st.integers(0, 99999)),
        ephemeris_type=draw(st.integers(0, 9)),
    )
    return validate(es, now_utc=NOW)


def _close_relative(a: float, b: float, digits: int) -> bool:
    """``b`` is ``a`` printed with ``digits`` significant digits."""
    return math.isclose(a, b, rel_tol=0.51 * 10.0 ** (1 - digits), abs_tol=1e-300)


@SETTINGS
@given(element_sets(), st.booleans())
def test_format_tle_round_trips_within_tle_precision(es, with_name):
    text = format_tle(es, with_name=with_name)
    (back,) = parse_text(text, "rt", now_utc=NOW).elements
    assert back.norad_id == es.norad_id
    assert back.name == (es.name.strip() if with_name else "")
    assert back.intl_designator == es.intl_designator
    assert abs(back.epoch_utc - es.epoch_utc) <= timedelta(microseconds=432)  # 0.5e-8 day
    for a, b in (
        (es.inclination_deg, back.inclination_deg),
        (es.raan_deg, back.raan_deg),
        (es.arg_perigee_deg, back.arg_perigee_deg),
        (es.mean_anomaly_deg, back.mean_anomaly_deg),
    ):
        assert abs(a - b) <= 0.5e-4 + 1e-12
    assert abs(back.eccentricity - es.eccentricity) <= 0.5e-7 + 1e-15
    assert abs(back.mean_motion_rev_per_day - es.mean_motion_rev_per_day) <= 0.5e-8 + 1e-14
    assert abs(back.mean_motion_dot_rev_per_day2 - es.mean_motion_dot_rev_per_day2) <= 0.5e-8
    assert _close_relative(es.bstar_per_earth_radii, back.bstar_per_earth_radii, 5)
    ddot, back_ddot = es.mean_motion_ddot_rev_per_day3, back.mean_motion_ddot_rev_per_day3
    assert _close_relative(ddot, back_ddot, 5) or abs(ddot) < 1e-10
    assert (back.classification, back.element_set_no) == (es.classification, es.element_set_no)
    assert (back.rev_at_epoch, back.ephemeris_type) == (es.rev_at_epoch, es.ephemeris_type)
    # writing again what was read gives the same lines
    assert format_tle(back, with_name=with_name) == text


def _check_result(result) -> None:
    """A parse that succeeds returns validated, sorted, distinct sets of a known format."""
    assert result.format in FORMATS
    for es in result.elements:
        assert validate(es, now_utc=NOW) is es
    keys = [(es.norad_id, es.epoch_utc) for es in result.elements]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


@SETTINGS
@given(st.text(max_size=400), st.sampled_from([None, *FORMATS]), st.booleans())
def test_arbitrary_text_raises_only_input_errors(text, fmt, lenient):
    try:
        result = parse_text(text, "fuzz", fmt=fmt, lenient=lenient, now_utc=NOW)
    except InputError:
        return
    _check_result(result)


@SETTINGS
@given(st.binary(max_size=400), st.booleans())
def test_arbitrary_bytes_raise_only_input_errors(data, lenient):
    try:
        result = parse_bytes(data, "fuzz", lenient=lenient, now_utc=NOW)
    except InputError:
        return
    _check_result(result)


_JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=2),
)


@SETTINGS
@given(
    st.lists(
        st.dictionaries(st.sampled_from(MANDATORY_KEYS + OPTIONAL_KEYS), _JSON_VALUES),
        max_size=3,
    ),
    st.booleans(),
)
def test_arbitrary_gp_json_records_raise_only_input_errors(records, lenient):
    try:
        result = parse_text(json.dumps(records), "fuzz", lenient=lenient, now_utc=NOW)
    except InputError:
        return
    _check_result(result)


@SETTINGS
@given(
    st.integers(0, 2 * 69 + 1),
    st.characters(codec="utf-8", exclude_categories=("Cs",)),
)
def test_single_character_corruption_is_detected_or_harmless(position, char):
    name, line1, line2 = ISS_TLE.splitlines()
    joined = line1 + "\n" + line2
    corrupted = joined[:position] + char + joined[position + 1 :]
    try:
        result = parse_text(f"{name}\n{corrupted}\n", "corrupt", now_utc=NOW)
    except InputError:
        return
    for es in result.elements:
        assert validate(es, now_utc=NOW) is es
