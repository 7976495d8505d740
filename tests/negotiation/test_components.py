"""Components composed into strategies: each part against an independent computation."""

from __future__ import annotations

import itertools
from typing import ClassVar

import numpy as np
import pytest

from detente.errors import DetenteError
from detente.negotiation import negotiate
from detente.negotiation._arena import arena_of
from detente.negotiation.components import (
    BOA,
    AcceptanceStrategy,
    ACCombi,
    ACConst,
    ACNext,
    ACTarget,
    ACTime,
    AnyOf,
    BiddingStrategy,
    FrequencyOpponentModel,
    OpponentModel,
    TimeDependentBidding,
)
from detente.negotiation.strategies import Response
from detente.space import OutcomeSpace
from tests import reference
from tests.negotiation.conftest import pie, script, versus


class Composed(BOA):
    """A time-dependent strategy made of components (not registered)."""

    name: ClassVar[str] = "composed"
    family: ClassVar[str] = "test"
    source: ClassVar[str] = "a test"
    parameters: ClassVar[dict[str, float]] = {"e": 0.2, "k": 0.0, "floor": 0.0}
    acceptance_kind: ClassVar[str] = "target"

    def components(self) -> tuple[BiddingStrategy, AcceptanceStrategy, OpponentModel | None]:
        p = self.params
        kinds: dict[str, AcceptanceStrategy] = {
            "target": ACTarget(),
            "next": ACNext(),
            "const": ACConst(0.7),
            "time": ACTime(0.5),
            "combi": ACCombi(0.9),
            "any": AnyOf(ACConst(0.9), ACTime(0.8)),
        }
        bidding = TimeDependentBidding(p["e"], k=p["k"], floor=p["floor"])
        return bidding, kinds[self.acceptance_kind], None


def composed(kind: str = "target", **params: float) -> Composed:
    return type("C", (Composed,), {"acceptance_kind": kind})(**params)


@pytest.mark.parametrize(("builtin", "e"), [("boulware", 0.2), ("conceder", 2.0), ("linear", 1.0)])
@pytest.mark.parametrize("opponent", ["conceder", "tit-for-tat", "random", "hardliner"])
def test_time_dependent_components_play_as_the_built_in(
    table_space: OutcomeSpace, builtin: str, e: float, opponent: str
) -> None:
    """Built by components, turn by turn, the same trace as the planned built-in."""
    for seat in range(2):
        ours: list[object] = [opponent, opponent]
        theirs: list[object] = [opponent, opponent]
        ours[seat], theirs[seat] = composed(e=e), builtin
        one = negotiate(table_space, ours, rounds=40, seed=3)  # type: ignore[arg-type]
        two = negotiate(table_space, theirs, rounds=40, seed=3)  # type: ignore[arg-type]
        assert one.outcomes.tolist() == two.outcomes.tolist()
        assert one.result == two.result


def test_bidding_follows_k_and_the_floor() -> None:
    space = OutcomeSpace.from_scenario(pie(100))
    trace = versus(space, composed(e=1.0, k=0.2, floor=0.5), script(0), rounds=11)
    mine = trace.utilities[trace.proposers == 0, 0]
    times = trace.offer_times[trace.proposers == 0]
    # target 1 - 0.5 (0.2 + 0.8 t); the offer is the least deal worth it: ceil(100 target)/100
    expected = np.ceil(np.round(100 * (1 - 0.5 * (0.2 + 0.8 * times)), 9)) / 100
    np.testing.assert_allclose(mine, expected)
    with pytest.raises(DetenteError, match="needs e > 0"):
        TimeDependentBidding(0.0)


def _respond(strategy: BOA, space: OutcomeSpace, offers: list[int], times: list[float]) -> list:
    strategy.reset(arena_of(space), 0, np.random.default_rng(0), (1.0, 1.0), None)
    return [strategy.respond(t, o, 1) for t, o in zip(times, offers, strict=True)]


def test_acceptance_conditions() -> None:
    """On the pie of 100 (u_A = x / 100), Boulware e = 1 (linear): next bid 1 - t."""
    space = OutcomeSpace.from_scenario(pie(100))
    accept, reject = Response.ACCEPT, Response.REJECT
    # AC_next: u(offer) >= u(next bid) = ceil(100 (1 - t)) / 100
    assert _respond(composed("next", e=1.0), space, [69, 70, 71], [0.3] * 3) == [
        reject,
        accept,
        accept,
    ]
    assert _respond(composed("const", e=1.0), space, [69, 70], [0.0, 0.0]) == [reject, accept]
    assert _respond(composed("time", e=1.0), space, [1, 1], [0.49, 0.5]) == [reject, accept]
    assert _respond(composed("any", e=1.0), space, [90, 10, 10], [0.0, 0.7, 0.8]) == [
        accept,
        reject,
        accept,
    ]
    # AC_combi(0.9), Boulware e = 0.05 (next bid above 0.6): from 0.9, the best earlier offer
    # of the last 1 - t is enough
    answers = _respond(composed("combi", e=0.05), space, [40, 30, 40, 39], [0.5, 0.91, 0.92, 0.95])
    assert answers == [reject, reject, accept, reject]


def test_a_party_that_would_walk_away_accepts_any_acceptable_offer() -> None:
    space = OutcomeSpace.from_scenario(pie(10, reservation=(0.3, 0.0)))
    strategy = composed("next")
    strategy.reset(arena_of(space), 0, np.random.default_rng(0), (1.0, 1.0), None)
    strategy.bidding.walks = True  # type: ignore[attr-defined]
    assert strategy.respond(0.5, 2, 1) is Response.REJECT  # below its reservation value
    assert strategy.respond(0.5, 3, 1) is Response.ACCEPT
    assert strategy.propose(0.5) == -1


def test_frequency_model_against_counting_by_hand(table_space: OutcomeSpace) -> None:
    """Weights 1 + rate x (times unchanged), normalised; values count / most counted."""
    arena = arena_of(table_space)
    scenario = table_space.scenario
    rng = np.random.default_rng(5)
    offers = [int(o) for o in rng.integers(0, arena.size, 12)]
    offers[4] = offers[3]  # an offer repeated: every issue unchanged once
    model = FrequencyOpponentModel(learning_rate=0.2)
    model.reset(arena, 0)
    assert model.observed == 0
    for o in offers:
        model.update(0.0, o, 1)
    deals = [table_space.deal(o) for o in offers]
    issues = [i.name for i in scenario.issues]
    unchanged = dict.fromkeys(issues, 1.0)
    for before, after in itertools.pairwise(deals):
        for i in issues:
            unchanged[i] += 0.2 * (before[i] == after[i])
    total = sum(unchanged.values())
    every = list(reference.deals(scenario))
    estimate = model.estimate(np.arange(arena.size))
    for k, deal in enumerate(every):
        expected = 0.0
        for i in issues:
            counts = [d[i] for d in deals]
            peak = max(counts.count(v) for v in set(counts))
            expected += unchanged[i] / total * counts.count(deal[i]) / peak
        assert estimate[k] == pytest.approx(expected, abs=1e-12)
    assert model.observed == 12
    assert OpponentModel().observed == 0
