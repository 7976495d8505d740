"""Sweeteners, log-rolling and talking points against computations from the definitions."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from detente import OutcomeSpace, load_scenario
from detente.analysis import bargaining_solutions, logrolling, sweeteners, talking_points
from detente.analysis._exact import exact_tables
from detente.errors import ScenarioError
from detente.scenario.model import Scenario
from tests import reference
from tests.analysis.test_pareto import precision_sized
from tests.analysis.test_solutions import near_reservation
from tests.strategies import additive_scenario, rule_based_scenarios, scenarios


def reference_sweeteners(scenario: Scenario, base: dict, party: str) -> list[tuple[float, float]]:
    """(ratio, gain) of every admissible one- or two-issue change, best first."""
    names = scenario.party_names
    p = names.index(party)
    before = [reference.utility(scenario, q, base) for q in names]
    issues = scenario.issues

    r = scenario.parties[p].reservation_value

    def score(deal: dict) -> tuple[float, float, bool]:
        after = [reference.utility(scenario, q, deal) for q in names]
        gain = after[p] - before[p]
        cost = sum(max(0.0, before[q] - after[q]) for q in range(len(names)) if q != p)
        lifts = before[p] < r <= after[p]
        return (gain / cost if cost > 0 else math.inf), gain, lifts

    singles: dict[tuple[str, str], tuple[float, float, bool]] = {}
    found = []
    for issue in issues:
        for option in issue.values:
            deal = {**base, issue.name: option}
            if option == base[issue.name] or reference.crosses_red_line(scenario, deal):
                continue
            singles[issue.name, str(option)] = score(deal)
            found.append(singles[issue.name, str(option)])
    for a, b in itertools.combinations(issues, 2):
        for oa, ob in itertools.product(a.values, b.values):
            deal = {**base, a.name: oa, b.name: ob}
            if (
                oa == base[a.name]
                or ob == base[b.name]
                or reference.crosses_red_line(scenario, deal)
            ):
                continue
            ratio, gain, lifts = score(deal)
            halves = singles[a.name, str(oa)], singles[b.name, str(ob)]
            better = ratio > max(h[0] for h in halves)
            if better or (lifts and not any(h[2] for h in halves)):
                found.append((ratio, gain, lifts))
    useful = [(ratio, g) for ratio, g, _ in found if g > 1e-9]
    return sorted(useful, key=lambda t: (-t[0], -t[1]))


@given(scenarios(min_parties=2, max_parties=3, red_lines=True), st.data())
@settings(max_examples=50, deadline=None)
def test_sweeteners_are_the_best_ratios(scenario: Scenario, data: st.DataObject) -> None:
    assume(not precision_sized(scenario))
    space = OutcomeSpace.from_scenario(scenario)
    feasible = reference.feasible(scenario)
    assume(feasible)
    index, deal, _ = data.draw(st.sampled_from(feasible))
    party = data.draw(st.sampled_from(space.party_names))
    result = sweeteners(space, deal, [party], top=4)
    # a changed deal at a reservation value can be counted either side: avoid exact ties
    got = result.by_party[party]
    expected = reference_sweeteners(scenario, deal, party)
    assume(all(abs(g) > 1e-9 or g == 0 for _, g in expected))
    assume(not near_reservation(scenario))
    assert result.deal == {k: str(v) for k, v in deal.items()}
    ratios = [s.ratio for s in got]
    assert ratios == pytest.approx([r for r, _ in expected[: len(got)]], rel=1e-6, abs=1e-9)
    assert len(got) == min(4, len(expected))
    names = space.party_names
    for s in got:
        changed = {**deal, **{c.issue: c.after for c in s.changes}}
        changed = {
            k: scenario.issue(k).values[scenario.issue(k).option_index(v)]
            for k, v in changed.items()
        }
        after = [reference.utility(scenario, q, changed) for q in names]
        assert list(s.utilities.values()) == pytest.approx(after, abs=1e-9)
        assert 1 <= len(s.changes) <= 2
        assert not reference.crosses_red_line(scenario, changed)
        assert s.acceptable_to_all == reference.in_zopa(scenario, tuple(after)) or any(
            abs(x - p.reservation_value) < 1e-9
            for x, p in zip(after, scenario.parties, strict=True)
        )
    del index


def test_sweeteners_default_to_the_reluctant_parties() -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    nash = bargaining_solutions(space)["nash"]
    assert nash.deal is not None
    result = sweeteners(space, nash.deal)
    gains = {p: nash.gains[p] for p in space.party_names}
    reluctant = [p for p, g in gains.items() if g < 0.05] or [min(gains, key=gains.__getitem__)]
    assert list(result.by_party) == reluctant
    assert all(s.gain > 0 for found in result.by_party.values() for s in found)


def test_a_sweetener_can_bring_a_party_to_yes() -> None:
    # p1 rejects (o0, o0); moving i1 to o1 costs p0 little and lifts p1.
    scenario = additive_scenario(
        [[[1.0, 0.0], [1.0, 0.9]], [[0.0, 1.0], [0.0, 1.0]]], reservations=[0.6, 0.3]
    )
    space = OutcomeSpace.from_scenario(scenario)
    result = sweeteners(space, {"i0": "o0", "i1": "o0"}, ["p1"])
    best = result.by_party["p1"][0]
    assert [(c.issue, c.before, c.after) for c in best.changes] == [("i1", "o0", "o1")]
    assert best.lifts
    assert best.acceptable_to_all
    assert best.loses == ()
    assert best.ratio == pytest.approx(0.5 / 0.05)
    # the other single change lifts p1 too, but p0 then rejects
    other = next(s for s in result.by_party["p1"] if s.changes[0].issue == "i0")
    assert other.loses == ("p0",)


def test_a_change_that_costs_nobody_ranks_first() -> None:
    scenario = additive_scenario([[[0.0, 1.0], [0.0, 1.0]], [[0.5, 0.5], [1.0, 0.0]]])
    space = OutcomeSpace.from_scenario(scenario)
    result = sweeteners(space, [0, 0], ["p0"])
    assert math.isinf(result.by_party["p0"][0].ratio)
    assert result.by_party["p0"][0].cost == 0.0


def test_two_issue_changes_are_capped() -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    capped = sweeteners(space, [0] * space.n_issues, ["Ukraine"], max_pairs=0, top=100)
    assert all(len(s.changes) == 1 for s in capped.by_party["Ukraine"])
    with pytest.raises(ScenarioError, match="unknown party"):
        sweeteners(space, [0] * space.n_issues, ["Atlantis"])


@given(scenarios(min_parties=2, max_parties=4, red_lines=True))
@settings(max_examples=40, deadline=None)
def test_logrolling_lists_lopsided_issues(scenario: Scenario) -> None:
    space = OutcomeSpace.from_scenario(scenario)
    pairs = logrolling(space, factor=2.0, floor=0.02)
    assert len(pairs) == math.comb(space.n_parties, 2)
    for pair in pairs:
        a, b = space.party_index(pair.first), space.party_index(pair.second)
        for x, y, listed in ((a, b, pair.first_cares_more), (b, a, pair.second_cares_more)):
            expected = set()
            for i, issue in enumerate(scenario.issues):
                values = [
                    space.tables[:, i, k]
                    for k, option in enumerate(issue.values)
                    if not any(
                        str(option) in map(str, p.red_lines.get(issue.name, []))
                        for p in scenario.parties
                    )
                ]
                if not values:
                    continue
                swing = np.ptp(np.array(values), axis=0)
                if swing[x] >= 0.02 and swing[x] >= 2 * swing[y]:
                    expected.add(issue.name)
            assert {s.issue for s in listed} == expected
            ratios = [s.first / max(s.second, 1e-12) for s in listed]
            assert ratios == sorted(ratios, reverse=True)
        assert pair.tradeable == bool(pair.first_cares_more and pair.second_cares_more)


@given(rule_based_scenarios())
@settings(max_examples=10, deadline=None)
def test_logrolling_skips_rule_based_parties(scenario: Scenario) -> None:
    space = OutcomeSpace.from_scenario(scenario)
    names = {name for pair in logrolling(space) for name in (pair.first, pair.second)}
    assert space.party_names[0] not in names


@given(scenarios(min_parties=2, max_parties=3, red_lines=False), st.data())
@settings(max_examples=40, deadline=None)
def test_talking_points_are_the_largest_terms(scenario: Scenario, data: st.DataObject) -> None:
    space = OutcomeSpace.from_scenario(scenario)
    k = data.draw(st.integers(0, space.size - 1))
    party = data.draw(st.sampled_from(space.party_names))
    deal = space.deal(k)
    tp = talking_points(space, deal, party, top=2)
    u = reference.utility(scenario, party, deal)
    assert tp.utility == pytest.approx(u, abs=1e-9)
    terms = sorted(
        (
            exact_tables(space)[space.party_index(party), i, o]
            for i, o in enumerate(space.unravel(k)[0])
        ),
        reverse=True,
    )
    expected = [t for t in terms[:2] if t > 0]
    assert [p.contribution for p in tp.points] == pytest.approx(expected)
    assert sum(p.contribution for p in tp.points) <= u + 1e-9
    assert tp.summary.startswith(f"For {party} this deal is worth")
    for point in tp.points:
        assert point.sentence.endswith(".")
        assert 0 < point.value <= 1 + 1e-12


def test_ceasefire_talking_points_read_as_sentences() -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    nash = bargaining_solutions(space)["nash"]
    assert nash.deal is not None
    tp = talking_points(space, nash.deal, "Ukraine")
    assert "against 0.55 for its alternative" in tp.summary
    first = tp.points[0]
    assert first.issue == "security_guarantees"
    assert first.sentence.startswith("A European reassurance force behind the line: ")
    assert "Budapest Memorandum" in first.sentence
    russia = talking_points(space, nash.deal, "Russia")
    assert any("on Ukraine's alignment" in p.sentence for p in russia.points)
    short = talking_points(space, [0] * space.n_issues, "Ukraine")
    assert "short, so these points alone will not carry it" in short.summary


@given(rule_based_scenarios())
@settings(max_examples=10, deadline=None)
def test_rule_based_parties_get_a_summary_only(scenario: Scenario) -> None:
    space = OutcomeSpace.from_scenario(scenario)
    tp = talking_points(space, [0] * space.n_issues, space.party_names[0])
    assert tp.points == ()
    assert "rule-based" in tp.summary
