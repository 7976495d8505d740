"""Strategies from other packages: the ``detente.strategies`` entry points and ``--import``.

A package makes its strategies available to every detente command by declaring an entry point
in the group :data:`ENTRY_POINT_GROUP` (``pyproject.toml``)::

    [project.entry-points."detente.strategies"]
    floor-boulware = "floor_boulware:FloorBoulware"

The value is a :class:`~detente.negotiation.strategies.Strategy` subclass (registered under its
``name``) or a module (whose ``@register`` decorators run when it is imported). Entry points are
loaded once, the first time a name is not found in the registry or the catalogue is listed.
A module that is not installed can be imported by name with :func:`import_strategies` (the
``--import`` option of ``negotiate`` and ``tournament``).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from detente.errors import DetenteError
from detente.negotiation.strategies import REGISTRY, Strategy, register

__all__ = ["ENTRY_POINT_GROUP", "import_strategies", "imported_modules", "load_entry_points"]

#: The entry-point group packages declare their strategies in.
ENTRY_POINT_GROUP = "detente.strategies"

_STATE: dict[str, bool] = {"loaded": False}
#: Modules imported through :func:`import_strategies`, in order (workers import them too).
_IMPORTED: list[str] = []


def load_entry_points(*, again: bool = False) -> tuple[str, ...]:
    """Register the strategies every installed package declares; return their names.

    Loaded once per process (``again``: look again, e.g. after installing a package).

    Raises:
        DetenteError: an entry point cannot be loaded, or names neither a strategy class nor
            a module.
    """
    if _STATE["loaded"] and not again:
        return ()
    _STATE["loaded"] = True
    found: list[str] = []
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        where = f"entry point {entry.name!r} ({entry.value})"
        if entry.dist is not None:
            where += f" of {entry.dist.name}"
        try:
            target = entry.load()
        except Exception as exc:  # noqa: BLE001 - any failure of foreign code, named
            _STATE["loaded"] = False  # a fixed install is looked at again
            raise DetenteError(
                f"cannot load {where}: {type(exc).__name__}: {exc}", field=ENTRY_POINT_GROUP
            ) from None
        found.extend(_register_from(target, where))
    return tuple(found)


def import_strategies(module: str) -> tuple[str, ...]:
    """Import ``module`` and return the strategies it defines.

    ``module`` is a dotted name importable from ``sys.path`` (``my_lab.strategies``), or the
    path of a Python file (``strategies/mine.py``), imported as a module named after the file.

    Raises:
        DetenteError: the module cannot be found or fails on import.
    """
    name = module.strip()
    try:
        loaded = _import(name)
    except DetenteError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of foreign code, named
        raise DetenteError(
            f"cannot import {name!r}: {type(exc).__name__}: {exc}", field="--import"
        ) from None
    if name not in _IMPORTED:
        _IMPORTED.append(name)
    return _strategies_in(loaded)


def _import(name: str) -> ModuleType:
    if not name.endswith(".py"):
        return importlib.import_module(name)
    path = Path(name).resolve()
    if not path.is_file():
        raise DetenteError("no such file", source=name, field="--import")
    found = sys.modules.get(path.stem)
    if found is not None and getattr(found, "__file__", None) == str(path):
        return found
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has one
        raise DetenteError("not a Python module", source=name, field="--import")
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = loaded
    try:
        spec.loader.exec_module(loaded)
    except BaseException:
        del sys.modules[path.stem]
        raise
    return loaded


def imported_modules() -> tuple[str, ...]:
    """The modules imported through :func:`import_strategies`, in order."""
    return tuple(_IMPORTED)


def _strategies_in(module: ModuleType) -> tuple[str, ...]:
    """Names of the registered strategies defined in ``module`` (imported earlier)."""
    return tuple(n for n, cls in REGISTRY.items() if cls.__module__ == module.__name__)


def _register_from(target: object, where: str) -> list[str]:
    if isinstance(target, ModuleType):
        return list(_strategies_in(target))
    if isinstance(target, type) and issubclass(target, Strategy):
        if REGISTRY.get(target.name) is not target:
            register(target)
        return [target.name]
    raise DetenteError(
        f"{where} names neither a strategy class nor a module", field=ENTRY_POINT_GROUP
    )
