"""The live analysis: the CLI's figures for the edited document, fast part and slow part."""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from detente import assess as assess_module
from detente.cli import app
from detente.errors import ScenarioError
from detente.monitor.enums import Role
from detente.monitor.errors import InputError
from detente.monitor.models import User
from detente.scenario.formats.native import parse_native
from detente.scenario.io import builtin_path
from detente.space import OutcomeSpace
from detente.workbench import live
from detente.workbench.errors import InvalidDocumentError
from detente.workbench.live import (
    document_key,
    live_analysis,
    live_survival,
)
from tests.strategies import scenario_dicts

runner = CliRunner()


@pytest.fixture(scope="module")
def ceasefire() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(builtin_path("ceasefire-2025").read_text())
    return data


@pytest.fixture(scope="module")
def cli_json() -> dict[str, Any]:
    out = runner.invoke(app, ["analyze", "ceasefire-2025", "--json", "--seed", "3"])
    assert out.exit_code == 0, out.output
    data: dict[str, Any] = json.loads(out.output)
    return data


def _small() -> dict[str, Any]:
    """Two issues, three parties: every deal is plotted and checkable by hand."""
    return {
        "name": "small",
        "issues": [
            {"name": "a", "options": ["a0", "a1", "a2"]},
            {"name": "b", "options": ["b0", "b1"]},
        ],
        "parties": [
            {
                "name": "P",
                "reservation_value": 0.2,
                "preferences": {
                    "issues": {
                        "a": {"weight": 2, "values": {"a0": 0, "a1": 0.5, "a2": 1}},
                        "b": {"weight": 1, "values": {"b0": 1, "b1": 0}},
                    }
                },
            },
            {
                "name": "Q",
                "reservation_value": 0.2,
                "preferences": {
                    "issues": {
                        "a": {"weight": 1, "values": {"a0": 1, "a1": 0.6, "a2": 0}},
                        "b": {"weight": 1, "values": {"b0": 0, "b1": 1}},
                    }
                },
            },
            {
                "name": "R",
                "reservation_value": 0.0,
                "preferences": {
                    "issues": {
                        "a": {"weight": 1, "values": {"a0": 0, "a1": 1, "a2": 0}},
                        "b": {"weight": 1, "values": {"b0": 1, "b1": 1}},
                    }
                },
            },
        ],
    }


def _user(role: Role) -> User:
    return User(id=7, username=role.value, role=role, party_id=None)


def test_the_fast_part_is_the_clis_analysis(
    ceasefire: dict[str, Any], cli_json: dict[str, Any]
) -> None:
    payload = live_analysis(ceasefire, seed=3).to_dict()
    assert payload["zopa"]["count"] == cli_json["zopa"]["count"] == 1136
    assert payload["zopa"]["feasible_count"] == cli_json["zopa"]["feasible_count"]
    assert payload["outcome_count"] == cli_json["outcome_count"]
    assert payload["parties"] == cli_json["parties"]
    assert payload["reservation"] == cli_json["reservation"]
    for name, solution in cli_json["solutions"].items():
        mine = payload["solutions"][name]
        assert mine["deal"] == solution["deal"]
        assert mine["utilities"] == solution["utilities"]
        assert mine["gains"] == solution["gains"]
    assert payload["reference_deal"] == cli_json["sweeteners"]["deal"]
    assert [tp["summary"] for tp in payload["talking_points"]] == [
        tp["summary"] for tp in cli_json["talking_points"]
    ]
    assert [tp["points"] for tp in payload["talking_points"]] == [
        [p["sentence"] for p in tp["points"]] for tp in cli_json["talking_points"]
    ]
    # the plotted frontier is the CLI's frontier, seen from Russia and Ukraine
    cli_points = sorted(
        (round(p["utilities"]["Russia"], 6), round(p["utilities"]["Ukraine"], 6))
        for p in cli_json["pareto"]
    )
    frontier = payload["frontier"]
    assert sorted(zip(frontier["x"], frontier["y"], strict=True)) == cli_points


