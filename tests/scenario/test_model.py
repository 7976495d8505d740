"""Scenario validation: each rule gives one precise error naming the field."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from detente.errors import ScenarioError
from detente.scenario.formats.native import validate_scenario
from detente.scenario.model import (
    DiscreteIssue,
    IssueValuation,
    NumericIssue,
    Scenario,
    issue_value_table,
)

BASE: dict[str, Any] = {
    "name": "talks",
    "issues": [
        {"name": "scope", "options": ["trial", "extended"]},
        {"kind": "integer", "name": "troops", "low": 0, "high": 4},
    ],
    "parties": [
        {
            "name": "east",
            "reservation_value": 0.0,
            "preferences": {
                "issues": {
                    "scope": {"weight": 1, "values": {"trial": 1, "extended": 0}},
                    "troops": {
                        "weight": 1,
                        "function": {"kind": "linear", "at_low": 0, "at_high": 1},
                    },
                }
            },
        }
    ],
}


def _east(raw: dict[str, Any]) -> dict[str, Any]:
    party: dict[str, Any] = raw["parties"][0]
    return party


def _issues(raw: dict[str, Any]) -> dict[str, Any]:
    issues: dict[str, Any] = _east(raw)["preferences"]["issues"]
    return issues


CASES: list[tuple[Callable[[dict[str, Any]], Any], str, str]] = [
    (lambda r: r["issues"][1].update(high=float("inf")), "issues.1", "finite"),
    (lambda r: r["issues"][1].update(low=5), "issues.1", "is below low"),
    (lambda r: r["issues"][1].update(high=4.5), "issues.1", "integer low and high"),
    (
        lambda r: _issues(r)["troops"].update(
            function={"kind": "piecewise", "points": [[1, 0], [1, 1]]}
        ),
        "parties.0.preferences.issues.troops.function.points",
        "strictly increasing",
    ),
    (
        lambda r: _issues(r)["scope"].update(weight=float("inf")),
        "parties.0.preferences.issues.scope.weight",
        "finite",
    ),
    (
        lambda r: _issues(r)["scope"].update(
            function={"kind": "linear", "at_low": 0, "at_high": 1}
        ),
        "parties[0] (east).preferences.issues.scope",
        "takes 'values', not 'function'",
    ),
    (
        lambda r: _issues(r)["scope"]["values"].pop("extended"),
        "parties[0] (east).preferences.issues.scope.values",
        "no value for option(s) ['extended']",
    ),
    (
        lambda r: _issues(r)["troops"].update(values={"1": 1}),
        "parties[0] (east).preferences.issues.troops",
        "takes 'function', not 'values'",
    ),
    (
        lambda r: _issues(r)["troops"].pop("function"),
        "parties[0] (east).preferences.issues.troops",
        "needs a value 'function'",
    ),
    (
        lambda r: _issues(r).pop("troops"),
        "parties[0] (east).preferences.issues",
        "no valuation for issue(s) ['troops']",
    ),
    (
        lambda r: _east(r).update(
            preferences={
                "kind": "rules",
                "constraints": [{"utility": 1, "bounds": {"troops": [3, 1]}}],
            }
        ),
        "parties[0] (east).preferences.constraints[0].bounds.troops",
        "a numeric bound is [low, high]",
    ),
    (
        lambda r: _east(r).update(
            preferences={
                "kind": "rules",
                "constraints": [{"utility": 1, "bounds": {"scope": ["x"]}}],
            }
        ),
        "parties[0] (east).preferences.constraints[0].bounds.scope",
        "unknown option 'x'",
    ),
    (
        lambda r: _east(r).update(red_lines={"scope": ["never"]}),
        "parties[0] (east).red_lines.scope",
        "unknown option 'never'",
    ),
    (lambda r: r["issues"].append(dict(r["issues"][0])), "issues", "duplicate issue name 'scope'"),
    (lambda r: r.update(issues="scope"), "issues", "valid list"),
    (
        lambda r: _issues(r)["troops"].update(function={"at_low": 0, "at_high": 1}),
        "parties.0.preferences.issues.troops.function",
        "no 'kind' given",
    ),
    (lambda r: r["issues"][0].update(options="trial"), "issues.0", "valid list"),
]


@pytest.mark.parametrize(("edit", "field", "message"), CASES)
def test_validation_errors(edit: Callable[[dict[str, Any]], Any], field: str, message: str) -> None:
    raw = copy.deepcopy(BASE)
    edit(raw)
    with pytest.raises(ScenarioError) as info:
        validate_scenario(raw, source="talks.yaml")
    assert info.value.source == "talks.yaml"
    assert info.value.field is not None
    assert info.value.field.startswith(field), info.value.field
    assert message in info.value.message


def test_the_base_is_valid_and_its_lookups_work() -> None:
    scenario = Scenario.model_validate(BASE)
    assert scenario.issue("scope").values == ["trial", "extended"]
    assert scenario.party("east").name == "east"
    with pytest.raises(KeyError):
        scenario.issue("nope")
    with pytest.raises(KeyError):
        scenario.party("nope")
    troops = scenario.issue("troops")
    assert isinstance(troops, NumericIssue)
    with pytest.raises(KeyError):
        troops.option_index(2.5)
    scope = scenario.issue("scope")
    assert isinstance(scope, DiscreteIssue)
    with pytest.raises(KeyError):
        scope.option_index("nope")


def test_options_and_values_accept_mappings_as_given() -> None:
    issue = DiscreteIssue.model_validate({"name": "x", "options": [{"name": "a", "label": "A"}]})
    assert issue.labels == ["A"]
    valuation = IssueValuation.model_validate({"weight": 1, "values": None})
    assert valuation.values is None


def test_a_numeric_issue_without_function_scores_zero() -> None:
    issue = NumericIssue(kind="real", name="x", low=0, high=1, points=3)
    valuation = IssueValuation(weight=0)
    np.testing.assert_array_equal(issue_value_table(valuation, issue), [0.0, 0.0, 0.0])
    assert issue.labels == ["0", "0.5", "1"]
