"""The single-text mediator: no repeated text, no change across another party's red line."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from detente.negotiation import negotiate
from detente.negotiation._arena import arena_of
from detente.negotiation.strategies import SingleText, make_strategy
from detente.scenario import load_scenario
from detente.scenario.model import Role, Scenario
from detente.space import OutcomeSpace
from tests import reference
from tests.negotiation.conftest import pie
from tests.strategies import additive_scenario, scenarios


def _belligerents() -> OutcomeSpace:
    scenario = load_scenario("ceasefire-2025")
    seated = [p for p in scenario.parties if p.role == Role.BELLIGERENT]
    return OutcomeSpace.from_scenario(scenario.model_copy(update={"parties": seated}))


@pytest.mark.parametrize("pair", [("conceder", "conceder"), ("boulware", "conceder")])
@pytest.mark.parametrize("rounds", [30, 100, 300])
def test_ceasefire_reaches_agreement_under_single_text(pair: tuple[str, str], rounds: int) -> None:
    """The red lines on ``territorial_line`` mirror each other; the text must not flip on it."""
    space = _belligerents()
    trace = negotiate(space, list(pair), protocol="single-text", rounds=rounds, seed=0)
    assert trace.result == "agreement"
    assert len(set(trace.outcomes.tolist())) == len(trace)
    deal = space.deal(trace.agreement or 0)
    for party in trace.parties:
        assert reference.acceptable(space.scenario, party, deal)
    assert deal["territorial_line"] in {"deferred", "de_facto_freeze"}


def test_the_whole_table_agrees_too() -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    trace = negotiate(space, ["conceder"] * 4, protocol="single-text", rounds=100, seed=0)
    assert trace.result == "agreement"


@settings(max_examples=40, deadline=None)
@given(
    scenario=scenarios(max_parties=3, max_issues=3, max_options=4, numeric=False),
    rounds=st.integers(1, 40),
    chosen=st.lists(
        st.sampled_from(["boulware", "conceder", "hardliner", "random", "tit-for-tat"]),
        min_size=3,
        max_size=3,
    ),
    seed=st.integers(0, 2**32),
)
def test_texts_never_repeat_and_the_session_ends_by_the_deadline(
    scenario: Scenario, rounds: int, chosen: list[str], seed: int
) -> None:
    space = OutcomeSpace.from_scenario(scenario)
    trace = negotiate(
        space, chosen[: space.n_parties], protocol="single-text", rounds=rounds, seed=seed
    )
    texts = trace.outcomes.tolist()
    assert len(set(texts)) == len(texts)
    assert trace.rounds <= rounds
    assert len(texts) <= rounds
    assert trace.result in {"agreement", "deadline", "impasse", "walk-away"}
    if trace.result == "deadline":
        assert trace.rounds == rounds
    if trace.result == "impasse":
        assert trace.rounds < rounds or len(texts) == rounds


def test_an_exhausted_mediator_ends_in_an_impasse() -> None:
    space = OutcomeSpace.from_scenario(pie(1))  # one issue, two options
    trace = negotiate(space, ["hardliner", "hardliner"], protocol="single-text", rounds=10)
    assert trace.result == "impasse"
    assert sorted(trace.outcomes.tolist()) == [0, 1]
    assert trace.final_utilities == (0.0, 0.0)
    assert trace.ended_by == -1


# -- the revision rule against a plain-Python reference -----------------------------------------


def _red_lined(scenario: Scenario, party: str, issue: str, option: Any) -> bool:
    return str(option) in map(str, scenario.party(party).red_lines.get(issue, []))


def _reference_revision(
    scenario: Scenario,
    text: dict[str, Any],
    requests: list[tuple[str, str] | None],
    seen: list[dict[str, Any]],
) -> tuple[int, float, list[dict[str, Any]]] | None:
    """The best tier, the best key in it and every change attaining it, from the definitions."""
    names = scenario.party_names
    asked = [q for q, r in enumerate(requests) if r is not None] or list(range(len(names)))
    base = {p: reference.utility(scenario, p, text) for p in names}
    changes = []
    for issue in scenario.issues:
        for option in issue.values:
            if str(option) != str(text[issue.name]):
                new = {**text, issue.name: option}
                if new not in seen:
                    changes.append((issue.name, option, new))
    candidates: list[tuple[int, float, float, dict[str, Any]]] = []
    for q in asked:
        me = names[q]
        others = [p for p in names if p != me]
        for issue, option, new in changes:
            if any(_red_lined(scenario, p, issue, option) for p in others):
                continue
            gain = reference.utility(scenario, me, new) - base[me]
            was_out = _red_lined(scenario, me, issue, text[issue])
            now_out = _red_lined(scenario, me, issue, option)
            helps = (was_out and not now_out) or (was_out == now_out and gain > 1e-9)
            cost = sum(max(0.0, base[p] - reference.utility(scenario, p, new)) for p in others)
            request = requests[q]
            if helps and request is not None and request[0] == issue:
                candidates.append((0, cost, -gain, new))
            if helps:
                candidates.append((1, cost, -gain, new))
            if not now_out:
                stake = 0.0
                for p in others:
                    values = [
                        reference.utility(scenario, p, {**text, issue: o})
                        for o in scenario.issue(issue).values
                    ]
                    stake += max(values) - min(values)
                candidates.append((2, stake, -gain, new))
    if not candidates:
        return None
    tier = min(c[0] for c in candidates)
    best = min(c[1] for c in candidates if c[0] == tier)
    close = [c for c in candidates if c[0] == tier and c[1] <= best + 1e-9]
    gain = min(c[2] for c in close)
    return tier, best, [c[3] for c in close if c[2] <= gain + 1e-9]


Case = tuple[Scenario, list[tuple[int, ...]], tuple[int, ...], list[tuple[int, int] | None]]


@st.composite
def _revision_cases(draw: st.DrawFn) -> Case:
    """A scenario, the texts seen before, the current text and each party's request."""
    scenario = draw(scenarios(max_parties=3, max_issues=3, max_options=4, numeric=False))
    cards = [len(issue.values) for issue in scenario.issues]
    draw_text = st.tuples(*(st.integers(0, c - 1) for c in cards))
    history = draw(st.lists(draw_text, max_size=4))
    text = draw(draw_text)
    request = st.none() | st.tuples(st.integers(0, len(cards) - 1), st.just(0))
    requests = [draw(request) for _ in scenario.parties]
    return scenario, history, text, requests


