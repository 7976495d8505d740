"""The ``detente precedents`` commands, on the hand-made fixtures."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from detente.cli import app
from detente.precedents import shipped_model

runner = CliRunner()
DATA = Path(__file__).resolve().parents[1] / "data" / "precedents"
ETHPRIO = str(DATA / "ethprio-sample.csv")
PAX = str(DATA / "pax-sample.csv")


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_help() -> None:
    code, out = run("precedents", "--help")
    assert code == 0
    assert "predict" in out
    assert "search" in out


def test_predict_json_has_exactly_the_documented_shape() -> None:
    code, out = run("precedents", "predict", ETHPRIO, "--json")
    assert code == 0, out
    data = json.loads(out)
    assert list(data) == ["model", "predictions"]
    assert list(data["model"]) == ["source", "rows", "years", "covariates"]
    assert data["model"]["rows"] == 3302
    assert data["model"]["years"] == [1989, 2014]
    assert data["model"]["covariates"] == list(shipped_model().covariates)
    assert [(p["cc"], p["cf_id"]) for p in data["predictions"]] == [
        (100, 1),
        (100, 2),
        (100, 3),
        (200, 1),
        (200, 2),
    ]
    for p in data["predictions"]:
        assert list(p) == ["cc", "cf_id", "survival", "median_days"]
        s = p["survival"]
        assert list(s) == ["30", "90", "365"]
        assert 1 >= s["30"] >= s["90"] >= s["365"] >= 0


def test_predict_table() -> None:
    code, out = run("precedents", "predict", ETHPRIO)
    assert code == 0, out
    assert "Predicted survival (5 ceasefires)" in out
    assert "3302 rows, 1989-2014" in out


def test_predict_bad_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("cc,cf_id\n1,1\n", encoding="utf-8")
    code, out = run("precedents", "predict", str(bad))
    assert code == 2
    assert (
        out.strip() == f"error: {bad}: side: missing column in this ETH/PRIO CF file (and 7 more)"
    )


def test_search_by_default_json() -> None:
    code, out = run("precedents", "ceasefire-2025", "--ethprio", ETHPRIO, "--pax", PAX, "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["scenario"] == "ceasefire-2025"
    assert data["features"]["written"] is True
    assert data["features"]["mediated"] is True  # the United States mediates
    assert data["unmapped"] == ["snapback"]
    first = data["precedents"][0]
    assert (first["country"], first["year"], first["end"]) == ("Atlantis", 2000, "2000-04-20")
    assert data["curve"]["survival"][0] == 1.0


def test_search_table_and_html(tmp_path: Path) -> None:
    page = tmp_path / "precedents.html"
    code, out = run(
        "precedents",
        "search",
        "ceasefire-2025",
        "--ethprio",
        ETHPRIO,
        "--pax",
        PAX,
        "--threshold",
        "0.5",
        "--html",
        str(page),
    )
    assert code == 0, out
    assert "Past ceasefires most like the deal" in out
    assert "Atlantis" in out
    assert "Kaplan-Meier median" in out
    assert f"wrote {page}" in out
    text = page.read_text(encoding="utf-8")
    assert "Kaplan-Meier of the matched set (n = 1)" in text
    assert "ended (code, undocumented)" in text


def test_search_without_a_match(tmp_path: Path) -> None:
    page = tmp_path / "none.html"
    deal = "oversight=none,breach_mechanism=none,security_guarantees=none"
    code, out = run(
        "precedents",
        "ceasefire-2025",
        "--deal",
        deal,
        "--ethprio",
        ETHPRIO,
        "--threshold",
        "1",
        "--html",
        str(page),
    )
    assert code == 0, out
    assert "no past ceasefire matches the deal closely enough" in out
    assert "No past ceasefire matches" in page.read_text(encoding="utf-8")


def test_search_bad_input(tmp_path: Path) -> None:
    code, out = run("precedents", "ceasefire-2025", "--ethprio", str(tmp_path / "absent.csv"))
    assert code == 2
    assert "no such ETH/PRIO CF file" in out
    code, out = run("precedents", "ceasefire-2025", "--ethprio", ETHPRIO, "--html", str(tmp_path))
    assert code == 2
    assert "is a directory" in out


def test_search_of_a_deal_whose_mechanisms_all_have_counterparts(tmp_path: Path) -> None:
    page = tmp_path / "all-mapped.html"
    deal = "oversight=international_mission,breach_mechanism=joint_commission,sanctions_relief=none"
    code, out = run(
        "precedents", "ceasefire-2025", "--deal", deal, "--ethprio", ETHPRIO, "--html", str(page)
    )
    assert code == 0, out
    assert "no counterpart" not in out
    assert "No counterpart" not in page.read_text(encoding="utf-8")
