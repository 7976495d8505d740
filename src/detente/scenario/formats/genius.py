"""Placeholder: being implemented (issue 7)."""

from __future__ import annotations

from pathlib import Path

from detente.errors import UnsupportedError
from detente.scenario.model import Scenario


def load_genius(path: Path) -> Scenario:
    """Read a GENIUS domain (not implemented yet)."""
    raise UnsupportedError("genius import is not implemented yet", source=path)


def save_genius(scenario: Scenario, folder: Path) -> list[Path]:  # noqa: ARG001
    """Write a GENIUS domain (not implemented yet)."""
    raise UnsupportedError("genius export is not implemented yet", source=folder)
