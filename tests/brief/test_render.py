"""The renderers read the briefing only: every case of it shows, in the terminal and the page."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente import OutcomeSpace, load_scenario
from detente.brief import Briefing, Forecasted, build_briefing, terms_of
from detente.cli import app
from detente.cli.brief import render
from detente.report.brief import briefing_html

APART = """\
name: apart
issues:
  - name: line
    options: [east, west]
parties:
  - name: east
    reservation_value: 0.8
    preferences: {issues: {line: {weight: 1, values: {east: 1, west: 0}}}}
  - name: west
    reservation_value: 0.8
    preferences: {issues: {line: {weight: 1, values: {east: 0, west: 1}}}}
"""


@pytest.fixture(scope="module")
def briefing() -> Briefing:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    return build_briefing(space, seed=2, paths=300, rounds=60)


def _forecast(b: Briefing) -> Forecasted:
    assert b.deal is not None
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    return Forecasted(
        model="smp",
        deal=dict(b.deal),
        terms=terms_of(space, b.deal),
        utilities={s.party: s.utility for s in b.stakes},
        acceptable_to_all=True,
        survival_1y=0.5,
        note="Russia's clout pulls the line toward a freeze.",
        disagreements={"oversight": "bdm and smp part on oversight."},
    )


def test_a_forecast_and_an_agreement_on_the_deal_itself_show(
    briefing: Briefing, capsys: pytest.CaptureFixture[str]
) -> None:
    b = dataclasses.replace(
        briefing,
        forecast=_forecast(briefing),
        rehearsal=dataclasses.replace(
            briefing.rehearsal, agreement=briefing.deal, terms=briefing.terms
        ),
    )
    render(b)
    out = capsys.readouterr().out
    assert "The smp model's forecast: every party accepts it; 50.0% still holding" in out
    assert "The models part on Oversight of the frontline: detente forecast" in out
    assert out.count("It is the recommended deal itself.") == 2  # forecast and rehearsal
    page = briefing_html(b)
    assert "The smp model&#x27;s forecast: every party accepts it; 50.0% still holding" in page
    assert "<li>bdm and smp part on oversight.</li>" in page
    assert page.count("It is the recommended deal itself.") == 2


def test_no_sweeteners_no_swaps_no_collapse_and_a_rejected_forecast_read_as_sentences(
    briefing: Briefing, capsys: pytest.CaptureFixture[str]
) -> None:
    assert briefing.survival is not None
    calm = dataclasses.replace(briefing.survival.result, collapses=0, causes={})
    b = dataclasses.replace(
        briefing,
        sweeteners=(),
        swaps=(),
        survival=dataclasses.replace(briefing.survival, result=calm),
        forecast=dataclasses.replace(
            _forecast(briefing), acceptable_to_all=False, survival_1y=None, disagreements={}
        ),
        rehearsal=dataclasses.replace(briefing.rehearsal, agreement=None, terms=()),
    )
    render(b)
    out = capsys.readouterr().out
    assert "No change of one or two issues helps a reluctant party." in out
    assert "No issue of this scenario has options that provide mechanisms." in out
    assert "Most collapses" not in out
    assert "some party rejects it" in out
    assert "beside the recommended deal" not in out
    page = briefing_html(b, for_print=True)
    assert "No change of one or two issues helps a reluctant party." in page
    assert "No issue of this scenario has options that provide mechanisms." in page
    assert "simulated collapses" not in page
    assert "some party rejects it" in page
    assert '"width":680' in page  # figures sized for the printed page


def test_a_fragile_party_and_a_refused_sweetener_are_marked(
    briefing: Briefing, capsys: pytest.CaptureFixture[str]
) -> None:
    shaky = dataclasses.replace(briefing.stakes[0], margin=0.01, fragile=True)
    refused = dataclasses.replace(briefing.sweeteners[0], acceptable_to_all=False)
    b = dataclasses.replace(
        briefing,
        stakes=(shaky, *briefing.stakes[1:]),
        sweeteners=(refused, *briefing.sweeteners[1:]),
    )
    render(b)
    out = capsys.readouterr().out
    assert "+0.010 fragile" in out
    page = briefing_html(b)
    assert "a fragile yes" in page
    assert f"<td>{refused.sentence}</td><td>no</td>" in page.replace("&#x27;", "'")


def test_without_a_zopa_the_briefing_says_how_far_apart_the_parties_are(tmp_path: Path) -> None:
    scenario = tmp_path / "apart.yaml"
    scenario.write_text(APART, encoding="utf-8")
    page = tmp_path / "apart.html"
    result = CliRunner().invoke(
        app, ["brief", str(scenario), "--rounds", "10", "--html", str(page)]
    )
    assert result.exit_code == 0, result.output
    assert "No deal is acceptable to every party." in result.stdout
    assert "east would have to accept 0.800 less than its alternative" in result.stdout
    assert "Will it hold?" not in result.stdout
    text = page.read_text(encoding="utf-8")
    assert "How far each party is from agreement" in text
    assert "Will it hold?" not in text


def test_a_party_that_alone_cannot_open_a_zopa_is_named(
    briefing: Briefing, capsys: pytest.CaptureFixture[str]
) -> None:
    b = dataclasses.replace(
        briefing,
        deal=None,
        terms=(),
        stakes=(),
        survival=None,
        sweeteners=(),
        swaps=(),
        concessions={"Russia": None, "Ukraine": 0.25},
        forecast=None,
    )
    render(b)
    out = capsys.readouterr().out
    assert "No stakeholder forecast of this scenario is available." in out
    assert "No stakeholder forecast of this scenario is available." in briefing_html(b)
    assert "Russia: no concession by it alone opens a zone of agreement." in out
    assert "Ukraine would have to accept 0.250 less" in out
    assert "no concession by it alone opens a zone of agreement" in briefing_html(b)
