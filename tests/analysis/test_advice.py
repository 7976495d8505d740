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
from detente.analysis.sweeteners import _candidates
from detente.analysis.wording import figure
from detente.errors import ScenarioError
from detente.scenario.model import Scenario
from tests import reference
from tests.analysis.test_pareto import precision_sized
from tests.analysis.test_solutions import near_reservation
from tests.strategies import additive_scenario, rule_based_scenarios, scenarios


def reference_sweeteners(scenario: Scenario, base: dict, party: str) -> list[tuple[float, float]]:
    """(ratio, gain) of every admissible one- or two-issue change, best first.

    Best first: changes that keep every other party that accepted the deal on board, then those
    that lose one; by ratio, then gain, within each group.
    """
    names = scenario.party_names
    p = names.index(party)
    before = [reference.utility(scenario, q, base) for q in names]
    issues = scenario.issues

    r = scenario.parties[p].reservation_value

    floors = [q.reservation_value - 1e-9 for q in scenario.parties]

    def score(deal: dict) -> tuple[float, float, bool, bool]:
        after = [reference.utility(scenario, q, deal) for q in names]
        gain = after[p] - before[p]
        cost = sum(max(0.0, before[q] - after[q]) for q in range(len(names)) if q != p)
        lifts = before[p] < r <= after[p]
        loses = any(before[q] >= floors[q] > after[q] for q in range(len(names)) if q != p)
        return (gain / cost if cost > 0 else math.inf), gain, lifts, loses

    singles: dict[tuple[str, str], tuple[float, float, bool, bool]] = {}
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
            ratio, gain, lifts, loses = score(deal)
            halves = singles[a.name, str(oa)], singles[b.name, str(ob)]
            better = ratio > max(h[0] for h in halves)
            if better or (lifts and not any(h[2] for h in halves)):
                found.append((ratio, gain, lifts, loses))
    useful = [(loses, ratio, g) for ratio, g, _, loses in found if g > 1e-9]
    return [(ratio, g) for _, ratio, g in sorted(useful, key=lambda t: (t[0], -t[1], -t[2]))]


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
        # who pays what, one party at a time
        payers = {q: b - a for q, b, a in zip(names, result.utilities.values(), after, strict=True)}
        expected_costs = {q: c for q, c in payers.items() if q != party and c > 1e-12}
        costs = {q: c for q, c in s.costs.items() if c > 1e-12}
        assert costs == pytest.approx(expected_costs, abs=1e-9)
        assert sum(s.costs.values()) == pytest.approx(s.cost, abs=1e-9)
        assert s.sentence.startswith((f"Offer {party} ", f"For {party}, agree that "))
        assert f": {party} gains {figure(s.gain)} (" in s.sentence
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


def test_changes_that_keep_everyone_on_board_come_first() -> None:
    # for p1, moving i0 is the better deal per unit (10/11 / 0.1 against 1/11 / 0.02), but p0
    # would then say no
    scenario = additive_scenario(
        [[[1.0, 0.8], [1.0, 0.96]], [[0.0, 1.0], [0.0, 1.0]]],
        weights=[[1.0, 1.0], [10.0, 1.0]],
        reservations=[0.95, 0.3],
    )
    space = OutcomeSpace.from_scenario(scenario)
    result = sweeteners(space, {"i0": "o0", "i1": "o0"}, ["p1"])
    keeps, loses = result.by_party["p1"]
    assert [c.issue for c in keeps.changes] == ["i1"]
    assert keeps.ratio == pytest.approx(1 / 11 / 0.02)
    assert keeps.loses == ()
    assert keeps.costs == pytest.approx({"p0": 0.02})
    assert [c.issue for c in loses.changes] == ["i0"]
    assert loses.ratio == pytest.approx(10 / 11 / 0.1)
    assert loses.loses == ("p0",)
    assert loses.lifts
    assert result.reasons == {"p1": "rejects"}
    assert result.headlines["p1"] == (
        "p1 rejects this deal: 0.00 against 0.30 for its alternative. Ways to bring it to a "
        "yes, cheapest first:"
    )
    assert keeps.sentence == (
        "Offer p1 o1 instead of o0 on i1: p1 gains 0.09 (still 0.21 short of its alternative); "
        "p0 gives up 0.02."
    )
    assert loses.sentence == (
        "Offer p1 o1 instead of o0 on i0: p1 gains 0.91 (now above its alternative); p0 gives up "
        "0.10. p0 would then say no."
    )
    assert result.to_yes["p1"] == loses


