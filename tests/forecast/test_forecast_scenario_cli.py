"""``detente forecast SCENARIO``: any scenario file, folder or built-in; the optional fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from detente.cli import app
from detente.errors import FormatError, ScenarioError
from detente.forecast import Stakeholders, forecast_scenario, load_forecast_input
from detente.scenario import Scenario, load_scenario, save_scenario
from detente.scenario.formats.native import dump_native, json_schema, parse_native
from tests.forecast.conftest import KTAB_INPUTS

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
GENIUS = ROOT / "tests" / "data" / "corpus" / "genius"

#: A three-party negotiation scenario as a user writes it (native YAML).
THREE_PARTIES: dict[str, Any] = {
    "name": "three",
    "issues": [
        {"name": "troops", "options": ["stay", "thin_out", "withdraw"]},
        {"name": "monitors", "options": ["none", "observers", "mission"]},
    ],
    "parties": [
        {
            "name": "North",
            "role": "belligerent",
            "reservation_value": 0.3,
            "preferences": {
                "issues": {
                    "troops": {
                        "weight": 0.7,
                        "values": {"stay": 1, "thin_out": 0.6, "withdraw": 0},
                    },
                    "monitors": {
                        "weight": 0.3,
                        "values": {"none": 1, "observers": 0.7, "mission": 0.2},
                    },
                }
            },
        },
        {
            "name": "South",
            "role": "belligerent",
            "reservation_value": 0.3,
            "preferences": {
                "issues": {
                    "troops": {
                        "weight": 0.6,
                        "values": {"stay": 0, "thin_out": 0.5, "withdraw": 1},
                    },
                    "monitors": {
                        "weight": 0.4,
                        "values": {"none": 0, "observers": 0.6, "mission": 1},
                    },
                }
            },
        },
        {
            "name": "Union",
            "role": "mediator",
            "reservation_value": 0.2,
            "preferences": {
                "issues": {
                    "troops": {
                        "weight": 0.5,
                        "values": {"stay": 0.2, "thin_out": 1, "withdraw": 0.6},
                    },
                    "monitors": {
                        "weight": 0.5,
                        "values": {"none": 0, "observers": 1, "mission": 0.8},
                    },
                }
            },
        },
    ],
}


def _write(tmp_path: Path, data: dict[str, Any], name: str = "my.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return path


def test_a_negotiation_scenario_file_is_forecast(tmp_path: Path) -> None:
    """It used to fail with "dimensions: Field required" (read as a stakeholder file)."""
    path = _write(tmp_path, THREE_PARTIES)
    result = runner.invoke(app, ["forecast", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Field required" not in result.output
    assert "The forecast as a deal" in result.output
    assert "How the options were placed" in result.output
    assert "Union utility" in result.output
    as_json = tmp_path / "my.json"
    as_json.write_text(dump_native(Scenario.model_validate(THREE_PARTIES), as_json=True), "utf-8")
    data = json.loads(runner.invoke(app, ["forecast", str(as_json), "--json"]).output)
    assert data["actors"] == ["North", "South", "Union"]
    assert set(data["deal"]) == {"troops", "monitors"}
    # the mediator's clout is set by its role (half a belligerent's), and says so
    assert data["clout"]["Union"] == {"value": 50.0, "declared": False}


def test_json_contract_on_ceasefire() -> None:
    result = runner.invoke(app, ["forecast", "ceasefire-2025", "--model", "bdm", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    scenario = load_scenario("ceasefire-2025")
    library = forecast_scenario(scenario, model="bdm")
    assert data["model"] == "bdm"
    assert data["scenario"] == "ceasefire-2025"
    assert data["actors"] == scenario.party_names
    assert data["dimensions"] == [i.name for i in scenario.issues]
    assert data["deal"] == library.deal
    assert data["utilities"] == library.utilities
    assert data["margins"] == library.margins
    assert data["in_zopa"] == library.in_zopa
    assert set(data["models"]) == {"smp", "bdm", "compromise"}
    assert data["models"]["smp"]["deal"] == library.deals["smp"].deal
    options = data["placement"]["territorial_line"]["positions"]
    assert set(options) == {"deferred", "de_facto_freeze", "recognition", "withdrawal"}
    assert data["placement"]["territorial_line"]["rule"] == "axis"
    assert data["clout"]["Russia"] == {"value": 90.0, "declared": True}
    assert set(data["assumptions"]) == {"smp", "bdm", "compromise"}
    gap = data["disagreements"][0]
    assert {
        "dimension",
        "outcomes",
        "options",
        "high",
        "low",
        "gap",
        "pulls",
        "reasons",
        "summary",
    } <= set(gap)
    assert sum(p["points"] for p in gap["pulls"]) == pytest.approx(gap["gap"])


def test_terminal_says_why_the_models_disagree() -> None:
    result = runner.invoke(app, ["forecast", "ceasefire-2025"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Why the models disagree" in out
    assert "What each model assumes" in out
    assert "Condorcet-style" in out
    library = forecast_scenario(load_scenario("ceasefire-2025"))
    for gap in library.disagreements:  # every gap's sentence, computed from the runs
        assert gap.summary.split(";")[0] in out.replace("\n", " ")
    assert "in the ZOPA" in out


def test_html_report_shows_the_deal_and_the_reasons(tmp_path: Path) -> None:
    out = tmp_path / "forecast.html"
    result = runner.invoke(app, ["forecast", "ceasefire-2025", "--html", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text("utf-8")
    assert "The forecast as a deal" in page
    assert "Why the models disagree" in page
    assert "How the options were placed" in page
    assert "rejects" in page  # the expected-utility deal crosses a red line of Ukraine


def test_genius_folder_and_domain_file_are_forecast() -> None:
    folder = GENIUS / "anac" / "y2016" / "Caduceus"
    result = runner.invoke(app, ["forecast", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["actors"]) == 3
    domain = GENIUS / "anac" / "y2010" / "EnglandZimbabwe" / "EnglandZimbabwe_domain.xml"
    assert isinstance(load_forecast_input(domain), Scenario)


def test_stakeholder_inputs_are_still_read_as_before(tmp_path: Path) -> None:
    assert isinstance(load_forecast_input(KTAB_INPUTS / "dummyData_3Dim.csv"), Stakeholders)
    assert isinstance(load_forecast_input(KTAB_INPUTS / "dummyData_3Dim.xml"), Stakeholders)
    builtin = ROOT / "src/detente/forecast/builtin/ceasefire-2025-stakeholders.yaml"
    assert isinstance(load_forecast_input(builtin), Stakeholders)
    assert isinstance(load_forecast_input("ceasefire-2025-stakeholders"), Stakeholders)
    assert isinstance(load_forecast_input("ceasefire-2025"), Scenario)
    with pytest.raises(FormatError, match="stakeholder files: ceasefire-2025-stakeholders"):
        load_forecast_input("no-such-thing")
    broken = tmp_path / "broken.xml"
    broken.write_text("<negotiation_template", "utf-8")
    with pytest.raises(FormatError):
        load_forecast_input(broken)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d["parties"].__delitem__(slice(1, None)), "at least two parties"),
        (lambda d: d["parties"][0].__setitem__("clout", 0), "clout"),
        (
            lambda d: d["issues"][0].__setitem__(
                "options", [{"name": "stay", "position": 0}, "thin_out", "withdraw"]
            ),
            "give one to every option or to none",
        ),
    ],
)
def test_bad_scenarios_exit_2_with_one_line(tmp_path: Path, change: Any, words: str) -> None:
    data = json.loads(json.dumps(THREE_PARTIES))
    change(data)
    result = runner.invoke(app, ["forecast", str(_write(tmp_path, data))])
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_positions_and_clout_round_trip_and_are_in_the_schema() -> None:
    data = json.loads(json.dumps(THREE_PARTIES))
    data["issues"][0]["options"] = [
        {"name": "stay", "position": 0},
        {"name": "thin_out", "position": 30},
        {"name": "withdraw", "position": 100},
    ]
    data["parties"][2]["clout"] = 80
    data["parties"][2]["clout_rationale"] = "Holds the purse."
    scenario = Scenario.model_validate(data)
    again = parse_native(dump_native(scenario), source="round-trip.yaml")
    assert again == scenario
    result = forecast_scenario(again)
    assert result.placement.lines[0].rule == "declared"
    assert result.placement.lines[0].positions.tolist() == [0.0, 30.0, 100.0]
    assert result.placement.stakeholders.capability.tolist() == [100.0, 100.0, 80.0]
    data["issues"][0]["options"][0]["position"] = 101
    with pytest.raises(ScenarioError, match="less than or equal to 100"):
        parse_native(yaml.safe_dump(data), source="bad.yaml")
    schema = json_schema()
    assert "position" in schema["$defs"]["Option"]["properties"]
    assert {"clout", "clout_rationale"} <= set(schema["$defs"]["Party"]["properties"])
    published = json.loads((ROOT / "docs/reference/scenario.schema.json").read_text("utf-8"))
    assert (
        published["$defs"]["Option"]["properties"]["position"]
        == schema["$defs"]["Option"]["properties"]["position"]
    )
    assert (
        published["$defs"]["Party"]["properties"]["clout"]
        == schema["$defs"]["Party"]["properties"]["clout"]
    )
    assert np.isfinite(result.placement.stakeholders.position).all()


def test_agreeing_models_and_malformed_files(tmp_path: Path) -> None:
    data = json.loads(json.dumps(THREE_PARTIES))
    for party in data["parties"]:  # everyone wants the same: nothing to explain
        party["preferences"] = data["parties"][0]["preferences"]
    result = runner.invoke(app, ["forecast", str(_write(tmp_path, data))])
    assert result.exit_code == 0, result.output
    assert "The models agree on every issue." in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nissues: [\n", "utf-8")
    result = runner.invoke(app, ["forecast", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_genius_export_keeps_positions_and_clout(tmp_path: Path) -> None:
    data = json.loads(json.dumps(THREE_PARTIES))
    data["issues"][1]["options"] = [
        {"name": "none", "position": 0},
        {"name": "observers", "position": 62.5},
        {"name": "mission", "position": 100},
    ]
    data["parties"][0]["clout"] = 75
    data["parties"][0]["clout_rationale"] = "Holds the high ground."
    scenario = Scenario.model_validate(data)
    save_scenario(scenario, tmp_path / "g")
    again = load_scenario(tmp_path / "g")
    assert [o.position for o in again.issues[1].options] == [0.0, 62.5, 100.0]  # type: ignore[union-attr]
    assert again.parties[0].clout == 75.0
    assert again.parties[0].clout_rationale == "Holds the high ground."
    assert again.parties[1].clout is None
