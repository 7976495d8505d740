"""Many new reports written at once: the API's write path under load.

:func:`create_incidents` records what :func:`detente.monitor.service.create_incident` records
for each report (the incident, its clauses, attachments and first timeline event, one audit
entry), with the same checks and the same answers, but writes each table's rows for all the
reports with one multi-row statement (SQLAlchemy Core: ``INSERT ... RETURNING`` for the new
ids) instead of an ORM flush per report. The group writer
(:class:`detente.monitor.writer.GroupWriter`) hands it the reports waiting together; most of a
report's cost in the ORM path was the flush's bookkeeping, not the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from detente.errors import DetenteError
from detente.monitor import audit
from detente.monitor.auth import can_read_notes
from detente.monitor.enums import State
from detente.monitor.models import (
    Attachment,
    Base,
    Clause,
    Incident,
    IncidentClause,
    IncidentEvent,
    User,
    utcnow,
)
from detente.monitor.schemas import EventOut, IncidentIn, IncidentOut
from detente.monitor.service import check_report

__all__ = ["create_incidents"]


def _table(model: type[Base]) -> Table:
    """The model's table, for Core statements."""
    return cast("Table", model.__table__)


def create_incidents(
    session: Session, reports: Sequence[tuple[User, IncidentIn]]
) -> list[IncidentOut | DetenteError]:
    """Record each ``(actor, report)`` as a new incident in state ``reported``; in order.

    Returns, for each report, its incident as the API shows it to the actor, or the error
    that refuses it (a refused report writes nothing; the others are written all the same).
    The incidents' ids and audit entries follow the order of ``reports``. The caller owns the
    transaction.
    """
    outcomes: list[IncidentOut | DetenteError | None] = [None] * len(reports)
    accepted: list[tuple[int, User, IncidentIn, dict[int, Clause]]] = []
    for index, (actor, data) in enumerate(reports):
        try:
            clauses = check_report(session, actor, data)
        except DetenteError as exc:
            outcomes[index] = exc
        else:
            accepted.append((index, actor, data, clauses))
    if not accepted:
        return [o for o in outcomes if o is not None]
    now = utcnow()
    incident_rows = [
        {
            "agreement_id": data.agreement_id,
            "occurred_at": data.occurred_at,
            "reported_at": now,
            "type": data.type,
            "sector_id": data.sector_id,
            "longitude": data.longitude,
            "latitude": data.latitude,
            "reporter_id": actor.id,
            "sources": data.sources,
            "confidence": data.confidence,
            "description": data.description,
            "state": State.REPORTED,
        }
        for _, actor, data, _ in accepted
    ]
    ids = _insert_returning_ids(session, _table(Incident), incident_rows)
    event_rows = [
        {
            "incident_id": iid,
            "action": "report",
            "from_state": None,
            "to_state": State.REPORTED,
            "actor_id": actor.id,
            "at": now,
            "reason": "reported",
            "party_id": None,
        }
        for iid, (_, actor, _, _) in zip(ids, accepted, strict=True)
    ]
    event_ids = _insert_returning_ids(session, _table(IncidentEvent), event_rows)
    clause_rows = [
        {"incident_id": iid, "clause_id": cid}
        for iid, (_, _, data, _) in zip(ids, accepted, strict=True)
        for cid in sorted(set(data.clause_ids))
    ]
    attachment_rows = [
        {"incident_id": iid, "sha256": a.sha256, "filename": a.filename, "size_bytes": a.size_bytes}
        for iid, (_, _, data, _) in zip(ids, accepted, strict=True)
        for a in data.attachments
    ]
    for table, rows in ((IncidentClause, clause_rows), (Attachment, attachment_rows)):
        if rows:
            session.execute(insert(_table(table)), rows)
    audit.record_many(
        session,
        [
            audit.AuditRecord(
                actor=actor.username,
                action="incident.create",
                object_type="incident",
                object_id=iid,
                payload=data.model_dump(),
            )
            for iid, (_, actor, data, _) in zip(ids, accepted, strict=True)
        ],
    )
    for iid, event_id, (index, actor, data, _) in zip(ids, event_ids, accepted, strict=True):
        outcomes[index] = _answer(iid, event_id, actor, data, now)
    return [o for o in outcomes if o is not None]


def _insert_returning_ids(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` with one statement; their new ids, in the rows' order."""
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [int(i) for i in session.execute(statement, rows).scalars()]


def _answer(
    iid: int, event_id: int, actor: User, data: IncidentIn, now: dt.datetime
) -> IncidentOut:
    """What :func:`detente.monitor.service.incident_out` shows of the new incident."""
    return IncidentOut(
        id=iid,
        agreement_id=data.agreement_id,
        occurred_at=data.occurred_at,
        reported_at=now,
        type=data.type,
        sector_id=data.sector_id,
        longitude=data.longitude,
        latitude=data.latitude,
        reporter=actor.username,
        sources=data.sources,
        confidence=data.confidence,
        description=data.description,
        state=State.REPORTED,
        attributed_party_id=None,
        attribution_confidence=None,
        merged_into_id=None,
        merged_ids=[],
        clause_ids=sorted(set(data.clause_ids)),
        attachments=list(data.attachments),
        events=[
            EventOut(
                id=event_id,
                action="report",
                from_state=None,
                to_state=State.REPORTED,
                actor=actor.username,
                at=now,
                reason="reported",
            )
        ],
        notes=[] if can_read_notes(actor) else None,
    )
