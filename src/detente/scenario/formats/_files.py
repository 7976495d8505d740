"""JSON as every format reads and writes it (files are read and written by :mod:`detente.files`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from detente.errors import FormatError

__all__ = ["dumps_json", "loads_json"]


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
