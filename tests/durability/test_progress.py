"""Durability's progress callback changes nothing in the result, and can stop a run."""

from __future__ import annotations

import pytest

from detente.compute import LocalExecutor
from detente.durability import default_parameters, run
from detente.durability.sweep import run_many
from detente.scenario import load_scenario
from detente.space import OutcomeSpace


class StopError(Exception):
    pass


@pytest.fixture(scope="module")
def space() -> OutcomeSpace:
    return OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))


def test_same_seed_same_run_with_and_without_progress(space: OutcomeSpace) -> None:
    calls: list[tuple[int, int]] = []
    plain = run(space, "nash", compare=True, paths=300, days=30, seed=5)
    watched = run(
        space,
        "nash",
        compare=True,
        paths=300,
        days=30,
        seed=5,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert watched.to_dict() == plain.to_dict()
    assert sum(d for d, _ in calls) == calls[0][1]


def test_an_exception_from_progress_stops_the_run(space: OutcomeSpace) -> None:
    seen: list[int] = []

    def stop(done: int, _total: int) -> None:
        seen.append(done)
        raise StopError

    with pytest.raises(StopError):
        run(space, "nash", compare=True, paths=100, days=10, progress=stop)
    assert seen == [100]  # stopped after the first chunk of the first row


def test_rows_report_each_chunk_in_process_and_each_row_on_an_executor() -> None:
    variants = [default_parameters(), default_parameters().replace(resolution=0.5)]
    here: list[int] = []
    there: list[int] = []
    inline = run_many(variants, paths=30, days=20, rng=3, chunk_size=10, progress=here.append)
    pooled = run_many(
        variants,
        paths=30,
        days=20,
        rng=3,
        chunk_size=10,
        executor=LocalExecutor(workers=1),
        progress=there.append,
    )
    assert inline == pooled
    assert here == [10] * 6
    assert there == [30, 30]
