"""ZOPA counts, estimates and concessions against brute force."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings

from detente import OutcomeSpace, load_scenario
from detente.analysis import concessions, pareto_frontier, zopa
from detente.analysis._exact import exact_utilities, thresholds
from detente.analysis.zopa import wilson_interval
from detente.scenario.model import AdditivePreferences, Scenario
from tests import reference
from tests.analysis.test_solutions import near_reservation
from tests.strategies import additive_scenario, rule_based_scenarios, scenarios


def brute_zopa(scenario: Scenario) -> int:
    return sum(reference.in_zopa(scenario, u) for _, _, u in reference.feasible(scenario))


@given(scenarios(min_parties=2, max_parties=3))
@settings(max_examples=60, deadline=None)
def test_exact_count_matches_brute_force(scenario: Scenario) -> None:
    assume(not near_reservation(scenario))
    space = OutcomeSpace.from_scenario(scenario)
    result = zopa(space)
    assert result.exact
    assert result.count == brute_zopa(scenario)
    assert result.interval == (result.count, result.count)
    assert result.feasible_count == len(reference.feasible(scenario))
    assert result.outcome_count == space.size
    assert result.empty == (result.count == 0)
    # knowing the frontier never changes the answer
    assert zopa(space, frontier=pareto_frontier(space)).count == result.count


@given(rule_based_scenarios())
@settings(max_examples=30, deadline=None)
def test_rule_based_count_matches_the_space(scenario: Scenario) -> None:
    space = OutcomeSpace.from_scenario(scenario)
    options = space.unravel(np.arange(space.size))
    u = exact_utilities(space, options)
    mask = (u >= thresholds(space)).all(axis=1) & space.acceptable_options(options).all(axis=1)
    assert zopa(space).count == int(mask.sum())


def test_the_additive_count_splits_issues_into_head_and_tail() -> None:
    rng = np.random.default_rng(3)
    values = rng.random((2, 8, 6)).tolist()  # 6^8 = 1.7e6 deals: a head and a tail
    scenario = additive_scenario(values, reservations=[0.55, 0.5], red_lines={0: {2: [0]}})
    space = OutcomeSpace.from_scenario(scenario)
    mask = np.concatenate(
        [
            (exact_utilities(space, m) >= thresholds(space)).all(axis=1)
            & space.acceptable_options(m).all(axis=1)
            for m in _chunks(space)
        ]
    )
    assert zopa(space).count == int(mask.sum())


def _chunks(space: OutcomeSpace) -> list[np.ndarray]:
    return [space.unravel(c) for c in space.chunks(1 << 18)]


def test_the_estimate_covers_the_exact_count() -> None:
    rng = np.random.default_rng(4)
    values = rng.random((3, 6, 6)).tolist()
    scenario = additive_scenario(values, reservations=[0.5, 0.5, 0.45], red_lines={1: {0: [2]}})
    space = OutcomeSpace.from_scenario(scenario)
    exact = zopa(space)
    estimate = zopa(space, exact_limit=1000, samples=50_000, rng=7)
    assert not estimate.exact
    assert estimate.samples == 50_000
    low, high = estimate.interval
    assert low <= exact.count <= high
    assert exact.count > 0
    assert zopa(space, exact_limit=1000, samples=50_000, rng=7) == estimate  # same seed


def test_an_empty_frontier_zopa_makes_the_estimate_exact() -> None:
    scenario = additive_scenario([[[0.0, 1.0]] * 3, [[1.0, 0.0]] * 3], reservations=[0.8, 0.8])
    space = OutcomeSpace.from_scenario(scenario)
    result = zopa(space, frontier=pareto_frontier(space), exact_limit=1)
    assert result.exact
    assert result.count == 0
    assert result.empty


def test_wilson_interval_brackets_the_proportion() -> None:
    low, high = wilson_interval(0, 100)
    assert low == 0.0
    assert 0.0 < high < 0.05
    low, high = wilson_interval(50, 100)
    assert low < 0.5 < high
    assert high - low == pytest.approx(2 * 1.96 * 0.05, rel=0.05)


@given(scenarios(min_parties=2, max_parties=3))
@settings(max_examples=50, deadline=None)
def test_concessions_are_the_smallest_that_open_a_zopa(scenario: Scenario) -> None:
    assume(not near_reservation(scenario))
    space = OutcomeSpace.from_scenario(scenario)
    gaps = concessions(space, pareto_frontier(space))
    rows = [u for _, _, u in reference.feasible(scenario)]
    r = [p.reservation_value for p in scenario.parties]
    for p, name in enumerate(space.party_names):
        others = [u for u in rows if all(u[q] >= r[q] for q in range(len(r)) if q != p)]
        need = gaps.by_party[name]
        if not others:
            assert need is None
        else:
            assert need == pytest.approx(max(0.0, r[p] - max(u[p] for u in others)), abs=1e-9)
    if not rows:
        assert gaps.joint is None
        assert gaps.joint_deal is None
        return
    joint = min(max(max(0.0, rp - x) for x, rp in zip(u, r, strict=True)) for u in rows)
    assert gaps.joint == pytest.approx(joint, abs=1e-9)
    assert gaps.joint_options is not None
    assert (brute_zopa(scenario) > 0) == (gaps.joint == 0)


def test_a_ceasefire_with_high_alternatives_reports_the_gap() -> None:
    base = load_scenario("ceasefire-2025")
    hard = base.model_copy(
        update={
            "parties": [
                p.model_copy(update={"reservation_value": min(1.0, p.reservation_value + 0.15)})
                for p in base.parties
            ]
        }
    )
    space = OutcomeSpace.from_scenario(hard)
    frontier = pareto_frontier(space)
    assert zopa(space, frontier=frontier).empty
    gaps = concessions(space, frontier)
    assert gaps.joint is not None
    assert 0 < gaps.joint <= 0.15
    assert all(v is None or v > 0 for v in gaps.by_party.values())


def test_deals_exactly_at_a_reservation_value_count() -> None:
    # Every weight and value of ceasefire-2025 has two decimals and each party's weights sum to
    # 1, so utilities are exact multiples of 1e-4: count the ZOPA in integers, where a deal
    # worth exactly its reservation value is unambiguously acceptable.
    scenario = load_scenario("ceasefire-2025")
    space = OutcomeSpace.from_scenario(scenario)
    options = space.unravel(np.arange(space.size))
    ok = space.acceptable_options(options).all(axis=1)
    ties = np.zeros(space.size, dtype=bool)
    for party in scenario.parties:
        prefs = party.preferences
        assert isinstance(prefs, AdditivePreferences)
        assert sum(round(v.weight * 100) for v in prefs.issues.values()) == 100
        total = np.zeros(space.size, dtype=np.int64)
        for i, issue in enumerate(scenario.issues):
            valuation = prefs.issues[issue.name]
            values = np.array([round((valuation.values or {})[o] * 100) for o in issue.values])
            assert values.max() == 100
            total += round(valuation.weight * 100) * values[options[:, i]]
        threshold = round(party.reservation_value * 10_000)
        ok &= total >= threshold
        ties |= total == threshold
    assert (ties & ok).any()  # the case this test is about does occur
    assert zopa(space).count == int(ok.sum())
