"""Scenario documents as the library stores them: validated native mappings.

A document is the mapping the native format reads and writes
(:func:`detente.scenario.formats.native.native_document`). :func:`validate` checks one with the
validator the CLI uses and returns every problem with its field path and the CLI's wording;
:func:`checked_document` turns a valid one into the canonical form that is stored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from typing import Any

from pydantic import ValidationError

from detente.scenario.formats.native import native_document, scenario_problems
from detente.scenario.model import Scenario

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "FieldError",
    "blank_document",
    "canonical_json",
    "checked_document",
    "document_sha256",
    "parsed_document",
    "validate",
]

#: A stored document's canonical JSON may be at most this long (a scenario is kilobytes).
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class FieldError:
    """One problem of a document.

    Attributes:
        path: where, as dotted keys and list indices into the document
            (``parties.0.preferences.issues.sanctions.weight``); empty for the whole document.
        message: what is wrong, in the words ``detente validate`` uses.
    """

    path: str
    message: str

    def __str__(self) -> str:
        """``path: message``, as the CLI prints it."""
        return f"{self.path}: {self.message}" if self.path else self.message


def _finite_json(value: Any, path: str) -> FieldError | None:
    """The first value JSON cannot hold faithfully (NaN, infinity, a non-text key), if any."""
    if isinstance(value, float) and not math.isfinite(value):
        return FieldError(path, f"{value} is not a finite number")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return FieldError(path, f"key {key!r} is not text")
            found = _finite_json(item, f"{path}.{key}" if path else key)
            if found is not None:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _finite_json(item, f"{path}.{i}" if path else str(i))
            if found is not None:
                return found
    return None


def _parse(document: Any) -> tuple[Scenario | None, list[FieldError]]:
    if not isinstance(document, dict):
        return None, [FieldError("", "a scenario file holds a mapping at the top level")]
    odd = _finite_json(document, "")
    if odd is not None:
        return None, [odd]
    try:
        return Scenario.model_validate(document), []
    except ValidationError as exc:
        problems = scenario_problems(document, exc)
        return None, [FieldError(".".join(map(str, loc)), message) for loc, _, message in problems]


def validate(document: Any) -> list[FieldError]:
    """Every problem of ``document`` (empty when it is a valid scenario).

    The checks and the wording are those of ``detente validate``: a document the CLI accepts
    has no error here, and the first error here is the one the CLI reports. A cross-check
    (an unknown option in a red line, a missing value...) is found once the fields themselves
    are valid, so fixing the listed errors may reveal others, as in the CLI.
    """
    return _parse(document)[1]


def parsed_document(document: Any) -> Scenario | list[FieldError]:
    """The scenario of a document, or its errors (:func:`validate`'s), without storing it."""
    scenario, errors = _parse(document)
    return errors if scenario is None else scenario


def checked_document(document: Any) -> tuple[Scenario, dict[str, Any]] | list[FieldError]:
    """The scenario and the canonical document to store, or the document's errors."""
    scenario, errors = _parse(document)
    if scenario is None:
        return errors
    return scenario, native_document(scenario)


def canonical_json(document: dict[str, Any]) -> str:
    """The document as compact JSON with sorted keys (what its checksum is computed on)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def document_sha256(document: dict[str, Any]) -> str:
    """SHA-256 of the document's canonical JSON."""
    return hashlib.sha256(canonical_json(document).encode()).hexdigest()


def blank_document(name: str) -> dict[str, Any]:
    """The smallest valid scenario to start from: one issue, two parties that disagree on it."""
    options = ["option_a", "option_b"]
    parties = [
        {
            "name": party,
            "reservation_value": 0.0,
            "preferences": {
                "kind": "additive",
                "issues": {
                    "issue_1": {"weight": 1.0, "values": dict(zip(options, vals, strict=True))}
                },
            },
        }
        for party, vals in (("Party A", (1.0, 0.0)), ("Party B", (0.0, 1.0)))
    ]
    document = {
        "name": name,
        "issues": [{"kind": "discrete", "name": "issue_1", "options": options}],
        "parties": parties,
    }
    checked = checked_document(document)
    assert not isinstance(checked, list), checked
    return checked[1]
