"""Placeholder: being implemented (issue 7)."""

from __future__ import annotations

from pathlib import Path

from detente.errors import UnsupportedError
from detente.scenario.model import Scenario


def load_geniusweb(path: Path) -> Scenario:
    """Read a GeniusWeb domain (not implemented yet)."""
    raise UnsupportedError("geniusweb import is not implemented yet", source=path)


def save_geniusweb(scenario: Scenario, folder: Path) -> list[Path]:  # noqa: ARG001
    """Write a GeniusWeb domain (not implemented yet)."""
    raise UnsupportedError("geniusweb export is not implemented yet", source=folder)


def is_geniusweb_folder(path: Path) -> bool:  # noqa: ARG001
    """Tell whether *path* is a GeniusWeb domain folder (not recognised yet)."""
    return False


def is_geniusweb_file(path: Path) -> bool:  # noqa: ARG001
    """Tell whether *path* is a GeniusWeb JSON file (not recognised yet)."""
    return False
