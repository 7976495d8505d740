"""Placeholder: being implemented (issue 7)."""

from __future__ import annotations

from pathlib import Path

from detente.errors import UnsupportedError
from detente.scenario.model import Scenario


def load_geniusweb(path: Path) -> Scenario:
    raise UnsupportedError("geniusweb import is not implemented yet", source=path)


def save_geniusweb(scenario: Scenario, folder: Path) -> list[Path]:
    raise UnsupportedError("geniusweb export is not implemented yet", source=folder)


def is_geniusweb_folder(path: Path) -> bool:
    return False


def is_geniusweb_file(path: Path) -> bool:
    return False
