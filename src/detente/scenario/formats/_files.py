"""Safe file reading shared by every format: size limit, encoding, clear errors."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from detente.errors import FormatError

__all__ = ["MAX_FILE_BYTES", "atomic_write_text", "dumps_json", "loads_json", "read_bytes"]

#: Files larger than this (20 MiB) are refused before they are read (a scenario is kilobytes).
MAX_FILE_BYTES = 20 * 1024 * 1024

_MIB = 1024 * 1024


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """Read ``path`` whole, refusing files over ``limit`` bytes with a clear error."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FormatError(f"cannot read: {exc.strerror or exc}", source=path) from None
    if size > limit:
        raise FormatError(
            f"file is {size / _MIB:.1f} MiB, over the {limit / _MIB:g} MiB limit for scenario "
            "files",
            source=path,
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read: {exc.strerror or exc}", source=path) from None


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a failure leaves nothing half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def loads_json(text: str, source: str | Path) -> Any:
    """Parse JSON text, refusing what a scenario never holds.

    Malformed text, a key given twice in one object, or nesting too deep to parse is a
    :class:`FormatError` naming ``source``.
    """
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise FormatError(f"malformed JSON: {exc.msg}", source=source, line=exc.lineno) from None
    except _DuplicateKeyError as exc:
        raise FormatError(f"malformed JSON: duplicate key {exc.key!r}", source=source) from None
    except RecursionError:
        raise FormatError("nested too deeply to be a scenario", source=source) from None


def dumps_json(data: Any) -> str:
    """JSON text as detente writes it: indented, UTF-8, one final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(key)
        out[key] = value
    return out
