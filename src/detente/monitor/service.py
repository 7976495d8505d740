"""The service layer: pure functions over a Session; each checks authorisation and audits writes.

Callers own the transaction (``detente.monitor.db.transaction``): a function that raises leaves
nothing behind once the caller rolls back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from detente.monitor import audit
from detente.monitor.auth import (
    can_read_notes,
    check_incident_readable,
    check_password_strength,
    hash_password,
    require_role,
    visible_events,
)
from detente.monitor.enums import MISSION, IncidentType, Role, State
from detente.monitor.errors import ConflictError, InputError, NotFoundError
from detente.monitor.login import revoke_all
from detente.monitor.models import (
    Agreement,
    Attachment,
    Clause,
    Incident,
    IncidentEvent,
    IncidentNote,
    Party,
    Sector,
    User,
    utcnow,
)
from detente.monitor.schemas import (
    AgreementIn,
    AttachmentIn,
    EventOut,
    IncidentIn,
    IncidentOut,
    IncidentPatch,
    NoteIn,
    NoteOut,
    TransitionIn,
    UserIn,
    UserPatch,
)
from detente.monitor.workflow import RAISED_STATES, apply_action, check_correctable

__all__ = [
    "CLOCK_SKEW",
    "IncidentFilter",
    "add_note",
    "check_occurred_at",
    "check_report",
    "correct_incident",
    "count_incidents",
    "create_agreement",
    "create_incident",
    "create_user",
    "get_agreement",
    "get_incident",
    "incident_out",
    "iter_incidents",
    "list_agreements",
    "list_incidents",
    "list_users",
    "set_user_active",
    "transition",
    "visible_incidents",
]

#: How far ahead of the server's clock an incident's time may be (reporters' clocks drift).
CLOCK_SKEW = dt.timedelta(minutes=10)
#: The earliest time zone: the signing day starts this much before UTC midnight somewhere.
_EARLIEST_ZONE = dt.timedelta(hours=14)
#: Incidents of an agreement with no signing date are refused before this day.
EARLIEST_DAY = dt.date(1900, 1, 1)


def check_occurred_at(agreement: Agreement, occurred_at: dt.datetime | None) -> None:
    """Refuse a time before the agreement's signing day or more than ``CLOCK_SKEW`` ahead.

    The signing day counts from its first hour anywhere on Earth (UTC+14), so a breach in the
    first hours of the ceasefire is accepted whatever the zone of the line.
    """
    if occurred_at is None:
        return
    day = agreement.signed_on or EARLIEST_DAY
    earliest = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) - _EARLIEST_ZONE
    if occurred_at < earliest:
        raise InputError(
            f"the incident cannot have occurred before the agreement's day {day.isoformat()}",
            field="occurred_at",
        )
    if occurred_at > utcnow() + CLOCK_SKEW:
        minutes = int(CLOCK_SKEW.total_seconds() // 60)
        raise InputError(
            f"the incident's time is in the future (more than {minutes} minutes ahead of the "
            "server's clock)",
            field="occurred_at",
        )


def _actor_name(actor: User | None) -> str | None:
    return None if actor is None else actor.username


def create_user(session: Session, actor: User | None, data: UserIn) -> User:
    """Add a user (admins only; ``actor=None`` is the first admin created by ``init``)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    if (data.role is Role.LIAISON) != (data.party_id is not None):
        raise InputError("a liaison needs a party, and only a liaison has one", field="party_id")
    if data.party_id is not None and session.get(Party, data.party_id) is None:
        raise InputError(f"no party {data.party_id}", field="party_id")
    if session.scalars(select(User.id).where(User.username == data.username)).first():
        raise ConflictError(f"user {data.username!r} exists already", field="username")
    check_password_strength(data.password, data.username)
    user = User(
        username=data.username,
        password_hash=hash_password(data.password),
        role=data.role,
        party_id=data.party_id,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=_actor_name(actor),
        action="user.create",
        object_type="user",
        object_id=user.id,
        payload={"username": user.username, "role": user.role.value, "party_id": user.party_id},
    )
    return user


def set_user_active(session: Session, actor: User, user_id: int, data: UserPatch) -> User:
    """Deactivate or reactivate a user (admins; not oneself).

    A deactivated user cannot log in, and every one of its sessions ends for good.
    """
    require_role(actor, Role.ADMIN)
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user {user_id}", field="user_id")
    if user.id == actor.id and not data.active:
        raise InputError("an admin cannot deactivate their own account", field="active")
    if user.active != data.active:
        user.active = data.active
        if not data.active:
            revoke_all(session, user.id)  # reactivation does not bring them back
        session.flush()
        audit.record(
            session,
            actor=actor.username,
            action="user.activate" if data.active else "user.deactivate",
            object_type="user",
            object_id=user.id,
            payload={"username": user.username, "active": data.active},
        )
    return user


