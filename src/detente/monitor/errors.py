"""Errors of the monitoring service; each maps to one HTTP status and names the request field."""

from __future__ import annotations

from typing import Any

from detente.errors import DetenteError

__all__ = [
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


class TooManyAttemptsError(MonitorError):
    """Too many failed logins: the account or address is locked for ``retry_after`` seconds."""

    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, field="username")
        self.retry_after = retry_after
