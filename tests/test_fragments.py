"""Fragment lists: strict parsing, derived ballistic coefficients, the default model."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from deorbit.casualty import casualty_area_m2
from deorbit.errors import InputError
from deorbit.fragments import (
    DEFAULT_CD,
    MIN_FRAGMENT_KG,
    Fragment,
    FragmentList,
    default_fragments,
    fragments_to_json,
    load_fragments,
    parse_fragments,
)

GOOD = [
    {"name": "tank", "mass_kg": 20.0, "area_m2": 0.5, "count": 2},
    {"name": "panel", "mass_kg": 5, "area_m2": 3.0, "demise": True},
    {"name": "wheel", "mass_kg": 10.0, "area_m2": 0.1, "bc_m2_per_kg": 0.02},
]


def test_parses_list_and_object_forms_with_defaults():
    a = parse_fragments(json.dumps(GOOD), source="a.json")
    b = parse_fragments(json.dumps({"object": "X", "fragments": GOOD}), source="b.json")
    for fl in (a, b):
        assert fl.names == ("tank", "panel", "wheel")
        np.testing.assert_array_equal(fl.count, [2, 1, 1])
        np.testing.assert_array_equal(fl.demise, [False, True, False])
        # Derived bc = Cd A / m; a given bc is kept.
        np.testing.assert_allclose(
            fl.bc_m2_per_kg, [DEFAULT_CD * 0.5 / 20, DEFAULT_CD * 3 / 5, 0.02]
        )
        assert fl.total_mass_kg == pytest.approx(55.0)
        assert fl.surviving_mass_kg == pytest.approx(50.0)
        assert fl.surviving().names == ("tank", "wheel")
    assert b.object_name == "X"
    np.testing.assert_allclose(a.beta_kg_m2, 1.0 / a.bc_m2_per_kg)


def test_round_trip_through_json_and_file(tmp_path):
    fl = parse_fragments(json.dumps(GOOD))
    path = tmp_path / "frags.json"
    path.write_text(fragments_to_json(fl))
    back = load_fragments(path)
    assert back.names == fl.names
    np.testing.assert_allclose(back.bc_m2_per_kg, fl.bc_m2_per_kg)
    assert back.source == str(path)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mass_kg", -1.0),
        ("mass_kg", 0),
        ("mass_kg", 2e6),
        ("mass_kg", "10"),
        ("mass_kg", True),
        ("mass_kg", float("nan")),
        ("area_m2", 0.0),
        ("area_m2", 2e4),
        ("count", 0),
        ("count", 200_000),
        ("count", 2.5),
        ("count", True),
        ("demise", "yes"),
        ("bc_m2_per_kg", 0.0),
        ("bc_m2_per_kg", 500.0),
        ("colour", "red"),
        ("name", ""),
    ],
)
def test_bad_values_name_file_entry_and_field(field, value):
    entries = json.loads(json.dumps(GOOD))
    entries[1][field] = value
    text = json.dumps(entries)  # NaN is written as the (Python-accepted) literal NaN
    with pytest.raises(InputError) as err:
        parse_fragments(text, source="list.json")
    assert err.value.field == field
    msg = str(err.value)
    assert "list.json" in msg and "fragment #1" in msg
    if field != "name":
        assert "'panel'" in msg


def test_missing_field_wrong_shapes_and_syntax():
    with pytest.raises(InputError, match="missing required field 'area_m2'") as err:
        parse_fragments('[{"name": "a", "mass_kg": 1}]', source="f.json")
    assert err.value.field == "area_m2"
    with pytest.raises(InputError, match="fragment #0 is a int"):
        parse_fragments("[3]", source="f.json")
    with pytest.raises(InputError, match="empty"):
        parse_fragments("[]", source="f.json")
    with pytest.raises(InputError, match="unknown top-level"):
        parse_fragments('{"fragments": [], "extra": 1}', source="f.json")
    with pytest.raises(InputError) as err:
        parse_fragments('[\n {"name": "a",\n  "mass_kg": 1,,\n}]', source="f.json")
    assert err.value.line == 3 and "f.json:3" in str(err.value)
    # Units mistake: grams as kg with m^2 area gives an absurd bc.
    with pytest.raises(InputError, match="check the units") as err:
        parse_fragments('[{"name": "foil", "mass_kg": 0.001, "area_m2": 1.0}]', source="f.json")
    assert err.value.field == "area_m2"


def test_unreadable_file_and_yaml_without_pyyaml(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="cannot read"):
        load_fragments(tmp_path / "missing.json")
    path = tmp_path / "f.yaml"
    path.write_text("- {name: a, mass_kg: 1, area_m2: 0.01}\n")
    monkeypatch.setitem(sys.modules, "yaml", None)  # import yaml -> ImportError
    with pytest.raises(InputError, match="PyYAML") as err:
        load_fragments(path)
    assert str(path) in str(err.value)


def test_yaml_when_available(tmp_path):
    pytest.importorskip("yaml")
    path = tmp_path / "f.yml"
    path.write_text("fragments:\n  - {name: a, mass_kg: 1.5, area_m2: 0.01, count: 3}\n")
    fl = load_fragments(path)
    assert fl.count[0] == 3 and fl.mass_kg[0] == 1.5


def test_programmatic_fragments_are_validated_too():
    with pytest.raises(InputError, match="fragment #0") as err:
        FragmentList.from_fragments([Fragment("x", -1.0, 1.0)])
    assert err.value.field == "mass_kg"
    with pytest.raises(InputError, match="every fragment demises"):
        FragmentList.from_fragments([Fragment("x", 1.0, 0.01, demise=True)]).surviving()


@pytest.mark.parametrize("total_kg", [800.0, 5668.0, 420_000.0])
def test_default_model_conserves_surviving_mass(total_kg):
    fl = default_fragments(total_kg, 0.25)
    assert fl.surviving_mass_kg == pytest.approx(0.25 * total_kg, rel=1e-12)
    assert np.all(fl.mass_kg >= MIN_FRAGMENT_KG * 0.999)
    assert np.all(fl.mass_kg <= max(5000.0, 0.25 * total_kg / 4) * 1.001)
    # Equal mass per logarithmic class.
    class_mass = fl.mass_kg * fl.count
    np.testing.assert_allclose(class_mass, class_mass[0], rtol=1e-12)
    # Bigger pieces: smaller area-to-mass, hence larger beta (they fly farther).
    assert np.all(np.diff(fl.beta_kg_m2) >= 0) and fl.beta_kg_m2[-1] > 2 * fl.beta_kg_m2[0]


def test_default_model_iss_and_scaling():
    iss = default_fragments(420_000.0)
    assert 1_000 < iss.n_pieces < 10_000
    ac = [casualty_area_m2(default_fragments(420_000.0, f)) for f in (0.1, 0.25, 0.4)]
    assert ac[0] < ac[1] < ac[2]
    # Roughly proportional to the surviving mass (same size distribution).
    assert ac[2] / ac[0] == pytest.approx(4.0, rel=0.1)
    # A small object becomes one piece.
    small = default_fragments(60.0, 0.25)
    assert len(small) == 1 and small.mass_kg[0] == pytest.approx(15.0)
    for bad in (0.0, -5.0, 2e6):
        with pytest.raises(InputError):
            default_fragments(bad)
    with pytest.raises(InputError):
        default_fragments(1000.0, 1.5)