def list_users(session: Session, actor: User) -> list[User]:
    """Every user (admins only)."""
    require_role(actor, Role.ADMIN)
    return list(session.scalars(select(User).order_by(User.id)))


def create_agreement(session: Session, actor: User, data: AgreementIn) -> Agreement:
    """Add an agreement with its parties, clauses and sectors (admins only)."""
    require_role(actor, Role.ADMIN)
    for field, names in (
        ("parties", data.parties),
        ("clauses", [c.ref for c in data.clauses]),
        ("sectors", [s.name for s in data.sectors]),
    ):
        if len(set(names)) != len(names):
            raise InputError("names must be unique", field=field)
    if session.scalars(select(Agreement.id).where(Agreement.name == data.name)).first():
        raise ConflictError(f"agreement {data.name!r} exists already", field="name")
    agreement = Agreement(
        name=data.name, text=data.text, signed_on=data.signed_on, mechanism=data.mechanism
    )
    agreement.parties = [Party(name=n) for n in data.parties]
    agreement.clauses = [Clause(ref=c.ref, text=c.text) for c in data.clauses]
    agreement.sectors = [Sector(name=s.name, geometry=s.geometry) for s in data.sectors]
    session.add(agreement)
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="agreement.create",
        object_type="agreement",
        object_id=agreement.id,
        payload=data.model_dump(),
    )
    return agreement


def list_agreements(session: Session, actor: User) -> list[Agreement]:
    """Every agreement (any role: the text of an agreement is not secret)."""
    del actor
    return list(session.scalars(select(Agreement).order_by(Agreement.id)))


def get_agreement(session: Session, actor: User, agreement_id: int) -> Agreement:
    """One agreement."""
    del actor
    agreement = session.get(Agreement, agreement_id)
    if agreement is None:
        raise NotFoundError(f"no agreement {agreement_id}", field="agreement_id")
    return agreement


def check_report(session: Session, actor: User, data: IncidentIn) -> dict[int, Clause]:
    """Refuse a report ``actor`` may not file or that does not fit its agreement.

    Returns the agreement's clauses by id (none are read for a report that cites none).
    Writes nothing: what :func:`create_incident` and
    :func:`detente.monitor.intake.create_incidents` check first.
    """
    require_role(actor, *MISSION)
    agreement = session.get(Agreement, data.agreement_id)
    if agreement is None:
        raise InputError(f"no agreement {data.agreement_id}", field="agreement_id")
    _check_place(agreement, data.sector_id, data.longitude, data.latitude)
    check_occurred_at(agreement, data.occurred_at)
    clauses = {c.id: c for c in agreement.clauses} if data.clause_ids else {}
    unknown = sorted(set(data.clause_ids) - set(clauses))
    if unknown:
        raise InputError(f"no clause {unknown[0]} in this agreement", field="clause_ids")
    if len({a.sha256 for a in data.attachments}) != len(data.attachments):
        raise InputError("an attachment is listed twice", field="attachments")
    return clauses


def create_incident(session: Session, actor: User, data: IncidentIn) -> Incident:
    """Record a new incident in state ``reported`` (mission staff only)."""
    clauses = check_report(session, actor, data)
    agreement = session.get(Agreement, data.agreement_id)
    incident = Incident(
        agreement=agreement,
        occurred_at=data.occurred_at,
        reported_at=utcnow(),
        type=data.type,
        sector_id=data.sector_id,
        longitude=data.longitude,
        latitude=data.latitude,
        reporter=actor,
        sources=data.sources,
        confidence=data.confidence,
        description=data.description,
        state=State.REPORTED,
        notes=[],  # a new incident has none: nothing to load when it is shown
    )
    incident.clauses = [clauses[i] for i in sorted(set(data.clause_ids))]
    incident.attachments = [
        Attachment(sha256=a.sha256, filename=a.filename, size_bytes=a.size_bytes)
        for a in data.attachments
    ]
    incident.events = [
        IncidentEvent(
            action="report",
            from_state=None,
            to_state=State.REPORTED,
            actor=actor,
            reason="reported",
        )
    ]
    set_committed_value(incident, "merged", [])  # a new report has none: no query to find out
    session.add(incident)
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="incident.create",
        object_type="incident",
        object_id=incident.id,
        payload=data.model_dump(),
    )
    return incident


