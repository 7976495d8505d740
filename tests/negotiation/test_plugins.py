"""Strategies from other packages: entry points, --import, registering a name again."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.errors import DetenteError
from detente.negotiation import REGISTRY, make_strategy, negotiate, plugins
from detente.negotiation.plugins import ENTRY_POINT_GROUP, import_strategies, load_entry_points
from detente.negotiation.strategies import RegistryWarning
from detente.scenario import save_scenario
from detente.space import OutcomeSpace
from tests.negotiation.conftest import pie

runner = CliRunner()
LAUNCH = "import sys; from detente.cli import main; sys.argv[0] = 'detente'; main()"
PLUGIN = Path(__file__).parents[1] / "data" / "strategy-plugin"


def install(site: Path, entry_points: dict[str, str] | None = None) -> None:
    """Install the fixture package into ``site`` as pip lays out an installed distribution.

    The package's files go in as they are; its ``*.dist-info`` records the entry points its
    ``pyproject.toml`` declares (or ``entry_points``), which is all ``importlib.metadata``
    reads to find them.
    """
    project = tomllib.loads((PLUGIN / "pyproject.toml").read_text())["project"]
    shutil.copytree(PLUGIN / "src" / "floor_boulware", site / "floor_boulware")
    info = site / f"floor_boulware-{project['version']}.dist-info"
    info.mkdir()
    info.joinpath("METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    declared = entry_points or project["entry-points"][ENTRY_POINT_GROUP]
    lines = [f"[{ENTRY_POINT_GROUP}]", *(f"{k} = {v}" for k, v in declared.items())]
    info.joinpath("entry_points.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture
def clean_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Entry points not yet loaded; the registry and modules as they were afterwards."""
    registry = dict(REGISTRY)
    modules = set(sys.modules)
    monkeypatch.setitem(plugins._STATE, "loaded", False)
    monkeypatch.setattr(plugins, "_IMPORTED", [])
    yield
    REGISTRY.clear()
    REGISTRY.update(registry)
    for name in set(sys.modules) - modules:
        del sys.modules[name]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_registry: None) -> Path:
    """A site folder on ``sys.path`` with the fixture package installed."""
    folder = tmp_path / "site"
    folder.mkdir()
    install(folder)
    monkeypatch.syspath_prepend(str(folder))
    return folder


@pytest.fixture
def pie_file(tmp_path: Path) -> Path:
    path = tmp_path / "pie.yaml"
    save_scenario(pie(20), path)
    return path


def test_an_installed_package_is_found_through_its_entry_point(site: Path) -> None:
    assert "floor-boulware" not in REGISTRY
    strategy = make_strategy("floor-boulware:floor=0.7")  # unknown: entry points are loaded
    assert type(strategy).__module__ == "floor_boulware"
    assert strategy.params == {"e": 0.2, "floor": 0.7}
    space = OutcomeSpace.from_scenario(pie(20))
    trace = negotiate(space, [strategy, "conceder"], rounds=30, seed=1)
    assert trace.utilities[trace.proposers == 0, 0].min() >= 0.7  # never below its floor
    assert load_entry_points() == ()  # once per process
    assert load_entry_points(again=True) == ("floor-boulware",)


