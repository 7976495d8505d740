"""Safe reading and atomic writing (``detente.files``), and who may import what.

Every command writes through :func:`~detente.files.atomic_write_text` or
:func:`~detente.files.atomic_path`; the command line and the forecast import only names that
a module of another package lists in its ``__all__``, never a private module.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from detente.errors import FormatError
from detente.files import MAX_FILE_BYTES, atomic_path, atomic_write_text, read_bytes

SRC = Path(__file__).resolve().parents[1] / "src" / "detente"


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old")

    def fail_half_way() -> None:
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_half_way()
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path
        assert target.read_text() == "old"  # nothing moves until the block ends
        tmp.write_text("new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_text_is_written_whole_with_its_folders_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b.txt"
    atomic_write_text(target, "één\nline\n")
    assert target.read_bytes() == "één\nline\n".encode()
    with pytest.raises(FileNotFoundError):
        atomic_write_text(tmp_path / "missing" / "c.txt", "x", make_folder=False)
    assert not (tmp_path / "missing").exists()


def test_reading_refuses_what_is_too_big(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(FormatError, match=r"over the 0\.000976562 MiB limit for input files"):
        read_bytes(big, limit=1024)
    assert read_bytes(big) == b"x" * 2048
    assert MAX_FILE_BYTES == 20 * 2**20


def _imports(package: str) -> list[tuple[Path, int, str, str]]:
    """(file, line, module, name) of every ``from detente... import name`` in ``package``."""
    out = []
    for file in sorted((SRC / package).rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("detente"):
                out += [(file, node.lineno, str(node.module), a.name) for a in node.names]
            elif isinstance(node, ast.Import):
                out += [(file, node.lineno, a.name, "") for a in node.names]
    return out


def _is_public(module: str, name: str) -> bool:
    if any(part.startswith("_") for part in module.split(".")) or name.startswith("_"):
        return False
    if not name:
        return True
    imported = importlib.import_module(module)
    if name in getattr(imported, "__all__", ()):
        return True
    try:  # "from detente.analysis import pareto": a public submodule
        importlib.import_module(f"{module}.{name}")
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("package", ["cli", "forecast"])
def test_the_cli_and_the_forecast_import_only_public_names(package: str) -> None:
    own = f"detente.{package}"
    wrong = [
        f"{file.relative_to(SRC)}:{line}: from {module} import {name}"
        for file, line, module, name in _imports(package)
        if module.startswith("detente")
        and not module.startswith(own)
        and not _is_public(module, name)
    ]
    assert wrong == []


def test_the_public_name_check_catches_private_imports() -> None:
    assert not _is_public("detente.scenario.formats._files", "loads_json")
    assert not _is_public("detente.scenario.formats.native", "_MERGE_TAG")
    assert not _is_public("detente.space", "_RuleTables")  # not in __all__ either way
    assert not _is_public("detente.space", "math")  # imported there, not exported
    assert _is_public("detente.space", "OutcomeSpace")
    assert _is_public("detente.analysis", "pareto")
    assert _is_public("detente.files", "")
