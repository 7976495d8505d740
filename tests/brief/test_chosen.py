"""A briefing of a deal the reader names: the same lenses, every figure of that deal."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from detente import durability
from detente.brief import Briefing, briefing_json, build_briefing
from detente.cli import app
from detente.cli._common import console
from detente.cli.brief import render
from detente.errors import DetenteError
from detente.report.brief import briefing_html
from detente.scenario import load_scenario
from detente.space import OutcomeSpace
from tests.strategies import additive_scenario

PATHS = 300
ROUNDS = 40
#: ceasefire-2025's recommended deal (a hotline) with a monitoring mission instead
MISSION = "oversight=international_mission"


@pytest.fixture(scope="module")
def space() -> OutcomeSpace:
    return OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))


@pytest.fixture(scope="module")
def recommended(space: OutcomeSpace) -> Briefing:
    return build_briefing(space, paths=PATHS, rounds=ROUNDS)


@pytest.fixture(scope="module")
def chosen(space: OutcomeSpace, recommended: Briefing) -> Briefing:
    assert recommended.deal is not None
    assert recommended.deal["oversight"] == "hotline"
    deal = {**recommended.deal, "oversight": "international_mission"}
    return build_briefing(space, paths=PATHS, rounds=ROUNDS, deal=deal)


def test_the_briefing_is_of_the_deal_named(
    space: OutcomeSpace, recommended: Briefing, chosen: Briefing
) -> None:
    assert recommended.deal is not None
    assert chosen.chosen
    assert not recommended.chosen
    assert chosen.deal == {**recommended.deal, "oversight": "international_mission"}
    # its survival is detente durability's on that deal, same seed and paths
    run = durability.run(space, chosen.deal, paths=PATHS, seed=0)
    assert chosen.survival is not None
    assert chosen.survival.survival_1y == run.survival_1y
    assert {s.party: s.utility for s in chosen.stakes} == run.utilities
    assert {s.party: s.margin for s in chosen.stakes} == pytest.approx(run.margins)
    assert chosen.basis.startswith("A deal chosen for this briefing")
    assert "(the recommended deal, " in chosen.basis
    assert chosen.deal_name == "the chosen deal"
    assert briefing_json(chosen)["chosen"] is True
    # the lenses that do not depend on the deal are the same
    assert chosen.rehearsal == recommended.rehearsal


def test_the_page_and_the_terminal_call_it_the_chosen_deal(chosen: Briefing) -> None:
    page = briefing_html(chosen)
    assert "<h2>The chosen deal</h2>" in page
    assert page.count("the recommended deal") == 1  # in the basis, naming the other deal
    with console.capture() as captured:
        render(chosen)
    assert "The chosen deal." in captured.get()


@pytest.mark.slow
def test_naming_the_recommended_deal_is_the_plain_briefing(
    space: OutcomeSpace, recommended: Briefing
) -> None:
    assert recommended.deal is not None
    same = build_briefing(space, paths=PATHS, rounds=ROUNDS, deal=dict(recommended.deal))
    assert not same.chosen
    assert briefing_json(same) == briefing_json(recommended)


@pytest.mark.slow
def test_a_deal_outside_the_zopa_says_who_refuses(space: OutcomeSpace) -> None:
    briefing = build_briefing(
        space, paths=PATHS, rounds=ROUNDS, deal="territorial_line=recognition"
    )
    assert briefing.chosen
    assert "not every party accepts it (refused by Ukraine)" in briefing.basis


def test_a_bad_deal_is_refused_before_any_work(space: OutcomeSpace) -> None:
    with pytest.raises(DetenteError, match="drones"):
        build_briefing(space, deal="oversight=drones")


@pytest.mark.slow
def test_the_command_takes_a_deal() -> None:
    result = CliRunner().invoke(
        app,
        ["brief", "ceasefire-2025", "--deal", MISSION, "--json", "--paths", str(PATHS)],
    )
    doc = json.loads(result.stdout)
    assert doc["chosen"] is True
    assert doc["deal"]["oversight"] == "international_mission"


def test_a_chosen_deal_without_a_zopa_says_none_is_recommended() -> None:
    scenario = additive_scenario(
        [[[1.0, 0.0]], [[0.0, 1.0]]], reservations=[0.8, 0.8], name="apart"
    )
    briefing = build_briefing(
        OutcomeSpace.from_scenario(scenario), paths=200, rounds=20, deal={"i0": "o0"}
    )
    assert briefing.chosen
    assert briefing.deal == {"i0": "o0"}
    assert "the analysis recommends none" in briefing.basis
    assert "refused by p1" in briefing.basis
