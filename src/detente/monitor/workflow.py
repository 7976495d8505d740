"""The incident workflow: one table of transitions, enforced by :func:`apply_action` alone.

reported -> under_verification -> verified | not_verified | disputed -> attributed -> raised
-> answered -> resolved | escalated. A rejected or disputed report can be reopened; a raised
incident that goes unanswered can be escalated. Only the liaison of the party an incident is
attributed to answers it.
"""

from __future__ import annotations

import dataclasses

from detente.monitor.enums import MISSION, Action, Confidence, Role, State
from detente.monitor.errors import InputError, PermissionDeniedError, WorkflowError
from detente.monitor.models import Incident, IncidentEvent, User, utcnow

__all__ = [
    "ATTRIBUTED_STATES",
    "RAISED_STATES",
    "TRANSITIONS",
    "Transition",
    "allowed_actions",
    "apply_action",
    "check_correctable",
]

_MISSION = frozenset(MISSION)


@dataclasses.dataclass(frozen=True)
class Transition:
    """One allowed move: from which states, to which state, by which roles."""

    sources: frozenset[State]
    target: State
    roles: frozenset[Role]


def _t(sources: set[State], target: State, roles: frozenset[Role] = _MISSION) -> Transition:
    return Transition(frozenset(sources), target, roles)


S = State
TRANSITIONS: dict[Action, Transition] = {
    Action.START_VERIFICATION: _t({S.REPORTED}, S.UNDER_VERIFICATION),
    Action.VERIFY: _t({S.UNDER_VERIFICATION}, S.VERIFIED),
    Action.REJECT: _t({S.UNDER_VERIFICATION}, S.NOT_VERIFIED),
    Action.DISPUTE: _t({S.UNDER_VERIFICATION}, S.DISPUTED),
    Action.REOPEN: _t({S.NOT_VERIFIED, S.DISPUTED}, S.UNDER_VERIFICATION),
    Action.ATTRIBUTE: _t({S.VERIFIED, S.DISPUTED}, S.ATTRIBUTED),
    Action.RAISE: _t({S.ATTRIBUTED}, S.RAISED),
    Action.ANSWER: _t({S.RAISED}, S.ANSWERED, frozenset({Role.LIAISON})),
    Action.RESOLVE: _t({S.ANSWERED}, S.RESOLVED),
    Action.ESCALATE: _t({S.RAISED, S.ANSWERED}, S.ESCALATED),
}

#: States in which an incident carries an attribution to a party.
ATTRIBUTED_STATES = frozenset({S.ATTRIBUTED, S.RAISED, S.ANSWERED, S.RESOLVED, S.ESCALATED})
#: States in which an incident has been raised with its party (visible to that party's liaison).
RAISED_STATES = frozenset({S.RAISED, S.ANSWERED, S.RESOLVED, S.ESCALATED})


def allowed_actions(incident: Incident, user: User) -> list[Action]:
    """The actions ``user`` may take on ``incident`` now."""
    return [
        a
        for a, t in TRANSITIONS.items()
        if incident.state in t.sources
        and user.role in t.roles
        and (user.role is not Role.LIAISON or user.party_id == incident.attributed_party_id)
    ]


def check_correctable(incident: Incident, actor: User) -> None:
    """Refuse a correction of the incident's record unless it is allowed now.

    The reporting monitor or an admin may correct the descriptive fields until the incident
    is raised with its party; after that the party has answered (or may answer) the record
    as it stood, so the record stays as raised and later findings go into notes.
    """
    if not (
        actor.role is Role.ADMIN
        or (actor.role is Role.MONITOR and actor.id == incident.reporter_id)
    ):
        raise PermissionDeniedError(
            f"only the reporting monitor or an admin may correct incident {incident.id}"
        )
    if incident.state in RAISED_STATES:
        raise WorkflowError(
            f"incident {incident.id} has been raised with its party: its record can no longer "
            "be corrected (add a note instead)",
            field="state",
        )


def apply_action(
    incident: Incident,
    action: Action,
    actor: User,
    reason: str,
    *,
    party_id: int | None = None,
    confidence: Confidence | None = None,
) -> IncidentEvent:
    """Move ``incident`` by ``action``, or raise without changing anything.

    Raises:
        PermissionDeniedError: the actor's role may not take this action on this incident.
        WorkflowError: the action is not allowed from the incident's state.
        InputError: a reason is missing, or an attribution lacks its party or confidence.
    """
    transition = TRANSITIONS[action]
    if actor.role not in transition.roles or (
        actor.role is Role.LIAISON and actor.party_id != incident.attributed_party_id
    ):
        raise PermissionDeniedError(
            f"{actor.role.with_article} may not {action.value} incident {incident.id}",
            field="action",
        )
    if incident.state not in transition.sources:
        allowed = ", ".join(sorted(s.value for s in transition.sources))
        raise WorkflowError(
            f"cannot {action.value} incident {incident.id}: it is {incident.state.value}, "
            f"and {action.value} needs {allowed}",
            field="action",
        )
    if not reason.strip():
        raise InputError("every transition needs a reason", field="reason")
    if action is Action.ATTRIBUTE:
        if party_id is None or confidence is None:
            raise InputError("an attribution needs a party and a confidence", field="party_id")
        if party_id not in {p.id for p in incident.agreement.parties}:
            raise InputError(f"party {party_id} is not a party to the agreement", field="party_id")
        incident.attributed_party_id = party_id
        incident.attribution_confidence = confidence
    elif action is Action.REOPEN:
        incident.attributed_party_id = None
        incident.attribution_confidence = None
    event = IncidentEvent(
        action=action.value,
        from_state=incident.state,
        to_state=transition.target,
        actor_id=actor.id,
        at=utcnow(),
        reason=reason.strip(),
        party_id=party_id if action is Action.ATTRIBUTE else None,
    )
    incident.state = transition.target
    incident.events.append(event)
    return event
