"""Bargaining solutions against brute force over the ZOPA and against closed-form theory."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings

from detente import OutcomeSpace, load_scenario
from detente.analysis import Solution, bargaining_solutions, pareto_frontier
from detente.scenario.model import Scenario
from tests import reference
from tests.analysis.brute import brute_force
from tests.analysis.test_pareto import precision_sized
from tests.strategies import additive_scenario, scenarios

LINEAR_UP = {"kind": "linear", "at_low": 0, "at_high": 1}
LINEAR_DOWN = {"kind": "linear", "at_low": 1, "at_high": 0}


def near_reservation(scenario: Scenario) -> bool:
    r = [p.reservation_value for p in scenario.parties]
    return any(
        0 < abs(x - rp) <= 2e-9  # the acceptance tolerance (1e-9) and its edge
        for _, _, u in reference.feasible(scenario)
        for x, rp in zip(u, r, strict=True)
    )


def check_solutions(scenario: Scenario) -> None:
    assume(not near_reservation(scenario))
    assume(not precision_sized(scenario))
    space = OutcomeSpace.from_scenario(scenario)
    solutions = bargaining_solutions(space)
    best = reference.best_scores(scenario)
    assert set(solutions) == {"nash", "kalai_smorodinsky", "egalitarian", "utilitarian"}
    # the very deal, tie-breaks included, that enumerating every deal picks
    assert {name: s.outcome for name, s in solutions.items()} == brute_force(space).solutions
    if best is None:
        assert all(s.outcome is None and s.deal is None for s in solutions.values())
        return
    zopa = [u for _, _, u in reference.feasible(scenario) if reference.in_zopa(scenario, u)]
    r = [p.reservation_value for p in scenario.parties]
    spans = tuple(max(u[p] - r[p] for u in zopa) for p in range(len(r)))
    by_index = {k: u for k, _, u in reference.feasible(scenario)}
    for name, solution in solutions.items():
        assert solution.name == name
        assert solution.outcome is not None
        u = by_index[solution.outcome]
        assert reference.in_zopa(scenario, u)
        assert solution.deal == {k: str(v) for k, v in space.deal(solution.outcome).items()}
        assert list(solution.utilities.values()) == pytest.approx(u, abs=1e-9)
        gains = tuple(x - rp for x, rp in zip(u, r, strict=True))
        assert list(solution.gains.values()) == pytest.approx(gains, abs=1e-9)
        score = sum(u) if name == "utilitarian" else reference.solution_score(name, gains, spans)
        assert score >= best[name] - 1e-9
        # on the frontier: no ZOPA deal dominates it
        assert not any(reference.dominates(v, u) for v in zopa)


@given(scenarios(min_parties=2, max_parties=2))
@settings(max_examples=60, deadline=None)
def test_two_party_solutions_are_optimal(scenario: Scenario) -> None:
    check_solutions(scenario)


@given(scenarios(min_parties=3, max_parties=3))
@settings(max_examples=50, deadline=None)
def test_three_party_solutions_are_optimal(scenario: Scenario) -> None:
    check_solutions(scenario)


@pytest.mark.parametrize(("r_a", "r_b"), [(0.0, 0.0), (0.2, 0.1), (0.1, 0.5), (0.35, 0.3)])
def test_nash_splits_the_surplus_of_a_divisible_issue_equally(r_a: float, r_b: float) -> None:
    steps = 1000
    scenario = Scenario.model_validate(
        {
            "name": "split",
            "issues": [{"kind": "real", "name": "x", "low": 0, "high": 1, "points": steps + 1}],
            "parties": [
                {
                    "name": "A",
                    "reservation_value": r_a,
                    "preferences": {"issues": {"x": {"weight": 1, "function": LINEAR_UP}}},
                },
                {
                    "name": "B",
                    "reservation_value": r_b,
                    "preferences": {"issues": {"x": {"weight": 1, "function": LINEAR_DOWN}}},
                },
            ],
        }
    )
    solutions = bargaining_solutions(OutcomeSpace.from_scenario(scenario))
    expected = (1 + r_a - r_b) / 2
    for name in ("nash", "kalai_smorodinsky", "egalitarian"):  # all coincide on a line
        deal = solutions[name].deal
        assert deal is not None
        assert float(deal["x"]) == pytest.approx(expected, abs=1.0 / steps)


def test_ties_go_to_the_larger_sum_then_the_lower_index() -> None:
    # two issues that are mirror images: (o1, o0) and (o0, o1) give the same vector
    scenario = additive_scenario([[[0.0, 1.0], [0.0, 1.0]], [[1.0, 0.0], [1.0, 0.0]]])
    space = OutcomeSpace.from_scenario(scenario)
    solutions = bargaining_solutions(space)
    nash = solutions["nash"]
    assert nash.outcome == 1  # (o0, o1) has index 1, (o1, o0) index 2
    assert nash.utilities == {"p0": 0.5, "p1": 0.5}
    # utilitarian: every deal sums to 1; the lowest index among the frontier wins
    assert solutions["utilitarian"].outcome == 0


def test_the_kalai_smorodinsky_deal_follows_the_ideal_point() -> None:
    # p0's ideal is far better than p1's: KS gives p0 proportionally more than egalitarian does
    # u0 = k/10, u1 = 1 - k/30, r = (0, 0.5): ideal gains (1, 0.5).
    # KS: k/10 = (0.5 - k/30)/0.5 at k = 6; egalitarian: k/10 = 0.5 - k/30 at k = 3.75 -> 4.
    scenario = additive_scenario(
        [[[k / 10 for k in range(11)]], [[1 - k / 30 for k in range(11)]]],
        reservations=[0.0, 0.5],
    )
    solutions = bargaining_solutions(OutcomeSpace.from_scenario(scenario))
    assert solutions["kalai_smorodinsky"].deal == {"i0": "o6"}
    assert solutions["egalitarian"].deal == {"i0": "o4"}


def test_the_kalai_smorodinsky_ideal_is_taken_within_the_zopa() -> None:
    # u0 = k/10, u1 = 1 - k/30, r = (0, 0.8): the ZOPA is k <= 6, where p0's ideal is 0.6 (its
    # ideal over every deal is 1.0). Within the ZOPA: k/10 / 0.6 = (0.2 - k/30) / 0.2 at k = 3.
    # With the ideal over every deal the balance would fall at k/10 = 1 - k/6, k = 3.75 -> 4.
    scenario = additive_scenario(
        [[[k / 10 for k in range(11)]], [[1 - k / 30 for k in range(11)]]],
        reservations=[0.0, 0.8],
    )
    space = OutcomeSpace.from_scenario(scenario)
    solutions = bargaining_solutions(space)
    assert solutions["kalai_smorodinsky"].deal == {"i0": "o3"}
    assert solutions["egalitarian"].deal == {"i0": "o2"}
    assert brute_force(space).solutions["kalai_smorodinsky"] == 3
    assert brute_force(space).ideal.tolist() == pytest.approx([0.6, 1.0])


def test_a_party_without_room_is_left_out_of_the_ks_ratio() -> None:
    scenario = additive_scenario([[[1.0, 1.0, 1.0]], [[0.0, 0.5, 1.0]]], reservations=[1.0, 0.0])
    ks = bargaining_solutions(OutcomeSpace.from_scenario(scenario))["kalai_smorodinsky"]
    assert ks.deal == {"i0": "o2"}


def test_an_empty_zopa_gives_no_deal() -> None:
    scenario = additive_scenario([[[0.0, 1.0]], [[1.0, 0.0]]], reservations=[0.8, 0.8])
    solutions = bargaining_solutions(OutcomeSpace.from_scenario(scenario))
    assert solutions["nash"] == Solution(
        name="nash", outcome=None, deal=None, utilities={}, gains={}
    )


def test_ceasefire_solutions_are_acceptable_to_every_party() -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    frontier = pareto_frontier(space)
    for solution in bargaining_solutions(space, frontier).values():
        assert solution.outcome is not None
        assert all(g >= 0 for g in solution.gains.values())
        assert space.in_zopa_options(space.unravel(solution.outcome)).all()
