"""The one reader of deals written by people: every way of writing one, every mistake named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente import OutcomeSpace, load_scenario
from detente.cli import app
from detente.errors import ScenarioError
from detente.scenario import Scenario, check_deal, parse_deal

runner = CliRunner()


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario("ceasefire-2025")


def numeric_scenario() -> Scenario:
    many = [f"o{k}" for k in range(40)]
    return Scenario.model_validate(
        {
            "name": "numbers",
            "issues": [
                {"name": "troops", "kind": "integer", "low": 0, "high": 10, "step": 5},
                {"name": "zone", "options": many},
            ],
            "parties": [
                {
                    "name": "a",
                    "reservation_value": 0,
                    "preferences": {
                        "issues": {
                            "troops": {
                                "weight": 1,
                                "function": {"kind": "linear", "at_low": 0, "at_high": 1},
                            },
                            "zone": {"weight": 1, "values": dict.fromkeys(many, 1)},
                        }
                    },
                }
            ],
        }
    )


def test_every_way_of_writing_a_deal_reads_the_same(scenario: Scenario, tmp_path: Path) -> None:
    deal = {i.name: str(i.values[-1]) for i in scenario.issues}
    pairs = ", ".join(f"{k} = {v}" for k, v in reversed(deal.items()))
    file = tmp_path / "deal.yaml"
    file.write_text("\n".join(f"{k}: {v}" for k, v in deal.items()))
    for spec in (deal, pairs, json.dumps(deal), str(file)):
        got = parse_deal(spec, scenario)
        assert got == deal
        assert list(got) == [i.name for i in scenario.issues]  # the scenario's issue order


def test_a_partial_deal_is_refused_unless_allowed(scenario: Scenario) -> None:
    assert parse_deal("oversight=hotline", scenario, complete=False) == {"oversight": "hotline"}
    with pytest.raises(ScenarioError, match="no option given for issue 'ceasefire_scope'"):
        parse_deal("oversight=hotline", scenario)


def test_an_unknown_option_lists_the_valid_names(scenario: Scenario) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_deal("oversight=sometimes", scenario, complete=False)
    assert str(info.value) == (
        "--deal oversight: unknown option 'sometimes' of issue 'oversight'; its options are "
        "none, hotline, international_mission"
    )


def test_an_unknown_issue_lists_the_valid_names(scenario: Scenario) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_deal({"weather": "sunny"}, scenario, complete=False, field="deal")
    names = ", ".join(i.name for i in scenario.issues)
    assert str(info.value) == f"deal: unknown issue 'weather'; the issues are {names}"


def test_long_option_lists_are_summed_up() -> None:
    with pytest.raises(ScenarioError, match=r"o29, \.\.\. \(10 more\)$"):
        parse_deal("zone=o99", numeric_scenario(), complete=False)


def test_numeric_options_are_read_as_numbers() -> None:
    model = numeric_scenario()
    assert parse_deal({"troops": 5.0, "zone": "o3"}, model) == {"troops": "5", "zone": "o3"}
    assert parse_deal("troops=10,zone=o0", model) == {"troops": "10", "zone": "o0"}
    with pytest.raises(ScenarioError, match="its options are 0, 5, 10"):
        parse_deal("troops=7", model, complete=False)
    # the outcome space reads numbers written as floats under their own name too
    space = OutcomeSpace.from_scenario(model)
    assert space.options_of({"troops": 5.0, "zone": "o3"}).tolist() == [1, 3]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("{not json", "not a JSON object"),
        ("[1, 2]", "expected issue=option, got '\\[1'"),
        ("oversight=none,alignment", "expected issue=option, got 'alignment'"),
        (" , ", "an empty deal"),
        ("missing.yaml", "cannot read"),
        ('["a"]', "expected issue=option"),
        ("[1]", "expected issue=option"),
    ],
)
def test_unreadable_deals_say_how_to_write_one(scenario: Scenario, spec: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_deal(spec, scenario)


def test_deal_files_hold_a_mapping(scenario: Scenario, tmp_path: Path) -> None:
    listed = tmp_path / "deal.json"
    listed.write_text("[1, 2]")
    with pytest.raises(ScenarioError, match="a deal is a mapping"):
        parse_deal(str(listed), scenario)
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        parse_deal(str(broken), scenario)


def test_check_deal_gives_the_scenarios_own_names(scenario: Scenario) -> None:
    deal = {i.name: i.values[0] for i in scenario.issues}
    assert check_deal(scenario, deal) == {k: str(v) for k, v in deal.items()}


@pytest.mark.parametrize("command", ["analyze", "durability"])
def test_every_command_lists_the_valid_options(command: str) -> None:
    extra = ["--no-sensitivity"] if command == "analyze" else ["--paths", "100"]
    result = runner.invoke(
        app, [command, "ceasefire-2025", "--deal", "oversight=sometimes", *extra]
    )
    assert result.exit_code == 2
    assert "its options are none, hotline, international_mission" in result.output
    assert "Traceback" not in result.output
