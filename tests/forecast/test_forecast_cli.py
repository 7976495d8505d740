"""The ``detente forecast`` commands: terminal, JSON contract, HTML report, evaluation, errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app
from tests.forecast.conftest import DEU3, KTAB_INPUTS

runner = CliRunner()
THREE = str(KTAB_INPUTS / "dummyData_3Dim.csv")


@pytest.mark.parametrize(
    "args",
    [["forecast", "--help"], ["forecast", "run", "--help"], ["forecast", "evaluate", "--help"]],
)
def test_help(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    if args[1] == "run":
        assert "smp (KTAB Spatial Model of Politics)" in result.output


def test_terminal_summary_says_who_moved_and_where_it_settles() -> None:
    result = runner.invoke(app, ["forecast", "ceasefire-2025-stakeholders"])
    assert result.exit_code == 0, result.output
    assert "Where it settles" in result.output
    assert "held out" in result.output
    assert "Illustrative" in result.output
    assert "Turn 1" in result.output


@pytest.mark.parametrize("model", ["smp", "bdm", "compromise"])
def test_json_contract(model: str) -> None:
    result = runner.invoke(app, ["forecast", THREE, "--model", model, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["model"] == model
    assert data["actors"][0] == "SActor-00"
    assert data["dimensions"] == ["Pstn1", "Pstn2", "Pstn3"]
    assert set(data["risk"]) == set(data["actors"])
    history = data["history"]["SActor-00"]["Pstn1"]
    assert len(history) == data["iterations"] + 1
    assert history[0] == pytest.approx(75.79)
    assert data["final"]["SActor-00"]["Pstn1"] == history[-1]
    if model == "smp":
        assert data["iterations"] == 10
        assert data["risk"]["SActor-04"] == pytest.approx(1.0)
        assert data["challenges"][0]["challenger"] == "SActor-00"
        assert len(data["probability"]["SActor-04"]) == data["iterations"] + 1
    else:
        assert "probability" not in data


def test_options_may_come_before_the_file() -> None:
    result = runner.invoke(app, ["forecast", "--model", "compromise", THREE, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["model"] == "compromise"


def test_html_report_is_self_contained(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["forecast", THREE, "--html", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text("utf-8")
    assert page.count('id="trajectory-') == 3
    assert "Pstn2: positions by turn" in page
    assert "<td>SActor-04, SActor-00</td>" in page  # both adopted 4's bargain in turn 1
    assert "<script src=" not in page  # plotly.js is inlined, nothing loads from a CDN
    assert "<th>dimension</th><th>by</th>" not in page  # SMP challenges span every dimension
    assert "<th>median actor&#x27;s final position</th>" in page
    assert '<link rel="stylesheet" href="http' not in page


def test_html_report_of_bdm_lists_offers(tmp_path: Path) -> None:
    out = tmp_path / "bdm.html"
    result = runner.invoke(
        app, ["forecast", "ceasefire-2025-stakeholders", "-m", "bdm", "--html", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "confrontation" in out.read_text("utf-8") or "compromise" in out.read_text("utf-8")
    page = out.read_text("utf-8")
    assert "Illustrative" in page
    assert "0 = all sanctions stay or tighten, 100 = sanctions lifted in full" in page
    assert "<th>dimension</th><th>by</th>" in page
    assert "Every actor ends at the same position on sanctions_relief" in page


def test_report_caps_long_challenge_lists() -> None:
    from detente.forecast import load_stakeholders, run_smp  # noqa: PLC0415
    from detente.report.forecast import MAX_CHALLENGE_ROWS, forecast_report  # noqa: PLC0415

    result = run_smp(load_stakeholders(KTAB_INPUTS / "SOE-Competitive.csv"))
    assert len(result.challenges) > MAX_CHALLENGE_ROWS
    assert f"first {MAX_CHALLENGE_ROWS} of {len(result.challenges)}" in forecast_report(result)


#: DEU III errors (mean, median; 0-100 scale) as ``detente forecast evaluate`` prints them; the
#: table in docs/explanation/forecast.md must show the same figures.
DEU3_ERRORS = {
    "smp": (25.04, 20.32),
    "bdm": (25.89, 22.29),
    "compromise": (23.22, 18.80),
}
DOCS = Path(__file__).parents[2] / "docs" / "explanation" / "forecast.md"


@pytest.mark.slow
def test_evaluate_prints_the_pinned_deu3_table() -> None:
    result = runner.invoke(app, ["forecast", "evaluate", str(DEU3)], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    printed = {
        m.group(1): (int(m.group(2)), float(m.group(3)), float(m.group(4)))
        for m in re.finditer(r"│ (\w+)\s*│\s+(\d+) │\s+([\d.]+) │\s+([\d.]+) │", result.output)
    }
    assert set(printed) == set(DEU3_ERRORS)
    docs = DOCS.read_text("utf-8")
    for model, (mean, median) in DEU3_ERRORS.items():
        issues, shown_mean, shown_median = printed[model]
        assert issues == 353
        assert shown_mean == pytest.approx(mean, abs=0.01)
        assert shown_median == pytest.approx(median, abs=0.01)
        row = re.search(rf"\| {model}\b[^|]*\| 353 \| \**([\d.]+)\** \| \**([\d.]+)\** \|", docs)
        assert row is not None, model
        assert (float(row.group(1)), float(row.group(2))) == (mean, median), model
    assert "lowest mean error: compromise" in result.output


def test_evaluate_terminal_table(tmp_path: Path) -> None:
    small = tmp_path / "deu.tsv"
    small.write_text("\n".join(DEU3.read_text("utf-8").splitlines()[:12]) + "\n", "utf-8")
    result = runner.invoke(app, ["forecast", "evaluate", str(small), "--workers", "2"])
    assert result.exit_code == 0, result.output
    for word in ("smp", "bdm", "compromise", "mean abs. error", "lowest mean error"):
        assert word in result.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["forecast", "missing.csv"], "cannot read"),
        (["forecast", THREE, "--model", "oracle"], "unknown model"),
        (["forecast", "evaluate", "missing.tsv"], "cannot read"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], words: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert words in result.output
    assert "Traceback" not in result.output


def test_bad_file_leaves_no_report(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,2,1\n", "utf-8")
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["forecast", str(bad), "--html", str(out)])
    assert result.exit_code == 2
    assert not out.exists()


def test_terminal_shows_the_scales_and_where_most_actors_end() -> None:
    """What 0 and 100 mean (from the YAML); the median beside the weighted forecast; holdouts."""
    result = runner.invoke(app, ["forecast", "ceasefire-2025-stakeholders"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "0 = all sanctions stay or tighten, 100 = sanctions lifted in full" in result.output
    three = runner.invoke(app, ["forecast", THREE], env={"COLUMNS": "200"})
    # 6 of 7 actors end near 74 on Pstn3; SActor-02 holds out at 0.1 and pulls the mean to 51.0
    row = next(line for line in three.output.splitlines() if line.startswith("│ Pstn3"))
    assert [cell.strip() for cell in row.strip("│").split("│")] == [
        "Pstn3",
        "51.0",
        "74.1",
        "SActor-02, SActor-03",
    ]
    header = next(line for line in three.output.splitlines() if "┃ by" in line)
    assert "dimension" not in header  # SMP challenges are on all dimensions at once


def test_bdm_says_where_every_actor_ends_at_one_point() -> None:
    result = runner.invoke(
        app, ["forecast", "ceasefire-2025-stakeholders", "-m", "bdm"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "Every actor ends at the same position on sanctions_relief at 70.0" in result.output
    assert "dimension" in next(line for line in result.output.splitlines() if "┃ by" in line)
    data = json.loads(
        runner.invoke(
            app, ["forecast", "ceasefire-2025-stakeholders", "-m", "bdm", "--json"]
        ).output
    )
    assert data["one_point"]["sanctions_relief"] is True
    assert data["one_point"]["ukraine_alignment"] is False
    assert data["scales"]["ukraine_alignment"].startswith("Ukraine's alignment: 0 = neutrality")


def test_json_numbers_are_clean() -> None:
    data = json.loads(runner.invoke(app, ["forecast", THREE, "--json"]).output)
    offers = [v for c in data["challenges"] for v in c["challenger_offer"] + c["target_offer"]]
    assert offers
    assert all(v == round(v, 2) for v in offers)  # SMP's precision: 1e-4 on 0-1
    positions = [v for dims in data["history"].values() for vs in dims.values() for v in vs]
    assert all(len(repr(v).partition(".")[2]) <= 10 for v in positions)
    assert data["final"]["SActor-00"]["Pstn1"] == 78.56  # not 78.55999999999999
    assert data["median"]["Pstn3"] == 74.05
    assert data["holdouts"]["Pstn3"] == ["SActor-02", "SActor-03"]
    compromise = json.loads(
        runner.invoke(app, ["forecast", THREE, "-m", "compromise", "--json"]).output
    )
    assert set(compromise["risk"].values()) == {None}  # no bargaining, no risk attitude


def test_unknown_model_is_one_line() -> None:
    result = runner.invoke(app, ["forecast", THREE, "--model", "oracle"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == ["error: --model: unknown model 'oracle' (choose smp, bdm, compromise)"]


def test_compromise_summary_and_report_have_no_turns(tmp_path: Path) -> None:
    out = tmp_path / "c.html"
    result = runner.invoke(app, ["forecast", THREE, "-m", "compromise", "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert "risk (turn 1)" not in result.output
    assert "Turn 1" not in result.output
    page = out.read_text("utf-8")
    assert "risk at turn 1" not in page
    assert "Challenges and bargains" not in page


def test_evaluate_json_on_a_small_table(tmp_path: Path) -> None:
    small = tmp_path / "deu.tsv"
    small.write_text("\n".join(DEU3.read_text("utf-8").splitlines()[:12]) + "\n", "utf-8")
    result = runner.invoke(app, ["forecast", "evaluate", str(small), "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["model"]: r for r in json.loads(result.output)["errors"]}
    assert set(rows) == {"smp", "bdm", "compromise"}
    assert all(r["issues"] == 10 for r in rows.values())
