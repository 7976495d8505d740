"""Every command of the README's quick start runs as written and reaches what its comment claims.

The briefing lines are checked in ``tests/brief/test_readme.py`` (they need Chromium); this
module covers the others, so a quick start that stops working fails the suite.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from detente.cli import app
from detente.scenario import load_scenario

README = Path(__file__).resolve().parents[1] / "README.md"
QUICK_START = README.read_text(encoding="utf-8").split("## Quick start")[1].split("```")[1]
EXAMPLES = [
    line.removeprefix("$ ").split("#")[0].strip()
    for line in QUICK_START.splitlines()
    if line.startswith("$ detente ") and not line.startswith("$ detente brief ")
]
PARTIES = load_scenario("ceasefire-2025").party_names


def _text(result: Result) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(result.stdout.split())


def _analyze(result: Result, _: Path) -> None:
    text = _text(result)
    assert "recommended" in text.lower()
    assert "Sweeteners" in text


def _analyze_html(_: Result, where: Path) -> None:
    page = (where / "report.html").read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html")
    assert "Pareto" in page


def _analyze_json(result: Result, _: Path) -> None:
    data = json.loads(result.stdout)
    recommended = data["recommended"]
    assert all(margin >= 0 for margin in recommended["margins"].values())
    assert 0 <= recommended["survival_1y"] <= 1


def _negotiate(result: Result, _: Path) -> None:
    text = _text(result)
    assert "agreement after" in text  # the talks reach a deal ...
    for party in PARTIES:  # ... with every party of the scenario seated
        assert f"{party}=" in text


def _tournament(result: Result, _: Path) -> None:
    text = _text(result)
    for strategy in ("boulware", "conceder", "frequency"):
        assert strategy in text
    assert f"{3 ** len(PARTIES)} x 10" in text  # every assignment of 3 strategies to the seats


def _scenarios(result: Result, _: Path) -> None:
    assert "ceasefire-2025" in result.stdout


def _show(result: Result, _: Path) -> None:
    text = _text(result)
    for party in PARTIES:
        assert party in text
    assert "Red lines" in text or "red line" in text.lower()


def _validate(result: Result, _: Path) -> None:
    assert _text(result).startswith(f"valid: ceasefire-2025: {len(PARTIES)} parties")


def _convert(_: Result, where: Path) -> None:
    written = sorted(p.name for p in (where / "out").glob("*.xml"))
    assert len(written) == 1 + len(PARTIES)  # a domain and one profile per party


def _forecast(result: Result, _: Path) -> None:
    text = _text(result)
    assert "Where it settles" in text
    assert "deal" in text.lower()


def _durability(result: Result, _: Path) -> None:
    text = _text(result)
    assert "Reference class:" in text
    assert "Still holding at one year:" in text
    assert "Swapping one option" in text  # --compare: what helps


CLAIMS: dict[str, Callable[[Result, Path], None]] = {
    "analyze ceasefire-2025": _analyze,
    "analyze ceasefire-2025 --html report.html": _analyze_html,
    "analyze ceasefire-2025 --json": _analyze_json,
    "negotiate ceasefire-2025 --strategies boulware,conceder --deadline 100": _negotiate,
    "tournament ceasefire-2025 --strategies boulware,conceder,frequency --repetitions 10": (
        _tournament
    ),
    "scenarios": _scenarios,
    "show ceasefire-2025": _show,
    "validate my-talks.yaml": _validate,
    "convert my-talks.yaml out/": _convert,
    "forecast ceasefire-2025": _forecast,
    "durability ceasefire-2025 --deal nash --compare": _durability,
}


def test_every_quick_start_example_has_a_claim() -> None:
    assert sorted(e.removeprefix("detente ") for e in EXAMPLES) == sorted(CLAIMS)


@pytest.mark.slow
@pytest.mark.parametrize("command", EXAMPLES)
def test_each_example_runs_and_reaches_its_claim(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builtin = files("detente.scenario.builtin").joinpath("ceasefire-2025.yaml")
    (tmp_path / "my-talks.yaml").write_text(builtin.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, shlex.split(command)[1:])
    assert result.exit_code == 0, result.output
    CLAIMS[command.removeprefix("detente ")](result, tmp_path)
