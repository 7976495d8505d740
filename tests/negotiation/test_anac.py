"""ANAC agents: the behaviour their published descriptions document, checked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from detente.errors import DetenteError
from detente.negotiation import make_strategy, negotiate
from detente.negotiation._arena import arena_of
from detente.negotiation.strategies import AgentK, HardHeaded, NiceTitForTat, Response
from detente.space import OutcomeSpace
from tests import reference
from tests.negotiation.conftest import pie, script, versus


@pytest.fixture(scope="module")
def pie100() -> OutcomeSpace:
    return OutcomeSpace.from_scenario(pie(100))


# -- HardHeaded ------------------------------------------------------------------------------


def test_hardheaded_opens_best_holds_until_late_and_never_passes_its_floor(
    pie100: OutcomeSpace,
) -> None:
    trace = versus(pie100, "hardheaded", script(0), rounds=101)
    mine = trace.utilities[trace.proposers == 0, 0]
    times = trace.offer_times[trace.proposers == 0]
    assert mine[0] == 1.0
    assert (np.diff(mine) <= 0).all()  # its bids only go down
    assert mine.min() == pytest.approx(0.6)  # floor 0.6, reached at the deadline
    # e = 0.05: at t = 0.9 it still asks 1 - 0.4 * 0.9^20 = 0.95 (ceil to the grid)
    assert mine[np.searchsorted(times, 0.9)] == pytest.approx(
        math.ceil(100 * (1 - 0.4 * 0.9**20)) / 100
    )


def test_hardheaded_bids_what_its_frequency_model_rates_best(table_space: OutcomeSpace) -> None:
    """Against an opponent repeating one deal, each bid in the band shares most options with it."""
    scenario = table_space.scenario
    deals = list(reference.deals(scenario))
    mine = [reference.utility(scenario, "P0", d) for d in deals]
    allowed = [d["i0"] != "o0" for d in deals]
    repeated = next(k for k in range(len(deals)) if not allowed[k])  # never accepted by P0
    rounds = 30
    trace = versus(table_space, "hardheaded:band=0.1", script(repeated), rounds=rounds)
    best = max(u for u, ok in zip(mine, allowed, strict=True) if ok)
    lowest = min(u for u, ok in zip(mine, allowed, strict=True) if ok)
    worst = min(max(0.6, 0.3, lowest), best)
    for time, proposer, outcome in zip(
        trace.offer_times, trace.proposers, trace.outcomes, strict=True
    ):
        if proposer != 0 or time == 0:
            continue
        target = best - (best - worst) * time**20
        band = [k for k in range(len(deals)) if allowed[k] and target <= mine[k] < target + 0.1]
        band = band or [
            min(
                (k for k in range(len(deals)) if allowed[k] and mine[k] >= target),
                key=lambda k: mine[k],
            )
        ]

        def matches(k: int) -> int:
            return sum(deals[k][i] == deals[repeated][i] for i in ("i0", "i1", "i2"))

        assert int(outcome) in band
        assert matches(int(outcome)) == max(matches(k) for k in band)


def test_hardheaded_accepts_an_offer_worth_its_next_bid(pie100: OutcomeSpace) -> None:
    player = make_strategy("hardheaded")
    player.reset(arena_of(pie100), 0, np.random.default_rng(0), (1.0, 1.0), None)
    next_bid = math.ceil(100 * (1 - 0.4 * 0.99**20)) / 100  # at t = 0.99
    answers = [player.respond(0.99, round(100 * u), 1) for u in (next_bid - 0.01, next_bid)]
    assert answers == [Response.REJECT, Response.ACCEPT]
    with pytest.raises(DetenteError, match="hardheaded"):
        HardHeaded(e=0)


# -- AgentK ----------------------------------------------------------------------------------


def test_agentk_target_follows_the_estimated_maximum(pie100: OutcomeSpace) -> None:
    """Offers worth 0.2, 0.3, 0.4: mu 0.3, sigma^2 1/150, emax = 0.3 + 0.7 sqrt(12/150)."""
    player = make_strategy("agentk")
    assert isinstance(player, AgentK)
    player.reset(arena_of(pie100), 0, np.random.default_rng(0), (1.0, 1.0), None)
    assert player.bidding.target(0.5) == 1.0  # nothing received: it expects its best
    for x in (20, 30, 40):
        player.respond(0.1, x, 1)
    emax = 0.3 + 0.7 * math.sqrt(12 / 150)
    assert player.bidding.estimated_max() == pytest.approx(emax)  # type: ignore[attr-defined]
    for t in (0.0, 0.5, 1.0):
        assert player.bidding.target(t) == pytest.approx(1 - (1 - emax) * t**3)


def test_agentk_offers_back_the_opponents_best_offer_once_worth_its_target() -> None:
    space = OutcomeSpace.from_scenario(pie(100, reservation=(0.5, 0.0)))
    player = make_strategy("agentk")
    player.reset(arena_of(space), 0, np.random.default_rng(1), (1.0, 1.0), None)
    for k in range(4):
        player.respond(k / 10, 55, 1)  # always 0.55: sigma 0, emax 0.55
    early = player.propose(0.5)  # target 1 - 0.45 / 8: a random deal above it
    assert space.utilities(early)[0, 0] >= 1 - 0.45 / 8
    assert player.propose(1.0) == 55  # the target has come down to the opponent's offer


def test_agentk_accepts_below_its_target_with_the_published_chance(pie100: OutcomeSpace) -> None:
    """Late (t = 1, alpha 3): chance t^3 / 5 + (u - emax) + (u - tau), tau = emax at t = 1."""
    offers = [0.60, 0.62, 0.64, 0.63]  # the last one is answered
    mean, spread = np.mean(offers), math.sqrt(12 * np.var(offers))
    emax = mean + (1 - mean) * spread
    chance = 1 / 5 + 2 * (0.63 - emax)
    assert 0 < chance < 1
    trials = 400
    accepted = 0
    for seed in range(trials):
        player = make_strategy("agentk")
        player.reset(arena_of(pie100), 0, np.random.default_rng(seed), (1.0, 1.0), None)
        for u in offers[:-1]:
            player.respond(0.2, round(100 * u), 1)
        accepted += player.respond(1.0, 63, 1) is Response.ACCEPT
    assert abs(accepted / trials - chance) < 4 * math.sqrt(chance * (1 - chance) / trials)
    early = make_strategy("agentk")
    early.reset(arena_of(pie100), 0, np.random.default_rng(0), (1.0, 1.0), None)
    assert early.respond(0.2, 10, 1) is Response.REJECT  # chance below 0: never
    with pytest.raises(DetenteError, match="agentk"):
        AgentK(alpha=0)


# -- Nice Tit-for-Tat ------------------------------------------------------------------------


def test_nice_tit_for_tat_does_not_concede_to_an_opponent_that_does_not(
    pie100: OutcomeSpace,
) -> None:
    trace = versus(pie100, "nice-tit-for-tat", script(0), rounds=50)
    assert (trace.utilities[trace.proposers == 0, 0] == 1.0).all()


def test_nice_tit_for_tat_mirrors_concession_up_to_the_nash_point(pie100: OutcomeSpace) -> None:
    """The opponent concedes from 0 to 1 for A; its model puts the Nash point at its estimate."""
    opponent = script(*range(0, 101, 10))
    trace = versus(pie100, "nice-tit-for-tat:T=1", opponent, rounds=12)
    mine = trace.utilities[trace.proposers == 0, 0]
    assert mine[0] == 1.0
    assert (np.diff(mine) <= 1e-12).all()  # it never retaliates
    player = make_strategy("nice-tit-for-tat")
    assert isinstance(player, NiceTitForTat)
    player.reset(arena_of(pie100), 0, np.random.default_rng(0), (1.0, 1.0), None)
    for k, x in enumerate((0, 10, 20)):
        player.respond(k / 10, x, 1)
    nash = player.bidding.nash_utility()  # type: ignore[attr-defined]
    # the opponent moved (0.2 - 0) / (nash - 0) of its way: A concedes that share of its own
    share = 0.2 / nash
    assert player.bidding.target(0.3) == pytest.approx(1 - share * (1 - nash))
    assert nash < 1.0
    for x in (40, 60, 80, 100):
        player.respond(0.5, x, 1)
    assert player.bidding.target(0.6) >= player.bidding.nash_utility() - 1e-12  # type: ignore[attr-defined]


def test_nice_tit_for_tat_takes_the_best_recent_offer_at_the_end(pie100: OutcomeSpace) -> None:
    player = make_strategy("nice-tit-for-tat:T=0.9")
    player.reset(arena_of(pie100), 0, np.random.default_rng(0), (1.0, 1.0), None)
    assert player.respond(0.5, 30, 1) is Response.REJECT
    assert player.respond(0.91, 30, 1) is Response.REJECT  # nothing earlier in its window
    assert player.respond(0.95, 30, 1) is Response.ACCEPT  # as good as the best of the last 0.05
    with pytest.raises(DetenteError, match="nice-tit-for-tat"):
        NiceTitForTat(T=2)


@pytest.mark.parametrize("name", ["hardheaded", "agentk", "nice-tit-for-tat"])
def test_an_agent_with_nothing_worth_its_reservation_walks_away(name: str) -> None:
    """Reservation 1 on a pie whose best deal the other side's red line takes away."""
    space = OutcomeSpace.from_scenario(pie(10, reservation=(0.0, 1.0), red_line=0))
    trace = negotiate(space, ["conceder", name], rounds=5)
    assert trace.result == "walk-away"
    assert trace.ended_by == 1
