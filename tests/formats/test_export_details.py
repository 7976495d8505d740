"""Export details: everything the native model holds survives native -> GENIUS -> native."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from detente.errors import UnsupportedError
from detente.scenario.formats.genius import load_genius, save_genius
from detente.scenario.formats.geniusweb import load_geniusweb, save_geniusweb
from detente.scenario.io import load_scenario, save_scenario
from detente.scenario.model import Scenario
from detente.space import OutcomeSpace

RAW: dict[str, Any] = {
    "name": "talks",
    "title": "Talks",
    "issues": [
        {"kind": "integer", "name": "troops", "low": 0, "high": 8, "step": 2, "unit": "k"},
        {"kind": "real", "name": "buffer", "low": 0.5, "high": 2.5, "points": 5, "label": "Buffer"},
        {"name": "scope", "options": [{"name": "trial", "label": "Trial", "description": "30 d"}]},
    ],
    "parties": [
        {
            "name": "talks",  # same file stem as the scenario: the writer keeps them apart
            "role": "mediator",
            "description": "the host",
            "red_lines": {"troops": [8]},
            "reservation_value": 0.0,
            "preferences": {
                "issues": {
                    "troops": {
                        "weight": 1,
                        "function": {"kind": "piecewise", "points": [[0, 0.5], [8, 0.5]]},
                    },
                    "buffer": {"weight": 0},
                    "scope": {"weight": 1, "values": {"trial": 1}},
                }
            },
        },
        {
            "name": "east/west",
            "reservation_value": 0.0,
            "preferences": {
                "issues": {
                    "troops": {
                        "weight": 2,
                        "function": {"kind": "piecewise", "points": [[0, 1], [4, 0], [8, 0]]},
                    },
                    "buffer": {
                        "weight": 1,
                        "function": {"kind": "linear", "at_low": 3, "at_high": 1},
                    },
                    "scope": {"weight": 1, "values": {"trial": 0.5}},
                }
            },
        },
    ],
}


def _utilities(scenario: Scenario) -> np.ndarray:
    space = OutcomeSpace.from_scenario(scenario)
    return space.utilities(np.arange(space.size))


def test_everything_survives_genius(tmp_path: Path) -> None:
    scenario = Scenario.model_validate(RAW)
    written = save_genius(scenario, tmp_path)
    assert sorted(p.name for p in written) == ["east_west.xml", "talks-2.xml", "talks.xml"]
    back = load_genius(tmp_path)
    np.testing.assert_array_equal(_utilities(back), _utilities(scenario))
    assert back.issues == scenario.issues
    assert back.title == "Talks"
    assert back.party_names == ["talks", "east/west"]
    assert back.parties[0].red_lines == {"troops": [8]}
    assert back.parties[0].role == "mediator"
    assert back.parties[0].description == "the host"


def test_geniusweb_keeps_utilities_of_linear_numeric_issues(tmp_path: Path) -> None:
    raw = copy.deepcopy(RAW)
    line = {"kind": "piecewise", "points": [[0, 1], [8, 0]]}  # a line: GeniusWeb can hold it
    raw["parties"][1]["preferences"]["issues"]["troops"]["function"] = line
    scenario = Scenario.model_validate(raw)
    with pytest.warns(Warning, match="red lines"):
        save_geniusweb(scenario, tmp_path / "w.geniusweb")
    back = load_geniusweb(tmp_path / "w.geniusweb")
    order = [back.party_names.index(n) for n in scenario.party_names]
    np.testing.assert_allclose(_utilities(back)[:, order], _utilities(scenario), atol=1e-12)


def test_a_rule_based_party_with_red_lines_is_refused(tmp_path: Path) -> None:
    raw = {
        "name": "grid",
        "issues": [{"kind": "integer", "name": "i", "low": 0, "high": 3}],
        "parties": [
            {
                "name": "p",
                "red_lines": {"i": [0]},
                "reservation_value": 0.0,
                "preferences": {
                    "kind": "rules",
                    "constraints": [{"utility": 1, "bounds": {"i": [1, 2]}}],
                },
            }
        ],
    }
    with pytest.raises(UnsupportedError, match="red lines of a rule-based party"):
        save_genius(Scenario.model_validate(raw), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_xml_target_names_the_domain_file(tmp_path: Path) -> None:
    scenario = Scenario.model_validate(RAW)
    written = save_scenario(scenario, tmp_path / "x" / "talks.xml")
    assert sorted(p.name for p in written) == ["east_west.xml", "talks-2.xml", "talks.xml"]
    written = save_scenario(scenario, tmp_path / "y" / "domain.xml")
    assert sorted(p.name for p in written) == ["domain.xml", "east_west.xml", "talks.xml"]
    back = load_scenario(tmp_path / "y" / "domain.xml")
    np.testing.assert_array_equal(_utilities(back), _utilities(scenario))


def test_a_rectangle_no_integer_deal_satisfies_is_left_out(tmp_path: Path) -> None:
    raw = {
        "name": "grid",
        "issues": [{"kind": "integer", "name": "i", "low": 0, "high": 3}],
        "parties": [
            {
                "name": "p",
                "reservation_value": 0.0,
                "preferences": {
                    "kind": "rules",
                    "constraints": [
                        {"utility": 1, "bounds": {"i": [1, 2]}},
                        {"utility": 5, "bounds": {"i": [1.2, 1.8]}},
                    ],
                },
            }
        ],
    }
    scenario = Scenario.model_validate(raw)
    save_genius(scenario, tmp_path)
    back = load_genius(tmp_path)
    np.testing.assert_array_equal(_utilities(back), _utilities(scenario))