def test_why_a_party_gets_sweeteners() -> None:
    # p0 accepts with a gain of 0.02 (under the 0.05 margin): targeted as close, not as a no
    scenario = additive_scenario([[[1.0, 0.0]], [[0.0, 1.0]]], reservations=[0.98, 0.0])
    space = OutcomeSpace.from_scenario(scenario)
    close = sweeteners(space, [0])
    assert close.reasons == {"p0": "close", "p1": "close"}
    assert close.headlines["p0"] == (
        "p0 accepts this deal, but only just: 1.00 against 0.98 for its alternative (a margin "
        "under 0.05). Ways to give it more, cheapest first:"
    )
    asked = sweeteners(space, [0], ["p0"], margin=0.01)
    assert asked.reasons == {"p0": "asked"}
    assert asked.headlines["p0"].startswith("p0 accepts this deal: 1.00 against 0.98")
    least = sweeteners(space, [0], margin=0.01)
    assert least.reasons == {"p1": "close"}  # at its reservation value: a yes, only just


def test_ceasefire_sweeteners_read_as_a_mediator_would_say_them() -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    nash = bargaining_solutions(space)["nash"]
    assert nash.deal is not None
    result = sweeteners(space, nash.deal)
    assert result.reasons == {"Russia": "smallest_gain"}
    assert result.headlines["Russia"] == (
        "Every party accepts this deal; Russia gains least from it: 0.67 against 0.60 for its "
        "alternative. Ways to give it more, cheapest first:"
    )
    first = result.by_party["Russia"][0]
    assert first.sentence == (
        "Offer Russia political assurances from the US and Europe instead of a European "
        "reassurance force behind the line: Russia gains 0.06 (now 0.13 above its "
        "alternative); European states give up 0.13, Ukraine 0.10. Every party still accepts."
    )
    assert list(first.costs) == ["European states", "Ukraine"]  # largest first
    assert any("the United States gives up" in s.sentence for s in result.by_party["Russia"])
    # a label that is a clause reads as one, and a label with a comma is closed by one
    deal = {
        "ceasefire_scope": "full_30",
        "sanctions_relief": "none",
        "alignment": "moratorium",
        "oversight": "hotline",
        "breach_mechanism": "none",
        "security_guarantees": "assurances",
        "arms_supplies": "defensive_only",
        "territorial_line": "deferred",
        "humanitarian": "prisoner_exchange",
    }
    given = sweeteners(space, deal, ["Russia", "European states", "United States"])
    assert all(": the United States gains " in s.sentence for s in given.by_party["United States"])
    assert given.headlines["United States"].startswith("The United States accepts this deal")
    yes = given.to_yes["Russia"]
    assert yes is not None
    assert (
        "agree that the line is frozen de facto, without recognition, rather than that the "
        "line's status is deferred to later talks"
    ) in yes.sentence
    assert "phased relief tied to compliance, with snap-back, instead of no sanctions relief" in (
        yes.sentence
    )
    assert given.headlines["European states"].startswith("European states accept this deal")
    assert "give them more" in given.headlines["European states"]
    assert all("European states gain " in s.sentence for s in given.by_party["European states"])


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
    assert tp.summary.startswith(f"For {party} this deal is worth {figure(u)} against")
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
    assert first.sentence.startswith(
        "A European reassurance force behind the line: a strong result for Ukraine on security "
        "guarantees, an issue that carries 20% of its priorities."
    )  # not "for Ukraine on security guarantees for Ukraine"
    russia = talking_points(space, nash.deal, "Russia")
    assert russia.summary.startswith("For Russia this deal is worth 0.67 against 0.60")
    assert any("on Ukraine's alignment" in p.sentence for p in russia.points)
    assert any("for Russia on sanctions relief, an issue" in p.sentence for p in russia.points)
    assert any(
        "for Russia on the status of the territorial line," in p.sentence for p in russia.points
    )
    us = talking_points(space, nash.deal, "United States")
    assert us.summary.startswith("For the United States this deal is worth")
    assert us.points[0].sentence.startswith(
        "Full ceasefire, extendable by mutual consent: its best outcome for the United States on"
    )
    europe = talking_points(space, nash.deal, "European states")
    assert "0.45 for their alternative" in europe.summary
    assert europe.points[0].sentence.startswith(
        "A European reassurance force behind the line: their best outcome for European states "
        "on security guarantees for Ukraine, an issue that carries 22% of their priorities."
    )
    short = talking_points(space, [0] * space.n_issues, "Ukraine")
    assert "short, so these points alone will not carry it" in short.summary


