"""Every command answers ``--help``; the scenario commands run on the built-in scenario."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from detente._rng import as_generator, spawn_seeds
from detente.cli import app

runner = CliRunner()


def _command_paths() -> list[list[str]]:
    root = get_command(app)
    paths: list[list[str]] = [[]]

    def walk(command: object, prefix: list[str]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            paths.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "detente")
def test_every_command_answers_help(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_scenario_commands_on_the_builtin(tmp_path: Path) -> None:
    listed = runner.invoke(app, ["scenarios", "--json"])
    assert listed.exit_code == 0, listed.output
    names = [row["name"] for row in json.loads(listed.output)]
    assert "ceasefire-2025" in names
    assert "ceasefire-2025" in runner.invoke(app, ["scenarios"]).output
    shown = runner.invoke(app, ["show", "ceasefire-2025"])
    assert shown.exit_code == 0, shown.output
    assert "Parties" in shown.output
    as_json = json.loads(runner.invoke(app, ["show", "ceasefire-2025", "--json"]).output)
    assert as_json["name"] == "ceasefire-2025"
    valid = runner.invoke(app, ["validate", "ceasefire-2025"])
    assert "valid" in valid.output
    for suffix in (".yaml", ".json"):
        out = tmp_path / f"copy{suffix}"
        converted = runner.invoke(app, ["convert", "ceasefire-2025", str(out)])
        assert converted.exit_code == 0, converted.output
        again = runner.invoke(app, ["show", str(out), "--json"])
        assert json.loads(again.output)["parties"] == as_json["parties"]
    schema = runner.invoke(app, ["schema"])
    assert schema.exit_code == 0
    assert "detente scenario" in schema.output


def test_unknown_scenario_exits_2() -> None:
    result = runner.invoke(app, ["show", "no-such-scenario"])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_seeds_are_reproducible() -> None:
    a = as_generator(7).random(3)
    assert np.array_equal(a, as_generator(7).random(3))
    gen = np.random.default_rng(1)
    assert as_generator(gen) is gen
    first = [s.generate_state(1)[0] for s in spawn_seeds(11, 3)]
    assert first == [s.generate_state(1)[0] for s in spawn_seeds(np.random.SeedSequence(11), 3)]
    assert len(set(first)) == 3


def test_app_is_a_typer_app() -> None:
    assert isinstance(app, typer.Typer)