def test_the_slow_part_is_the_clis_assessment(
    ceasefire: dict[str, Any], cli_json: dict[str, Any]
) -> None:
    payload = live_survival(ceasefire, seed=3).to_dict()
    assert payload["key"] == document_key(ceasefire)
    assert payload["paths"] == cli_json["durability"]["paths"]
    assert payload["reference"] == cli_json["durability"]["reference"]
    recommended, theirs = payload["recommended"], cli_json["recommended"]
    for field in ("deal", "utilities", "margins", "survival_1y", "survival_1y_se", "fairness"):
        assert recommended[field] == theirs[field], field
    assert recommended["from"] == theirs["from"]
    for name, solution in cli_json["solutions"].items():
        mine = payload["solutions"][name]
        assert (mine["survival_1y"], mine["survival_1y_se"], mine["margins"]) == (
            solution["survival_1y"],
            solution["survival_1y_se"],
            solution["margins"],
        )
    for party, rows in cli_json["sweeteners"]["by_party"].items():
        mine = payload["sweeteners"][party]
        assert [r["sentence"] for r in mine] == [r["sentence"] for r in rows]
        assert [r["survival_1y"] for r in mine] == [r["survival_1y"] for r in rows]
    # the fast part's sweeteners are the same ones, before survival re-ranks them
    fast = live_analysis(ceasefire, seed=3).to_dict()["sweeteners"]
    for party, rows in payload["sweeteners"].items():
        assert sorted(r["sentence"] for r in rows) == sorted(
            s["sentence"] for s in fast[party]["sweeteners"]
        )


def test_moving_russias_weight_on_sanctions_relief_moves_the_nash_deal(
    ceasefire: dict[str, Any],
) -> None:
    before = live_analysis(ceasefire).to_dict()["solutions"]["nash"]["deal"]
    edited = copy.deepcopy(ceasefire)
    russia = next(p for p in edited["parties"] if p["name"] == "Russia")
    russia["preferences"]["issues"]["sanctions_relief"]["weight"] = 0.6
    after = live_analysis(edited).to_dict()
    assert after["key"] != document_key(ceasefire)
    assert after["solutions"]["nash"]["deal"] != before


def test_the_plot_of_a_small_space_shows_every_deal_against_brute_force() -> None:
    document = _small()
    payload = live_analysis(document, x="Q", y="P").to_dict()
    space = OutcomeSpace.from_scenario(parse_native(json.dumps(document), source="t", is_json=True))
    every = space.utilities(np.arange(space.size))
    cloud = payload["cloud"]
    assert cloud["every_deal"]
    assert cloud["of"] == space.size == 6
    assert sorted(zip(cloud["x"], cloud["y"], strict=True)) == sorted(
        (round(float(u[1]), 6), round(float(u[0]), 6)) for u in every
    )
    inside = (every >= space.reservation).all(axis=1)
    assert sum(cloud["in_zopa"]) == int(inside.sum()) == payload["zopa"]["count"]
    # the frontier: deals no other deal weakly improves for all and strictly for one
    efficient = [
        k
        for k in range(space.size)
        if not any((every[j] >= every[k]).all() and (every[j] > every[k]).any() for j in range(6))
    ]
    frontier = payload["frontier"]
    assert sorted(zip(frontier["x"], frontier["y"], strict=True)) == sorted(
        (round(float(every[k, 1]), 6), round(float(every[k, 0]), 6)) for k in efficient
    )
    assert sorted(frontier["options"]) == sorted(space.unravel(np.array(efficient)).tolist())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_dicts(numeric=False))
def test_the_payload_is_json_and_its_cloud_is_bounded(document: dict[str, Any]) -> None:
    answer = live_analysis(document, cloud_points=4)
    payload = json.loads(json.dumps(answer.to_dict(), allow_nan=False))
    cloud = payload["cloud"]
    assert len(cloud["x"]) == len(cloud["y"]) == len(cloud["in_zopa"]) == min(4, cloud["of"])
    assert (payload["x"], payload["y"]) == ("p0", "p1")
    space = answer.analysis.space
    every = space.unravel(np.arange(space.size))
    assert payload["zopa"]["count"] == int(space.in_zopa_options(every).sum())


def test_the_caches_answer_the_same_document_whatever_its_key_order() -> None:
    document = _small()
    shuffled = dict(reversed(list(copy.deepcopy(document).items())))
    assert document_key(shuffled) == document_key(document)
    first = live_analysis(document)
    assert live_analysis(shuffled).analysis is first.analysis
    assert live_survival(document).assessment is live_survival(shuffled).assessment
    assert live_analysis(document, seed=1).analysis is not first.analysis


