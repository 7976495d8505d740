"""Protocols: Rubinstein's closed form, multilateral acceptance, the single text, deadlines."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.errors import DetenteError
from detente.negotiation import Strategy, negotiate
from detente.negotiation._arena import arena_of
from detente.negotiation.strategies import Rubinstein, make_strategy
from detente.scenario.model import Scenario
from detente.space import OutcomeSpace
from tests import reference
from tests.negotiation.conftest import pie
from tests.strategies import scenarios

discount = st.floats(min_value=0.3, max_value=0.99, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(d1=discount, d2=discount)
def test_rubinstein_split_in_the_first_round(d1: float, d2: float) -> None:
    """Equilibrium play agrees at once on x1 = (1 - d2) / (1 - d1 d2), within one grid step."""
    space = _PIE
    trace = negotiate(space, ["rubinstein", "rubinstein"], discounts=(d1, d2), rounds=50)
    assert trace.result == "agreement"
    assert trace.rounds == 1
    assert len(trace) == 1
    x1 = (1 - d2) / (1 - d1 * d2)
    assert abs(trace.final_utilities[0] - x1) <= 0.01 + 1e-9
    assert trace.final_utilities[1] == pytest.approx(1 - trace.final_utilities[0])


_PIE = OutcomeSpace.from_scenario(pie(100))


def backward_induction(d1: float, d2: float, steps: int, horizon: int) -> float:
    """First proposer's share in the subgame-perfect play of the finite game on a grid.

    Shares are multiples of ``1 / steps``; in the last of ``horizon`` rounds the proposer takes
    everything; in every earlier round the proposer offers the responder the least share worth
    at least what the responder gets by proposing next round, discounted (accepted when
    indifferent). Written from the game's definition, without the closed form.
    """
    proposer = 1.0  # the proposer's share in the last round
    for r in range(horizon - 2, -1, -1):
        responder_discount = d2 if r % 2 == 0 else d1
        need = responder_discount * proposer
        proposer = 1.0 - math.ceil(need * steps - 1e-9) / steps
    return proposer


@settings(max_examples=30, deadline=None)
@given(d1=discount, d2=discount)
def test_backward_induction_converges_to_rubinsteins_split(d1: float, d2: float) -> None:
    """Independent of the strategy: the finite game's equilibrium tends to (1 - d2) / (1 - d1 d2).

    On a grid of step ``h`` each round's rounding moves the share by at most ``h``, so the
    limit lies within ``h (1 + d2) / (1 - d1 d2)`` of the closed form: below the pie's step
    (0.01) for ``h = 10^-4``. The ``rubinstein`` strategy's agreement on the pie of step 0.01
    then lies within one step of the induction.
    """
    steps, horizon = 10_000, 4_000
    x1 = (1 - d2) / (1 - d1 * d2)
    share = backward_induction(d1, d2, steps, horizon)
    assert share == pytest.approx(backward_induction(d1, d2, steps, horizon + 2), abs=1e-9)
    assert abs(share - x1) <= (1 + d2) / (steps * (1 - d1 * d2)) + 1e-9
    assert abs(share - x1) <= 0.01
    trace = negotiate(_PIE, ["rubinstein", "rubinstein"], discounts=(d1, d2), rounds=50)
    assert abs(trace.final_utilities[0] - share) <= 0.01 + 0.0025


class Deviant(Rubinstein):
    """Rubinstein's strategy except in its first move: offers ``first`` or rejects once."""

    name: ClassVar[str] = "deviant"
    parameters: ClassVar[dict[str, float]] = {"first": -1.0, "reject_first": 0.0}

    def setup(self) -> None:
        super().setup()
        self.moves = 0

    def propose(self, time: float) -> int:
        self.moves += 1
        first = int(self.params["first"])
        return first if self.moves == 1 and first >= 0 else super().propose(time)

    def accepts(self, time: float, offer: int) -> bool:
        if self.params["reject_first"] and self.moves == 0:
            return False
        return super().accepts(time, offer)


@pytest.mark.parametrize(("d1", "d2"), [(0.9, 0.8), (0.5, 0.95), (0.95, 0.95), (0.7, 0.4)])
def test_no_one_shot_deviation_in_the_first_round_pays(d1: float, d2: float) -> None:
    """Neither the proposer (any other first offer) nor the responder (rejecting, then any
    counter-offer) gains against the equilibrium strategy by deviating in round one."""
    discounts = (d1, d2)
    equilibrium = negotiate(_PIE, ["rubinstein", "rubinstein"], discounts=discounts, rounds=50)
    first, second = equilibrium.final_utilities
    for deal in range(_PIE.size):
        proposer = negotiate(
            _PIE, [Deviant(first=deal), "rubinstein"], discounts=discounts, rounds=50
        )
        assert proposer.final_utilities[0] <= first + 1e-9
        responder = negotiate(
            _PIE,
            ["rubinstein", Deviant(first=deal, reject_first=1)],
            discounts=discounts,
            rounds=50,
        )
        assert len(responder) >= 2  # the equilibrium offer was refused
        assert responder.final_utilities[1] <= second + 1e-9
    # the deviations are real: some first offer the responder refuses costs the proposer
    refused = negotiate(_PIE, [Deviant(first=_PIE.size - 1), "rubinstein"], discounts=discounts)
    assert refused.rounds > 1
    assert refused.final_utilities[0] < first


