"""Load and save scenarios by path, folder or built-in name; the format follows the path.

- ``*.yaml``, ``*.yml``, ``*.json``: native format (a ``*.json`` holding a GeniusWeb domain or
  profile is read as GeniusWeb);
- ``*.xml``: a GENIUS domain file, read with the profiles beside it;
- a folder: a GENIUS folder (one domain file and its profiles) or a GeniusWeb folder;
- a bare name such as ``ceasefire-2025``: a built-in scenario.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from detente.errors import FormatError
from detente.scenario.formats import genius, geniusweb
from detente.scenario.formats.native import load_native, save_native
from detente.scenario.model import Scenario

__all__ = ["builtin_names", "builtin_path", "load_scenario", "save_scenario"]

_NATIVE = {".yaml", ".yml", ".json"}


def builtin_names() -> list[str]:
    """Names of the scenarios shipped with detente."""
    folder = resources.files("detente.scenario.builtin")
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def builtin_path(name: str) -> Path:
    """Path of the built-in scenario ``name``."""
    return Path(str(resources.files("detente.scenario.builtin").joinpath(f"{name}.yaml")))


def load_scenario(spec: str | Path) -> Scenario:
    """Load a scenario from a file, a folder or a built-in name.

    Raises:
        FormatError: the path does not exist or its format is unknown or malformed.
        ScenarioError: the content is not a valid scenario.
    """
    path = Path(spec)
    if not path.exists():
        if isinstance(spec, str) and spec in builtin_names():
            return load_native(builtin_path(spec))
        hint = ", ".join(builtin_names())
        raise FormatError(
            f"no such file, folder or built-in scenario (built-ins: {hint})", source=spec
        )
    if path.is_dir():
        if geniusweb.is_geniusweb_folder(path):
            return geniusweb.load_geniusweb(path)
        return genius.load_genius(path)
    suffix = path.suffix.lower()
    if suffix == ".json" and geniusweb.is_geniusweb_file(path):
        return geniusweb.load_geniusweb(path)
    if suffix in _NATIVE:
        return load_native(path)
    if suffix == ".xml":
        return genius.load_genius(path)
    raise FormatError(
        "unknown scenario format (expected .yaml, .yml, .json, .xml or a folder)", source=path
    )


def save_scenario(scenario: Scenario, spec: str | Path) -> list[Path]:
    """Save ``scenario``; the format follows the path. Returns the files written.

    ``*.yaml``/``*.yml``/``*.json``: native; ``*.xml``: GENIUS XML, this file being the domain
    and one profile per party beside it; a path without suffix or naming an existing folder:
    GENIUS XML in that folder; a folder path ending in ``.geniusweb``: GeniusWeb JSON.
    """
    path = Path(spec)
    suffix = path.suffix.lower()
    if suffix in _NATIVE:
        save_native(scenario, path)
        return [path]
    if suffix == ".geniusweb":
        return geniusweb.save_geniusweb(scenario, path)
    if suffix == ".xml":
        return genius.save_genius(scenario, path.parent, domain_file=path.name)
    if suffix == "" or path.is_dir():
        return genius.save_genius(scenario, path)
    raise FormatError(
        "unknown output format (use .yaml, .json, .xml, a folder, or *.geniusweb)", source=path
    )
