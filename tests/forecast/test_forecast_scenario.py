"""Forecast from a scenario: the placement rule, the deal, the split of the models' gaps.

Each rule is checked against an independent computation: the principal axis against an
eigen-decomposition of the parties' covariance, the nearest option against a plain scan, the
deal's utilities and ZOPA membership against the outcome space, the split of a gap against the
models' own outcomes.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from detente import OutcomeSpace
from detente.errors import DetenteError, UnsupportedError
from detente.forecast import forecast_scenario, place
from detente.forecast.compromise import run_compromise
from detente.forecast.disagreement import DISAGREEMENT_GAP, disagreements
from detente.forecast.inputs import StakeholderError
from detente.forecast.placement import DEFAULT_CLOUT
from detente.forecast.scenario import nearest_options
from detente.scenario import Role, Scenario, load_scenario
from detente.space import ACCEPT_TOLERANCE
from tests.strategies import rule_based_scenarios, scenario_dicts

CEASEFIRE = load_scenario("ceasefire-2025")


def _discrete(**kwargs: Any) -> st.SearchStrategy[dict[str, Any]]:
    return scenario_dicts(numeric=False, **kwargs)


def _axis_reference(values: np.ndarray) -> np.ndarray | None:
    """Places on the main axis by an eigen-decomposition of the parties' covariance."""
    centred = values - values.mean(axis=0)
    eigenvalues, vectors = np.linalg.eigh(centred.T @ centred)
    order = np.argsort(eigenvalues)[::-1]
    if eigenvalues[order[0]] <= 1e-18:
        return None
    if len(order) > 1:  # the axis is defined only when the top eigenvalue stands out
        assume(eigenvalues[order[0]] - eigenvalues[order[1]] > 1e-6 * eigenvalues[order[0]])
    e = vectors[:, order[0]]
    first = next(p for p in range(len(e)) if abs(e[p]) > 1e-12)
    e = -e if e[first] > 0 else e
    scores = centred @ e
    span = scores.max() - scores.min()
    return np.asarray((scores - scores.min()) / span * 100.0) if span > 0 else None


@settings(max_examples=60, deadline=None)
@given(_discrete(max_parties=4, red_lines=False))
def test_axis_places_options_as_an_eigen_decomposition_does(data: dict[str, Any]) -> None:
    space = OutcomeSpace.from_scenario(Scenario.model_validate(data))
    for i, line in enumerate(place(space).lines):
        n = len(line.positions)
        expected = _axis_reference(space.tables[:, i, :n].T) if n > 1 else None
        if expected is None:
            assert line.rule == "order"
            assert np.allclose(line.positions, np.linspace(0, 100, n) if n > 1 else [50.0])
            continue
        assert line.rule == "axis"
        assert np.allclose(line.positions, expected, atol=1e-6)
        assert line.positions.min() == 0.0
        assert line.positions.max() == 100.0
        assert line.fit is not None
        assert 0.0 < line.fit <= 1.0 + 1e-12


