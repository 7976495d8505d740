"""Tournaments: every seat, every repetition, same seed same table on any executor."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from detente.compute import DaskExecutor, LocalExecutor
from detente.errors import DetenteError, FormatError
from detente.negotiation import negotiate, session_metrics
from detente.negotiation.tournament import run_tournament, same_results, save_table, save_tables
from detente.space import OutcomeSpace
from tests.negotiation.conftest import pie, table_scenario

STRATEGIES = ["boulware", "conceder", "hardliner", "random"]


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return run_tournament([pie(20), table_scenario()], STRATEGIES, repetitions=2, rounds=20, seed=9)


def test_every_ordered_pair_and_repetition_is_played(result) -> None:  # type: ignore[no-untyped-def]
    assert len(result.rows) == 2 * 4 * 4 * 2
    cells = {(r.scenario, r.strategies, r.repetition) for r in result.rows}
    assert len(cells) == len(result.rows)
    assert ("pie", ("hardliner", "boulware"), 1) in cells
    assert len({r.seed for r in result.rows}) == len(result.rows)


def test_rows_are_the_sessions_they_name(result) -> None:  # type: ignore[no-untyped-def]
    spaces = {"pie": OutcomeSpace.from_scenario(pie(20))}
    spaces["table"] = OutcomeSpace.from_scenario(table_scenario())
    for row in result.rows[::7]:
        trace = negotiate(spaces[row.scenario], list(row.strategies), rounds=20, seed=row.seed)
        metrics = session_metrics(spaces[row.scenario], trace)
        assert row.agreement == metrics.agreement
        assert row.utilities == trace.final_utilities
        assert row.welfare == pytest.approx(metrics.welfare)
        assert row.pareto_distance == pytest.approx(metrics.pareto_distance)


def test_tables_aggregate_the_rows(result) -> None:  # type: ignore[no-untyped-def]
    for score in result.by_strategy:
        seats = [
            (row, p)
            for row in result.rows
            for p, s in enumerate(row.strategies)
            if s == score.strategy
        ]
        assert score.sessions == len(seats)
        assert score.agreement_rate == pytest.approx(
            sum(r.agreement for r, _ in seats) / len(seats)
        )
        assert score.mean_utility == pytest.approx(
            sum(r.utilities[p] for r, p in seats) / len(seats)
        )
    for score in result.by_scenario:
        mine = [r for r in result.rows if r.scenario == score.scenario]
        assert score.sessions == len(mine)
        assert score.welfare == pytest.approx(sum(r.welfare for r in mine) / len(mine))
    hard = next(s for s in result.by_strategy if s.strategy == "hardliner")
    assert hard.agreement_rate < 1


def test_same_seed_same_results_on_a_process_pool(result) -> None:  # type: ignore[no-untyped-def]
    pool = LocalExecutor(workers=2)
    seen: list[tuple[int, int]] = []
    try:
        again = run_tournament(
            [pie(20), table_scenario()],
            STRATEGIES,
            repetitions=2,
            rounds=20,
            seed=9,
            executor=pool,
            progress=lambda done, total: seen.append((done, total)),
        )
    finally:
        pool.close()
    assert again == result
    assert seen[-1] == (len(result.rows), len(result.rows))
    other = run_tournament(
        [pie(20), table_scenario()], STRATEGIES, repetitions=2, rounds=20, seed=10
    )
    assert other.rows != result.rows


@pytest.mark.slow
def test_same_seed_same_results_on_a_dask_local_cluster(result) -> None:  # type: ignore[no-untyped-def]
    dask = DaskExecutor(workers=2)
    try:
        again = run_tournament(
            [pie(20), table_scenario()],
            STRATEGIES,
            repetitions=2,
            rounds=20,
            seed=9,
            executor=dask,
        )
    finally:
        dask.close()
    assert same_results(again, result)


def test_export(tmp_path: Path, result) -> None:  # type: ignore[no-untyped-def]
    path = save_table(result, tmp_path / "t.csv")
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    seats = sum(len(r.strategies) for r in result.rows)
    assert len(rows) == seats
    assert [rows[0]["strategy"], rows[1]["opponents"]] == list(result.rows[0].strategies)
    assert float(rows[0]["utility"]) == result.rows[0].utilities[0]  # full precision
    table = pq.read_table(save_table(result, tmp_path / "t.parquet"))
    assert table.num_rows == seats
    with pytest.raises(FormatError, match="unknown table format"):
        save_table(result, tmp_path / "t.xlsx")
    with pytest.raises(FormatError, match="unknown table format"):
        save_tables(result, tmp_path / "t.xlsx")
    sessions, by_strategy, by_scenario = save_tables(result, tmp_path / "all.results.csv")
    assert (by_strategy.name, by_scenario.name) == (
        "all.results.by-strategy.csv",
        "all.results.by-scenario.csv",
    )
    with by_strategy.open() as handle:
        strategies = list(csv.DictReader(handle))
    assert [r["strategy"] for r in strategies] == [s.strategy for s in result.by_strategy]
    assert [float(r["nash_distance"]) for r in strategies] == pytest.approx(
        [s.nash_distance for s in result.by_strategy]
    )
    with by_scenario.open() as handle:
        assert [r["scenario"] for r in csv.DictReader(handle)] == ["pie", "table"]
    with sessions.open() as handle:
        assert len(list(csv.DictReader(handle))) == seats


def test_bad_tournaments() -> None:
    with pytest.raises(DetenteError, match="needs scenarios"):
        run_tournament([], ["linear"])
    with pytest.raises(DetenteError, match="at least 1"):
        run_tournament([pie(5)], ["linear"], repetitions=0)
    with pytest.raises(DetenteError, match="unknown strategy"):
        run_tournament([pie(5)], ["nope"])


def test_nash_distance_is_nan_without_a_zopa() -> None:
    out = run_tournament([pie(10, reservation=(0.8, 0.8))], ["linear"], rounds=5)
    again = run_tournament([pie(10, reservation=(0.8, 0.8))], ["linear"], rounds=5)
    assert same_results(out, again)
    assert not same_results(out, run_tournament([pie(10)], ["linear"], rounds=5))
    assert math.isnan(out.rows[0].nash_distance)
    assert math.isnan(out.by_strategy[0].nash_distance)
