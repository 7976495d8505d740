"""Readers: every KTAB input reads; the native file validates; bad input fails clearly."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from detente.errors import DetenteError, FormatError, RepairWarning
from detente.forecast import load_stakeholders
from detente.forecast.inputs import (
    StakeholderError,
    StakeholderFile,
    Stakeholders,
    builtin_stakeholder_names,
    parse_ktab_csv,
    parse_ktab_xml,
    parse_stakeholder_yaml,
)
from tests.forecast.conftest import KTAB_INPUTS

SIZES = {
    "SOE-Competitive.csv": (34, 1),
    "SOE-Pol-Comp.csv": (13, 2),
    "SOE-Policy.csv": (26, 1),
    "dummyData-a040.csv": (40, 1),
    "dummyData-a080.csv": (80, 1),
    "dummyData-a160.csv": (160, 1),
    "dummyData_3Dim.csv": (7, 3),
    "dummyData_3Dim.xml": (7, 3),
    "dummyData_6Dim.csv": (27, 6),
    "smpExample.xml": (5, 3),
}


def test_the_size_table_covers_every_input() -> None:
    found = {p.name for p in KTAB_INPUTS.iterdir() if p.suffix in {".csv", ".xml"}}
    assert found == set(SIZES)


@pytest.mark.parametrize(("name", "size"), sorted(SIZES.items()))
def test_every_ktab_input_reads(name: str, size: tuple[int, int]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RepairWarning)
        data = load_stakeholders(KTAB_INPUTS / name)
    assert (len(data.actors), len(data.dimensions)) == size
    assert data.position.shape == data.salience.shape == size
    assert np.all(data.capability > 0)


def test_csv_and_xml_of_the_same_scenario_agree() -> None:
    a = load_stakeholders(KTAB_INPUTS / "dummyData_3Dim.csv")
    b = load_stakeholders(KTAB_INPUTS / "dummyData_3Dim.xml")
    assert a.actors == b.actors
    assert a.dimensions == b.dimensions == ("Pstn1", "Pstn2", "Pstn3")
    np.testing.assert_array_equal(a.position, b.position)
    np.testing.assert_array_equal(a.salience, b.salience)
    np.testing.assert_array_equal(a.capability, b.capability)


def test_header_words_name_the_dimensions() -> None:
    data = load_stakeholders(KTAB_INPUTS / "SOE-Pol-Comp.csv")
    assert data.dimensions == ("Policy", "Competitive")


def test_empty_coordinate_is_repaired_with_a_warning() -> None:
    with pytest.warns(RepairWarning, match=r"Actor\[0\]\.Position\.dCoord\[0\]"):
        data = load_stakeholders(KTAB_INPUTS / "smpExample.xml")
    assert data.position[0, 0] == pytest.approx(np.mean(data.position[1:, 0]))


def test_builtin_ceasefire_file_loads_with_a_rationale_per_number() -> None:
    assert "ceasefire-2025-stakeholders" in builtin_stakeholder_names()
    data = load_stakeholders("ceasefire-2025-stakeholders")
    assert {"Russia", "Ukraine", "United States", "China", "Turkey"} <= set(data.actors)
    assert "sanctions_relief" in data.dimensions
    assert "llustrative" in data.disclaimer
    path = (
        Path(__file__).parents[2] / "src/detente/forecast/builtin/ceasefire-2025-stakeholders.yaml"
    )
    spec = parse_stakeholder_yaml(path.read_bytes(), source=path)
    for actor in spec.actors:
        assert actor.capability_rationale.strip()
        for stance in actor.stances.values():
            assert stance.position_rationale.strip()
            assert stance.salience_rationale.strip()


YAML_OK = """\
name: t
dimensions:
  - {name: x, low: none, high: all}
actors:
  - name: A
    capability: 10
    capability_rationale: big
    stances:
      x: {position: 10, position_rationale: r, salience: 50, salience_rationale: r}
  - name: B
    capability: 5
    capability_rationale: small
    stances:
      x: {position: 90, position_rationale: r, salience: 50, salience_rationale: r}
