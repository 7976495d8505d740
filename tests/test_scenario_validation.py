"""Scenario validation: numeric issues, value functions, rule-based parties, and clear errors."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from detente.errors import ScenarioError
from detente.scenario.formats.native import dump_native, parse_native, validate_scenario
from detente.space import OutcomeSpace

BASE: dict[str, Any] = {
    "name": "mixed",
    "issues": [
        {"name": "money", "kind": "real", "low": 0, "high": 10, "points": 3, "unit": "bn"},
        {"name": "days", "kind": "integer", "low": 10, "high": 12},
        {"name": "flag", "options": ["no", "yes"]},
    ],
    "parties": [
        {
            "name": "A",
            "preferences": {
                "issues": {
                    "money": {
                        "weight": 2,
                        "function": {"kind": "linear", "at_low": 0, "at_high": 1},
                    },
                    "days": {
                        "weight": 1,
                        "function": {
                            "kind": "piecewise",
                            "points": [[10, 0.2], [11, 1], [12, 0.5]],
                        },
                    },
                    "flag": {"weight": 1, "values": {"no": 0, "yes": 1}},
                }
            },
            "red_lines": {"flag": ["no"]},
        },
        {
            "name": "B",
            "preferences": {
                "kind": "rules",
                "constraints": [
                    {"utility": 1.0, "bounds": {"money": [0, 5], "flag": ["no"]}},
                    {"utility": 0.5, "bounds": {"days": [10, 11]}},
                ],
            },
        },
    ],
}


def test_mixed_scenario_builds_a_space() -> None:
    scenario = validate_scenario(copy.deepcopy(BASE), source="m.yaml")
    money = scenario.issue("money")
    assert money.labels == ["0 bn", "5 bn", "10 bn"]
    assert scenario.issue("days").values == [10, 11, 12]
    assert scenario.party("B").name == "B"
    with pytest.raises(KeyError):
        scenario.issue("nope")
    with pytest.raises(KeyError):
        scenario.party("nope")
    space = OutcomeSpace.from_scenario(scenario)
    assert space.size == 3 * 3 * 2
    again = parse_native(dump_native(scenario), source="again.yaml")
    assert again == scenario
    assert (
        parse_native(dump_native(scenario, as_json=True), source="a.json", is_json=True) == scenario
    )


def _mutate(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(BASE)
    target = raw
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return raw


_DELETE = object()
_A = ("parties", 0, "preferences", "issues")


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        (("issues", 0, "high"), -1, "below low"),
        (("issues", 0, "low"), float("inf"), "finite"),
        (("issues", 1, "high"), 12.5, "integer"),
        (("issues", 2, "name"), "money", "duplicate issue"),
        (("parties", 1, "name"), "A", "duplicate party"),
        ((*_A, "flag", "values"), {"no": 1}, "no value for option"),
        ((*_A, "flag", "values"), {"no": 1, "yes": 0, "maybe": 2}, "unknown option"),
        (
            (*_A, "flag", "function"),
            {"kind": "linear", "at_low": 0, "at_high": 1},
            "not 'function'",
        ),
        ((*_A, "money", "values"), {"0": 1}, "not 'values'"),
        ((*_A, "money", "function"), _DELETE, "needs a value 'function'"),
        ((*_A, "days", "function", "points"), [[11, 0.2], [10, 1]], "increasing"),
        ((*_A, "ghost"), {"weight": 1, "values": {}}, "unknown issue"),
        ((*_A, "flag"), _DELETE, "no valuation"),
        (("parties", 0, "red_lines", "flag"), ["perhaps"], "unknown option"),
        (("parties", 1, "preferences", "constraints", 0, "bounds", "money"), [6, 1], "[low, high]"),
        (
            ("parties", 1, "preferences", "constraints", 0, "bounds", "flag"),
            ["x"],
            "unknown option",
        ),
    ],
)
def test_invalid_scenarios_are_refused_clearly(
    path: tuple[Any, ...], value: Any, words: str
) -> None:
    with pytest.raises(ScenarioError) as info:
        validate_scenario(_mutate(path, value), source="m.yaml")
    assert words in str(info.value)
    assert info.value.source == "m.yaml"


def test_all_zero_weights_are_refused() -> None:
    raw = copy.deepcopy(BASE)
    for valuation in raw["parties"][0]["preferences"]["issues"].values():
        valuation["weight"] = 0
    with pytest.raises(ScenarioError, match="all weights are zero"):
        validate_scenario(raw, source="m.yaml")


def test_value_functions_evaluate_as_documented() -> None:
    scenario = validate_scenario(copy.deepcopy(BASE), source="m.yaml")
    prefs = scenario.party("A").preferences
    linear = prefs.issues["money"].function  # type: ignore[union-attr]
    piecewise = prefs.issues["days"].function  # type: ignore[union-attr]
    assert linear is not None
    assert piecewise is not None
    np.testing.assert_allclose(linear(np.array([0.0, 5.0, 10.0]), 0, 10), [0, 0.5, 1])
    np.testing.assert_allclose(linear(np.array([3.0]), 3, 3), [1.0])
    assert linear.maximum(0, 10) == 1
    np.testing.assert_allclose(piecewise(np.array([9.0, 10.5, 13.0]), 10, 12), [0.2, 0.6, 0.5])
    assert piecewise.maximum(10, 12) == 1.0
