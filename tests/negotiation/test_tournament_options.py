"""Tournament options: protocol, discount, self-play; every option's needs checked first."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.errors import DetenteError
from detente.negotiation import negotiate
from detente.negotiation.tournament import run_tournament
from detente.scenario import save_scenario
from detente.space import OutcomeSpace
from tests import reference
from tests.negotiation.conftest import pie, table_scenario

runner = CliRunner()


@pytest.fixture(scope="module")
def pie_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("s") / "pie.yaml"
    save_scenario(pie(20), path)
    return path


def test_discount_scales_each_payoff_by_the_rounds_it_took() -> None:
    scenario = pie(20)
    out = run_tournament([scenario], ["boulware", "conceder"], rounds=20, discount=0.9)
    assert out.discount == 0.9
    agreed = [r for r in out.rows if r.agreement]
    assert agreed
    for row in agreed:
        deal = dict(zip(row.issues, row.deal or (), strict=True))
        for p, party in enumerate(row.parties):
            undiscounted = reference.utility(scenario, party, deal)
            assert row.utilities[p] == pytest.approx(undiscounted * 0.9 ** (row.rounds - 1))
    plain = run_tournament([scenario], ["boulware", "conceder"], rounds=20)
    assert sum(r.welfare for r in out.rows) < sum(r.welfare for r in plain.rows)


def test_protocol_is_the_one_every_session_plays() -> None:
    scenario = table_scenario(3, seed=5)
    out = run_tournament([scenario], ["linear", "conceder"], rounds=10, protocol="single-text")
    space = OutcomeSpace.from_scenario(scenario)
    for row in out.rows[::3]:
        trace = negotiate(
            space, list(row.strategies), protocol="single-text", rounds=10, seed=row.seed
        )
        assert trace.final_utilities == row.utilities
    assert "single-text" in repr(out)


def test_no_self_play_drops_the_sessions_of_one_strategy() -> None:
    specs = ["boulware", "conceder", "linear"]
    out = run_tournament([pie(10)], specs, rounds=10, self_play=False)
    assert len(out.rows) == 3 * 3 - 3
    assert all(len(set(r.strategies)) == 2 for r in out.rows)
    trio = run_tournament([table_scenario(3, seed=5)], specs[:2], rounds=5, self_play=False)
    assert len(trio.rows) == 2**3 - 2  # only the all-alike seatings go
    with pytest.raises(DetenteError, match="two different strategies"):
        run_tournament([pie(10)], ["boulware"], self_play=False)


def test_bad_protocol_and_discount() -> None:
    with pytest.raises(DetenteError, match="unknown protocol 'nope'"):
        run_tournament([pie(5)], ["linear"], protocol="nope")
    with pytest.raises(DetenteError, match=r"discount 1.5 is not in \(0, 1\]"):
        run_tournament([pie(5)], ["linear"], discount=1.5)


def test_options_on_the_command_line(pie_file: Path) -> None:
    base = ["tournament", str(pie_file), "-s", "boulware,conceder", "--deadline=10", "--json"]
    out = runner.invoke(app, [*base, "--no-self-play", "--discount=0.95"])
    assert out.exit_code == 0, out.output
    sessions = json.loads(out.stdout)["sessions"]
    assert {(r["strategy"], r["opponents"]) for r in sessions} == {
        ("boulware", "conceder"),
        ("conceder", "boulware"),
    }
    for args, message in (
        (["--protocol", "nope"], "--protocol: unknown protocol 'nope'"),
        (["--discount", "0"], "--discount: 0 is not in (0, 1]"),
    ):
        bad = runner.invoke(app, [*base, *args])
        assert bad.exit_code == 2
        assert message in bad.output


@pytest.mark.parametrize(
    "case", [("pyarrow", "--parquet", "parquet"), ("plotly", "--html", "report")]
)
def test_a_missing_extra_fails_before_the_first_session(
    pie_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: tuple[str, str, str]
) -> None:
    module, option, extra = case
    monkeypatch.setitem(sys.modules, module, None)  # as if the extra were not installed
    target = tmp_path / ("out.parquet" if option == "--parquet" else "out.html")
    played: list[object] = []
    monkeypatch.setattr("detente.cli.negotiate.run_tournament", lambda *a, **k: played.append(a))
    out = runner.invoke(
        app, ["tournament", str(pie_file), "--csv", str(tmp_path / "out.csv"), option, str(target)]
    )
    assert out.exit_code == 2
    assert f"{option}: needs the '{extra}' extra: pip install 'detente[{extra}]'" in out.output
    assert not played
    assert list(tmp_path.iterdir()) == []


def test_negotiate_checks_its_extras_too(
    pie_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    out = runner.invoke(app, ["negotiate", str(pie_file), "--trace", str(tmp_path / "t.parquet")])
    assert out.exit_code == 2
    assert "--trace: needs the 'parquet' extra" in out.output
    monkeypatch.setitem(sys.modules, "plotly", None)
    out = runner.invoke(app, ["negotiate", str(pie_file), "--html", str(tmp_path / "t.html")])
    assert "--html: needs the 'report' extra" in out.output


def test_dask_executor_needs_its_extra(pie_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    out = runner.invoke(app, ["tournament", str(pie_file), "--executor", "dask"])
    assert out.exit_code == 2
    assert "--executor: needs the 'dask' extra: pip install 'detente[dask]'" in out.output


def test_tournament_table_shows_advantage_time_and_matrix(pie_file: Path) -> None:
    out = runner.invoke(
        app,
        ["tournament", str(pie_file), "-s", "boulware,hardliner", "--deadline=10"],
        env={"COLUMNS": "200"},
    )
    assert out.exit_code == 0, out.output
    assert "Advantage:" in out.output
    assert "Row vs column" in out.output


def test_save_tables_names_the_missing_parquet_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from detente.negotiation.tournament import save_tables  # noqa: PLC0415

    result = run_tournament([pie(5)], ["linear"], rounds=5)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(DetenteError, match=r"pip install 'detente\[parquet\]'"):
        save_tables(result, tmp_path / "r.parquet")
    assert list(tmp_path.iterdir()) == []


def test_html_report_shows_advantage_and_the_matrix() -> None:
    from detente.report.negotiation import tournament_report  # noqa: PLC0415

    result = run_tournament([pie(10)], ["boulware", "hardliner"], rounds=10)
    page = tournament_report(result)
    assert "Mean utility of the row strategy against the column strategy" in page
    assert "Advantage (utility - reservation value) and time of agreement" in page
    assert f'<td class="num">{result.matrix().utility[0][1]:.3f}</td>' in page
