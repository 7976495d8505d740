"""Mechanisms are data: an option provides what it declares, never what its name suggests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from detente.cli import app
from detente.durability import (
    ParameterError,
    load_mechanisms,
    parameters_for_deal,
    run,
    swap_deals,
)
from detente.errors import ScenarioError
from detente.scenario import load_scenario, save_scenario
from detente.scenario.formats.native import dump_native, json_schema, parse_native
from detente.space import OutcomeSpace
from tests.durability.recorded import recorded_survival

runner = CliRunner()


def _scenario(oversight: list[Any]) -> dict[str, Any]:
    """Two belligerents and a mediator; the oversight issue's options are given."""
    values = {o if isinstance(o, str) else o["name"]: 1.0 for o in oversight}
    return {
        "name": "observers",
        "issues": [
            {"name": "oversight", "options": oversight},
            {"name": "line", "options": ["frozen", "withdrawal"]},
        ],
        "parties": [
            {
                "name": name,
                "role": role,
                "reservation_value": 0.4,
                "preferences": {
                    "issues": {
                        "oversight": {"weight": 1, "values": values},
                        "line": {"weight": 2, "values": {"frozen": a, "withdrawal": b}},
                    }
                },
            }
            for name, role, a, b in (
                ("North", "belligerent", 1.0, 0.6),
                ("South", "belligerent", 0.6, 1.0),
                ("Envoy", "mediator", 1.0, 1.0),
            )
        ],
    }


def _space(oversight: list[Any]) -> OutcomeSpace:
    text = yaml.safe_dump(_scenario(oversight))
    return OutcomeSpace.from_scenario(parse_native(text, source="s"))


def test_an_option_named_anything_provides_what_it_declares() -> None:
    # issue 11, finding 4: `au_observers` used to do nothing ("Mechanisms in force: none")
    space = _space(["none", {"name": "au_observers", "provides": ["monitoring"]}])
    deal = {"oversight": "au_observers", "line": "frozen"}
    answer = run(space, deal, paths=200, days=30)
    assert answer.result.mechanisms == ("monitoring",)
    assert answer.params.detection == 0.9


def test_an_option_without_provides_does_nothing_whatever_its_name() -> None:
    space = _space(["none", "international_mission", "peacekeepers"])
    for option in ("international_mission", "peacekeepers"):
        answer = run(space, {"oversight": option, "line": "frozen"}, paths=100, days=10)
        assert answer.result.mechanisms == ()


def test_a_partial_strength_delivers_part_of_each_effect() -> None:
    half = {"mechanism": "monitoring", "strength": 0.5}
    space = _space(["none", {"name": "au_observers", "provides": [half]}])
    params = parameters_for_deal(space, {"oversight": "au_observers", "line": "frozen"})
    plain = parameters_for_deal(space, {"oversight": "none", "line": "frozen"})
    assert params.detection == pytest.approx(plain.detection + 0.5 * (0.9 - plain.detection))
    assert params.attribution == pytest.approx(plain.attribution + 0.5 * (0.8 - plain.attribution))


def test_one_provision_may_be_written_as_a_plain_name() -> None:
    space = _space(["none", {"name": "au_observers", "provides": "monitoring"}])
    (provision,) = space.scenario.issues[0].options[1].provides  # type: ignore[union-attr]
    assert (provision.mechanism, provision.strength) == ("monitoring", 1.0)


