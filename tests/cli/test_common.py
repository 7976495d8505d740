"""What every command shares: JSON rendering of results, the entry point, seeds."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import typer

from detente._rng import as_generator, check_seed, spawn_seeds
from detente.cli import main
from detente.cli._common import EXIT_BAD_INPUT, guarded, print_json, to_plain
from detente.errors import DetenteError, RepairWarning
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


@pytest.mark.parametrize("seed", [-1, 1.5, "7", True])
def test_a_bad_seed_is_refused_by_name(seed: object) -> None:
    with pytest.raises(DetenteError, match="seed"):
        check_seed(seed)  # type: ignore[arg-type]
    with pytest.raises(DetenteError, match="seed"):
        as_generator(seed)  # type: ignore[arg-type]
    with pytest.raises(DetenteError, match="seed"):
        spawn_seeds(seed, 2)  # type: ignore[arg-type]


def test_good_seeds_pass() -> None:
    for seed in (None, 0, 2**70, np.int64(3), np.random.SeedSequence(1)):
        check_seed(seed)  # type: ignore[arg-type]


def test_guarded_shows_every_warning_once_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    @guarded
    def command() -> None:
        warnings.warn("file.xml: repaired a quirk", RepairWarning, stacklevel=1)
        warnings.warn("not a terminal: the password will be echoed", UserWarning, stacklevel=1)
        raise DetenteError("bad field", source="file.xml", field="x")

    # a warning that is not a repair used to be recorded again while shown, looping forever
    with warnings.catch_warnings(record=True) as outer:
        warnings.simplefilter("always")
        with pytest.raises(typer.Exit) as info:
            command()
    assert info.value.exit_code == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.count("repaired a quirk") == 1
    assert "error: file.xml: x: bad field" in err
    assert [str(w.message) for w in outer] == ["not a terminal: the password will be echoed"]


def test_guarded_turns_an_unwritable_path_into_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "report.html"

    @guarded
    def command() -> None:
        target.write_text("x")

    with pytest.raises(typer.Exit) as info:
        command()
    assert info.value.exit_code == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert err == f"error: {target}: No such file or directory"


def test_guarded_lets_other_os_errors_through() -> None:
    @guarded
    def command() -> None:
        raise OSError("no file named")

    with pytest.raises(OSError, match="no file named"):
        command()