def test_discounts_scale_the_payoff_by_the_agreement_round(pie_space: OutcomeSpace) -> None:
    trace = negotiate(pie_space, ["hardliner", "conceder"], discounts=0.9, rounds=10)
    assert trace.result == "agreement"
    last_round = trace.rounds - 1
    assert last_round > 0
    assert trace.final_utilities[0] == pytest.approx(0.9**last_round)


class Scripted(Strategy):
    """Plays a fixed list of answers; offers the deal given by ``offer``."""

    name: ClassVar[str] = "scripted"
    family: ClassVar[str] = "test"
    parameters: ClassVar[dict[str, float]] = {"offer": 0.0, "accept": 1.0, "end": 0.0}

    def propose(self, time: float) -> int:
        return int(self.params["offer"])

    def accepts(self, time: float, offer: int) -> bool:
        return bool(self.params["accept"])

    def walks_away(self, time: float, offer: int) -> bool:
        return bool(self.params["end"])


def test_a_multilateral_offer_stands_only_when_everyone_accepts(
    trio_space: OutcomeSpace,
) -> None:
    arena = arena_of(trio_space)
    good = int(arena.utilities.sum(axis=1).argmax())
    for p in range(3):
        assert arena.views[p].acceptable(good)
    yes = Scripted(offer=good, accept=1)
    agreed = negotiate(trio_space, [yes, yes, yes], rounds=3)
    assert agreed.result == "agreement"
    assert agreed.ended_by == 2
    assert len(agreed) == 1
    other = int(np.flatnonzero(arena.views[2].allowed & ~arena.views[0].allowed)[0])
    holdout = negotiate(trio_space, [yes, yes, Scripted(offer=other, accept=0)], rounds=3)
    assert holdout.result == "deadline"
    assert holdout.proposers.tolist() == [0, 2, 0, 2, 0, 2]
    walker = negotiate(trio_space, [yes, Scripted(offer=good, end=1), yes], rounds=3)
    assert walker.result == "walk-away"
    assert walker.ended_by == 1


def test_user_strategies_are_checked(pie_space: OutcomeSpace) -> None:
    with pytest.raises(DetenteError, match="outside the space"):
        negotiate(pie_space, [Scripted(offer=10**6), "linear"], rounds=3)
    with pytest.raises(DetenteError, match="outside the space"):
        negotiate(pie_space, ["hardliner", Scripted(offer=10**6, accept=0)], rounds=3)
    gone = negotiate(pie_space, [Scripted(offer=-1), "linear"], rounds=3)
    assert gone.result == "walk-away"
    assert len(gone) == 0
    assert gone.rounds == 1


def test_single_text_reaches_a_deal_acceptable_to_all(table_space: OutcomeSpace) -> None:
    trace = negotiate(table_space, ["conceder", "conceder"], protocol="single-text", rounds=40)
    assert trace.result == "agreement"
    deal = table_space.deal(trace.agreement or 0)
    for party in trace.parties:
        assert reference.acceptable(table_space.scenario, party, deal)
    first = table_space.deal(int(trace.outcomes[0]))
    assert first == table_space.deal(np.asarray(table_space.cardinalities // 2))
    # each revision changes at most one issue
    rows = table_space.unravel(trace.outcomes)
    assert ((rows[1:] != rows[:-1]).sum(axis=1) <= 1).all()


def test_single_text_with_hard_liners_runs_to_the_deadline(table_space: OutcomeSpace) -> None:
    trace = negotiate(table_space, ["hardliner", "hardliner"], protocol="single-text", rounds=12)
    assert trace.result == "deadline"
    assert trace.rounds == 12
    assert len(trace) == 12


def test_single_text_walk_away(table_space: OutcomeSpace) -> None:
    trace = negotiate(table_space, [Scripted(end=1), "linear"], protocol="single-text", rounds=5)
    assert trace.result == "walk-away"
    assert trace.ended_by == 0


def test_a_party_requests_its_most_valuable_single_change(table_space: OutcomeSpace) -> None:
    arena = arena_of(table_space)
    party = make_strategy("linear")
    party.reset(arena, 0, np.random.default_rng(0), (1.0, 1.0))
    text = np.array([0, 2, 2])  # crosses P0's red line on i0 (option o0)
    issue, option = party.request(text) or (-1, -1)
    assert issue == 0
    assert option != 0
    best = arena.views[0].order[-1]
    top = table_space.unravel(best)[0]
    assert party.request(top) is None


def test_deadline_in_seconds(table_space: OutcomeSpace) -> None:
    trace = negotiate(table_space, ["hardliner", "hardliner"], rounds=None, seconds=0.05)
    assert trace.result == "deadline"
    assert trace.deadline_seconds == 0.05
    assert trace.offer_times.max() < 1.0
    capped = negotiate(table_space, ["hardliner", "hardliner"], rounds=3, seconds=30.0)
    assert capped.rounds == 3
    one = negotiate(table_space, ["boulware", "conceder"], rounds=1)
    assert one.rounds == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"protocol": "auction"}, "unknown protocol"),
        ({"strategies": ["linear"] * 3}, "3 strategies for 2 parties"),
        ({"rounds": None}, "give a deadline"),
        ({"rounds": 0}, "rounds: the deadline must be at least one round, got 0"),
        ({"seconds": -1.0}, "seconds: the deadline in seconds must be a positive number"),
        ({"rounds": None, "seconds": 0.0}, "^seconds: .* got 0$"),
        ({"rounds": None, "seconds": float("nan")}, "^seconds: "),
        ({"discounts": (1.0, 1.5)}, "discount factors"),
        ({"discounts": (0.9,)}, "discount factors"),
        ({"strategies": ["single-text", "linear"]}, "mediator and cannot sit"),
        ({"protocol": "single-text", "mediator": "linear"}, "not a mediator"),
    ],
)
def test_bad_set_ups_name_the_problem(
    kwargs: dict[str, object], message: str, pie_space: OutcomeSpace
) -> None:
    args: dict[str, object] = {"strategies": ["linear", "linear"], **kwargs}
    strategies = args.pop("strategies")
    with pytest.raises(DetenteError, match=message):
        negotiate(pie_space, strategies, **args)  # type: ignore[arg-type]


