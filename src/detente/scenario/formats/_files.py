"""Safe file reading shared by every format: size limit, encoding, clear errors."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from detente.errors import FormatError

__all__ = ["MAX_FILE_BYTES", "atomic_write_text", "read_bytes"]

#: Files larger than this are refused before they are read (a scenario is kilobytes).
MAX_FILE_BYTES = 20 * 1024 * 1024


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """Read ``path`` whole, refusing files over ``limit`` bytes with a clear error."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FormatError(f"cannot read: {exc.strerror or exc}", source=path) from None
    if size > limit:
        raise FormatError(
            f"file is {size / 1e6:.1f} MB, over the {limit / 1e6:.0f} MB limit for scenario files",
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
