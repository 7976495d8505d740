"""Sessions of planned strategies computed at once, against the same sessions turn by turn."""

from __future__ import annotations

import dataclasses
from typing import ClassVar
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.errors import DetenteError
from detente.negotiation import Strategy, Trace, negotiate, protocols
from detente.negotiation._arena import arena_of
from detente.negotiation.strategies import (
    Boulware,
    FrequencyModel,
    HardLiner,
    Rubinstein,
    TimeDependent,
    make_strategy,
)
from detente.scenario.model import Scenario
from detente.space import OutcomeSpace
from tests.negotiation.conftest import pie
from tests.strategies import additive_scenario, scenarios

PLANNED = ("boulware", "linear", "conceder", "hardliner", "rubinstein")


def turn_by_turn(spec: str | Strategy) -> Strategy:
    """The same strategy without a plan: the protocol then plays it turn by turn."""
    player = make_strategy(spec)
    unplanned = type(type(player).__name__, (type(player),), {"plan_arrays": lambda _: None})
    return unplanned(**player.params)


def identical(one: Trace, other: Trace) -> bool:
    """Every field equal, arrays element by element with the same dtype (no tolerance)."""
    for field in dataclasses.fields(Trace):
        a, b = getattr(one, field.name), getattr(other, field.name)
        if isinstance(a, np.ndarray):
            if a.dtype != b.dtype or a.shape != b.shape or not np.array_equal(a, b):
                return False
        elif a != b:
            return False
    return True


def both_ways(
    space: OutcomeSpace, specs: list[str], rounds: int, **kwargs: object
) -> tuple[Trace, Trace]:
    """The session computed at once (the turn-by-turn loop unreachable) and played turn by turn."""
    with mock.patch.object(protocols, "_alternating", side_effect=AssertionError("loop used")):
        planned = negotiate(space, specs, rounds=rounds, seed=1, **kwargs)  # type: ignore[arg-type]
    looped = negotiate(
        space,
        [turn_by_turn(s) for s in specs],
        rounds=rounds,
        seed=1,
        **kwargs,  # type: ignore[arg-type]
    )
    return planned, looped


