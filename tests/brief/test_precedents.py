"""The briefing's precedents section: ``detente precedents`` on the recommended deal.

Records are the hand-made fixtures of ``tests/data/precedents`` (invented ceasefires).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from detente import OutcomeSpace
from detente.brief import briefing_json, build_briefing
from detente.cli import app
from detente.cli.brief import render
from detente.errors import DetenteError
from detente.report.brief import briefing_html
from tests.strategies import additive_scenario

runner = CliRunner()
DATA = Path(__file__).resolve().parents[1] / "data" / "precedents"
ETHPRIO = str(DATA / "ethprio-sample.csv")
PAX = str(DATA / "pax-sample.csv")
FAST = ("--paths", "500", "--rounds", "60")
KEYS = [
    "deal",
    "chosen",
    "utilities",
    "margins",
    "survival_1y",
    "reference",
    "sweeteners",
    "forecast",
]


def _json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout)
    return out


@pytest.fixture(scope="module")
def briefed(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """``detente brief ceasefire-2025 --ethprio --pax --json --html`` as the user runs it."""
    page = tmp_path_factory.mktemp("brief") / "brief.html"
    args = ["--ethprio", ETHPRIO, "--pax", PAX, "--json", "--html", str(page), *FAST]
    return _json("brief", "ceasefire-2025", *args), page.read_text(encoding="utf-8")


def _at_one_year(curve: dict[str, list[float]], key: str) -> float:
    """The Kaplan-Meier step function of ``--json``'s curve, read at day 365."""
    held = [v for d, v in zip(curve["days"], curve[key], strict=True) if d <= 365]
    return held[-1]


def test_the_section_is_detente_precedents_on_the_recommended_deal(
    briefed: tuple[dict[str, Any], str],
) -> None:
    doc, _ = briefed
    assert list(doc) == [*KEYS, "rehearsal", "precedents"]
    deal = json.dumps(doc["deal"])
    search = _json(
        "precedents", "ceasefire-2025", "--deal", deal, "--ethprio", ETHPRIO, "--pax", PAX, "--json"
    )
    found = doc["precedents"]
    assert found["matched"] == search["matched"] == 1
    assert found["compared"] == search["compared"] == 5
    assert found["threshold"] == search["threshold"]
    assert found["median_days"] == search["curve"]["median_days"] == 36.0
    curve = search["curve"]
    assert found["survival_1y"] == _at_one_year(curve, "survival")
    assert found["band_1y"] == [_at_one_year(curve, "lower"), _at_one_year(curve, "upper")]
    assert found["unmapped"] == search["unmapped"] == ["snapback"]
    assert found["source"] == search["source"]
    listed = [
        {k: p[k] for k in ("country", "year", "similarity", "matched", "missing", "days", "end")}
        for p in search["precedents"][:5]
    ]
    assert found["most_similar"] == listed
    assert len(listed) == 5


def test_the_html_page_has_the_section(briefed: tuple[dict[str, Any], str]) -> None:
    _, text = briefed
    assert "Precedents: past ceasefires like this deal" in text
    assert "1 of 5 past ceasefires match" in text
    assert "Kaplan-Meier median 36 days" in text
    assert "No counterpart in the records: snapback." in text
    assert "Atlantis" in text


def test_the_terminal_briefing_has_the_section() -> None:
    result = runner.invoke(app, ["brief", "ceasefire-2025", "--ethprio", ETHPRIO, *FAST])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Precedents: past ceasefires like this deal" in out
    assert "Kaplan-Meier median 36 days" in out
    assert "Atlantis" in out
    assert "Source: ETH/PRIO CF (ethprio-sample.csv)." in out


def test_without_records_there_is_no_section() -> None:
    result = runner.invoke(app, ["brief", "ceasefire-2025", *FAST])
    assert result.exit_code == 0, result.output
    assert "Precedents" not in result.stdout
    doc = _json("brief", "ceasefire-2025", "--json", *FAST)
    assert list(doc) == [*KEYS, "rehearsal"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--ethprio", "absent.csv"), "no such ETH/PRIO CF file"),
        (("--ethprio", ETHPRIO, "--pax", "absent.csv"), "absent.csv"),
        (("--pax", PAX), "give --ethprio too"),
    ],
)
def test_a_bad_records_file_is_one_line_and_exit_2(args: tuple[str, ...], needle: str) -> None:
    result = runner.invoke(app, ["brief", "ceasefire-2025", *args, *FAST])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    assert needle in lines[0]
    assert "Traceback" not in result.output


def test_without_a_deal_there_is_nothing_to_search() -> None:
    scenario = additive_scenario(
        [[[1.0, 0.0]], [[0.0, 1.0]]], reservations=[0.8, 0.8], name="apart"
    )
    space = OutcomeSpace.from_scenario(scenario)
    briefing = build_briefing(space, paths=200, rounds=20, ethprio=Path(ETHPRIO))
    assert briefing.deal is None
    assert briefing.precedents is None
    assert "precedents" not in briefing_json(briefing)
    with pytest.raises(DetenteError, match="give --ethprio too"):
        build_briefing(space, paths=200, rounds=20, pax=Path(PAX))


def test_a_deal_without_a_close_match_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    """Two belligerents, no mechanism: no usable ceasefire of the fixtures is close enough."""
    space = OutcomeSpace.from_scenario(
        additive_scenario([[[1.0, 0.5]], [[0.5, 1.0]]], reservations=[0.1, 0.1], name="near")
    )
    briefing = build_briefing(space, paths=200, rounds=20, ethprio=Path(ETHPRIO))
    found = briefing_json(briefing)["precedents"]
    assert (found["matched"], found["compared"]) == (0, 5)
    assert found["median_days"] is found["survival_1y"] is found["band_1y"] is None
    assert found["unmapped"] == []
    assert found["most_similar"][0]["similarity"] == 1.0  # its end is before its start
    assert "No past ceasefire matches the deal closely enough" in briefing_html(briefing)
    render(briefing)
    assert "No past ceasefire matches the deal closely enough" in capsys.readouterr().out
