"""The editor's YAML view: a document as native YAML text, and YAML text back to a document.

The text is read by the scenario reader's strict safe loader (no duplicate keys, no alias
bombs, bounded nesting), so what the view accepts is what ``detente validate`` would read; the
scenario itself is checked afterwards, field by field, like any edit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

from detente.errors import FormatError
from detente.monitor.auth import require_role
from detente.monitor.enums import READERS
from detente.monitor.errors import InputError
from detente.monitor.models import User
from detente.scenario.formats.native import parse_yaml

__all__ = ["MAX_YAML_CHARS", "document_from_yaml", "document_yaml"]

#: The longest YAML text the view reads (a scenario is a few dozen kilobytes).
MAX_YAML_CHARS = 1_000_000
_SOURCE = "the YAML"


def document_yaml(actor: User, document: Mapping[str, Any]) -> str:
    """``document`` as YAML, keys in the document's order (readers)."""
    require_role(actor, *READERS)
    return yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True, width=100)


def document_from_yaml(actor: User, text: str) -> dict[str, Any]:
    """The mapping ``text`` holds (readers).

    Raises:
        InputError: the text is too long, is not YAML the reader accepts (the message gives
            the line), does not hold a mapping, or holds values JSON cannot (dates...).
    """
    require_role(actor, *READERS)
    if len(text) > MAX_YAML_CHARS:
        raise InputError(f"the YAML is longer than {MAX_YAML_CHARS:,} characters", field="text")
    try:
        data, _ = parse_yaml(text, _SOURCE)
    except FormatError as exc:
        raise InputError(exc.message, field="text", line=exc.line) from None
    if not isinstance(data, dict):
        raise InputError("a scenario file holds a mapping at the top level", field="text")
    try:
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"the YAML holds a value a scenario cannot: {exc}", field="text") from None
    return data
