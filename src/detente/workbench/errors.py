"""Errors of the scenario library (each an HTTP status, like the monitor's errors)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from detente.monitor.errors import ConflictError, InputError
from detente.workbench.documents import FieldError

__all__ = ["InvalidDocumentError", "VersionConflictError"]


class VersionConflictError(ConflictError):
    """A save was edited from an older version than the latest: someone else saved since (409).

    Attributes:
        current_version: the latest version.
        saved_by: who saved it.
        saved_at: when.
    """

    def __init__(
        self, scenario_id: int, base_version: int, current_version: int, saved_by: str,
        saved_at: dt.datetime,
    ) -> None:  # fmt: skip
        super().__init__(
            f"scenario {scenario_id} was saved as version {current_version} by {saved_by} "
            f"since version {base_version} was loaded: reload it and apply your edits again",
            field="base_version",
        )
        self.current_version = current_version
        self.saved_by = saved_by
        self.saved_at = saved_at

    def details(self) -> dict[str, Any]:
        """The version now current, who saved it and when (ISO 8601)."""
        return {
            "current_version": self.current_version,
            "saved_by": self.saved_by,
            "saved_at": self.saved_at.isoformat(),
        }


class InvalidDocumentError(InputError):
    """A document is not a valid scenario (422); ``errors`` lists every problem found.

    The message is the first problem, as ``detente validate`` words it.
    """

    def __init__(self, errors: list[FieldError]) -> None:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        path = f"document.{first.path}" if first.path else "document"
        super().__init__(first.message + more, field=path)
        self.errors = tuple(errors)

    def details(self) -> dict[str, Any]:
        """Every problem: ``errors``, a list of ``{"path", "message"}``."""
        return {"errors": [{"path": e.path, "message": e.message} for e in self.errors]}
