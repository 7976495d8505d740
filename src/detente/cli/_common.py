"""What every command shares: one-line errors with exit 2, warnings, JSON output."""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import math
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape

from detente.errors import DetenteError, RepairWarning

__all__ = [
    "EXIT_BAD_INPUT",
    "DealOption",
    "console",
    "err_console",
    "guarded",
    "print_json",
    "to_plain",
    "writable_output",
]

EXIT_BAD_INPUT = 2

console = Console()
err_console = Console(stderr=True)

#: The ``--deal`` option of the commands that take one deal (durability, precedents).
DealOption = Annotated[
    str,
    typer.Option(
        help="nash, kalai_smorodinsky, egalitarian, utilitarian, 'issue=option,...', "
        "a JSON object or a YAML/JSON file."
    ),
]

P = ParamSpec("P")
R = TypeVar("R")


def guarded(func: Callable[P, R]) -> Callable[P, R]:
    """Run a command: repair warnings go to stderr; bad input becomes one line, exit 2.

    Bad input is a ``DetenteError``, or an ``OSError`` on a named path (an output file whose
    folder does not exist, a path that cannot be written).
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        failure: DetenteError | None = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RepairWarning)
            try:
                result = func(*args, **kwargs)
            except DetenteError as exc:
                failure = exc
            except OSError as exc:
                if exc.filename is None:
                    raise
                failure = DetenteError(exc.strerror or type(exc).__name__, source=exc.filename)
        # shown once recording has stopped: a warning shown inside would be recorded again
        _show_warnings(caught)
        if failure is not None:
            err_console.print(
                f"[bold red]error:[/] {escape(str(failure))}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(EXIT_BAD_INPUT) from None
        return result

    return wrapper


def _show_warnings(caught: list[warnings.WarningMessage]) -> None:
    for w in caught:
        if issubclass(w.category, RepairWarning):
            err_console.print(f"[yellow]warning:[/] {w.message}", highlight=False, soft_wrap=True)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def to_plain(obj: Any) -> Any:  # noqa: PLR0911 - one branch per type
    """A JSON-ready copy of a result object (dataclasses, numpy values, paths, enums)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_plain(obj.tolist())
    if isinstance(obj, np.generic):
        return to_plain(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, Path):
        return str(obj)
    return obj


def print_json(obj: Any) -> None:
    """Print ``obj`` as JSON on stdout (machine output: no colours, no wrapping)."""
    sys.stdout.write(json.dumps(to_plain(obj), indent=2, ensure_ascii=False) + "\n")


def writable_output(path: Path | None, option: str, suffixes: tuple[str, ...]) -> None:
    """Refuse an output path before any work: wrong suffix, missing folder, or a folder."""
    if path is None:
        return
    if path.suffix.lower() not in suffixes:
        raise DetenteError(f"use a {' or '.join(suffixes)} file", source=path, field=option)
    if not path.parent.is_dir():
        raise DetenteError(f"no such folder {str(path.parent)!r}", source=path, field=option)
    if path.is_dir():
        raise DetenteError("is a folder, not a file", source=path, field=option)