def _load(session: Session, incident_id: int) -> Incident | None:
    return session.get(Incident, incident_id)


def get_incident(session: Session, actor: User, incident_id: int) -> Incident:
    """One incident the actor may read (404 otherwise)."""
    return check_incident_readable(actor, _load(session, incident_id), incident_id)


def _check_place(
    agreement: Agreement, sector_id: int | None, longitude: float | None, latitude: float | None
) -> None:
    """An incident has a sector of its agreement, a point, or both."""
    if (longitude is None) != (latitude is None):
        raise InputError("give both longitude and latitude, or neither", field="longitude")
    if sector_id is None and longitude is None:
        raise InputError("an incident needs a sector or a point", field="sector_id")
    if sector_id is not None and sector_id not in {s.id for s in agreement.sectors}:
        raise InputError(f"no sector {sector_id} in this agreement", field="sector_id")


def correct_incident(
    session: Session, actor: User, incident_id: int, data: IncidentPatch
) -> Incident:
    """Correct descriptive fields (the reporter or an admin, until raised); audited.

    The correction is an event on the incident's timeline (``correct``, state unchanged) and an
    audit entry listing every changed field with its old and new value.
    """
    incident = get_incident(session, actor, incident_id)
    check_correctable(incident, actor)
    if not data.reason.strip():
        raise InputError("a correction needs a reason", field="reason")
    given = data.model_dump(exclude_unset=True, exclude={"reason"})
    changes: dict[str, list[object]] = {}
    if "clause_ids" in given:
        clauses = {c.id: c for c in incident.agreement.clauses}
        wanted = sorted(set(given.pop("clause_ids") or []))
        unknown = [i for i in wanted if i not in clauses]
        if unknown:
            raise InputError(f"no clause {unknown[0]} in this agreement", field="clause_ids")
        old = [c.id for c in incident.clauses]
        if old != wanted:
            incident.clauses = [clauses[i] for i in wanted]
            changes["clause_ids"] = [old, wanted]
    required = {"occurred_at", "type", "confidence", "sources", "description"}
    for field, value in given.items():
        if value is None and field in required:
            raise InputError(f"{field} cannot be emptied", field=field)
    place = {f: given.get(f, getattr(incident, f)) for f in ("sector_id", "longitude", "latitude")}
    _check_place(incident.agreement, **place)
    check_occurred_at(incident.agreement, given.get("occurred_at"))
    for field, value in given.items():
        old_value = getattr(incident, field)
        if old_value != value:
            setattr(incident, field, value)
            changes[field] = [old_value, value]
    if not changes:
        raise InputError("the correction changes nothing", field="reason")
    incident.events.append(
        IncidentEvent(
            action="correct",
            from_state=incident.state,
            to_state=incident.state,
            actor_id=actor.id,
            at=utcnow(),
            reason=data.reason.strip(),
        )
    )
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="incident.correct",
        object_type="incident",
        object_id=incident.id,
        payload={"reason": data.reason, "changes": changes},
    )
    return incident


def transition(session: Session, actor: User, incident_id: int, data: TransitionIn) -> Incident:
    """Take a workflow action on an incident (the workflow decides who may do what, when)."""
    incident = get_incident(session, actor, incident_id)
    event = apply_action(
        incident,
        data.action,
        actor,
        data.reason,
        party_id=data.party_id,
        confidence=data.confidence,
    )
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action=f"incident.{data.action.value}",
        object_type="incident",
        object_id=incident.id,
        payload={"from": event.from_state, "to": event.to_state, **data.model_dump()},
    )
    return incident


def add_note(session: Session, actor: User, incident_id: int, data: NoteIn) -> IncidentNote:
    """Add an internal note (mission staff only)."""
    require_role(actor, *MISSION)
    incident = get_incident(session, actor, incident_id)
    note = IncidentNote(incident_id=incident.id, author=actor, at=utcnow(), body=data.body)
    session.add(note)
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="note.create",
        object_type="incident",
        object_id=incident.id,
        payload=data.model_dump(),
    )
    return note


@dataclasses.dataclass(frozen=True)
class IncidentFilter:
    """Which incidents to list; every field left None does not filter."""

    agreement_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    sector_id: int | None = None
    type: IncidentType | None = None
    state: State | None = None
    """The state; None means every state but ``merged`` (duplicates count once)."""
    party_id: int | None = None
    changed_since: dt.datetime | None = None
    """Only incidents reported, moved or corrected at or after this time (incremental pulls)."""


