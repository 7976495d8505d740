"""The scenario commands: scenarios, show, validate, convert, schema; and --help everywhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from detente.cli import app
from detente.scenario.formats.native import json_schema
from detente.scenario.io import load_scenario
from detente.space import OutcomeSpace

runner = CliRunner()
DATA = Path(__file__).parents[1] / "data"


def _commands(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path of the click tree under ``command`` (groups included)."""
    out = [path]
    subcommands = getattr(command, "commands", None)  # a group (typer bundles its own click)
    if isinstance(subcommands, dict):
        for name, sub in subcommands.items():
            out.extend(_commands(sub, (*path, name)))
    return out


ALL_COMMANDS = _commands(typer.main.get_command(app))


def test_the_tree_has_the_scenario_commands() -> None:
    names = {c[0] for c in ALL_COMMANDS if c}
    assert {"scenarios", "show", "validate", "convert", "schema"} <= names


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=lambda p: " ".join(p) or "detente")
def test_help_of_every_command(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("path", [p for p in ALL_COMMANDS if p], ids=" ".join)
def test_every_command_is_in_the_cli_reference(path: tuple[str, ...]) -> None:
    reference = (Path(__file__).resolve().parents[2] / "docs" / "reference" / "cli.md").read_text()
    top = f"detente {path[0]}"
    assert top in reference
    assert path[-1] in reference


def test_scenarios_lists_the_builtins() -> None:
    result = runner.invoke(app, ["scenarios"])
    assert result.exit_code == 0
    assert "ceasefire-2025" in result.output
    rows = json.loads(runner.invoke(app, ["scenarios", "--json"]).output)
    assert rows[0]["name"] == "ceasefire-2025"
    assert "Russia" in rows[0]["parties"]


def test_show_prints_readable_tables_and_json() -> None:
    result = runner.invoke(app, ["show", "ceasefire-2025"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for text in ("Parties", "Issues", "Russia", "red line", "ASSUMPTION"):
        assert text in result.output
    data = json.loads(runner.invoke(app, ["show", "ceasefire-2025", "--json"]).output)
    assert data["name"] == "ceasefire-2025"
    assert len(data["parties"]) == len(load_scenario("ceasefire-2025").parties)


def test_show_prints_option_names_beside_labels() -> None:
    result = runner.invoke(app, ["show", "ceasefire-2025"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    model = load_scenario("ceasefire-2025")
    for issue in model.issues:
        assert f"({issue.name})" in result.output
        for option in issue.options:
            assert f"{option.display} ({option.name})" in result.output


def test_version_prints_the_package_version() -> None:
    import detente  # noqa: PLC0415

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"detente {detente.__version__}\n"


def test_show_at_80_columns_wraps_instead_of_cropping() -> None:
    result = runner.invoke(app, ["show", "ceasefire-2025"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "…" not in result.output  # rich marks a cropped cell with an ellipsis
    assert max(len(line) for line in result.output.splitlines()) <= 80


def test_show_gives_red_lines_by_label() -> None:
    result = runner.invoke(app, ["show", "ceasefire-2025"], env={"COLUMNS": "400"})
    assert "red line: Russian forces withdraw to the February 2022 line" in result.output
    assert "red line: withdrawal" not in result.output


def test_show_sums_up_long_option_lists(tmp_path: Path) -> None:
    options = [f"option {k}" for k in range(15)] + ["[bold]literal[/bold]"]
    raw = {
        "name": "long",
        "issues": [
            {
                "name": "many",
                "options": [{"name": f"o{k}", "label": t} for k, t in enumerate(options)],
            },
            {"kind": "integer", "name": "count", "low": 0, "high": 100},
        ],
        "parties": [
            {
                "name": "a",
                "red_lines": {"many": ["o15"]},
                "reservation_value": 0.0,
                "preferences": {
                    "issues": {
                        "many": {"weight": 1, "values": {f"o{k}": k for k in range(16)}},
                        "count": {
                            "weight": 1,
                            "function": {"kind": "linear", "at_high": 1, "at_low": 0},
                        },
                    }
                },
            }
        ],
    }
    path = tmp_path / "long.json"
    path.write_text(json.dumps(raw))
    result = runner.invoke(app, ["show", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "option 11" in result.output
    assert "option 12" not in result.output
    assert "… 4 more" in result.output
    assert "… 89 more" in result.output  # 101 integer values, 12 shown
    assert "red line: [bold]literal[/bold]" in result.output  # labels are text, not markup


def test_show_a_rule_based_genius_domain() -> None:
    result = runner.invoke(app, ["show", str(DATA / "genius" / "anac2014")])
    assert result.exit_code == 0
    assert "rule-based" in result.output


def test_validate_reports_the_size() -> None:
    result = runner.invoke(app, ["validate", "ceasefire-2025"])
    assert result.exit_code == 0
    size = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025")).size
    assert f"{size:,} outcomes" in result.output


@pytest.mark.parametrize("target", ["out.yaml", "out.json", "out.xml", "folder/", "out.geniusweb"])
def test_convert_to_every_format_and_back(tmp_path: Path, target: str) -> None:
    out = tmp_path / target
    result = runner.invoke(app, ["convert", "ceasefire-2025", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
    back = load_scenario(out if not target.endswith(".xml") else tmp_path)
    a = OutcomeSpace.from_scenario(load_scenario("ceasefire-2025"))
    b = OutcomeSpace.from_scenario(back)
    order = [b.party_names.index(n) for n in a.party_names]  # GeniusWeb keeps no party order
    indices = np.arange(0, a.size, 7)
    np.testing.assert_allclose(b.utilities(indices)[:, order], a.utilities(indices), atol=1e-12)


def test_schema_prints_the_generated_schema() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.output) == json_schema()


def test_committed_schema_is_the_generated_one() -> None:
    committed = Path(__file__).parents[2] / "docs" / "reference" / "scenario.schema.json"
    assert json.loads(committed.read_text()) == json_schema(), "run `make docs-schema`"