@given(rule_based_scenarios())
@settings(max_examples=10, deadline=None)
def test_rule_based_parties_get_a_summary_only(scenario: Scenario) -> None:
    space = OutcomeSpace.from_scenario(scenario)
    tp = talking_points(space, [0] * space.n_issues, space.party_names[0])
    assert tp.points == ()
    assert f"{space.party_names[0]}'s preferences are rule-based" in tp.summary


def test_clause_labels_are_proposed_as_clauses() -> None:
    scenario = Scenario.model_validate(
        {
            "name": "arms",
            "issues": [
                {
                    "name": "arms",
                    "options": [
                        {"name": "go_on", "label": "supplies continue"},
                        {"name": "pause", "label": "a pause in supplies"},
                        {"name": "stop", "label": "supplies are halted"},
                    ],
                }
            ],
            "parties": [
                {
                    "name": "Russia",
                    "reservation_value": 0.0,
                    "preferences": {
                        "issues": {
                            "arms": {"weight": 1, "values": {"go_on": 0, "pause": 0.5, "stop": 1}}
                        }
                    },
                },
                {
                    "name": "Ukraine",
                    "reservation_value": 0.0,
                    "preferences": {
                        "issues": {
                            "arms": {"weight": 1, "values": {"go_on": 1, "pause": 0.5, "stop": 0}}
                        }
                    },
                },
            ],
        }
    )
    space = OutcomeSpace.from_scenario(scenario)
    from_clause = {
        s.changes[0].after: s.sentence
        for s in sweeteners(space, [0], ["Russia"]).by_party["Russia"]
    }
    assert from_clause["stop"].startswith(
        "For Russia, agree that supplies are halted rather than that supplies continue: Russia"
    )
    assert from_clause["pause"].startswith(
        "Offer Russia a pause in supplies instead of agreeing that supplies continue: Russia"
    )
    (from_noun,) = sweeteners(space, [1], ["Russia"]).by_party["Russia"]
    assert from_noun.sentence.startswith(
        "For Russia, agree that supplies are halted instead of a pause in supplies: Russia gains"
    )


@given(scenarios(min_parties=2, max_parties=3, red_lines=True), st.data())
@settings(max_examples=60, deadline=None)
def test_the_candidate_changes_are_every_one_and_two_issue_change(
    scenario: Scenario, data: st.DataObject
) -> None:
    """Against a plain loop over issues and options, in the documented order and cap."""
    space = OutcomeSpace.from_scenario(scenario)
    base = np.array(
        [data.draw(st.integers(0, int(c) - 1)) for c in space.cardinalities], dtype=np.int64
    )
    max_pairs = data.draw(st.integers(0, 60))
    allowed = np.asarray(space.allowed.all(axis=0))
    moves = [
        [k for k in range(int(c)) if allowed[i, k] and k != base[i]]
        for i, c in enumerate(space.cardinalities)
    ]
    rows, parts, where = [], [], {}
    for i, alternatives in enumerate(moves):
        for k in alternatives:
            where[i, k] = len(rows)
            rows.append([k if n == i else int(b) for n, b in enumerate(base)])
            parts.append([-1, -1])
    pairs = 0
    for i, j in itertools.combinations(range(space.n_issues), 2):
        if pairs + len(moves[i]) * len(moves[j]) > max_pairs:
            break
        pairs += len(moves[i]) * len(moves[j])
        for a, b in itertools.product(moves[i], moves[j]):
            change = {i: a, j: b}
            rows.append([change.get(n, int(x)) for n, x in enumerate(base)])
            parts.append([where[i, a], where[j, b]])
    matrix, found = _candidates(space, base, max_pairs)
    assert matrix.tolist() == rows
    assert found.tolist() == parts
