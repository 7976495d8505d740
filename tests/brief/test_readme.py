"""The README's briefing examples run as written and reach what they claim."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLES = [
    line.removeprefix("$ ").split("#")[0].strip()
    for line in README.read_text(encoding="utf-8").splitlines()
    if line.startswith("$ detente brief ")
]


def test_the_readme_shows_the_briefing_first() -> None:
    quick_start = README.read_text(encoding="utf-8").split("## Quick start")[1]
    first = next(line for line in quick_start.splitlines() if line.startswith("$ detente"))
    assert first.startswith("$ detente brief ceasefire-2025")
    assert len(EXAMPLES) == 2


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("command", EXAMPLES)
def test_each_example_runs(command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = shlex.split(command)[1:]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    if "--pdf" in args:
        target = tmp_path / args[args.index("--pdf") + 1]
        assert target.read_bytes().startswith(b"%PDF")
        assert f"wrote {target.name}" in result.stdout
    else:
        for claim in ("The recommended deal.", "Sweeteners", "Will it hold?"):
            assert claim in result.stdout
