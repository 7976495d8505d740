"""The negotiate and tournament commands, as a new user would try them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.negotiation import REGISTRY, load_trace, negotiate, seat_parties
from detente.scenario import save_scenario
from detente.space import OutcomeSpace
from tests.negotiation.conftest import pie, script

runner = CliRunner()


@pytest.fixture(scope="module")
def pie_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("s") / "pie.yaml"
    save_scenario(pie(20), path)
    return path


def test_help() -> None:
    for command in ("negotiate", "tournament"):
        out = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert out.exit_code == 0, out.output
        assert "--strategies" in out.output
        assert "every party" in out.output  # what --parties defaults to
    assert runner.invoke(app, ["strategies", "--help"]).exit_code == 0


def test_json_contract_is_identical_for_identical_seeds(pie_file: Path) -> None:
    args = ["negotiate", str(pie_file), "--strategies", "boulware,conceder", "--deadline", "30"]
    one = runner.invoke(app, [*args, "--seed", "3", "--json"])
    two = runner.invoke(app, [*args, "--seed", "3", "--json"])
    assert one.exit_code == 0, one.output
    assert one.stdout == two.stdout
    data = json.loads(one.stdout)
    assert set(data) == {
        "agreement",
        "utilities",
        "rounds",
        "protocol",
        "strategies",
        "roles",
        "chair",
    }
    assert data["strategies"] == {"A": "boulware", "B": "conceder"}
    assert data["protocol"] == "alternating"
    assert isinstance(data["rounds"], int)
    assert set(data["agreement"]) == {"share"}
    assert sum(data["utilities"].values()) == pytest.approx(1.0)


def test_negotiate_prints_offers_saves_trace_and_report(pie_file: Path, tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    html = tmp_path / "t.html"
    out = runner.invoke(
        app,
        [
            "negotiate",
            str(pie_file),
            "-s",
            "boulware",
            "--deadline",
            "60",
            "--discount",
            "0.99",
            "--trace",
            str(trace),
            "--html",
            str(html),
        ],
    )
    assert out.exit_code == 0, out.output
    assert "agreement after" in out.output
    assert "..." in out.output
    assert load_trace(trace).strategies == ("boulware", "boulware")
    page = html.read_text()
    assert "<html" in page
    assert "<script src=" not in page
    assert "Who plays what" in page
    chaired = tmp_path / "chaired.html"
    text = runner.invoke(
        app,
        [
            "negotiate",
            "ceasefire-2025",
            "--protocol",
            "single-text",
            "--deadline",
            "10",
            "--html",
            str(chaired),
        ],
    )
    assert text.exit_code == 0, text.output
    assert "United States (chairs the text)" in chaired.read_text()


def test_negotiate_builtin_belligerents_and_single_text(tmp_path: Path) -> None:
    out = runner.invoke(
        app, ["negotiate", "ceasefire-2025", "-s", "conceder,conceder", "--deadline", "20"]
    )
    assert out.exit_code == 0, out.output
    assert "Russia" in out.output
    text = runner.invoke(
        app,
        [
            "negotiate",
            "ceasefire-2025",
            "-s",
            "linear",
            "--protocol",
            "single-text",
            "--parties",
            "Russia,Ukraine,United States",
            "--deadline",
            "10",
            "--json",
        ],
    )
    assert text.exit_code == 0, text.output
    assert len(json.loads(text.stdout)["strategies"]) == 3
    timed = runner.invoke(app, ["negotiate", "ceasefire-2025", "--seconds", "0.05", "--json"])
    assert timed.exit_code == 0, timed.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "no such file"),
        (["ceasefire-2025", "-s", "a,b,c,d,e"], "5 strategies for 4 parties"),
        (["ceasefire-2025", "-s", "Mars=boulware"], "unknown strategy 'Mars=boulware'"),
        (["ceasefire-2025", "-s", "russia=boulware,linear"], "not both"),
        (["ceasefire-2025", "-s", "russia=single-text"], "cannot sit as party 'Russia'"),
        (["ceasefire-2025", "-s", "nope,linear"], "unknown strategy"),
        (["ceasefire-2025", "--parties", "Mars"], "unknown party 'Mars'"),
        (["ceasefire-2025", "--discount", "x"], "--discount"),
        (["ceasefire-2025", "--protocol", "auction"], "unknown protocol"),
        (["ceasefire-2025", "-s", " , "], "at least one strategy"),
    ],
)
def test_negotiate_errors_exit_2(args: list[str], message: str) -> None:
    out = runner.invoke(app, ["negotiate", *args])
    assert out.exit_code == 2
    assert message in out.output


def test_strategy_parameters_on_the_command_line(pie_file: Path) -> None:
    out = runner.invoke(
        app,
        ["negotiate", str(pie_file), "-s", "boulware:e=0.1,conceder", "--json"],
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["strategies"]["A"] == "boulware:e=0.1"
    two = runner.invoke(
        app,
        ["negotiate", str(pie_file), "-s", "frequency:e=1,band=0.1,linear", "--json"],
    )
    assert json.loads(two.stdout)["strategies"]["A"] == "frequency:e=1,band=0.1"


def test_tournament(pie_file: Path, tmp_path: Path) -> None:
    files = [tmp_path / "t.csv", tmp_path / "t.parquet", tmp_path / "t.html"]
    out = runner.invoke(
        app,
        [
            "tournament",
            str(pie_file),
            "ceasefire-2025",
            "-s",
            "boulware,hardliner",
            "--repetitions",
            "2",
            "--deadline",
            "20",
            "--executor",
            "local",
            "--workers",
            "1",
            "--csv",
            str(files[0]),
            "--parquet",
            str(files[1]),
            "--html",
            str(files[2]),
        ],
    )
    assert out.exit_code == 0, out.output
    assert "By strategy" in out.output
    assert "Who sits at each table" in out.output
    assert "warning" not in out.output  # every party seated: nobody left out
    assert all(f.exists() for f in files)
    report = files[2].read_text()
    assert "Who sits at each table" in report
    assert "United States (mediator)" in report
    js = runner.invoke(
        app, ["tournament", str(pie_file), "-s", "linear", "--json", "--workers", "1"]
    )
    data = json.loads(js.stdout)
    assert data["by_strategy"][0]["strategy"] == "linear"
    bad = runner.invoke(app, ["tournament", str(pie_file), "--executor", "spark"])
    assert bad.exit_code == 2
    assert "unknown executor" in bad.output


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("negotiate", ["--trace", "{missing}/t.jsonl"], "--trace: no such folder"),
        ("negotiate", ["--trace", "{tmp}/t.txt"], "--trace: use a .jsonl or .parquet file"),
        ("negotiate", ["--trace", "{tmp}"], "--trace: use a .jsonl"),
        ("negotiate", ["--trace", "{tmp}/folder.jsonl"], "--trace: is a folder"),
        ("negotiate", ["--html", "{missing}/t.html"], "--html: no such folder"),
        ("negotiate", ["--seconds", "0"], "seconds: the deadline in seconds must be a positive"),
        ("negotiate", ["--seed", "-1"], "seed: a seed is a whole number >= 0, got -1"),
        ("tournament", ["--csv", "{missing}/t.csv"], "--csv: no such folder"),
        ("tournament", ["--csv", "{tmp}/t.parquet"], "--csv: use a .csv file"),
        ("tournament", ["--parquet", "{missing}/t.parquet"], "--parquet: no such folder"),
        ("tournament", ["--csv", "{tmp}/busy.csv"], "--csv: is a folder"),
        ("tournament", ["--html", "{missing}/t.html"], "--html: no such folder"),
        ("tournament", ["--seed", "-3"], "seed: a seed is a whole number >= 0, got -3"),
    ],
)
def test_bad_options_fail_in_one_line_before_any_session(
    command: str, args: list[str], message: str, tmp_path: Path
) -> None:
    (tmp_path / "folder.jsonl").mkdir()
    (tmp_path / "busy.by-strategy.csv").mkdir()
    filled = [a.format(missing=tmp_path / "missing", tmp=tmp_path) for a in args]
    out = runner.invoke(app, [command, "ceasefire-2025", "--deadline", "5", *filled])
    assert out.exit_code == 2, out.output
    assert message in out.output
    assert len(out.output.strip().splitlines()) == 1, out.output
    assert "sessions" not in out.output
    assert "round" not in out.output


def test_tournament_exports_the_aggregate_tables_beside_the_sessions(
    pie_file: Path, tmp_path: Path
) -> None:
    out = runner.invoke(
        app,
        [
            "tournament",
            str(pie_file),
            "ceasefire-2025",
            "-s",
            "boulware,conceder",
            "--deadline",
            "20",
            "--workers",
            "1",
            "--csv",
            str(tmp_path / "results.csv"),
            "--parquet",
            str(tmp_path / "results.parquet"),
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    with (tmp_path / "results.by-strategy.csv").open() as handle:
        strategies = list(csv.DictReader(handle))
    with (tmp_path / "results.by-scenario.csv").open() as handle:
        scenarios = list(csv.DictReader(handle))
    assert [r["strategy"] for r in strategies] == ["boulware", "conceder"]
    assert [r["scenario"] for r in scenarios] == ["pie", "ceasefire-2025"]
    for row, expected in zip(strategies, data["by_strategy"], strict=True):
        assert int(row["sessions"]) == expected["sessions"]
        assert float(row["mean_utility"]) == pytest.approx(expected["mean_utility"])
        assert float(row["agreement_rate"]) == pytest.approx(expected["agreement_rate"])
    for row, expected in zip(scenarios, data["by_scenario"], strict=True):
        assert float(row["welfare"]) == pytest.approx(expected["welfare"])
    with (tmp_path / "results.csv").open() as handle:
        # one row per session and seat, every party seated: 2^2 sessions of 2 seats on pie,
        # 2^4 sessions of 4 seats on ceasefire-2025
        assert len(list(csv.DictReader(handle))) == 2**2 * 2 + 2**4 * 4
    assert [(s["scenario"], s["seatings"], s["rule"]) for s in data["seating"]] == [
        ("pie", 4, "every assignment"),
        ("ceasefire-2025", 16, "every assignment"),
    ]
    by_scenario = pq.read_table(tmp_path / "results.by-scenario.parquet").to_pylist()
    assert [r["scenario"] for r in by_scenario] == ["pie", "ceasefire-2025"]
    assert pq.read_table(tmp_path / "results.by-strategy.parquet").num_rows == 2
    assert not list(tmp_path.glob("*.part"))


def test_tournament_on_an_existing_dask_scheduler(
    pie_file: Path, dask_scheduler: str, tmp_path: Path
) -> None:
    args = ["tournament", str(pie_file), "ceasefire-2025", "-s", "boulware,conceder,random"]
    args += ["--repetitions", "2", "--deadline", "30", "--seed", "4", "--json"]
    local = runner.invoke(
        app, [*args, "--executor", "local", "--workers", "2", "--csv", str(tmp_path / "l.csv")]
    )
    dask = runner.invoke(
        app,
        [
            *args,
            "--executor",
            "dask",
            "--address",
            dask_scheduler,
            "--csv",
            str(tmp_path / "d.csv"),
        ],
    )
    assert local.exit_code == 0, local.output
    assert dask.exit_code == 0, dask.output
    assert dask.stdout == local.stdout
    assert (tmp_path / "d.csv").read_text() == (tmp_path / "l.csv").read_text()
    assert json.loads(dask.stdout)["by_scenario"][0]["sessions"] == 9 * 2


WIDE = {"COLUMNS": "300"}
ST = ("--protocol", "single-text", "--deadline", "3")
ONE = ("--workers", "1")


def test_negotiate_prints_the_terms_of_each_offer_in_the_scenarios_labels() -> None:
    out = runner.invoke(
        app,
        ["negotiate", "ceasefire-2025", "-s", "hardliner", "--parties", "Russia,Ukraine", *ST],
        env=WIDE,
    )
    assert out.exit_code == 0, out.output
    assert "Opening offers" in out.output
    assert "a bilateral military hotline" in out.output  # the first text, in full
    # each revision of the text, as the change it made
    assert "Status of the territorial line: the line is frozen de facto, without" in out.output
    assert "the line's status is deferred to later talks" in out.output
    assert "no agreement: each side keeps its alternative" in out.output
    assert "warning" not in out.output  # the parties were chosen


def test_negotiate_shows_only_what_changed_since_the_same_partys_last_offer() -> None:
    out = runner.invoke(
        app,
        ["negotiate", "ceasefire-2025", "-s", "hardliner,conceder", "--deadline", "10"],
        env=WIDE,
    )
    assert out.exit_code == 0, out.output
    assert "same as before" in out.output  # the hard-liner repeats its offer
    assert "changes from the proposer's previous offer" in out.output
    assert "payoffs:" in out.output or "no agreement" in out.output


def test_every_party_is_seated_and_the_output_says_who_plays_what() -> None:
    """The README's example: two strategies cycled over the four parties, and an agreement."""
    args = ["negotiate", "ceasefire-2025", "-s", "boulware,conceder", "--deadline", "100"]
    out = runner.invoke(app, [*args, "--json"], env=WIDE)
    assert out.exit_code == 0, out.output
    assert not out.stderr
    data = json.loads(out.stdout)
    assert data["strategies"] == {
        "Russia": "boulware",
        "Ukraine": "conceder",
        "United States": "boulware",
        "European states": "conceder",
    }
    assert data["roles"]["United States"] == "mediator"
    assert data["agreement"] is not None
    text = runner.invoke(app, args, env=WIDE)
    assert "Who plays what" in text.output
    assert "the list, cycled" in text.output
    named = runner.invoke(
        app,
        ["negotiate", "ceasefire-2025", "-s", "Russia=hardliner,mediator=linear", "--json"],
    )
    assert json.loads(named.stdout)["strategies"] == {
        "Russia": "hardliner",
        "Ukraine": "boulware",
        "United States": "linear",
        "European states": "linear",
    }
    chaired = runner.invoke(
        app,
        ["negotiate", "ceasefire-2025", "--protocol", "single-text", "--deadline", "20"],
        env=WIDE,
    )
    assert chaired.exit_code == 0, chaired.output
    assert "United States (chairs the text)" in chaired.output