def visible_incidents(actor: User) -> Select[Incident]:
    """The incidents query restricted to what ``actor`` may see."""
    query = select(Incident)
    if actor.role is Role.LIAISON:
        query = query.where(
            Incident.attributed_party_id == actor.party_id, Incident.state.in_(RAISED_STATES)
        )
    return query


def _filtered(actor: User, flt: IncidentFilter) -> Select[Incident]:
    query = visible_incidents(actor)
    columns = [
        (flt.agreement_id, Incident.agreement_id.__eq__),
        (flt.since, Incident.occurred_at.__ge__),
        (flt.until, Incident.occurred_at.__lt__),
        (flt.sector_id, Incident.sector_id.__eq__),
        (flt.type, Incident.type.__eq__),
        (flt.state, Incident.state.__eq__),
        (flt.party_id, Incident.attributed_party_id.__eq__),
    ]
    for value, compare in columns:
        if value is not None:
            query = query.where(compare(value))
    if flt.state is None:
        query = query.where(Incident.state != State.MERGED)
    if flt.changed_since is not None:
        changed = select(IncidentEvent.incident_id).where(IncidentEvent.at >= flt.changed_since)
        query = query.where(Incident.id.in_(changed))
    return query


def _with_details(query: Select[Incident]) -> Select[Incident]:
    return query.order_by(Incident.occurred_at.desc(), Incident.id.desc()).options(
        selectinload(Incident.events).selectinload(IncidentEvent.actor),
        selectinload(Incident.clauses),
        selectinload(Incident.attachments),
        selectinload(Incident.merged),
        selectinload(Incident.reporter),
        selectinload(Incident.sector),
        selectinload(Incident.attributed_party),
        selectinload(Incident.agreement),
    )


def count_incidents(session: Session, actor: User, flt: IncidentFilter) -> int:
    """How many incidents the actor may see match the filter."""
    query = _filtered(actor, flt).with_only_columns(func.count(Incident.id))
    return int(session.scalar(query) or 0)


def list_incidents(
    session: Session, actor: User, flt: IncidentFilter, *, limit: int = 100, offset: int = 0
) -> list[Incident]:
    """One page of the incidents the actor may see that match the filter, newest first."""
    query = _with_details(_filtered(actor, flt)).limit(limit).offset(offset)
    return list(session.scalars(query))


def iter_incidents(
    session: Session, actor: User, flt: IncidentFilter, *, batch: int = 500
) -> Iterator[Incident]:
    """Every incident the actor may see that matches the filter, newest first, in batches.

    Rows are fetched ``batch`` at a time (``yield_per``), so an export of any size holds one
    batch in memory.
    """
    query = _with_details(_filtered(actor, flt)).execution_options(yield_per=batch)
    yield from session.scalars(query)


def incident_out(incident: Incident, actor: User) -> IncidentOut:
    """The API view of an incident for ``actor`` (internal notes only for mission staff)."""
    notes = None
    if can_read_notes(actor):
        notes = [
            NoteOut(id=n.id, author=n.author.username, at=n.at, body=n.body) for n in incident.notes
        ]
    return IncidentOut(
        id=incident.id,
        agreement_id=incident.agreement_id,
        occurred_at=incident.occurred_at,
        reported_at=incident.reported_at,
        type=incident.type,
        sector_id=incident.sector_id,
        longitude=incident.longitude,
        latitude=incident.latitude,
        reporter=incident.reporter.username,
        sources=incident.sources,
        confidence=incident.confidence,
        description=incident.description,
        state=incident.state,
        attributed_party_id=incident.attributed_party_id,
        attribution_confidence=incident.attribution_confidence,
        merged_into_id=incident.merged_into_id,
        merged_ids=[] if actor.role is Role.LIAISON else [m.id for m in incident.merged],
        clause_ids=[c.id for c in incident.clauses],
        attachments=[
            AttachmentIn(sha256=a.sha256, filename=a.filename, size_bytes=a.size_bytes)
            for a in incident.attachments
        ],
        events=[
            EventOut(
                id=e.id,
                action=e.action,
                from_state=e.from_state,
                to_state=e.to_state,
                actor=e.actor.username,
                at=e.at,
                reason=e.reason,
            )
            for e in visible_events(actor, incident)
        ],
        notes=notes,
    )
