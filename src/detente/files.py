"""Reading input files safely and writing output files atomically, for every command.

Input: a file is refused whole, with a clear error naming it, when it cannot be read or is
larger than any input detente takes (:data:`MAX_FILE_BYTES`). Output: a file is written to a
temporary file beside it and moved into place only once complete (``os.replace``, atomic on
POSIX and Windows), so a failure part-way leaves the old file, or none, never half a file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from detente.errors import FormatError

__all__ = ["MAX_FILE_BYTES", "atomic_path", "atomic_write_text", "read_bytes"]

#: Files larger than this (20 MiB) are refused before they are read (a scenario is kilobytes).
MAX_FILE_BYTES = 20 * 1024 * 1024

_MIB = 1024 * 1024


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """Read ``path`` whole, refusing files over ``limit`` bytes with a clear error.

    Raises:
        FormatError: the file cannot be read, or is over ``limit`` bytes.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FormatError(f"cannot read: {exc.strerror or exc}", source=path) from None
    if size > limit:
        raise FormatError(
            f"file is {size / _MIB:.1f} MiB, over the {limit / _MIB:g} MiB limit for input files",
            source=path,
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read: {exc.strerror or exc}", source=path) from None


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; it replaces ``path`` when the block ends.

    For writers that take a file name (Parquet, CSV...). If the block raises, the temporary
    file is removed and ``path`` is left as it was. The folder must exist.
    """
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str, *, make_folder: bool = True) -> None:
    """Write ``text`` (UTF-8, LF line ends) to ``path``; a failure leaves nothing half-written.

    Args:
        path: the file to write.
        text: its content.
        make_folder: create the missing folders above ``path`` (else a missing folder is an
            ``OSError`` naming it).
    """
    if make_folder:
        path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
