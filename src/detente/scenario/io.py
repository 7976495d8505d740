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
from detente.files import atomic_write_text
from detente.scenario.formats import genius, geniusweb
from detente.scenario.formats.native import dump_native, load_native
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


def save_scenario(scenario: Scenario, spec: str | Path, *, overwrite: bool = True) -> list[Path]:
    """Save ``scenario``; the format follows the path. Returns the files written.

    ``*.yaml``/``*.yml``/``*.json``: native; ``*.xml``: GENIUS XML, this file being the domain
    and one profile per party beside it; a path without suffix or naming an existing folder:
    GENIUS XML in that folder; a folder path ending in ``.geniusweb``: GeniusWeb JSON.

    Every file is computed and every check made before anything is written.

    Raises:
        FormatError: an output file exists and ``overwrite`` is false; or the GENIUS/GeniusWeb
            folder already holds other files of its format (read back, they would mix with this
            scenario's); or the output format is unknown.
        UnsupportedError: the format cannot express the scenario.
    """
    path = Path(spec)
    texts, folder, pattern = _output_texts(scenario, path)
    if folder is not None and folder.is_dir():
        others = sorted(p.name for p in folder.glob(pattern) if p not in texts)
        if others:
            shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
            raise FormatError(
                f"already holds other {pattern} files ({shown}); a folder holds one scenario, "
                "so reading it back would mix them: write to a new folder",
                source=folder,
            )
    if not overwrite:
        for target in texts:
            if target.exists():
                raise FormatError(
                    "exists already; not overwritten (--force overwrites)", source=target
                )
    for target, text in texts.items():
        atomic_write_text(target, text)
    return list(texts)


def _output_texts(scenario: Scenario, path: Path) -> tuple[dict[Path, str], Path | None, str]:
    """Path -> text of every file to write, the scenario folder (if any) and its file pattern."""
    suffix = path.suffix.lower()
    if suffix in _NATIVE:
        return {path: dump_native(scenario, as_json=suffix == ".json")}, None, ""
    if suffix == ".geniusweb":
        texts = geniusweb.geniusweb_texts(scenario)
        return {path / name: text for name, text in texts.items()}, path, "*.json"
    if suffix == ".xml":
        texts = genius.genius_texts(scenario, domain_file=path.name)
        return {path.parent / name: text for name, text in texts.items()}, path.parent, "*.xml"
    if suffix == "" or path.is_dir():
        texts = genius.genius_texts(scenario)
        return {path / name: text for name, text in texts.items()}, path, "*.xml"
    raise FormatError(
        "unknown output format (use .yaml, .json, .xml, a folder, or *.geniusweb)", source=path
    )