def test_strategies_lists_every_registered_strategy() -> None:
    out = runner.invoke(app, ["strategies"], env=WIDE)
    assert out.exit_code == 0, out.output
    for name in REGISTRY:
        assert name in out.output
    assert "e=0.2" in out.output
    assert "accept_probability=0.5" in out.output
    data = json.loads(runner.invoke(app, ["strategies", "--json"]).stdout)
    assert {d["name"] for d in data} == set(REGISTRY)
    boulware = next(d for d in data if d["name"] == "boulware")
    assert boulware["family"] == "time-dependent"
    assert boulware["parameters"] == {"e": 0.2, "informed": 1.0}
    assert "Faratin" in boulware["source"]


def test_tournament_tables_never_cut_a_scenario_name(pie_file: Path) -> None:
    out = runner.invoke(
        app,
        ["tournament", "ceasefire-2025", "-s", "linear,boulware:e=0.1", "--deadline", "5", *ONE],
        env={"COLUMNS": "80"},
    )
    assert out.exit_code == 0, out.output
    assert "ceasefire-2025" in out.stdout
    assert "boulware:e=0.1" in out.stdout


def test_a_session_without_offers_renders(capsys: pytest.CaptureFixture[str]) -> None:
    from detente.cli.negotiate import _render_session  # noqa: PLC0415 - the renderer alone

    space = OutcomeSpace.from_scenario(pie(20, reservation=(0.0, 0.0)))
    trace = negotiate(space, [script(-1), "linear"], rounds=5, discounts=(0.9, 0.8))
    assert len(trace) == 0
    _render_session(trace, space, seat_parties(space, [script(-1), "linear"]))
    printed = capsys.readouterr().out
    assert "Opening offers" not in printed
    assert "walk-away after 1 round(s)" in printed
    assert "no agreement: each side keeps its alternative" in printed


def test_one_discount_factor_per_party_on_the_command_line(pie_file: Path) -> None:
    out = runner.invoke(
        app, ["negotiate", str(pie_file), "-s", "conceder", "--discount", "0.9,0.8", "--json"]
    )
    assert out.exit_code == 0, out.output
    assert sum(json.loads(out.stdout)["utilities"].values()) < 1.0