@settings(max_examples=25, deadline=None)
@given(
    scenario=scenarios(max_parties=3, max_issues=3, max_options=4, numeric=False),
    seed=st.integers(0, 2**32),
    pair=st.lists(
        st.sampled_from(["boulware", "conceder", "frequency", "random", "tit-for-tat"]),
        min_size=3,
        max_size=3,
    ),
)
def test_any_agreement_is_in_the_zopa_and_play_is_reproducible(
    scenario: object, seed: int, pair: list[str]
) -> None:
    assert isinstance(scenario, Scenario)
    space = OutcomeSpace.from_scenario(scenario)
    chosen = pair[: space.n_parties]
    for protocol in ("alternating", "single-text"):
        one = negotiate(space, chosen, protocol=protocol, rounds=12, seed=seed)
        assert one.same_play(negotiate(space, chosen, protocol=protocol, rounds=12, seed=seed))
        assert one.rounds <= 12
        if one.agreement is not None:
            deal = space.deal(one.agreement)
            for party in scenario.party_names:
                assert reference.acceptable(scenario, party, deal)
        else:
            assert one.final_utilities == tuple(float(r) for r in space.reservation)


class _Draws(Strategy):
    """Draws one number at set-up, then offers its best deal and accepts nothing."""

    name: ClassVar[str] = "draws"
    family: ClassVar[str] = "test"
    draws: ClassVar[list[float]] = []

    def setup(self) -> None:
        self.draws.append(float(self.rng.random()))

    def propose(self, time: float) -> int:
        return int(self.view.order[-1])

    def accepts(self, time: float, offer: int) -> bool:
        return False


def test_party_streams_are_the_spawned_children_of_the_seed() -> None:
    """Party ``p`` draws from child ``p`` of ``SeedSequence(seed)``, made on first use."""
    _Draws.draws.clear()
    negotiate(_PIE, [_Draws(), _Draws()], rounds=3, seed=2024)
    children = np.random.SeedSequence(2024).spawn(3)
    assert _Draws.draws == [float(np.random.default_rng(c).random()) for c in children[:2]]


def test_a_gain_within_the_acceptance_tolerance_is_no_request() -> None:
    """A party asks for a change only when it helps by more than the mediator's tolerance."""

    def party(name: str, second: float) -> dict[str, object]:
        values = {"o0": 1.0, "o1": second}
        return {
            "name": name,
            "reservation_value": 0,
            "preferences": {"issues": {"i0": {"weight": 1, "values": values}}},
        }

    def request_from(second: float) -> tuple[int, int] | None:
        space = OutcomeSpace.from_scenario(
            Scenario.model_validate(
                {
                    "name": "near-tie",
                    "issues": [{"name": "i0", "options": ["o0", "o1"]}],
                    "parties": [party("A", second), party("B", 0.5)],
                }
            )
        )
        asking = make_strategy("linear")
        asking.reset(arena_of(space), 0, np.random.default_rng(0), (1.0, 1.0))
        return asking.request(np.array([1]))

    assert request_from(1.0 - 5e-10) is None  # a rounding-sized gain helps no one
    assert request_from(1.0 - 5e-9) == (0, 0)  # a real gain, however small, is asked for
