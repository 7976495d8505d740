"""What the decisions on a pair of possible duplicate reports share.

The lock every decision takes first, the reason each needs, the timeline event each writes,
and who took a decision and when: what a refused decision names
(:class:`~detente.monitor.errors.AlreadyDecidedError`). :mod:`detente.monitor.duplicates`
takes the decisions.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from detente.monitor import audit
from detente.monitor.enums import State
from detente.monitor.errors import InputError
from detente.monitor.models import (
    AuditEntry,
    DuplicateDismissal,
    Incident,
    IncidentEvent,
    User,
    utcnow,
)

__all__ = [
    "add_event",
    "dismissed_by",
    "lock",
    "merged_by",
    "pair",
    "reason_of",
    "restored_by",
    "unmerged_by",
]


def pair(a: int, b: int) -> tuple[int, int]:
    """The pair of two incidents as stored: the lower id first."""
    return (a, b) if a < b else (b, a)


def lock(session: Session, ids: Sequence[int | None]) -> None:
    """Take the audit chain's lock, then the incidents' rows in id order; read them afresh.

    Every decision on a pair starts here, before it reads anything it checks. Two monitors
    dismissing one pair at once would otherwise both find it undecided and the second's
    insert would fail on the first's row; merging A into B and B into A at once would leave
    each merged into the other. With the locks taken first, the second waits for the first's
    commit and then reads what it decided. On PostgreSQL the chain's lock comes first, as in
    every writer of the service (:func:`detente.monitor.db.sessions`), so the locks are always
    taken in one order and no two writers wait for each other in a cycle; the rows are locked
    too (FOR UPDATE), so the decisions stay serialised by any session. SQLite lets one writer
    in at a time already (BEGIN IMMEDIATE).
    """
    audit.lock_chain(session)
    wanted = sorted({i for i in ids if i is not None})
    session.scalars(
        select(Incident)
        .where(Incident.id.in_(wanted))
        .order_by(Incident.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()


def reason_of(reason: str) -> str:
    """The reason of a decision, stripped; refused when blank."""
    if not reason.strip():
        raise InputError(
            "a merge, an unmerge, a dismissal or its undoing needs a reason", field="reason"
        )
    return reason.strip()


def add_event(incident: Incident, actor: User, action: str, to: State, reason: str) -> None:
    """Write a decision in an incident's timeline (``to`` is the state it leads to)."""
    incident.events.append(
        IncidentEvent(
            action=action,
            from_state=incident.state,
            to_state=to,
            actor_id=actor.id,
            at=utcnow(),
            reason=reason,
        )
    )


def merged_by(session: Session, incident_id: int) -> tuple[str, dt.datetime]:
    """Who merged a merged report, and when (its last ``merge`` event)."""
    found = _last_event(session, incident_id, "merge", IncidentEvent.to_state == State.MERGED)
    assert found is not None  # a merged report has its merge event
    return found


def unmerged_by(session: Session, incident_id: int) -> tuple[str, dt.datetime] | None:
    """Who last undid the merge of a report, and when; None when nobody did.

    Only the report's own ``unmerge`` events count (from state ``merged``), not those of an
    incident that kept the event and saw another report split off.
    """
    return _last_event(session, incident_id, "unmerge", IncidentEvent.from_state == State.MERGED)


def _last_event(
    session: Session, incident_id: int, action: str, which: ColumnElement[bool]
) -> tuple[str, dt.datetime] | None:
    """Who took an incident's last ``action`` event matching ``which``, and when."""
    row = session.execute(
        select(User.username, IncidentEvent.at)
        .join(User, User.id == IncidentEvent.actor_id)
        .where(IncidentEvent.incident_id == incident_id, IncidentEvent.action == action, which)
        .order_by(IncidentEvent.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def dismissed_by(session: Session, one: int, two: int) -> tuple[str, dt.datetime] | None:
    """Who judged two reports different events, and when; None when nobody did."""
    low, high = pair(one, two)
    row = session.execute(
        select(User.username, DuplicateDismissal.at)
        .join(User, User.id == DuplicateDismissal.actor_id)
        .where(DuplicateDismissal.low_id == low, DuplicateDismissal.high_id == high)
    ).first()
    return None if row is None else (row[0], row[1])


def restored_by(session: Session, low: int, high: int) -> tuple[str, dt.datetime] | None:
    """Who last undid the dismissal of a pair, and when (the audit log); None if nobody."""
    rows = session.execute(
        select(AuditEntry.actor, AuditEntry.at, AuditEntry.payload)
        .where(
            AuditEntry.action == "duplicate.restore",
            AuditEntry.object_type == "incident",
            AuditEntry.object_id == low,
        )
        .order_by(AuditEntry.seq.desc())
    )
    for by, at, payload in rows:
        if json.loads(payload)["pair"] == [low, high]:
            return by or "(unknown)", at
    return None
