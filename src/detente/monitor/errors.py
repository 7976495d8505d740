"""Errors of the monitoring service; each maps to one HTTP status and names the request field."""

from __future__ import annotations

import datetime as dt
from typing import Any

from detente.errors import DetenteError

__all__ = [
    "AlreadyDecidedError",
    "AuthenticationError",
    "ConflictError",
    "InputError",
    "MonitorError",
    "NotFoundError",
    "PermissionDeniedError",
    "TooManyAttemptsError",
    "WorkflowError",
]


class MonitorError(DetenteError):
    """Base class of the monitoring service's errors; ``status`` is the HTTP status to answer."""

    status = 400

    def details(self) -> dict[str, Any]:
        """What the answer carries besides ``detail``, ``field`` and ``line`` (nothing here)."""
        return {}


class InputError(MonitorError):
    """A request carries an invalid value (unknown enum value, bad GeoJSON, malformed CSV...)."""

    status = 422


class AuthenticationError(MonitorError):
    """No valid credentials were presented."""

    status = 401


class PermissionDeniedError(MonitorError):
    """The user's role does not allow this action."""

    status = 403


class NotFoundError(MonitorError):
    """The object does not exist, or the user may not know that it exists."""

    status = 404


class ConflictError(MonitorError):
    """The request conflicts with stored data (duplicate name...)."""

    status = 409


class WorkflowError(ConflictError):
    """An action is not allowed in the incident's current state."""


class AlreadyDecidedError(WorkflowError):
    """Someone else has already merged or dismissed the pair (409); the message says who, when.

    Attributes:
        decided_by: the user name of who decided.
        decided_at: when they decided (UTC).
    """

    def __init__(
        self, message: str, *, decided_by: str, decided_at: dt.datetime, field: str
    ) -> None:
        when = decided_at.astimezone(dt.UTC)
        super().__init__(f"{message} by {decided_by} at {when:%Y-%m-%d %H:%M} UTC", field=field)
        self.decided_by = decided_by
        self.decided_at = when

    def details(self) -> dict[str, Any]:
        """Who decided and when (ISO 8601), for clients that show it their own way."""
        return {"decided_by": self.decided_by, "decided_at": self.decided_at.isoformat()}


class TooManyAttemptsError(MonitorError):
    """Too many failed logins: the account or address is locked for ``retry_after`` seconds."""

    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, field="username")
        self.retry_after = retry_after