"""


def test_native_yaml_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(YAML_OK, encoding="utf-8")
    data = load_stakeholders(path)
    assert data.actors == ("A", "B")
    np.testing.assert_array_equal(data.position, [[10.0], [90.0]])
    assert data.dimension_labels == ("x: 0 = none, 100 = all",)


@pytest.mark.parametrize(
    ("old", "new", "expect"),
    [
        ("position: 90,", "position: 190,", ("actors.1.stances.x.position", 14, "less than")),
        (
            "capability_rationale: small",
            "capability_rationale: ''",
            ("actors.1.capability_rationale", 12, ""),
        ),
        (
            "salience: 50, salience_rationale: r}\n  - name: B",
            "salience: 150, salience_rationale: r}\n  - name: B",
            ("actors.0.stances.x.salience", 9, ""),
        ),
        (
            "    stances:\n      x: {position: 90",
            "    stances:\n      y: {position: 90",
            ("actors.1.stances", 14, "no stance"),
        ),
        ("name: B", "name: A", ("actors.1.name", 10, "duplicate actor")),
        (
            "{name: x, low: none, high: all}",
            "{name: x, low: none, high: all}\n  - {name: x, low: a, high: b}",
            ("dimensions.1.name", 4, "duplicate dimension"),
        ),
    ],
)
def test_native_yaml_errors_name_file_field_and_line(
    tmp_path: Path, old: str, new: str, expect: tuple[str, int, str]
) -> None:
    field, line, words = expect
    assert old in YAML_OK
    path = tmp_path / "bad.yaml"
    path.write_text(YAML_OK.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(StakeholderError) as info:
        load_stakeholders(path)
    err = info.value
    assert err.source == str(path)
    if field:
        assert err.field is not None
        assert field in err.field
    if line:
        assert err.line == line
    assert words in err.message


def test_saliences_adding_over_100_are_refused(tmp_path: Path) -> None:
    text = YAML_OK.replace("dimensions:\n", "dimensions:\n  - {name: y, low: a, high: b}\n")
    text = text.replace(
        "x: {position: 10, position_rationale: r, salience: 50, salience_rationale: r}",
        "x: {position: 10, position_rationale: r, salience: 60, salience_rationale: r}\n"
        "      y: {position: 10, position_rationale: r, salience: 60, salience_rationale: r}",
    )
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StakeholderError, match="add up to 120"):
        load_stakeholders(path)


def test_malformed_yaml_gives_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: t\nactors: [\n", encoding="utf-8")
    with pytest.raises(FormatError) as info:
        load_stakeholders(path)
    assert info.value.line is not None


def test_yaml_must_be_a_mapping() -> None:
    with pytest.raises(FormatError, match="mapping"):
        parse_stakeholder_yaml("- a\n- b\n", source="x.yaml")


CSV_OK = "S,desc,2,1,\nActor,Description,Power,P1,S1,\nA,a,10,20,50,\nB,b,5,80,40,\n"


def test_csv_bad_number_names_actor_column_and_line() -> None:
    with pytest.raises(StakeholderError) as info:
        parse_ktab_csv(CSV_OK.replace("B,b,5,80", "B,b,5,eighty"), source="s.csv")
    assert info.value.line == 4
    assert info.value.field == "B.P1"


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "column"),
    [
        ("B,b,5,80,40", "B,b,5,180,40", 4, "B.P1", 4),
        ("A,a,10,20,50", "A,a,10,20,-5", 3, "A.S1", 5),
        ("B,b,5,80,40", "B,b,0,80,40", 4, "B.Power", 3),
    ],
)
def test_csv_range_errors_name_line_and_column(
    old: str, new: str, line: int, field: str, column: int
) -> None:
    with pytest.raises(StakeholderError) as info:
        parse_ktab_csv(CSV_OK.replace(old, new), source="s.csv")
    assert (info.value.line, info.value.field) == (line, field)
    assert f"column {column}," in info.value.message
    assert str(info.value).startswith(f"s.csv:{line}: {field}: ")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (CSV_OK.replace("S,desc,2,1", "S,desc,3,1"), "announces 3 actors"),
        (CSV_OK.replace("A,a,10,20,50,", "A,a,10,20,,"), "filled columns"),
        (CSV_OK.replace("S,desc,2,1,", "S,desc"), "title row"),
        ("S,desc,2,1\n", "title row, a header row"),
        (CSV_OK.replace("S,desc,2,1,", "S,desc,2,3,"), "header has"),
        (CSV_OK.replace("A,a,10,20,50", "A,a,10,120,50"), "0-100"),
        (CSV_OK.replace("A,a,10,20,50", "A,a,-1,20,50"), "positive"),
        (CSV_OK.replace("A,a,10,20,50", "A,a,10,20,0"), "more than 0"),
        (CSV_OK.replace("A,a,10,20,50", "A,a,10,20,nan"), "finite"),
        (CSV_OK.replace("A,a,10,20,50", "A,a,10,20,150"), "saliences must"),
        (CSV_OK.replace("B,b,", "A,b,"), "unique"),
    ],
)
def test_csv_errors_are_clear(text: str, words: str) -> None:
    with pytest.raises(DetenteError, match=words) as info:
        parse_ktab_csv(text, source="s.csv")
    assert info.value.source == "s.csv"


XML_OK = (KTAB_INPUTS / "dummyData_3Dim.xml").read_text("utf-8-sig")


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("<capability>102.543</capability>", "<capability>big</capability>", "expected a number"),
        ("<dSal>49.53</dSal>", "", "coordinates and 2 saliences"),
        ("<Actors>", "<Actorz>", "malformed XML"),
        ("<Scenario ", "<Scenery ", "malformed XML"),
    ],
)
def test_xml_errors_are_clear(old: str, new: str, words: str) -> None:
    with pytest.raises(DetenteError, match=words):
        parse_ktab_xml(XML_OK.replace(old, new, 1), source="s.xml")


def test_xml_structure_errors() -> None:
    with pytest.raises(StakeholderError, match="<Scenario>"):
        parse_ktab_xml("<Other/>", source="s.xml")
    with pytest.raises(StakeholderError, match="missing <Actors>"):
        parse_ktab_xml("<Scenario><name>x</name></Scenario>", source="s.xml")
    with pytest.raises(StakeholderError, match="two actors"):
        parse_ktab_xml("<Scenario><Actors/></Scenario>", source="s.xml")


def test_xml_entities_are_refused() -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaa">]><Scenario>&a;</Scenario>'
    with pytest.raises(FormatError, match="XML"):
        parse_ktab_xml(bomb, source="s.xml")


def test_unknown_extension_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="unknown stakeholder format"):
        load_stakeholders(tmp_path / "x.txt")
    with pytest.raises(FormatError, match="cannot read"):
        load_stakeholders(tmp_path / "x.csv")


def test_non_utf8_csv(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(FormatError, match="UTF-8"):
        load_stakeholders(path)


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [("capability", 0.0, "positive"), ("position", 101.0, "0-100"), ("salience", -1.0, "0-100")],
)
def test_stakeholders_checks_ranges_of_programmatic_data(
    column: str, value: float, words: str
) -> None:
    arrays = {
        "capability": np.array([1.0, 2.0]),
        "position": np.array([[10.0], [20.0]]),
        "salience": np.array([[50.0], [50.0]]),
    }
    arrays[column].flat[1] = value
    with pytest.raises(StakeholderError, match=words) as info:
        Stakeholders("t", ("a", "b"), ("x",), **arrays)
    assert info.value.field == "b"


def test_stakeholders_checks_shapes() -> None:
    one = np.ones((2, 1))
    with pytest.raises(StakeholderError, match="two actors"):
        Stakeholders("t", ("a",), ("x",), np.ones(1), np.ones((1, 1)), np.ones((1, 1)))
    with pytest.raises(StakeholderError, match="capability/position"):
        Stakeholders("t", ("a", "b"), ("x",), np.ones(3), one, one)
    with pytest.raises(StakeholderError, match="salience array"):
        Stakeholders("t", ("a", "b"), ("x",), np.ones(2), one, np.ones((2, 2)))


def test_programmatic_stakeholder_file_is_checked_too() -> None:
    import yaml  # noqa: PLC0415

    raw = yaml.safe_load(YAML_OK)
    raw["actors"][1]["stances"] = {"y": raw["actors"][1]["stances"]["x"]}
    spec = StakeholderFile.model_validate(raw)
    with pytest.raises(StakeholderError, match="no stance") as info:
        spec.to_stakeholders()
    assert info.value.field == "actors.1.stances"