def test_the_cache_forgets_the_least_recently_used() -> None:
    cache = live._Cache(2)
    calls: list[str] = []

    def compute(name: str) -> str:
        calls.append(name)
        return name

    for name in ("a", "b", "a", "c", "b", "a"):
        assert cache.get(name, lambda name=name: compute(name)) == name
    assert calls == ["a", "b", "c", "b", "a"]
    cache.clear()
    assert cache.get("a", lambda: compute("again")) == "again"


def test_an_invalid_document_names_the_field_in_the_clis_words() -> None:
    document = _small()
    document["parties"][1]["preferences"]["issues"]["a"]["weight"] = -1
    with pytest.raises(InvalidDocumentError) as caught:
        live_analysis(document)
    with pytest.raises(ScenarioError) as cli:
        parse_native(json.dumps(document), source="the scenario", is_json=True)
    assert caught.value.message == cli.value.message
    assert caught.value.field == f"document.{cli.value.field}"
    assert [e.path for e in caught.value.errors] == [cli.value.field]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"name": "x", "when": float("nan")}, "not a finite number"),
        ({"name": "x", "when": {1, 2}}, "not plain JSON data"),
    ],
)
def test_what_is_not_a_scenario_is_refused(document: Any, message: str) -> None:
    with pytest.raises(InvalidDocumentError, match=message):
        live_analysis(document)


@pytest.mark.parametrize(
    ("x", "y", "field", "message"),
    [
        ("Nobody", "P", "x", "unknown party 'Nobody'; the parties are P, Q, R"),
        ("P", "Nobody", "y", "unknown party 'Nobody'"),
        ("Q", "Q", "y", "choose two different parties"),
    ],
)
def test_the_axes_must_name_two_parties(x: str, y: str, field: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        live_analysis(_small(), x=x, y=y)
    assert caught.value.field == field


def test_the_y_axis_defaults_to_another_party() -> None:
    payload = live_analysis(_small(), x="P").to_dict()
    assert (payload["x"], payload["y"]) == ("P", "Q")
    payload = live_analysis(_small(), x="Q").to_dict()
    assert (payload["x"], payload["y"]) == ("Q", "P")


def test_without_a_zopa_the_panel_says_how_far_the_parties_are() -> None:
    document = _small()
    for party in document["parties"]:
        party["reservation_value"] = 0.99
    payload = live_analysis(document).to_dict()
    assert payload["zopa"]["count"] == 0
    assert all(s is None for s in payload["solutions"].values())
    assert set(payload["concessions"]["by_party"]) == {"P", "Q", "R"}
    survival = live_survival(document).to_dict()
    assert survival["recommended"] is None
    assert all(s is None for s in survival["solutions"].values())


class _EnoughError(Exception):
    """What the tests' checkpoints raise to stop a computation."""


def test_a_checkpoint_stops_survival_between_deals_and_changes_no_figure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Looked at after the analysis and before each deal; a stopped computation caches nothing."""
    document = _small()
    live._ASSESSMENTS.clear()
    plain = live_survival(document, seed=4).to_dict()
    simulated: list[int] = []
    real = assess_module.assess_deal

    def counted(*args: Any, **kwargs: Any) -> Any:
        simulated.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(assess_module, "assess_deal", counted)
    live._ASSESSMENTS.clear()
    looked: list[int] = []
    checked = live_survival(document, seed=4, checkpoint=lambda: looked.append(len(simulated)))
    deals = len(simulated)
    assert deals >= 3  # distinct deals, each simulated once
    assert looked == [0, *range(deals)]  # after the analysis, then before every deal
    assert checked.to_dict() == plain  # the same figures as without a checkpoint

    def after_the_first_deal() -> None:
        if simulated:
            raise _EnoughError

    live._ASSESSMENTS.clear()
    simulated.clear()
    with pytest.raises(_EnoughError):
        live_survival(document, seed=4, checkpoint=after_the_first_deal)
    assert len(simulated) == 1  # stopped before the second deal's simulation
    simulated.clear()
    assert live_survival(document, seed=4).to_dict() == plain  # nothing half-done was kept
    assert len(simulated) == deals