@settings(max_examples=40, deadline=None)
@given(_discrete(max_parties=3, red_lines=False), st.randoms(use_true_random=False))
def test_placement_does_not_depend_on_the_order_options_are_listed(
    data: dict[str, Any], random: Any
) -> None:
    shuffled = copy.deepcopy(data)
    for issue in shuffled["issues"]:
        random.shuffle(issue["options"])
    lines = place(OutcomeSpace.from_scenario(Scenario.model_validate(data))).lines
    again = place(OutcomeSpace.from_scenario(Scenario.model_validate(shuffled))).lines
    for line, other in zip(lines, again, strict=True):
        if line.rule == "order":  # nobody cares: even spacing in the listed order
            continue
        where = dict(zip(line.options, line.positions, strict=True))
        for option, x in zip(other.options, other.positions, strict=True):
            assert x == pytest.approx(where[option], abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(_discrete(max_parties=3, red_lines=False))
def test_the_first_party_that_cares_prefers_the_low_end(data: dict[str, Any]) -> None:
    space = OutcomeSpace.from_scenario(Scenario.model_validate(data))
    for i, line in enumerate(place(space).lines):
        if line.rule != "axis":
            continue
        values = space.tables[:, i, : len(line.positions)]
        covariance = [float(np.cov(v, line.positions)[0, 1]) for v in values]
        first = next(c for c in covariance if abs(c) > 1e-9)
        assert first < 0


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=2, max_size=5).filter(
        lambda v: max(v) - sorted(v)[-2] > 0.01  # one best option
    ),
    st.lists(st.floats(0.1, 5.0), min_size=3, max_size=3),
    st.lists(st.floats(0.1, 5.0), min_size=3, max_size=3),
)
def test_a_unanimous_scenario_forecasts_the_unanimous_option(
    values: list[float], weights: list[float], clout: list[float]
) -> None:
    """Three parties value the options alike (weights and clout differ): every model agrees."""
    options = [f"o{k}" for k in range(len(values))]
    second = {"name": "other", "options": ["a", "b"]}
    parties = [
        {
            "name": f"p{p}",
            "clout": clout[p],
            "reservation_value": 0.0,
            "preferences": {
                "issues": {
                    "i0": {"weight": weights[p], "values": dict(zip(options, values, strict=True))},
                    "other": {"weight": 1.0, "values": {"a": 0.0, "b": 1.0}},
                }
            },
        }
        for p in range(3)
    ]
    scenario = Scenario.model_validate(
        {
            "name": "unanimous",
            "issues": [{"name": "i0", "options": options}, second],
            "parties": parties,
        }
    )
    result = forecast_scenario(scenario)
    best = options[int(np.argmax(values))]
    for deal in result.deals.values():
        assert deal.deal == {"i0": best, "other": "b"}
        assert deal.in_zopa
    assert result.disagreements == ()


def _declared(data: dict[str, Any], places: list[list[float]], *, mirror: bool) -> Scenario:
    out = copy.deepcopy(data)
    for issue, row in zip(out["issues"], places, strict=False):
        issue["options"] = [
            {"name": name, "position": 100.0 - x if mirror else x}
            for name, x in zip(issue["options"], row, strict=False)
        ]
    return Scenario.model_validate(out)


@settings(max_examples=40, deadline=None)
@given(
    _discrete(max_parties=3, max_options=4),
    st.lists(
        st.lists(st.integers(0, 100), min_size=4, max_size=4, unique=True), min_size=4, max_size=4
    ),
)
def test_mirrored_lines_give_mirrored_forecasts_and_the_same_deal(
    data: dict[str, Any], places: list[list[int]]
) -> None:
    """Declared places x -> 100 - x: every model's forecast mirrors, the deal stays the same."""
    rows = [[float(x) for x in row] for row in places]
    result = forecast_scenario(_declared(data, rows, mirror=False))
    mirrored = forecast_scenario(_declared(data, rows, mirror=True))
    for line in result.placement.lines:
        assert line.rule == "declared"
    for name in ("compromise", "bdm", "smp"):
        here, there = result.deals[name], mirrored.deals[name]
        assert np.allclose(there.positions, 100.0 - here.positions, atol=1e-7)
        for i, line in enumerate(result.placement.lines):
            distance = np.sort(np.abs(line.positions - here.positions[i]))
            assume(len(distance) == 1 or distance[1] - distance[0] > 1e-6)
        assert there.deal == here.deal


@settings(max_examples=60, deadline=None)
@given(_discrete(max_parties=3), st.lists(st.floats(0, 100), min_size=4, max_size=4))
def test_nearest_option_is_the_nearest_then_the_most_valued_then_the_first(
    data: dict[str, Any], positions: list[float]
) -> None:
    space = OutcomeSpace.from_scenario(Scenario.model_validate(data))
    placement = place(space)
    chosen = nearest_options(space, placement, np.array(positions[: space.n_issues]))
    for i, line in enumerate(placement.lines):
        n = len(line.positions)
        value = space.tables[:, i, :n].sum(axis=0)
        key = [(round(abs(line.positions[j] - positions[i]), 9), -value[j], j) for j in range(n)]
        assert chosen[i] == min(key)[2]


