"""The exact Pareto frontier against brute force written from the definition."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

from detente import OutcomeSpace, load_scenario
from detente.analysis import ParetoFrontier, opposition, pareto_frontier
from detente.analysis._exact import GRID, exact_utilities
from detente.analysis._skyline import skyline
from detente.analysis.pareto import feasible_count, iter_feasible
from detente.errors import ScenarioError, UnsupportedError
from detente.scenario.model import Scenario
from detente.space import ACCEPT_TOLERANCE
from tests import reference
from tests.strategies import additive_scenario, rule_based_scenarios, scenarios


def precision_sized(scenario: Scenario) -> bool:
    tables = OutcomeSpace.from_scenario(scenario).tables
    return bool(((tables > 0) & (tables < 1e-9)).any())


def check_against_brute_force(scenario: Scenario, frontier: ParetoFrontier) -> None:
    note(scenario.model_dump_json())
    # Exact up to rounding: values below the precision of a sum (e.g. 1e-17 next to 0.3) decide
    # dominance differently in different summation orders, so leave them out.
    assume(not precision_sized(scenario))
    space = OutcomeSpace.from_scenario(scenario)
    rows = reference.feasible(scenario)
    by_index = {k: u for k, _, u in rows}
    # every row is a feasible deal with the stated utilities
    for outcome, u in zip(frontier.outcomes.tolist(), frontier.utilities.tolist(), strict=True):
        assert outcome in by_index
        assert u == pytest.approx(by_index[outcome], abs=1e-9)
    assert (space.ravel(frontier.options) == frontier.outcomes).all()
    # no feasible deal clearly dominates a frontier row
    for u in frontier.utilities.tolist():
        assert not any(reference.dominates(v, tuple(u)) for v in by_index.values())
    # every feasible deal is matched or dominated by a frontier row
    for v in by_index.values():
        assert any(
            all(x >= y - 1e-9 for x, y in zip(u, v, strict=True)) for u in frontier.utilities
        )
    # rows are distinct and mutually non-dominated (exactly, in the space's arithmetic)
    u = frontier.utilities
    ge = (u[:, None, :] >= u[None, :, :]).all(axis=2)
    np.fill_diagonal(ge, val=False)
    assert not ge.any()
    # the representative is the lowest-index deal with that utility vector
    if rows:
        feasible_idx = np.array([k for k, _, _ in rows])
        all_u = exact_utilities(space, space.unravel(feasible_idx))
        for outcome, vec in zip(frontier.outcomes, u, strict=True):
            same = feasible_idx[(all_u == vec).all(axis=1)]
            assert same.min() == outcome
    else:
        assert len(frontier) == 0


@given(scenarios(min_parties=2, max_parties=2))
@settings(max_examples=60, deadline=None)
def test_two_party_frontier_matches_brute_force(scenario: Scenario) -> None:
    check_against_brute_force(scenario, pareto_frontier(OutcomeSpace.from_scenario(scenario)))


@given(scenarios(min_parties=3, max_parties=3))
@settings(max_examples=40, deadline=None)
def test_three_party_frontier_matches_brute_force(scenario: Scenario) -> None:
    check_against_brute_force(scenario, pareto_frontier(OutcomeSpace.from_scenario(scenario)))


@given(scenarios(min_parties=4, max_parties=5, max_issues=3, max_options=4))
@settings(max_examples=25, deadline=None)
def test_four_and_five_party_frontier_matches_brute_force(scenario: Scenario) -> None:
    check_against_brute_force(scenario, pareto_frontier(OutcomeSpace.from_scenario(scenario)))


@given(scenarios(min_parties=2, max_parties=4))
@settings(max_examples=40, deadline=None)
def test_merge_and_enumeration_agree(scenario: Scenario) -> None:
    space = OutcomeSpace.from_scenario(scenario)
    merged = pareto_frontier(space, method="merge")
    enumerated = pareto_frontier(space, method="enumerate")
    assert merged.outcomes.tolist() == enumerated.outcomes.tolist()
    assert np.array_equal(merged.utilities, enumerated.utilities)


@given(rule_based_scenarios())
@settings(max_examples=40, deadline=None)
def test_rule_based_frontier_is_the_skyline_of_every_feasible_deal(scenario: Scenario) -> None:
    space = OutcomeSpace.from_scenario(scenario)
    frontier = pareto_frontier(space)
    matrix = np.concatenate([np.empty((0, space.n_issues), dtype=np.int64), *iter_feasible(space)])
    u = exact_utilities(space, matrix)
    idx = space.ravel(matrix)
    expected = set()
    eps = ACCEPT_TOLERANCE  # dominance decided with the tolerance acceptance uses
    for k in range(len(u)):
        dominated = ((u >= u[k] - eps).all(axis=1) & (u > u[k] + eps).any(axis=1)).any()
        if not dominated:
            expected.add(int(idx[(np.abs(u - u[k]) <= eps).all(axis=1)].min()))
    assert set(frontier.outcomes.tolist()) == expected
    assert len(frontier) == len(expected)
    with pytest.raises(ScenarioError, match="additive"):
        pareto_frontier(space, method="merge")


@given(
    st.integers(2, 5).flatmap(
        lambda m: st.lists(
            st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0]), min_size=m, max_size=m),
            min_size=0,
            max_size=300,
        )
    )
)
@settings(max_examples=80, deadline=None)
def test_skyline_kernel_on_tied_points(points: list[list[float]]) -> None:
    if not points:
        assert skyline(np.empty((0, 3)), np.empty(0, dtype=np.int64)).size == 0
        return
    u = np.array(points)
    rank = np.arange(len(u))[::-1].copy()
    got = skyline(u, rank)
    expected = []
    for k in range(len(u)):
        dominated = ((u >= u[k]).all(axis=1) & (u > u[k]).any(axis=1)).any()
        if not dominated and rank[k] == rank[(u == u[k]).all(axis=1)].min():
            expected.append(k)
    assert sorted(got.tolist()) == expected


def test_the_three_dimensional_sweep_spans_batches() -> None:
    rng = np.random.default_rng(5)
    u = rng.random((3000, 3))
    u[:, 2] = 1.5 - u[:, 0] - u[:, 1] + 0.05 * rng.random(3000)  # near a plane: many survive
    got = skyline(u, np.arange(3000))
    dominated = np.array(
        [((u >= u[k]).all(axis=1) & (u > u[k]).any(axis=1)).any() for k in range(len(u))]
    )
    assert sorted(got.tolist()) == np.flatnonzero(~dominated).tolist()


def test_a_single_party_frontier_is_its_best_deal() -> None:
    scenario = additive_scenario([[[0.2, 1.0, 1.0], [0.5, 0.1]]])
    frontier = pareto_frontier(OutcomeSpace.from_scenario(scenario))
    assert frontier.outcomes.tolist() == [2]  # (o1, o0): lowest index with u = 1


def test_red_lines_that_cover_an_issue_leave_no_deal() -> None:
    scenario = additive_scenario([[[1.0, 0.0]], [[0.0, 1.0]]], red_lines={0: {0: [1]}, 1: {0: [0]}})
    space = OutcomeSpace.from_scenario(scenario)
    assert feasible_count(space) == 0
    for method in ("merge", "enumerate"):
        frontier = pareto_frontier(space, method=method)  # type: ignore[arg-type]
        assert len(frontier) == 0
        assert frontier.utilities.shape == (0, 2)
    assert np.isnan(opposition(pareto_frontier(space)))


def test_a_red_lined_option_leaves_the_frontier() -> None:
    # o1 of i0 would be everyone's favourite, but p1 has ruled it out.
    scenario = additive_scenario([[[0.0, 1.0, 0.5]], [[0.3, 1.0, 0.6]]], red_lines={1: {0: [1]}})
    frontier = pareto_frontier(OutcomeSpace.from_scenario(scenario))
    assert frontier.outcomes.tolist() == [2]
    assert frontier.utilities.tolist() == [pytest.approx([0.5, 0.6], abs=1e-13)]


def test_opposition_is_the_distance_to_the_ideal_point() -> None:
    agree = additive_scenario([[[0.0, 1.0]], [[0.0, 1.0]]])
    assert opposition(pareto_frontier(OutcomeSpace.from_scenario(agree))) == 0.0
    zero_sum = additive_scenario([[[0.0, 0.5, 1.0]], [[1.0, 0.5, 0.0]]])
    assert opposition(pareto_frontier(OutcomeSpace.from_scenario(zero_sum))) == pytest.approx(
        np.sqrt(0.5)
    )


def test_a_space_of_1e20_deals_gets_an_exact_frontier() -> None:
    rng = np.random.default_rng(1)
    values = rng.random((2, 20, 10)).round(3).tolist()
    scenario = additive_scenario(values)
    space = OutcomeSpace.from_scenario(scenario)
    assert not space.indexable
    frontier = pareto_frontier(space)
    assert (frontier.outcomes == -1).all()
    assert np.allclose(frontier.utilities, space.utilities_of_options(frontier.options))
    assert np.array_equal(frontier.utilities, exact_utilities(space, frontier.options))
    # no sampled deal dominates a frontier row
    sample = space.utilities_of_options(space.sample(20_000, rng))
    for u in frontier.utilities:
        assert not ((sample >= u).all(axis=1) & (sample > u).any(axis=1)).any()
    # the utilitarian optimum is the best option of every issue by sum, and it is on the frontier
    tables = space.tables.sum(axis=0)
    assert frontier.utilities.sum(axis=1).max() == pytest.approx(tables.max(axis=1).sum())


def test_enumeration_beyond_the_limit_is_refused() -> None:
    issues = [{"name": f"i{k}", "options": [f"o{j}" for j in range(10)]} for k in range(9)]
    rules = {"kind": "rules", "constraints": [{"utility": 1, "bounds": {"i0": ["o1"]}}]}
    prefs = {i["name"]: {"weight": 1, "values": dict.fromkeys(i["options"], 1)} for i in issues}
    scenario = Scenario.model_validate(
        {
            "name": "wide",
            "issues": issues,
            "parties": [
                {"name": "a", "reservation_value": 0.0, "preferences": rules},
                {"name": "b", "reservation_value": 0.0, "preferences": {"issues": prefs}},
            ],
        }
    )
    with pytest.raises(UnsupportedError, match="limit"):
        pareto_frontier(OutcomeSpace.from_scenario(scenario))


def test_ceasefire_frontier_rows_are_feasible_and_sorted() -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    frontier = pareto_frontier(space)
    assert len(frontier) > 10
    assert space.acceptable_options(frontier.options).all()
    u = frontier.utilities
    assert (np.lexsort(u.T[::-1] * -1) == np.arange(len(u))).all()
    with pytest.raises(ValueError, match="read-only"):
        frontier.utilities[0, 0] = 0.0


def test_exact_utilities_are_on_the_grid_and_close_to_the_space() -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    options = space.unravel(np.arange(0, space.size, 7))
    exact = exact_utilities(space, options)
    assert np.allclose(exact, space.utilities_of_options(options), atol=space.n_issues * GRID)
    assert (np.round(exact / GRID) * GRID == exact).all()
    # the order of summation no longer matters
    reverse = exact_utilities(space.__class__.from_scenario(space.scenario), options[:, ::1])
    assert np.array_equal(exact, reverse)
