"""Ceasefire monitoring service: incidents, verification, attribution, breach mechanism.

Layers inside: ``models`` (tables) and ``migrations``; ``workflow`` (the state machine);
``auth`` (passwords, tokens, who may see what); ``audit`` (hash-chained log); ``service``,
``reports`` and ``exchange`` (pure functions over a Session). Its HTTP API and pages live
in ``detente.web``.
"""

from detente.monitor.db import MonitorSettings, make_engine, migrate
from detente.monitor.enums import Action, BreachMechanism, Confidence, IncidentType, Role, State
from detente.monitor.errors import MonitorError

__all__ = [
    "Action",
    "BreachMechanism",
    "Confidence",
    "IncidentType",
    "MonitorError",
    "MonitorSettings",
    "Role",
    "State",
    "make_engine",
    "migrate",
]
