"""The built-in ``ceasefire-2025`` scenario holds what issue 7 asks of it, each number justified."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from detente.cli import app
from detente.scenario.io import builtin_path, load_scenario
from detente.scenario.model import AdditivePreferences, Role

#: Issue -> {option name: words its label must hold}, as the issue lists them.
REQUIRED_OPTIONS = {
    "ceasefire_scope": {"full_30": "30-day", "extended": "extendable", "indefinite": "indefinite"},
    "sanctions_relief": {
        "none": "no sanctions relief",
        "partial": "partial",
        "phased": "phased",
        "full": "full",
    },
    "alignment": {
        "nato_path_open": "NATO path stays open",
        "moratorium": "moratorium on NATO membership",
        "neutrality": "formal neutrality",
    },
    "oversight": {
        "none": "no oversight",
        "hotline": "bilateral military hotline",
        "international_mission": "international monitoring mission",
    },
    "breach_mechanism": {
        "none": "no agreed breach mechanism",
        "joint_commission": "joint military commission",
        "arbitration_snapback": "third-party arbitration with sanctions snap-back",
    },
    "security_guarantees": {"none": "no security guarantees"},
    "arms_supplies": {"unrestricted": "rearmament", "halted": "halted"},
    "territorial_line": {"deferred": "deferred to later talks", "de_facto_freeze": "de facto"},
}


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(builtin_path("ceasefire-2025").read_text("utf-8"))
    return data


def test_it_validates() -> None:
    result = CliRunner().invoke(app, ["validate", "ceasefire-2025"])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_the_parties_of_the_march_2025_talks() -> None:
    scenario = load_scenario("ceasefire-2025")
    roles = {p.name: p.role for p in scenario.parties}
    assert roles["Russia"] == roles["Ukraine"] == Role.BELLIGERENT
    assert roles["United States"] == Role.MEDIATOR


@pytest.mark.parametrize("issue_name", sorted(REQUIRED_OPTIONS))
def test_every_listed_issue_has_its_listed_options(issue_name: str) -> None:
    issue = load_scenario("ceasefire-2025").issue(issue_name)
    assert issue.kind == "discrete"
    assert len(issue.options) >= max(2, len(REQUIRED_OPTIONS[issue_name]))
    labels = {o.name: o.label for o in issue.options}
    for option, words in REQUIRED_OPTIONS[issue_name].items():
        assert option in labels, (issue_name, option)
        assert words.lower() in labels[option].lower(), (issue_name, option, labels[option])


def test_it_says_the_numbers_are_illustrative_assumptions() -> None:
    disclaimer = " ".join(load_scenario("ceasefire-2025").disclaimer.split()).lower()
    assert "illustrative assumption" in disclaimer
    assert "not a fact" in disclaimer
    assert "edit them" in disclaimer


def test_every_weight_value_and_reservation_value_has_a_one_line_rationale() -> None:
    scenario = load_scenario("ceasefire-2025")
    for party in scenario.parties:
        assert party.reservation_rationale.strip(), party.name
        prefs = party.preferences
        assert isinstance(prefs, AdditivePreferences)
        assert set(prefs.issues) == {i.name for i in scenario.issues}
        for issue_name, valuation in prefs.issues.items():
            assert valuation.rationale.strip(), (party.name, issue_name)
            assert "\n" not in valuation.rationale.strip(), (party.name, issue_name)


def _numbers(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for key, value in node.items() for p in _numbers(value, (*path, key))]
    if isinstance(node, list):
        return [p for k, value in enumerate(node) for p in _numbers(value, (*path, k))]
    if isinstance(node, int | float) and not isinstance(node, bool):
        return [path]
    return []


def test_no_number_in_the_file_lacks_a_rationale(raw: dict[str, Any]) -> None:
    """Every number of the file sits where a rationale covers it."""
    numbers = _numbers(raw)
    assert len(numbers) > 100
    for path in numbers:
        if path[0] == "issues":  # a phase-in's duration, explained by its option
            assert path[2] == "options", path
            assert path[4:] == ("phase_in", "days"), path
            option = raw["issues"][path[1]]["options"][path[3]]
            assert option["description"].strip(), path
            continue
        if path[0] == "line_of_contact":  # a position, explained by its sector and the line
            assert (path[1], path[3]) == ("sectors", "coordinates"), path
            assert raw["line_of_contact"]["rationale"].strip(), path
            assert raw["line_of_contact"]["sectors"][path[2]]["rationale"].strip(), path
            continue
        assert path[0] == "parties", path
        party = raw["parties"][path[1]]
        if path[2] == "reservation_value":
            assert party["reservation_rationale"].strip(), path
            continue
        if path[2] == "clout":
            assert party["clout_rationale"].strip(), path
            continue
        assert path[2:4] == ("preferences", "issues"), path
        assert path[5] in {"weight", "values"}, path
        assert party["preferences"]["issues"][path[4]]["rationale"].strip(), path
