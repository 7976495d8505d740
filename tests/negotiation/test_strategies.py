"""Shared checks over every registered strategy, then scripted behaviour per strategy."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from detente.errors import DetenteError
from detente.negotiation import REGISTRY, Response, Trace, make_strategy, negotiate, register
from detente.negotiation._arena import arena_of
from detente.negotiation.strategies import (
    FrequencyModel,
    RegistryWarning,
    Strategy,
    concession_target,
    parse_spec,
    rubinstein_share,
)
from detente.scenario.model import Scenario
from detente.space import OutcomeSpace
from tests import reference
from tests.negotiation.conftest import MEDIATORS, NEGOTIATORS, pie, script, versus


def test_names_are_unique_and_documented() -> None:
    assert len(REGISTRY) == len({c.name for c in REGISTRY.values()})
    for name, cls in REGISTRY.items():
        assert cls.name == name
        assert cls.family
        assert cls.source
        assert cls.__doc__


def test_register_again_replaces_with_a_warning() -> None:
    original = REGISTRY["boulware"]
    try:
        with pytest.warns(RegistryWarning, match="'boulware' registered again"):

            @register
            class Again(Strategy):
                name = "boulware"

        assert REGISTRY["boulware"] is Again
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert register(Again) is Again  # the same class again: nothing to say
    finally:
        REGISTRY["boulware"] = original


def test_register_refuses_an_empty_name() -> None:
    with pytest.raises(ValueError, match="has no name"):
        register(Strategy)


# -- shared checks, every negotiator ---------------------------------------------------------


@pytest.mark.parametrize("name", NEGOTIATORS)
def test_clone_equals_original(name: str) -> None:
    strategy = make_strategy(name)
    twin = strategy.clone()
    assert twin == strategy
    assert twin is not strategy
    assert hash(twin) == hash(strategy)
    assert make_strategy(strategy) == strategy
    assert repr(strategy).startswith(type(strategy).__name__)


@pytest.mark.parametrize("name", NEGOTIATORS)
def test_reset_forgets_the_previous_session(name: str, table_space: OutcomeSpace) -> None:
    arena = arena_of(table_space)
    strategy = make_strategy(name)

    def play() -> list[object]:
        strategy.reset(arena, 0, np.random.default_rng(7), (1.0, 1.0), 20)
        moves: list[object] = []
        for k, offer in enumerate(arena.views[1].order[::-1][:10]):
            t = k / 19
            moves.append(strategy.respond(t, int(offer), 1))
            moves.append(strategy.propose(t))
        return moves

    first = play()
    assert play() == first
    clone = strategy.clone()
    clone.reset(arena, 0, np.random.default_rng(7), (1.0, 1.0), 20)
    strategy = clone
    assert play() == first


@pytest.mark.parametrize("opponent", NEGOTIATORS)
@pytest.mark.parametrize("name", NEGOTIATORS)
def test_same_seed_same_play_and_ends_by_the_deadline(
    name: str, opponent: str, table_space: OutcomeSpace
) -> None:
    rounds = 30
    one = versus(table_space, name, opponent, rounds=rounds, seed=11)
    two = versus(table_space, name, opponent, rounds=rounds, seed=11)
    assert one.same_play(two)
    assert one.rounds <= rounds
    assert (one.offer_rounds < rounds).all()
    assert ((one.offer_times >= 0) & (one.offer_times <= 1)).all()
    _check_rational(one, table_space)


@pytest.mark.parametrize("name", NEGOTIATORS)
def test_multilateral_and_single_text_end_by_the_deadline(
    name: str, trio_space: OutcomeSpace
) -> None:
    for protocol in ("alternating", "single-text"):
        trace = negotiate(trio_space, [name, "conceder", "linear"], protocol=protocol, rounds=15)
        assert trace.rounds <= 15
        _check_rational(trace, trio_space)


def _check_rational(trace: object, space: OutcomeSpace) -> None:
    """Proposers offer only deals they can accept; an agreement is acceptable to every party."""
    assert isinstance(trace, Trace)
    scenario = space.scenario
    for outcome, proposer in zip(trace.outcomes, trace.proposers, strict=True):
        if proposer >= 0:
            deal = space.deal(int(outcome))
            assert reference.acceptable(scenario, trace.parties[proposer], deal)
    if trace.agreement is not None:
        deal = space.deal(trace.agreement)
        for party in trace.parties:
            assert reference.acceptable(scenario, party, deal)
        assert trace.result == "agreement"


@pytest.mark.parametrize("name", NEGOTIATORS)
def test_never_accepts_below_reservation_or_across_a_red_line(
    name: str, table_space: OutcomeSpace
) -> None:
    arena = arena_of(table_space)
    scenario = table_space.scenario
    for party in range(2):
        strategy = make_strategy(name)
        strategy.reset(arena, party, np.random.default_rng(3), (1.0, 1.0), None)
        for t in (0.0, 0.5, 0.99, 1.0):
            for outcome in range(arena.size):
                answer = strategy.respond(t, outcome, 1 - party)
                if answer is Response.ACCEPT:
                    deal = table_space.deal(outcome)
                    assert reference.acceptable(scenario, scenario.party_names[party], deal)


@pytest.mark.parametrize("name", MEDIATORS)
def test_mediators_clone_and_replay(name: str, table_space: OutcomeSpace) -> None:
    mediator = make_strategy(name)
    assert mediator.clone() == mediator
    one = negotiate(
        table_space, ["conceder", "linear"], protocol="single-text", mediator=name, seed=4
    )
    two = negotiate(
        table_space, ["conceder", "linear"], protocol="single-text", mediator=name, seed=4
    )
    assert one.same_play(two)
    assert one.mediator == name
    assert (one.proposers == -1).all()
    _check_rational(one, table_space)


# -- time-dependent strategies -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "exponent"), [("boulware", 0.2), ("linear", 1.0), ("conceder", 2.0)]
)
def test_time_dependent_offers_follow_the_concession_curve(
    name: str, exponent: float, table_space: OutcomeSpace
) -> None:
    """Each offer is the least valuable deal worth at least max - (max - min) t^(1/e).

    ``min`` is the larger of the reservation value and the party's worst utility.
    """
    rounds = 25
    trace = versus(table_space, name, "hardliner", rounds=rounds)
    scenario = table_space.scenario
    me = scenario.party_names[0]
    every = list(reference.deals(scenario))
    mine = [d for d in every if reference.acceptable(scenario, me, d) or _only_low(scenario, me, d)]
    values = sorted(reference.utility(scenario, me, d) for d in mine)
    best = values[-1]
    worst = max(scenario.parties[0].reservation_value, values[0])
    turns = rounds
    for time, proposer, utilities in zip(
        trace.offer_times, trace.proposers, trace.utilities, strict=True
    ):
        if proposer != 0:
            continue
        target = best - (best - worst) * time ** (1 / exponent)
        assert math.isclose(time * (turns - 1), round(time * (turns - 1)))
        expected = min(v for v in values if v >= target - 1e-12)
        assert utilities[0] == pytest.approx(expected, abs=1e-12)


def _only_low(scenario: object, party: str, deal: dict[str, object]) -> bool:
    """A deal crossing no red line of ``party`` (whatever its utility)."""
    assert isinstance(scenario, Scenario)
    lines = scenario.party(party).red_lines
    return all(deal[i] not in options for i, options in lines.items())


def test_concession_target_formula() -> None:
    assert concession_target(0.0, 1.0, 0.2, 0.5) == 1.0
    assert concession_target(1.0, 1.0, 0.2, 0.5) == pytest.approx(0.2)
    assert concession_target(0.25, 1.0, 0.0, 0.5) == pytest.approx(1 - 0.25**2)
    assert concession_target(0.25, 1.0, 0.0, 2.0) == pytest.approx(1 - 0.5)


def test_time_dependent_without_a_known_deadline_uses_the_formula(pie_space: OutcomeSpace) -> None:
    arena = arena_of(pie_space)
    strategy = make_strategy("linear")
    strategy.reset(arena, 0, np.random.default_rng(0), (1.0, 1.0), None)
    assert pie_space.utilities(strategy.propose(0.5))[0, 0] == pytest.approx(0.5)
    assert strategy.respond(0.5, pie_space.index_of({"share": 60}), 1) is Response.ACCEPT
    assert strategy.respond(0.5, pie_space.index_of({"share": 40}), 1) is Response.REJECT


def test_hardliners_never_agree(pie_space: OutcomeSpace) -> None:
    trace = versus(pie_space, "hardliner", "hardliner", rounds=10)
    assert trace.result == "deadline"
    assert trace.rounds == 10
    expected = np.tile([[1.0, 0.0], [0.0, 1.0]], (10, 1))
    np.testing.assert_allclose(trace.utilities, expected, atol=1e-12)


def test_conceder_meets_a_hardliner_at_the_hardliners_best(pie_space: OutcomeSpace) -> None:
    trace = versus(pie_space, "hardliner", "conceder", rounds=20)
    assert trace.result == "agreement"
    assert trace.final_utilities == pytest.approx((1.0, 0.0))


def test_walks_away_when_nothing_beats_the_reservation_value() -> None:
    space = OutcomeSpace.from_scenario(pie(10, reservation=(0.0, 1.0), red_line=0))
    for name in ("boulware", "hardliner", "tit-for-tat", "random", "rubinstein"):
        trace = negotiate(space, ["linear", name], rounds=5)
        assert trace.result == "walk-away", name
        assert trace.ended_by == 1
        assert trace.final_utilities == (0.0, 1.0)
    first = negotiate(space, ["random", "linear"], rounds=5)
    assert first.result == "walk-away"
    assert len(first) == 1
    assert first.ended_by == 1


# -- reactive strategies ---------------------------------------------------------------------


def test_tit_for_tat_reciprocates(pie_space: OutcomeSpace) -> None:
    """Against a hard-liner it concedes only its kindness; against Linear it follows."""
    hard = versus(pie_space, "tit-for-tat", "hardliner", rounds=20)
    own = hard.utilities[hard.proposers == 0, 0]
    steps = -np.diff(own)
    assert (steps >= -1e-12).all()
    assert own[-1] >= 1.0 - 20 * 0.02 - 0.011
    soft = versus(pie_space, "tit-for-tat:kindness=0", "linear", rounds=20)
    conceded = soft.utilities[soft.proposers == 0, 0]
    assert conceded[-1] < conceded[0]
    assert soft.result == "agreement"


def test_frequency_model_learns_what_the_other_side_repeats(table_space: OutcomeSpace) -> None:
    arena = arena_of(table_space)
    strategy = make_strategy("frequency")
    assert isinstance(strategy, FrequencyModel)
    strategy.reset(arena, 0, np.random.default_rng(0), (1.0, 1.0), None)
    repeated = table_space.index_of({"i0": "o2", "i1": "o3", "i2": "o4"})
    for t in (0.1, 0.2, 0.3):
        strategy.respond(t, repeated, 1)
    candidates = np.arange(arena.size)
    estimate = strategy.estimated(candidates)
    assert int(np.argmax(estimate)) == repeated
    assert estimate[repeated] == pytest.approx(1.0)
    trace = versus(table_space, "frequency", "linear", rounds=30)
    assert trace.rounds <= 30


def test_tit_for_tat_mirrors_the_opponents_concession() -> None:
    """Scripted: the opponent closes a share ``c`` of the gap to A's best; A gives up ``c`` of
    its own room, less the kindness 0.02 (by hand on the pie of 20 steps, u_A = x / 20).

    Opponent offers x = 0, 2, 5, 5, 8, 0. A's demand: 1 (opening, and after the first offer,
    which sets no reference); after x=2 the opponent closed 0.1 of the gap, so
    1 - 0.1 - 0.02 = 0.88 (offer x=18); after x=5 it closed (0.25 - 0.1) / 0.9 = 1/6:
    0.88 (5/6) - 0.02 = 0.713 (x=15); x=5 again is no concession: 0.693 (x=14); after x=8,
    0.15 / 0.75 = 0.2: 0.693 (0.8) - 0.02 = 0.535 (x=11); x=0 retracts 0.4 / 0.6 = 2/3 of the
    ground, so A takes back that share of what it gave up: 0.535 + (2/3) (1 - 0.535) - 0.02 =
    0.825 (x=17).
    """
    space = OutcomeSpace.from_scenario(pie(20))
    versus(
        space,
        "tit-for-tat",
        script(0, 2, 5, 5, 8, 0),
        rounds=7,
        expected=[20, 20, 18, 15, 14, 11, 17],
    )
    # without kindness, against an opponent that never moves, it never moves either
    versus(space, "tit-for-tat:kindness=0", script(0), rounds=5, expected=[20] * 5)


def test_frequency_model_offers_the_in_band_deal_best_for_the_estimated_opponent(
    table_space: OutcomeSpace,
) -> None:
    """Scripted: the opponent repeats one deal; from the definitions (plain Python over every
    deal), each offer is, among the deals worth [target, target + band) to the player, the one
    sharing most options with that deal (the model's estimate), ties to the lower own utility.
    """
    scenario = table_space.scenario
    rounds, e, band = 12, 0.5, 0.05
    deals = list(reference.deals(scenario))
    mine = [reference.utility(scenario, "P0", d) for d in deals]
    theirs = [reference.utility(scenario, "P1", d) for d in deals]
    allowed = [d["i0"] != "o0" for d in deals]  # P0's red line
    # the opponent's best deal across the player's red line: never accepted, so all rounds run
    repeated = max((k for k in range(len(deals)) if not allowed[k]), key=lambda k: theirs[k])
    best = max(u for u, ok in zip(mine, allowed, strict=True) if ok)
    lowest = min(u for u, ok in zip(mine, allowed, strict=True) if ok)
    worst = min(max(0.3, lowest), best)
    expected = []
    differs = False
    for r in range(rounds):
        target = best - (best - worst) * (r / (rounds - 1)) ** (1 / e)
        # no deal on a band edge (rounding could not decide), the best deal at time 0 aside
        assert all(abs(u - target - band) > 1e-9 for u in mine)
        assert r == 0 or all(abs(u - target) > 1e-9 for u in mine)
        ranked = sorted(
            (k for k in range(len(deals)) if allowed[k] and mine[k] >= target),
            key=lambda k: (mine[k], k),
        )
        if r == 0:  # nothing observed yet: the plain time-dependent offer
            expected.append(ranked[0])
            continue
        in_band = [k for k in ranked if mine[k] < target + band] or ranked[:1]
        assert len(in_band) < FrequencyModel.window

        def matches(k: int) -> int:
            return sum(deals[k][i] == deals[repeated][i] for i in ("i0", "i1", "i2"))

        chosen = max(in_band, key=lambda k: (matches(k), -mine[k], -k))
        differs |= chosen != ranked[0]
        expected.append(chosen)
    assert differs  # the model changes at least one offer
    versus(table_space, "frequency", script(repeated), rounds=rounds, expected=expected)


def test_random_baseline_depends_on_the_seed_only(table_space: OutcomeSpace) -> None:
    plays = [versus(table_space, "random", "hardliner", rounds=20, seed=s) for s in (1, 1, 2)]
    assert plays[0].same_play(plays[1])
    assert not np.array_equal(plays[0].outcomes, plays[2].outcomes)
    never = versus(table_space, "hardliner", "random:accept_probability=0", rounds=10)
    assert never.result == "deadline"


def test_rubinstein_share_limits() -> None:
    assert rubinstein_share(0.9, 0.8) == pytest.approx(0.2 / 0.28)
    assert rubinstein_share(1.0, 1.0) == 0.5
    assert rubinstein_share(1.0, 0.5) == pytest.approx(1.0)


# -- parameters and specs ----------------------------------------------------------------


def test_specs_round_trip() -> None:
    strategy = make_strategy("boulware:e=0.1")
    assert strategy.params == {"e": 0.1, "informed": 1.0}
    assert strategy.spec == "boulware:e=0.1"
    assert make_strategy("boulware").spec == "boulware"
    assert parse_spec("frequency: e=1, band=0.1") == ("frequency", {"e": 1.0, "band": 0.1})


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nope", "unknown strategy 'nope'"),
        ("boulware:x=1", "unknown parameter"),
        ("boulware:e", "bad parameter"),
        ("boulware:e=abc", "bad parameter"),
        ("boulware:e=0", "e must be > 0"),
        ("random:accept_probability=2", "in \\[0, 1\\]"),
    ],
)
def test_bad_specs_name_the_problem(spec: str, message: str) -> None:
    with pytest.raises(DetenteError, match=message):
        make_strategy(spec)


def test_the_base_class_is_abstract(pie_space: OutcomeSpace) -> None:
    strategy = Strategy()
    with pytest.raises(NotImplementedError):
        strategy.propose(0.0)
    with pytest.raises(NotImplementedError):
        strategy.accepts(0.0, 0)
    assert strategy.spec == ""
