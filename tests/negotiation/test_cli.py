"""The negotiate and tournament commands, as a new user would try them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.negotiation import load_trace
from detente.scenario import save_scenario
from tests.negotiation.conftest import pie

runner = CliRunner()


@pytest.fixture(scope="module")
def pie_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("s") / "pie.yaml"
    save_scenario(pie(20), path)
    return path


def test_help() -> None:
    for command in ("negotiate", "tournament"):
        out = runner.invoke(app, [command, "--help"])
        assert out.exit_code == 0, out.output
        assert "--strategies" in out.output


def test_json_contract_is_identical_for_identical_seeds(pie_file: Path) -> None:
    args = ["negotiate", str(pie_file), "--strategies", "boulware,conceder", "--deadline", "30"]
    one = runner.invoke(app, [*args, "--seed", "3", "--json"])
    two = runner.invoke(app, [*args, "--seed", "3", "--json"])
    assert one.exit_code == 0, one.output
    assert one.stdout == two.stdout
    data = json.loads(one.stdout)
    assert set(data) == {"agreement", "utilities", "rounds", "protocol", "strategies"}
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
        (["ceasefire-2025", "-s", "a,b,c"], "3 strategies for 4 parties"),
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
    assert all(f.exists() for f in files)
    js = runner.invoke(
        app, ["tournament", str(pie_file), "-s", "linear", "--json", "--workers", "1"]
    )
    data = json.loads(js.stdout)
    assert data["by_strategy"][0]["strategy"] == "linear"
    bad = runner.invoke(app, ["tournament", str(pie_file), "--executor", "spark"])
    assert bad.exit_code == 2
    assert "unknown executor" in bad.output