def _check_deals(space: OutcomeSpace, result: Any) -> None:
    """Every model's deal, valued independently of the forecast code."""
    scenario = space.scenario
    for deal in result.deals.values():
        assert set(deal.deal) == set(space.issue_names)
        u = space.utilities(space.index_of(deal.deal))[0]
        assert list(deal.utilities.values()) == pytest.approx(u.tolist(), abs=1e-12)
        for p, party in enumerate(scenario.parties):
            crosses = any(deal.deal[i] in options for i, options in party.red_lines.items())
            accepts = u[p] >= party.reservation_value - ACCEPT_TOLERANCE and not crosses
            assert deal.acceptable[party.name] == accepts
            assert deal.margins[party.name] == pytest.approx(u[p] - party.reservation_value)
        assert deal.in_zopa == all(deal.acceptable.values())


def _check_gaps(result: Any) -> None:
    """Each gap splits exactly into the actors' parts; every disagreement and only those."""
    listed = {g.dimension for g in result.disagreements}
    for k, dimension in enumerate(result.placement.stakeholders.dimensions):
        outcomes = [d.positions[k] for d in result.deals.values()]
        options = {str(d.deal[dimension]) for d in result.deals.values()}
        disagree = len(options) > 1 or max(outcomes) - min(outcomes) >= DISAGREEMENT_GAP
        assert (dimension in listed) == disagree
    for gap in result.disagreements:
        assert gap.gap == pytest.approx(gap.outcomes[gap.high] - gap.outcomes[gap.low])
        assert sum(p.points for p in gap.pulls) == pytest.approx(gap.gap, abs=1e-9)
        assert sum(p.weight for p in gap.pulls) == pytest.approx(1.0)
        k = result.placement.stakeholders.dimensions.index(gap.dimension)
        for pull in gap.pulls:
            i = result.placement.stakeholders.actors.index(pull.actor)
            assert pull.high == result.forecasts[gap.high].final[i, k]
            assert pull.low == result.forecasts[gap.low].final[i, k]
        assert set(gap.reasons) == set(result.forecasts)


@settings(max_examples=30, deadline=None)
@given(scenario_dicts(max_parties=3, max_issues=3))
def test_deals_and_gaps_on_random_scenarios(data: dict[str, Any]) -> None:
    space = OutcomeSpace.from_scenario(Scenario.model_validate(data))
    result = forecast_scenario(space)
    _check_deals(space, result)
    _check_gaps(result)


def test_ceasefire_forecasts_on_its_own_parties_and_issues() -> None:
    space = OutcomeSpace.from_scenario(CEASEFIRE)
    result = forecast_scenario(space, model="smp", seed=7)
    data = result.placement.stakeholders
    assert data.actors == ("Russia", "Ukraine", "United States", "European states")
    assert data.dimensions == tuple(i.name for i in CEASEFIRE.issues)
    assert data.capability.tolist() == [90.0, 55.0, 100.0, 60.0]  # declared clout
    assert result.placement.clout_declared == (True, True, True, True)
    for p, party in enumerate(CEASEFIRE.parties):  # salience: 100 x the party's weights
        weights = [party.preferences.issues[i].weight for i in data.dimensions]  # type: ignore[union-attr]
        assert data.salience[p].tolist() == pytest.approx([100 * w / sum(weights) for w in weights])
    assert result.deal == result.deals["smp"].deal
    assert result.utilities == result.deals["smp"].utilities
    assert result.margins == result.deals["smp"].margins
    assert result.in_zopa == result.deals["smp"].in_zopa
    assert result.forecast is result.forecasts["smp"]
    _check_deals(space, result)
    _check_gaps(result)
    # the models do disagree here, and the reasons name what each did
    assert result.disagreements
    assert set(result.assumptions) == {"smp", "bdm", "compromise"}
    assert "risk attitudes from" in result.assumptions["smp"]
    assert "confrontation" in result.assumptions["bdm"]
    # Russia (listed first) prefers the low end of every line: its best option sits at 0
    for line, x in zip(result.placement.lines, data.position[0], strict=True):
        assert line.rule == "axis"
        assert x == 0.0 or line.issue in {"oversight", "breach_mechanism", "humanitarian"}


def test_the_same_answer_for_any_seed_and_from_the_scenario_or_its_space() -> None:
    one = forecast_scenario(CEASEFIRE, model="bdm", seed=1)
    two = forecast_scenario(OutcomeSpace.from_scenario(CEASEFIRE), model="bdm", seed=2)
    assert one.deal == two.deal
    assert one.utilities == two.utilities
    with pytest.raises(DetenteError, match="unknown model 'oracle'"):
        forecast_scenario(CEASEFIRE, model="oracle")


