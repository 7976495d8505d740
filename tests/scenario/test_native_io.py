"""The native format and scenario paths: parsing edge cases, round trips, safe writing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings

from detente import OutcomeSpace
from detente.errors import FormatError, ScenarioError
from detente.files import atomic_write_text, read_bytes
from detente.scenario.formats.native import dump_native, load_native, parse_native
from detente.scenario.io import builtin_names, load_scenario, save_scenario
from detente.scenario.model import Scenario
from tests.strategies import EVERY_KIND, scenarios


def test_builtin_round_trips_through_yaml_and_json(tmp_path: Path) -> None:
    scenario = load_scenario("ceasefire-2025")
    for name in ("c.yaml", "c.yml", "c.json"):
        assert save_scenario(scenario, tmp_path / name) == [tmp_path / name]
        assert load_scenario(tmp_path / name) == scenario
    assert json.loads((tmp_path / "c.json").read_text())["name"] == "ceasefire-2025"
    assert builtin_names() == ["ceasefire-2025"]


@pytest.mark.parametrize(
    ("text", "is_json", "message"),
    [
        ("- a\n- b\n", False, "a mapping at the top level"),
        ("", False, "empty file"),
        ("a: !!python/object:os.system x\n", False, "malformed YAML"),
        ("a: b\n--- \nc: d\n", False, "malformed YAML"),
        ("[1]", True, "a mapping at the top level"),
        ("? {a: [b]}\n: 1\n", False, "malformed YAML: found unhashable key"),
        ("a: \x00\n", False, "malformed YAML: unacceptable character"),
    ],
)
def test_native_parse_errors(text: str, is_json: bool, message: str) -> None:
    with pytest.raises(FormatError, match=message) as caught:
        parse_native(text, source="x", is_json=is_json)
    assert "\n" not in str(caught.value)


def test_native_text_must_be_utf8(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(FormatError, match="not UTF-8"):
        load_native(path)


def test_errors_inside_lists_point_at_their_line() -> None:
    text = dump_native(load_scenario("ceasefire-2025")).replace(
        "reservation_value: 0.", "reservation_value: 9.", 1
    )
    with pytest.raises(ScenarioError) as info:
        parse_native(text, source="c.yaml")
    assert info.value.field is not None
    assert info.value.field.endswith("reservation_value")
    assert info.value.line is not None
    assert "reservation_value: 9." in text.splitlines()[info.value.line - 1]


def test_reading_refuses_missing_files_and_folders(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="cannot read"):
        read_bytes(tmp_path / "nope.yaml")
    with pytest.raises(FormatError, match="cannot read"):
        read_bytes(tmp_path)


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.yaml"
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(target, "lone surrogate \ud800")
    assert list(tmp_path.iterdir()) == []


def test_a_scenario_json_is_native_unless_it_is_geniusweb(tmp_path: Path) -> None:
    scenario = load_scenario("ceasefire-2025")
    save_scenario(scenario, tmp_path / "c.json")
    assert OutcomeSpace.from_scenario(load_scenario(str(tmp_path / "c.json"))).size > 0


@given(scenarios(**EVERY_KIND))
@settings(max_examples=40, deadline=None)
def test_native_yaml_and_json_round_trip_every_kind_of_issue(scenario: Scenario) -> None:
    for as_json in (False, True):
        text = dump_native(scenario, as_json=as_json)
        assert parse_native(text, source="x", is_json=as_json) == scenario
