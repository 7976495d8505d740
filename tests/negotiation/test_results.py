"""The tidy table of a tournament: its means are the summary tables, on every export."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.errors import DetenteError
from detente.negotiation.results import COLUMNS, strategy_matrix, tidy_records
from detente.negotiation.tournament import TournamentResult, run_tournament, save_tables
from detente.scenario import save_scenario
from detente.scenario.model import Scenario
from tests import reference
from tests.negotiation.conftest import pie, table_scenario

runner = CliRunner()
STRATEGIES = ["boulware", "conceder", "random", "tit-for-tat"]
#: tidy column -> field of the table per strategy that is its mean
MEANS = {
    "utility": "mean_utility",
    "agreement": "agreement_rate",
    "nash_distance": "nash_distance",
    "welfare": "welfare",
    "advantage": "advantage",
    "agreement_time": "agreement_time",
}


@pytest.fixture(scope="module")
def scenarios() -> list[Scenario]:
    return [pie(20, reservation=(0.1, 0.3)), table_scenario()]


@pytest.fixture(scope="module")
def result(scenarios: list[Scenario]) -> TournamentResult:
    return run_tournament(scenarios, STRATEGIES, repetitions=2, rounds=20, seed=4)


def assert_means_match(frame: pd.DataFrame, result: TournamentResult) -> None:
    """Per-strategy means of the tidy table equal the table per strategy."""
    means = frame.groupby("strategy", sort=False)[list(MEANS)].mean()
    counts = frame.groupby("strategy", sort=False).size()
    assert list(means.index) == [s.strategy for s in result.by_strategy]
    for score in result.by_strategy:
        assert counts[score.strategy] == score.sessions
        for column, field in MEANS.items():
            expected = getattr(score, field)
            got = float(means.loc[score.strategy, column])
            assert got == pytest.approx(expected, rel=1e-12, nan_ok=True), (column, score)


def test_one_row_per_session_and_seat(result: TournamentResult, scenarios: list[Scenario]) -> None:
    frame = result.to_dataframe()
    assert list(frame.columns) == [*COLUMNS, "deal.share", "deal.i0", "deal.i1", "deal.i2"]
    assert len(frame) == 2 * len(result.rows)
    assert frame.groupby(["session", "seat"]).size().max() == 1
    by_name = {s.name: s for s in scenarios}
    for record in tidy_records(result)[::5]:
        scenario = by_name[record["scenario"]]
        party = scenario.parties[record["seat"]]
        assert record["party"] == party.name
        assert record["advantage"] == record["utility"] - party.reservation_value
        issues = [i.name for i in scenario.issues]
        deal = {i: record[f"deal.{i}"] for i in issues}
        if record["agreement"]:
            # the payoff is the party's utility of the agreed deal, at full precision
            assert record["utility"] == pytest.approx(
                reference.utility(scenario, party.name, deal), abs=1e-12
            )
            assert 0.0 <= record["agreement_time"] <= 1.0
        else:
            assert set(deal.values()) == {None}
            assert math.isnan(record["agreement_time"])
            assert record["utility"] == party.reservation_value


def test_means_equal_the_summary_on_every_export(result: TournamentResult, tmp_path: Path) -> None:
    assert_means_match(result.to_dataframe(), result)
    assert_means_match(pd.DataFrame.from_records(result.sessions()), result)
    sessions, _, _ = save_tables(result, tmp_path / "r.csv")
    from_csv = pd.read_csv(sessions, float_precision="round_trip")
    assert_means_match(from_csv, result)
    assert from_csv["utility"].tolist() == [r["utility"] for r in result.sessions()]  # full
    parquet, _, _ = save_tables(result, tmp_path / "r.parquet")
    assert_means_match(pd.read_parquet(parquet), result)


def test_the_command_line_exports_agree(scenarios: list[Scenario], tmp_path: Path) -> None:
    files = []
    for scenario in scenarios:
        files.append(tmp_path / f"{scenario.name}.yaml")
        save_scenario(scenario, files[-1])
    out = runner.invoke(
        app,
        [
            "tournament",
            *map(str, files),
            "-s",
            ",".join(STRATEGIES),
            "--deadline=20",
            "--repetitions=2",
            "--seed=4",
            "--csv",
            str(tmp_path / "r.csv"),
            "--parquet",
            str(tmp_path / "r.parquet"),
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    result = run_tournament(scenarios, STRATEGIES, repetitions=2, rounds=20, seed=4)
    for frame in (
        pd.DataFrame.from_records(data["sessions"]),
        pd.read_csv(tmp_path / "r.csv"),
        pd.read_parquet(tmp_path / "r.parquet"),
    ):
        assert_means_match(frame, result)
    assert data["matrix"]["strategies"] == STRATEGIES


def test_matrix_is_the_mean_against_each_opponent(result: TournamentResult) -> None:
    frame = result.to_dataframe()
    matrix = result.matrix()
    assert matrix == strategy_matrix(result)
    expected = frame.pivot_table(index="strategy", columns="opponents", values="utility")
    for i, row in enumerate(matrix.strategies):
        for j, column in enumerate(matrix.strategies):
            assert matrix.utility[i][j] == pytest.approx(expected.loc[row, column], rel=1e-12)
            mine = frame[(frame.strategy == row) & (frame.opponents == column)]
            assert matrix.sessions[i][j] == len(mine)
            assert matrix.advantage[i][j] == pytest.approx(mine.advantage.mean(), rel=1e-12)


def test_matrix_of_three_parties_counts_each_opponent_once() -> None:
    out = run_tournament([table_scenario(3, seed=5)], ["linear", "hardliner"], rounds=10)
    matrix = out.matrix()
    # linear sits in 3 seats of (l,l,h),(l,h,l),(h,l,l) twice each... count seats by hand
    seats = [(row, p) for row in out.rows for p, s in enumerate(row.strategies) if s == "linear"]
    with_hardliner = [(r, p) for r, p in seats if "hardliner" in r.strategies]
    with_linear = [(r, p) for r, p in seats if r.strategies.count("linear") > 1]
    assert matrix.sessions[0] == (len(with_linear), len(with_hardliner))
    assert matrix.utility[0][1] == pytest.approx(
        sum(r.utilities[p] for r, p in with_hardliner) / len(with_hardliner)
    )


def test_deal_columns_of_mixed_types_become_text() -> None:
    numbers = pie(4)
    words = Scenario.model_validate(
        {
            "name": "words",
            "issues": [{"name": "share", "options": ["none", "all"]}],
            "parties": [
                {
                    "name": n,
                    "reservation_value": 0,
                    "preferences": {"issues": {"share": {"weight": 1, "values": v}}},
                }
                for n, v in (("A", {"none": 0, "all": 1}), ("B", {"none": 1, "all": 0}))
            ],
        }
    )
    out = run_tournament([numbers, words], ["conceder"], rounds=10)
    deals = {r["scenario"]: r["deal.share"] for r in out.sessions()}
    assert all(isinstance(d, str) for d in deals.values())
    assert deals["pie"] in {str(k) for k in range(5)}


def test_to_dataframe_names_the_missing_extra(
    result: TournamentResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(DetenteError, match=r"pip install 'detente\[pandas\]'"):
        result.to_dataframe()


def test_reprs_summarise(result: TournamentResult) -> None:
    text = repr(result)
    assert len(text) < 200
    assert text.startswith(f"<TournamentResult {len(result.rows)} sessions, 4 strategies")
    assert "2 scenarios" in text
    one = run_tournament([pie(5)], ["linear"], rounds=3)
    assert repr(one).startswith("<TournamentResult 1 session, 1 strategy, 1 scenario; ")
