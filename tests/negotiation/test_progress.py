"""The progress callback of a session reports rounds and changes nothing in the play."""

from __future__ import annotations

import pytest

from detente.negotiation import negotiate, rehearse
from detente.scenario import load_scenario
from detente.space import OutcomeSpace


class StopError(Exception):
    pass


@pytest.fixture(scope="module")
def space() -> OutcomeSpace:
    return OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))


@pytest.mark.parametrize(
    ("strategies", "protocol"),
    [
        (None, "alternating"),  # every party planned: the session is computed at once
        (["tit-for-tat"], "alternating"),  # played turn by turn
        (None, "single-text"),
    ],
)
def test_same_seed_same_session_with_and_without_progress(
    space: OutcomeSpace, strategies: list[str] | None, protocol: str
) -> None:
    calls: list[tuple[int, int]] = []
    plain = negotiate(space, strategies, protocol=protocol, rounds=40, seed=3)
    watched = negotiate(
        space,
        strategies,
        protocol=protocol,
        rounds=40,
        seed=3,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert watched.same_play(plain)
    assert calls, "progress was never reported"
    assert {total for _, total in calls} == {40}
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert done[-1] == plain.rounds


def test_rounds_are_reported_one_by_one_when_played_turn_by_turn(space: OutcomeSpace) -> None:
    calls: list[int] = []
    trace = negotiate(
        space, ["tit-for-tat"], rounds=25, seed=0, progress=lambda d, _: calls.append(d)
    )
    assert trace.result == "deadline"
    assert calls[:-1] == list(range(1, 25))  # the rounds played as each next round begins
    assert calls[-1] == 25


def test_an_exception_from_progress_stops_the_session(space: OutcomeSpace) -> None:
    def stop(done: int, _total: int) -> None:
        if done >= 3:
            raise StopError

    with pytest.raises(StopError):
        negotiate(space, ["tit-for-tat"], rounds=1000, seed=0, progress=stop)


def test_a_deadline_in_seconds_reports_zero_planned_rounds(space: OutcomeSpace) -> None:
    totals: set[int] = set()
    negotiate(
        space,
        ["tit-for-tat"],
        rounds=None,
        seconds=0.05,
        seed=0,
        progress=lambda _d, total: totals.add(total),
    )
    assert totals == {0}


def test_rehearse_passes_progress_on(space: OutcomeSpace) -> None:
    calls: list[int] = []
    watched = rehearse(space, deadline=30, seed=1, progress=lambda d, _: calls.append(d))
    assert watched.trace.same_play(rehearse(space, deadline=30, seed=1).trace)
    assert calls[-1] == watched.rounds
