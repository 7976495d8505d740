"""Sensitivity of the solutions: the vectorised Monte Carlo against a draw-by-draw loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings

from detente import OutcomeSpace, load_scenario
from detente.analysis import bargaining_solutions, pareto_frontier, sensitivity
from detente.scenario.model import AdditivePreferences, Scenario, issue_value_table
from tests.strategies import rule_based_scenarios, scenarios


def loop_probability(
    scenario: Scenario, deal: dict, concentration: float, spread: float, *, samples: int, seed: int
) -> float:
    """Draw by draw, party by party: the share of draws in which every party accepts ``deal``."""
    rng = np.random.default_rng(seed)
    names = [i.name for i in scenario.issues]
    drawn = {}
    for party in scenario.parties:
        prefs = party.preferences
        assert isinstance(prefs, AdditivePreferences)
        w = np.array([prefs.issues[n].weight for n in names])
        w = w / w.sum()
        positive = np.flatnonzero(w > 0)
        drawn[party.name] = (positive, rng.dirichlet(concentration * w[positive], size=samples))
    noise = rng.uniform(-spread, spread, (samples, len(scenario.parties)))
    hits = 0
    for s in range(samples):
        ok = True
        for p, party in enumerate(scenario.parties):
            prefs = party.preferences
            assert isinstance(prefs, AdditivePreferences)
            positive, weights = drawn[party.name]
            u = 0.0
            for k, i in enumerate(positive):
                issue = scenario.issues[i]
                values = issue_value_table(prefs.issues[issue.name], issue)
                u += weights[s, k] * values[issue.option_index(deal[issue.name])]
            r = min(1.0, max(0.0, party.reservation_value + noise[s, p]))
            ok = ok and u >= r
        hits += ok
    return hits / samples


@given(scenarios(min_parties=2, max_parties=3, max_issues=3, max_options=3))
@settings(max_examples=25, deadline=None)
def test_probabilities_match_a_draw_by_draw_loop(scenario: Scenario) -> None:
    space = OutcomeSpace.from_scenario(scenario)
    frontier = pareto_frontier(space)
    assume(len(frontier))
    solutions = bargaining_solutions(space, frontier)
    result = sensitivity(
        space, frontier, solutions, concentration=20.0, reservation_range=0.1, samples=200, rng=3
    )
    for name, probability in result.solutions.items():
        deal = solutions[name].deal
        assert deal is not None
        typed = {
            i.name: i.values[[str(v) for v in i.values].index(deal[i.name])]
            for i in scenario.issues
        }
        expected = loop_probability(scenario, typed, 20.0, 0.1, samples=200, seed=3)
        assert probability == pytest.approx(expected, abs=1.5 / 200)  # a tie may flip a draw
    for name in result.solutions:
        assert set(result.by_party[name]) == set(space.party_names)
        assert min(result.by_party[name].values()) >= result.solutions[name] - 1e-12
    assert result.robust_probability >= max(result.solutions.values(), default=0.0) - 1e-12 or (
        not frontier.in_zopa(space).any()
    )


def test_without_uncertainty_zopa_deals_always_hold() -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    frontier = pareto_frontier(space)
    solutions = bargaining_solutions(space, frontier)
    result = sensitivity(
        space, frontier, solutions, concentration=math.inf, reservation_range=0.0, samples=50
    )
    assert all(p == 1.0 for p in result.solutions.values())
    assert result.robust_probability == 1.0
    assert result.candidates == int(frontier.in_zopa(space).sum())


def test_same_seed_same_result_and_thinning() -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    frontier = pareto_frontier(space)
    solutions = bargaining_solutions(space, frontier)
    one = sensitivity(space, frontier, solutions, samples=300, rng=11, max_candidates=10)
    two = sensitivity(space, frontier, solutions, samples=300, rng=11, max_candidates=10)
    assert one == two
    assert one.candidates == 10
    assert 0.0 < one.solutions["nash"] < 1.0
    other = sensitivity(space, frontier, solutions, samples=300, rng=12, max_candidates=10)
    assert other != one


@given(rule_based_scenarios())
@settings(max_examples=15, deadline=None)
def test_rule_based_parties_keep_their_utilities(scenario: Scenario) -> None:
    space = OutcomeSpace.from_scenario(scenario)
    frontier = pareto_frontier(space)
    assume(len(frontier))
    solutions = bargaining_solutions(space, frontier)
    result = sensitivity(space, frontier, solutions, reservation_range=0.0, samples=20, rng=0)
    rule_party = space.party_names[0]
    for name, solution in solutions.items():
        if solution.deal is not None:
            # the rule-based party's utility and reservation are fixed: it always accepts
            assert result.by_party[name][rule_party] == 1.0