def test_the_command_line_plays_an_installed_strategy(site: Path, pie_file: Path) -> None:
    listed = runner.invoke(app, ["strategies", "--json"])
    assert "floor-boulware" in [s["name"] for s in json.loads(listed.stdout)]
    out = runner.invoke(
        app,
        [
            "tournament",
            str(pie_file),
            "-s",
            "floor-boulware,conceder",
            "--deadline",
            "20",
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert [s["strategy"] for s in data["by_strategy"]] == ["floor-boulware", "conceder"]
    floor = [r for r in data["sessions"] if r["strategy"] == "floor-boulware"]
    assert len(floor) == 4  # two seatings against conceder, both seats against itself
    assert all(r["utility"] >= 0.6 or not r["agreement"] for r in floor)


def test_the_detente_command_finds_the_entry_point(tmp_path: Path, pie_file: Path) -> None:
    """The installed ``detente`` script, in a process of its own, as a user runs it."""
    folder = tmp_path / "site"
    folder.mkdir()
    install(folder)
    src = Path(__file__).parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(folder)])}
    script = Path(sys.executable).with_name("detente")
    launcher = [str(script)] if script.exists() else [sys.executable, "-c", LAUNCH]
    command = [*launcher, "negotiate", str(pie_file)]
    done = subprocess.run(
        [*command, "-s", "floor-boulware:floor=0.65,conceder", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["strategies"] == {"A": "floor-boulware:floor=0.65", "B": "conceder"}
    assert data["utilities"]["A"] >= 0.65


def test_import_option_takes_a_module_or_a_file(
    tmp_path: Path, pie_file: Path, monkeypatch: pytest.MonkeyPatch, clean_registry: None
) -> None:
    source = textwrap.dedent(
        '''
        from typing import ClassVar
        from detente.negotiation import register
        from detente.negotiation.strategies import TimeDependent

        @register
        class Stubborn(TimeDependent):
            """Boulware with e = 0.05."""

            name: ClassVar[str] = "stubborn"
            family: ClassVar[str] = "time-dependent"
            source: ClassVar[str] = "a test"
            parameters: ClassVar[dict[str, float]] = {"e": 0.05}
        '''
    )
    (tmp_path / "lab_strategies.py").write_text(source)
    (tmp_path / "other.py").write_text(source.replace("stubborn", "stubborn-too"))
    monkeypatch.syspath_prepend(str(tmp_path))
    args = ["negotiate", str(pie_file), "-s", "stubborn,stubborn-too", "--json"]
    missing = runner.invoke(app, args)
    assert missing.exit_code == 2
    assert "unknown strategy 'stubborn'" in missing.output
    out = runner.invoke(
        app, [*args, "--import", "lab_strategies", "--import", str(tmp_path / "other.py")]
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["strategies"] == {"A": "stubborn", "B": "stubborn-too"}
    assert plugins.imported_modules() == ("lab_strategies", str(tmp_path / "other.py"))
    assert import_strategies(str(tmp_path / "other.py")) == ("stubborn-too",)  # imported once
    # a tournament's workers import the same modules before they play
    tour = runner.invoke(
        app,
        [
            "tournament",
            str(pie_file),
            "-s",
            "stubborn,linear",
            "--deadline",
            "10",
            "--workers",
            "2",
            "--import",
            "lab_strategies",
            "--json",
        ],
    )
    assert tour.exit_code == 0, tour.output


def test_import_failures_name_the_module(
    tmp_path: Path, pie_file: Path, clean_registry: None
) -> None:
    out = runner.invoke(app, ["negotiate", str(pie_file), "--import", "no_such_module_here"])
    assert out.exit_code == 2
    assert "--import: cannot import 'no_such_module_here': ModuleNotFoundError" in out.output
    out = runner.invoke(app, ["strategies", "--import", str(tmp_path / "absent.py")])
    assert out.exit_code == 2
    assert "absent.py: --import: no such file" in out.output
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('boom')\n")
    with pytest.raises(DetenteError, match="RuntimeError: boom"):
        import_strategies(str(broken))
    assert "broken" not in sys.modules


def test_a_broken_entry_point_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_registry: None
) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    install(folder, {"gone": "floor_boulware:Missing", "module": "floor_boulware"})
    monkeypatch.syspath_prepend(str(folder))
    with pytest.raises(DetenteError, match=r"cannot load entry point 'gone' .* of floor-boulware"):
        load_entry_points()
    assert not plugins._STATE["loaded"]  # looked at again once fixed


def test_an_entry_point_must_name_a_strategy_or_a_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_registry: None
) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    install(folder, {"module": "floor_boulware", "odd": "floor_boulware:__all__"})
    monkeypatch.syspath_prepend(str(folder))
    with pytest.raises(DetenteError, match="names neither a strategy class nor a module"):
        load_entry_points()


def test_a_notebook_cell_run_twice_replaces_the_class(clean_registry: None) -> None:
    cell = textwrap.dedent(
        '''
        from typing import ClassVar
        from detente.negotiation import Strategy, register

        @register
        class Cell(Strategy):
            """Offers its best deal; accepts anything."""

            name: ClassVar[str] = "cell"
            family: ClassVar[str] = "test"
            source: ClassVar[str] = "a test"

            def propose(self, time):
                return int(self.view.order[-1])

            def accepts(self, time, offer):
                return ANSWER
        '''
    )
    exec(cell.replace("ANSWER", "True"), {})
    first = REGISTRY["cell"]
    with pytest.warns(RegistryWarning, match="'cell' registered again"):
        exec(cell.replace("ANSWER", "False"), {})
    assert REGISTRY["cell"] is not first
    space = OutcomeSpace.from_scenario(pie(10))
    trace = negotiate(space, ["conceder", "cell"], rounds=5)
    assert trace.proposers[-1] == 1  # the new cell accepted nothing: conceder took its offer