#: Costs 0 and 2e-13 tie up to rounding, so the larger gain (p1's, on ``i1``) wins.
_NEAR_TIE = additive_scenario(
    [
        [[0.0], [0.0, 1.0, 0.0, 9.999999960041972e-13], [0.0]],
        [[0.0], [0.0, 0.0, 1.0, 0.0], [0.0]],
        [[0.0], [0.0, 0.0, 0.0, 0.0], [0.0]],
    ],
    weights=[[1.0, 0.5, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]],
)
#: On paper p0's two changes of ``i0`` both cost 0.5 (0.75 - 0.25 against 0.6 - 0.1), so its
#: larger gain (o0) wins; compared as float sums the costs differ in the last bit.
_PAPER_TIE = additive_scenario(
    [[[0.6, 0.2, 0.3, 0.0]], [[0.4, 0.2, 0.1, 0.3]], [[0.1, 0.2, 1.0, 0.6]]],
    weights=[[1.0], [1.0], [3.0]],
)


@settings(max_examples=60, deadline=None)
@given(case=_revision_cases())
@example(case=(_NEAR_TIE, [], (0, 3, 0), [None, None, None]))
@example(case=(_PAPER_TIE, [], (3,), [None, None, None]))
def test_the_revision_follows_the_brokers_rule(case: Case) -> None:
    scenario, history, drawn, requests = case
    space = OutcomeSpace.from_scenario(scenario)
    mediator = make_strategy("single-text")
    assert isinstance(mediator, SingleText)
    mediator.reset(arena_of(space), -1, np.random.default_rng(0), (1.0,) * space.n_parties)
    for earlier in history:
        mediator._seen.add(int(space.ravel(np.array(earlier)[None, :])[0]))
    text = np.array(drawn)
    revised = mediator.revise(text.copy(), requests)
    named = [None if r is None else (space.issue_names[r[0]], "") for r in requests]
    seen = [space.deal(np.array(t)) for t in [*history, drawn]]
    expected = _reference_revision(scenario, space.deal(text), named, seen)
    if expected is None:
        assert revised is None
        return
    assert revised is not None
    assert int((revised != text).sum()) == 1
    assert space.deal(revised) in expected[2]


def test_paper_ties_go_to_the_larger_gain() -> None:
    """Both pinned cases, spelt out: the reference's answer is the one the mediator gives."""
    for scenario, text, winner in ((_NEAR_TIE, [0, 3, 0], [0, 2, 0]), (_PAPER_TIE, [3], [0])):
        space = OutcomeSpace.from_scenario(scenario)
        mediator = make_strategy("single-text")
        assert isinstance(mediator, SingleText)
        mediator.reset(arena_of(space), -1, np.random.default_rng(0), (1.0,) * space.n_parties)
        revised = mediator.revise(np.array(text), [None] * space.n_parties)
        assert revised is not None
        assert revised.tolist() == winner
