"""The closed vocabularies of the monitoring service (stored as their string values)."""

from __future__ import annotations

import enum

__all__ = [
    "EDITORS",
    "MISSION",
    "READERS",
    "Action",
    "BreachMechanism",
    "Confidence",
    "IncidentType",
    "Role",
    "State",
]


class Role(enum.StrEnum):
    """What a user may do (see docs/explanation/monitoring-workflow.md)."""

    ADMIN = "admin"
    MONITOR = "monitor"
    ANALYST = "analyst"
    LIAISON = "liaison"

    @property
    def with_article(self) -> str:
        """The role with its indefinite article, for messages ("an admin", "a monitor")."""
        return f"{'an' if self.value[0] in 'aeiou' else 'a'} {self.value}"


# The role sets, written once (the services check them; pages and API only call the services).
#: Mission staff: report incidents, move them through the workflow, write internal notes.
MISSION = (Role.ADMIN, Role.MONITOR)
#: Everyone but party liaisons: reports, rates, exports, and the workbench's scenarios.
READERS = (Role.ADMIN, Role.MONITOR, Role.ANALYST)
#: Who edits the workbench's scenarios.
EDITORS = (Role.ADMIN, Role.ANALYST)


class IncidentType(enum.StrEnum):
    """Kinds of incident a monitoring mission records."""

    SHELLING = "shelling"
    SMALL_ARMS_FIRE = "small_arms_fire"
    DRONE_STRIKE = "drone_strike"
    HEAVY_WEAPONS_IN_ZONE = "heavy_weapons_in_zone"
    TROOP_MOVEMENT = "troop_movement"
    CIVILIAN_HARM = "civilian_harm"
    OBSTRUCTION_OF_MONITORS = "obstruction_of_monitors"
    OTHER = "other"


class Confidence(enum.StrEnum):
    """How sure the mission is of a report or an attribution."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class BreachMechanism(enum.StrEnum):
    """The body that incidents are raised with once attributed."""

    JOINT_COMMISSION = "joint_commission"
    THIRD_PARTY_MONITOR = "third_party_monitor"
    GUARANTOR = "guarantor"
    HOTLINE = "hotline"


class State(enum.StrEnum):
    """Where an incident is in its life."""

    REPORTED = "reported"
    UNDER_VERIFICATION = "under_verification"
    VERIFIED = "verified"
    NOT_VERIFIED = "not_verified"
    DISPUTED = "disputed"
    ATTRIBUTED = "attributed"
    RAISED = "raised"
    ANSWERED = "answered"
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    MERGED = "merged"
    """A duplicate report of an event, merged into the incident that records the event."""


class Action(enum.StrEnum):
    """The transitions of the workflow."""

    START_VERIFICATION = "start_verification"
    VERIFY = "verify"
    REJECT = "reject"
    DISPUTE = "dispute"
    REOPEN = "reopen"
    ATTRIBUTE = "attribute"
    RAISE = "raise"
    ANSWER = "answer"
    RESOLVE = "resolve"
    ESCALATE = "escalate"
