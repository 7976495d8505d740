"""What every command shares: JSON rendering of results, the entry point, seeds."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from detente._rng import as_generator
from detente.cli import main
from detente.cli._common import print_json, to_plain
from detente.scenario.model import Role


@dataclasses.dataclass(frozen=True)
class _Result:
    name: str
    values: np.ndarray
    best: np.float64
    role: Role
    path: Path
    missing: float
    pairs: tuple[int, ...]


def test_results_render_as_plain_json(capsys: pytest.CaptureFixture[str]) -> None:
    result = _Result(
        name="x",
        values=np.array([1.5, 2.0]),
        best=np.float64(0.25),
        role=Role.MEDIATOR,
        path=Path("a/b"),
        missing=math.nan,
        pairs=(1, 2),
    )
    print_json({"result": result, 3: [math.inf]})
    data = json.loads(capsys.readouterr().out)
    assert data == {
        "result": {
            "name": "x",
            "values": [1.5, 2.0],
            "best": 0.25,
            "role": "mediator",
            "path": "a/b",
            "missing": None,
            "pairs": [1, 2],
        },
        "3": [None],
    }
    assert to_plain(_Result) is _Result  # a dataclass type is not an instance


def test_main_runs_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["detente", "--help"])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 0


def test_as_generator_passes_generators_through() -> None:
    generator = np.random.default_rng(1)
    assert as_generator(generator) is generator
    assert as_generator(5).random() == np.random.default_rng(5).random()
