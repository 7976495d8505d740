"""From a scenario and a deal to parameters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detente import OutcomeSpace, load_scenario
from detente.analysis import bargaining_solutions
from detente.durability import default_parameters, parameters_for_deal, resolve_deal
from detente.durability.deal import complete_deal, deal_utilities
from detente.errors import DetenteError, ScenarioError
from tests import reference


@pytest.fixture(scope="module")
def space() -> OutcomeSpace:
    return OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))


def test_solution_names_use_the_bargaining_solutions(space: OutcomeSpace) -> None:
    solutions = bargaining_solutions(space)
    for name in ("nash", "utilitarian", "egalitarian", "kalai_smorodinsky"):
        assert resolve_deal(space, name) == solutions[name].deal
    assert resolve_deal(space, "KS") == solutions["kalai_smorodinsky"].deal


def test_every_way_of_writing_a_deal_gives_the_same_deal(
    space: OutcomeSpace, tmp_path: Path
) -> None:
    deal = resolve_deal(space, "nash")
    pairs = ",".join(f"{k}={v}" for k, v in deal.items())
    assert resolve_deal(space, pairs) == deal
    assert resolve_deal(space, json.dumps(deal)) == deal
    assert resolve_deal(space, deal) == deal
    file = tmp_path / "deal.yaml"
    file.write_text("\n".join(f"{k}: {v}" for k, v in deal.items()))
    assert resolve_deal(space, str(file)) == deal
    with pytest.raises(ScenarioError, match="unknown option"):
        resolve_deal(space, {**deal, "oversight": "sometimes"})


@pytest.mark.parametrize(
    ("spec", "error", "message"),
    [
        ("sunshine", DetenteError, "unknown deal"),
        ("{not json", DetenteError, "not a JSON object"),
        ("[1, 2]", DetenteError, "unknown deal"),
        ('["a"]', DetenteError, "unknown deal"),
        ("oversight", DetenteError, "unknown deal"),
        ("weather=sunny", DetenteError, "unknown issue 'weather'"),
        ("missing.yaml", DetenteError, "cannot read"),
    ],
)
def test_bad_deals_are_refused_clearly(
    space: OutcomeSpace, spec: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        resolve_deal(space, spec)


def test_deal_files_must_be_mappings(space: OutcomeSpace, tmp_path: Path) -> None:
    file = tmp_path / "deal.json"
    file.write_text("[1, 2]")
    with pytest.raises(DetenteError, match="mapping"):
        resolve_deal(space, str(file))
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [")
    with pytest.raises(DetenteError, match="not valid"):
        resolve_deal(space, str(broken))
    with pytest.raises(DetenteError, match="issue=option"):
        resolve_deal(space, "oversight=none,alignment")


def test_empty_zopa_has_no_solution() -> None:
    scenario = load_scenario("ceasefire-2025")
    data = scenario.model_dump()
    for party in data["parties"]:
        party["reservation_value"] = 0.99
    space = OutcomeSpace.from_scenario(type(scenario).model_validate(data))
    with pytest.raises(DetenteError, match="empty ZOPA"):
        resolve_deal(space, "nash")
    with pytest.raises(DetenteError, match=r"no nash deal to take .*oversight.* from"):
        resolve_deal(space, "ceasefire_scope=full_30")


def test_parameters_come_from_the_scenario(space: OutcomeSpace) -> None:
    deal = resolve_deal(space, "nash")
    params = parameters_for_deal(space, deal)
    utilities = deal_utilities(space, deal)
    assert params.party_names == ("Russia", "Ukraine")  # the belligerents
    for party in params.parties:
        assert party.deal_value == pytest.approx(utilities[party.name])
        assert party.alternative == space.reservation[space.party_index(party.name)]
    # the Nash deal sets up monitors, a joint commission, a reassurance force, phased relief
    assert params.mechanisms == ("monitoring", "commission", "guarantees", "snapback")
    plain = parameters_for_deal(space, deal, deal_terms=False, mechanisms=["dmz"])
    assert plain.mechanisms == ("dmz",)
    everyone = parameters_for_deal(space, deal, parties=list(space.party_names), deal_terms=False)
    assert len(everyone.parties) == 4
    with pytest.raises(DetenteError, match="at least one party"):
        parameters_for_deal(space, deal, parties=[])


def test_a_base_parameter_set_is_used_as_template(space: OutcomeSpace) -> None:
    deal = resolve_deal(space, "nash")
    base = default_parameters().replace(escalation_threshold=9).replace_parties(volatility=0.01)
    params = parameters_for_deal(space, deal, base=base, deal_terms=False)
    assert params.escalation_threshold == 9
    assert {p.volatility for p in params.parties} == {0.01}
    assert params.party_names == ("Russia", "Ukraine")


def test_phased_relief_is_delivered_over_time(space: OutcomeSpace) -> None:
    deal = resolve_deal(space, "nash")
    assert deal["sanctions_relief"] == "phased"
    params = parameters_for_deal(space, deal)
    scenario = space.scenario
    before = {**deal, "sanctions_relief": "none"}
    for party in params.parties:
        # the utility still to come: u(deal) - u(same deal with no relief yet), from the reference
        expected = reference.utility(scenario, party.name, deal) - reference.utility(
            scenario, party.name, before
        )
        assert party.deferred_value == pytest.approx(expected)
        assert party.phase_in_days == 180
    russia, ukraine = params.parties
    assert russia.deferred_value > 0 > ukraine.deferred_value  # Russia receives, Ukraine grants
    at_once = parameters_for_deal(space, {**deal, "sanctions_relief": "partial"})
    assert {p.deferred_value for p in at_once.parties} == {0.0}


def test_a_partial_deal_is_completed_from_the_nash_deal(space: OutcomeSpace) -> None:
    nash = resolve_deal(space, "nash")
    deal, filled = complete_deal(space, "oversight=none")
    assert deal == {**nash, "oversight": "none"}
    assert "oversight" not in filled
    assert set(filled) == set(nash) - {"oversight"}
    assert complete_deal(space, nash) == (nash, ())
    assert complete_deal(space, "nash") == (nash, ())