def test_rules_declared_numeric_and_order() -> None:
    scenario = Scenario.model_validate(
        {
            "name": "rules",
            "issues": [
                {
                    "name": "d",
                    "options": [{"name": "a", "position": 10}, {"name": "b", "position": 70}],
                },
                {"name": "n", "kind": "integer", "low": 0, "high": 4},
                {"name": "flat", "options": ["x", "y", "z"]},
                {"name": "one", "options": ["only"]},
                {"name": "point", "kind": "integer", "low": 3, "high": 3},
            ],
            "parties": [
                {
                    "name": name,
                    "role": role,
                    "reservation_value": 0.0,
                    "preferences": {
                        "issues": {
                            "d": {"weight": 1, "values": {"a": 1.0, "b": b}},
                            "n": {
                                "weight": 1,
                                "function": {"kind": "linear", "at_low": 1 - b, "at_high": b},
                            },
                            "flat": {"weight": 1, "values": {"x": 1, "y": 1, "z": 1}},
                            "one": {"weight": 1, "values": {"only": 1}},
                            "point": {
                                "weight": 1,
                                "function": {"kind": "linear", "at_low": 1, "at_high": 1},
                            },
                        }
                    },
                }
                for name, role, b in (
                    ("m", "mediator", 0.0),
                    ("g", "guarantor", 1.0),
                    ("x", "belligerent", 1.0),
                )
            ],
        }
    )
    placement = place(OutcomeSpace.from_scenario(scenario))
    rules = {line.issue: (line.rule, line.positions.tolist()) for line in placement.lines}
    assert rules == {
        "d": ("declared", [10.0, 70.0]),
        "n": ("numeric", [0.0, 25.0, 50.0, 75.0, 100.0]),
        "flat": ("order", [0.0, 50.0, 100.0]),
        "one": ("order", [50.0]),
        "point": ("numeric", [50.0]),
    }
    data = placement.stakeholders
    assert data.capability.tolist() == [
        DEFAULT_CLOUT[Role.MEDIATOR],
        DEFAULT_CLOUT[Role.GUARANTOR],
        DEFAULT_CLOUT[Role.BELLIGERENT],
    ]
    # best option; ties share the mean place of the tied options
    assert data.position[:, 0].tolist() == [10.0, 40.0, 40.0]  # a best for m; a and b tie for g, x
    assert data.position[:, 1].tolist() == [0.0, 100.0, 100.0]
    assert data.position[:, 2].tolist() == [50.0, 50.0, 50.0]
    assert data.dimension_labels[1] == "n: 0 = 0, 100 = 4"


@settings(max_examples=5, deadline=None)
@given(rule_based_scenarios())
def test_rule_based_preferences_are_refused_by_name(scenario: Scenario) -> None:
    with pytest.raises(UnsupportedError, match="rule-based preferences") as caught:
        forecast_scenario(scenario)
    assert caught.value.field == f"parties.{scenario.parties[0].name}.preferences"


def test_a_lone_party_is_refused() -> None:
    lone = Scenario.model_validate(
        {
            "name": "lone",
            "issues": [{"name": "i", "options": ["a", "b"]}],
            "parties": [
                {
                    "name": "p",
                    "reservation_value": 0,
                    "preferences": {"issues": {"i": {"weight": 1, "values": {"a": 1, "b": 0}}}},
                }
            ],
        }
    )
    with pytest.raises(StakeholderError, match="at least two parties"):
        forecast_scenario(lone)


def test_deals_that_differ_on_forecasts_that_agree_are_listed_without_pulls() -> None:
    """Options can differ with no gap (forecasts either side of a midpoint): still reported."""
    data = place(OutcomeSpace.from_scenario(CEASEFIRE)).stakeholders
    same = run_compromise(data)
    deals = {"a": dict.fromkeys(data.dimensions, "x"), "b": dict.fromkeys(data.dimensions, "y")}
    gaps = disagreements(data, {"a": same, "b": same}, deals)
    assert [g.dimension for g in gaps] == list(data.dimensions)
    for gap in gaps:
        assert gap.gap == 0.0
        assert gap.summary.endswith("0.0 points apart.")
        assert all(p.points == 0.0 for p in gap.pulls)