exponents = st.floats(min_value=0.02, max_value=20.0, allow_nan=False)
specs = st.one_of(
    st.sampled_from(PLANNED),
    exponents.map(lambda e: f"boulware:e={e!r}"),
)
discounts = st.floats(min_value=0.3, max_value=1.0, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(
    scenario=scenarios(min_parties=2, max_parties=3, max_issues=3, max_options=5),
    data=st.data(),
    rounds=st.integers(1, 200),
)
def test_planned_sessions_are_the_loop_bit_for_bit(
    scenario: Scenario, data: st.DataObject, rounds: int
) -> None:
    """Random scenarios (red lines, reservation values), exponents, discounts and deadlines."""
    space = OutcomeSpace.from_scenario(scenario)
    n = space.n_parties
    chosen = data.draw(st.lists(specs, min_size=n, max_size=n))
    factors = data.draw(st.lists(discounts, min_size=n, max_size=n))
    planned, looped = both_ways(space, chosen, rounds, discounts=factors)
    assert identical(planned, looped)


@pytest.mark.parametrize("rounds", [1, 2, 3, 7, 50, 200])
@pytest.mark.parametrize(
    "chosen",
    [
        ["boulware", "boulware", "boulware"],
        ["conceder", "boulware:e=0.05", "linear"],
        ["conceder:e=8", "conceder:e=5", "conceder:e=3"],
        ["hardliner", "conceder", "conceder"],
    ],
)
def test_three_parties_bit_for_bit(
    trio_space: OutcomeSpace, chosen: list[str], rounds: int
) -> None:
    """Around the table: an offer stands only when both others accept it in turn."""
    planned, looped = both_ways(trio_space, chosen, rounds)
    assert identical(planned, looped)


def test_an_offer_accepted_by_one_and_refused_by_the_next(trio_space: OutcomeSpace) -> None:
    """The case the table order makes: the third party refuses what the second accepted."""
    seen = False
    for rounds in range(2, 60):
        planned, looped = both_ways(
            trio_space, ["conceder:e=8", "conceder:e=8", "boulware"], rounds
        )
        assert identical(planned, looped)
        skips = np.diff(planned.proposers) % 3 == 2  # the next proposer sits two seats on
        seen = seen or bool(skips.any())
    assert seen


@pytest.mark.parametrize("rounds", [1, 2, 100])
def test_walk_away_and_deadline_bit_for_bit(pie_space: OutcomeSpace, rounds: int) -> None:
    """A party whose best is below its reservation walks away at its first turn; a hard-liner
    pair runs to the deadline."""
    second = OutcomeSpace.from_scenario(pie(10, reservation=(0.0, 0.95), red_line=0))
    first = OutcomeSpace.from_scenario(
        additive_scenario(
            [[[0.0, 1.0]], [[1.0, 0.0]]], reservations=[0.5, 0.0], red_lines={0: {0: [1]}}
        )
    )
    for space, chosen, result, by in [
        (second, ["boulware", "boulware"], "walk-away", 1),
        (second, ["hardliner", "linear"], "walk-away", 1),
        (first, ["linear", "linear"], "walk-away", 0),
        (first, ["hardliner", "rubinstein"], "walk-away", 0),
        (pie_space, ["hardliner", "hardliner"], "deadline", -1),
    ]:
        planned, looped = both_ways(space, chosen, rounds)
        assert identical(planned, looped)
        assert (planned.result, planned.ended_by) == (result, by)
        assert len(planned) == (by if result == "walk-away" else 2 * rounds)


def test_discounts_weigh_the_agreement_as_in_the_loop(pie_space: OutcomeSpace) -> None:
    """Per-party discount factors: the equilibrium pair and a time-dependent pair."""
    planned, looped = both_ways(pie_space, ["rubinstein", "rubinstein"], 40, discounts=(0.9, 0.6))
    assert identical(planned, looped)
    assert (planned.result, planned.rounds) == ("agreement", 1)
    planned, looped = both_ways(pie_space, ["boulware", "conceder"], 40, discounts=(0.9, 0.6))
    assert identical(planned, looped)
    assert planned.result == "agreement"
    assert planned.rounds > 1
    assert planned.final_utilities[1] < float(planned.utilities[-1, 1])


class _Picky(Boulware):
    """Boulware that also refuses every even deal: its plan no longer describes it."""

    name: ClassVar[str] = "picky"

    def accepts(self, time: float, offer: int) -> bool:
        return offer % 2 == 1 and super().accepts(time, offer)


class _PickyHardLiner(HardLiner):
    name: ClassVar[str] = "picky-hardliner"

    def accepts(self, time: float, offer: int) -> bool:
        return False


class _PickyRubinstein(Rubinstein):
    name: ClassVar[str] = "picky-rubinstein"

    def accepts(self, time: float, offer: int) -> bool:
        return False


def _reset(player: Strategy, space: OutcomeSpace, turns: int | None) -> Strategy:
    player.reset(arena_of(space), 0, np.random.SeedSequence(0), (1.0,) * space.n_parties, turns)
    return player


@pytest.mark.parametrize(
    "player",
    [Boulware(), HardLiner(), Rubinstein(), _Picky(), _PickyHardLiner(), _PickyRubinstein()],
    ids=repr,
)
def test_no_plan_with_a_deadline_in_seconds_or_a_changed_play(
    pie_space: OutcomeSpace, player: Strategy
) -> None:
    assert _reset(player, pie_space, None).plan_arrays() is None
    planned = _reset(player, pie_space, 10).plan_arrays()
    assert (planned is None) == (type(player).__name__.startswith("_Picky"))


def test_plans_say_what_propose_and_accepts_answer(pie_space: OutcomeSpace) -> None:
    """Each planned round: the offer ``propose`` makes and the threshold ``accepts`` applies."""
    rounds = 30
    for spec in PLANNED:
        player = _reset(make_strategy(spec), pie_space, rounds)
        plan = player.plan_arrays()
        assert plan is not None
        offers, thresholds = plan
        view = player.view
        for r in range(rounds):
            time = r / (rounds - 1)
            assert offers[r] == player.propose(time)
            for deal in range(0, pie_space.size, 7):
                assert player.accepts(time, deal) == (float(view.utility[deal]) >= thresholds[r])


def test_reactive_strategies_and_seconds_use_the_loop(table_space: OutcomeSpace) -> None:
    """Frequency modelling reacts to offers; a deadline in seconds has no planned rounds."""
    player = _reset(FrequencyModel(), table_space, 10)
    assert isinstance(player, TimeDependent)
    assert player.plan_arrays() is None
    with mock.patch.object(protocols, "_planned", side_effect=AssertionError("planned")):
        trace = negotiate(table_space, ["boulware", "boulware"], rounds=None, seconds=0.05, seed=0)
    assert trace.result in {"agreement", "deadline"}
    mixed = negotiate(table_space, ["boulware", "frequency"], rounds=40, seed=0)
    alone = negotiate(table_space, [turn_by_turn("boulware"), "frequency"], rounds=40, seed=0)
    assert identical(mixed, alone)


class _Outside(Boulware):
    """A plan (and play) offering a deal outside the space."""

    name: ClassVar[str] = "outside"

    def propose(self, time: float) -> int:
        return self.arena.size

    def plan_arrays(self) -> tuple[np.ndarray, np.ndarray] | None:
        return np.full(self.turns or 0, self.arena.size), np.zeros(self.turns or 0)


def test_a_plan_outside_the_space_is_named_by_the_loop(pie_space: OutcomeSpace) -> None:
    with pytest.raises(DetenteError, match="outside the space"):
        negotiate(pie_space, [_Outside(), "boulware"], rounds=10)