@pytest.mark.parametrize(
    ("provides", "message"),
    [
        ({"monitoring": 1}, "valid list"),
        ([{"mechanism": "monitoring", "strength": 0}], "greater than 0"),
        ([{"mechanism": "monitoring", "strength": 1.5}], "less than or equal to 1"),
        (["monitoring", "Monitoring"], "duplicate mechanism"),
    ],
)
def test_bad_provisions_are_refused_on_loading(provides: Any, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        _space(["none", {"name": "au_observers", "provides": provides}])


def test_an_unknown_mechanism_names_file_issue_and_option(tmp_path: Path) -> None:
    file = tmp_path / "talks.yaml"
    file.write_text(
        yaml.safe_dump(_scenario(["none", {"name": "au_observers", "provides": ["drones"]}]))
    )
    out = runner.invoke(app, ["durability", str(file), "--deal", "oversight=none,line=frozen"])
    assert out.exit_code == 2
    assert out.output.startswith(
        f"error: {file}: issues.oversight.options.au_observers.provides: option 'au_observers' "
        "of issue 'oversight' provides unknown mechanism 'drones' (known: monitoring,"
    )
    with pytest.raises(ScenarioError, match="unknown mechanism 'drones'"):
        run(OutcomeSpace.from_scenario(load_scenario(file)), paths=10, days=2)


def test_provisions_survive_the_native_format_and_the_schema_has_them() -> None:
    scenario = load_scenario("ceasefire-2025")
    again = parse_native(dump_native(scenario), source="again")
    assert again == scenario
    oversight = next(i for i in again.issues if i.name == "oversight")
    mission = oversight.options[2]
    assert [p.mechanism for p in mission.provides] == ["monitoring"]
    assert "Provision" in json_schema()["$defs"]
    committed = json.loads(Path("docs/reference/scenario.schema.json").read_text())
    assert committed == json.loads(json.dumps(json_schema()))  # `make docs-schema` was run


def test_provisions_survive_genius_export(tmp_path: Path) -> None:
    scenario = load_scenario("ceasefire-2025")
    save_scenario(scenario, tmp_path / "out")
    assert load_scenario(tmp_path / "out").issues == scenario.issues
    domain = next((tmp_path / "out").glob("*.xml"))
    for file in (tmp_path / "out").glob("*.xml"):
        if "detente_provides" in file.read_text():
            domain = file
    text = domain.read_text()
    domain.write_text(text.replace('detente_provides="[', 'detente_provides="[[', 1))
    with pytest.raises(ScenarioError, match="detente_provides is not JSON"):
        load_scenario(tmp_path / "out")


def test_swaps_run_each_alternative_option_on_the_same_numbers() -> None:
    space = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    answer = run(space, "nash", compare=True, paths=400, days=365, seed=2)
    expected = swap_deals(space, answer.deal)
    issues_with_mechanisms = {"sanctions_relief", "oversight", "breach_mechanism"}
    issues_with_mechanisms.add("security_guarantees")
    assert {issue for issue, _, _ in expected} == issues_with_mechanisms
    assert [(w.issue, w.option) for w in answer.swaps] == [(i, o) for i, o, _ in expected]
    reservation = dict(zip(space.party_names, space.reservation, strict=True))
    for swap, (_, _, deal) in zip(answer.swaps, expected, strict=True):
        # the same figures as simulating the swapped deal alone with the same seed (and
        # bending it by the record's fitted effects, as the during-war class does)
        alone = recorded_survival(space, deal, paths=400, days=365, seed=2)
        assert swap.holding == pytest.approx(alone[-1], rel=1e-12)
        assert swap.change == pytest.approx(alone[-1] - answer.result.final, rel=1e-12)
        assert swap.replaces == answer.deal[swap.issue]
        accepted = all(swap.utilities[p] >= reservation[p] - 1e-9 for p in space.party_names)
        assert swap.accepted == accepted
    assurances = next(w for w in answer.swaps if w.option == "assurances")
    assert "guarantees" not in assurances.mechanisms
    assert assurances.holding < answer.result.final - 0.05
    data = answer.to_dict()
    assert [(s["issue"], s["option"]) for s in data["swaps"]] == [  # type: ignore[union-attr]
        (w.issue, w.option) for w in answer.swaps
    ]


def test_a_term_phases_in_when_its_option_says_so_whatever_its_name() -> None:
    space = _space(["none", {"name": "stepwise", "phase_in": {"starts_from": "none", "days": 90}}])
    params = parameters_for_deal(space, {"oversight": "stepwise", "line": "frozen"})
    north = params.parties[0]
    assert north.phase_in_days == 90
    # every party values both options of the issue at 1: nothing is still to come
    assert north.deferred_value == pytest.approx(0.0)
    named = _space(["none", "phased"])
    plain = parameters_for_deal(named, {"oversight": "phased", "line": "frozen"})
    assert plain.parties[0].phase_in_days == 0  # the name "phased" alone does nothing


def test_a_phase_in_must_start_from_another_option_of_the_issue() -> None:
    with pytest.raises(ScenarioError, match="phases in from 'nowhere'"):
        _space(["none", {"name": "stepwise", "phase_in": {"starts_from": "nowhere", "days": 9}}])
    with pytest.raises(ScenarioError, match="phases in from 'stepwise'"):
        _space(["none", {"name": "stepwise", "phase_in": {"starts_from": "stepwise", "days": 9}}])


def test_a_presets_file_with_phased_terms_is_refused(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    old.write_text(
        "mechanisms:\n  - name: drones\n    label: D\n    what: w\n    why: y\n    source: s\n"
        "    effects:\n      - {field: detection, op: at_least, value: 0.95}\n"
        "phased_terms:\n  - {option: phased, starts_from: none, days: 9}\n"
    )
    with pytest.raises(ParameterError, match="declared on the scenario's option"):
        load_mechanisms(old)
