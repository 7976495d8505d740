"""Duplicate reports: one event reported by several monitors, proposed, merged or dismissed.

Two incidents of one agreement are proposed as possible duplicates when both have a point,
they occurred at most ``DuplicatePolicy.window`` apart and their points lie at most
``DuplicatePolicy.distance_m`` apart on the great circle, unless a monitor has dismissed the
pair. The candidates of an incident come from one SQL query (same agreement, the time window
and a latitude/longitude box around the point, dismissed pairs left out); numpy then keeps
those within the exact distance (:mod:`detente.monitor.distance`).

Who may verify (the workflow's ``verify`` roles) may merge duplicates into the incident that
keeps the event, undo a merge, dismiss a proposal and undo a dismissal (:func:`restore`),
which proposes the pair again. Every decision is audited and written in both reports'
timelines, so each report's history shows what was decided about it and why. A merged report
is never deleted: it moves to state ``merged`` and names the incident it was merged into;
lists, counts, rates and exports leave it out, so an event reported three times counts once.

A pair is decided once: when two monitors merge, dismiss, restore or unmerge the same pair at
the same time, the decisions are taken one after the other
(:func:`detente.monitor.decided.lock`), and the second is refused with who decided first and
when (:class:`~detente.monitor.errors.AlreadyDecidedError`, 409).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
from collections.abc import Mapping, Sequence
from typing import NoReturn

import numpy as np
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from detente.monitor import audit, decided
from detente.monitor.auth import DUPLICATE_JUDGEMENTS, require_role
from detente.monitor.distance import bounding_box, haversine_m
from detente.monitor.enums import READERS, Action, State
from detente.monitor.errors import AlreadyDecidedError, InputError, WorkflowError
from detente.monitor.models import (
    DuplicateDismissal,
    Incident,
    User,
)
from detente.monitor.service import get_incident
from detente.monitor.workflow import RAISED_STATES, TRANSITIONS

__all__ = [
    "DismissedPair",
    "DuplicateCandidate",
    "DuplicatePolicy",
    "Duplicates",
    "can_decide",
    "can_read",
    "dismiss",
    "duplicates_of",
    "find_duplicates",
    "merge",
    "restore",
    "unmerge",
]

#: Who may merge, unmerge, dismiss and restore: whoever may verify a report.
DECIDERS = tuple(sorted(TRANSITIONS[Action.VERIFY].roles))


#: The timeline's actions of a dismissal and of its undoing (both reports' timelines).
DISMISS, RESTORE = DUPLICATE_JUDGEMENTS


def can_read(user: User) -> bool:
    """Whether the user may see the proposals (mission staff and analysts)."""
    return user.role in READERS


def can_decide(user: User) -> bool:
    """Whether the user may merge, unmerge, dismiss and restore (whoever may verify a report)."""
    return user.role in DECIDERS


@dataclasses.dataclass(frozen=True)
class DuplicatePolicy:
    """When two reports are proposed as possible duplicates of one event.

    Attributes:
        distance_m: greatest great-circle distance between their points, in metres. Patrols
            that see one impact or one clash from different positions usually place it within
            a kilometre or two of each other; 2 km proposes those and little else.
        window: greatest difference between their times of occurrence. Observers' estimates
            of when something happened differ by minutes; an hour leaves room for a report
            written from memory after the patrol.
    """

    distance_m: float = 2000.0
    window: dt.timedelta = dt.timedelta(hours=1)

    def __post_init__(self) -> None:
        """Refuse a negative or non-finite distance and a negative window."""
        if not (math.isfinite(self.distance_m) and self.distance_m >= 0):
            raise InputError(
                "the duplicate distance must be a non-negative number of metres",
                field="duplicate_distance_m",
            )
        if self.window < dt.timedelta(0):
            raise InputError(
                "the duplicate time window must not be negative", field="duplicate_window"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DuplicatePolicy:
        """The policy from ``DETENTE_MONITOR_DUPLICATE_METRES`` and ``_DUPLICATE_MINUTES``."""
        env = os.environ if env is None else env
        default = cls()
        metres = _number(env, "DETENTE_MONITOR_DUPLICATE_METRES", default.distance_m)
        minutes = _number(
            env, "DETENTE_MONITOR_DUPLICATE_MINUTES", default.window.total_seconds() / 60
        )
        if not 0 <= minutes <= _LONGEST_WINDOW_MINUTES:
            raise InputError(
                "DETENTE_MONITOR_DUPLICATE_MINUTES must be between 0 and "
                f"{_LONGEST_WINDOW_MINUTES:,} minutes (a year)",
                field="DETENTE_MONITOR_DUPLICATE_MINUTES",
            )
        return cls(metres, dt.timedelta(minutes=minutes))


_LONGEST_WINDOW_MINUTES = 366 * 24 * 60


def _number(env: Mapping[str, str], var: str, default: float) -> float:
    raw = env.get(var, "").strip()
    if not raw:
        return default
    try:
        number = float(raw)
    except ValueError:
        raise InputError(f"{var} must be a number, not {raw!r}", field=var) from None
    if not math.isfinite(number):
        raise InputError(f"{var} must be a finite number", field=var)
    return number


@dataclasses.dataclass(frozen=True)
class DuplicateCandidate:
    """Another report that may be of the same event as the incident asked about.

    Attributes:
        incident_id: the other report.
        occurred_at: when it occurred (UTC).
        type: its type.
        state: its state.
        reporter: who reported it.
        latitude: its point's latitude in degrees.
        longitude: its point's longitude in degrees.
        distance_m: great-circle distance between the two points, in metres.
        minutes_apart: absolute difference between the two times of occurrence, in minutes.
    """

    incident_id: int
    occurred_at: dt.datetime
    type: str
    state: str
    reporter: str
    latitude: float
    longitude: float
    distance_m: float
    minutes_apart: float


def find_duplicates(
    session: Session, actor: User, incident_id: int, policy: DuplicatePolicy
) -> list[DuplicateCandidate]:
    """The reports that may be duplicates of one incident, nearest first (mission staff).

    A merged report, an incident without a point and a dismissed pair are never proposed.
    """
    require_role(actor, *READERS)
    incident = get_incident(session, actor, incident_id)
    if incident.state is State.MERGED or incident.latitude is None or incident.longitude is None:
        return []
    box = bounding_box(incident.latitude, incident.longitude, policy.distance_m)
    other = aliased(Incident)
    dismissed = exists().where(
        or_(
            and_(DuplicateDismissal.low_id == incident.id, DuplicateDismissal.high_id == other.id),
            and_(DuplicateDismissal.low_id == other.id, DuplicateDismissal.high_id == incident.id),
        )
    )
    rows = session.execute(
        select(
            other.id, other.occurred_at, other.type, other.state, User.username,
            other.latitude, other.longitude,
        )
        .join(User, User.id == other.reporter_id)
        .where(
            other.agreement_id == incident.agreement_id,
            other.id != incident.id,
            other.state != State.MERGED,
            other.occurred_at >= incident.occurred_at - policy.window,
            other.occurred_at <= incident.occurred_at + policy.window,
            other.latitude.between(box.lat_min, box.lat_max),
            or_(*(other.longitude.between(w, e) for w, e in box.lon_ranges)),
            ~dismissed,
        )
    ).all()  # fmt: skip
    if not rows:
        return []
    lat = np.fromiter((r[5] for r in rows), np.float64, len(rows))
    lon = np.fromiter((r[6] for r in rows), np.float64, len(rows))
    distance = haversine_m(incident.latitude, incident.longitude, lat, lon)
    seconds = np.fromiter(
        ((r[1] - incident.occurred_at).total_seconds() for r in rows), np.float64, len(rows)
    )
    keep = np.flatnonzero(distance <= policy.distance_m)
    order = keep[np.lexsort((np.abs(seconds[keep]), distance[keep]))]
    return [
        DuplicateCandidate(
            incident_id=rows[i][0],
            occurred_at=rows[i][1],
            type=rows[i][2].value,
            state=rows[i][3].value,
            reporter=rows[i][4],
            latitude=float(lat[i]),
            longitude=float(lon[i]),
            distance_m=float(distance[i]),
            minutes_apart=float(abs(seconds[i]) / 60.0),
        )
        for i in order
    ]


@dataclasses.dataclass(frozen=True)
class DismissedPair:
    """Another report judged to be of a different event than the incident asked about.

    Attributes:
        incident_id: the other report.
        decided_by: who judged them different events.
        decided_at: when (UTC).
        reason: why.
    """

    incident_id: int
    decided_by: str
    decided_at: dt.datetime
    reason: str


@dataclasses.dataclass(frozen=True)
class Duplicates:
    """The possible duplicates of an incident, and the thresholds that proposed them.

    Attributes:
        incident_id: the incident asked about.
        distance_m: the distance threshold in metres.
        window_minutes: the time window in minutes.
        candidates: the proposed reports, nearest first.
        dismissed: the reports judged different events from it (whose dismissal
            :func:`restore` may undo), by incident id.
    """

    incident_id: int
    distance_m: float
    window_minutes: float
    candidates: tuple[DuplicateCandidate, ...]
    dismissed: tuple[DismissedPair, ...] = ()


def duplicates_of(
    session: Session, actor: User, incident_id: int, policy: DuplicatePolicy
) -> Duplicates:
    """:func:`find_duplicates` with the thresholds it used and the dismissed pairs.

    What the API and the page show.
    """
    candidates = tuple(find_duplicates(session, actor, incident_id, policy))
    rows = session.execute(
        select(
            DuplicateDismissal.low_id, DuplicateDismissal.high_id, User.username,
            DuplicateDismissal.at, DuplicateDismissal.reason,
        )
        .join(User, User.id == DuplicateDismissal.actor_id)
        .where(or_(DuplicateDismissal.low_id == incident_id,
                   DuplicateDismissal.high_id == incident_id))
    ).all()  # fmt: skip
    dismissed = sorted(
        (
            DismissedPair(high if low == incident_id else low, by, at, reason)
            for low, high, by, at, reason in rows
        ),
        key=lambda pair: pair.incident_id,
    )
    return Duplicates(
        incident_id=incident_id,
        distance_m=policy.distance_m,
        window_minutes=policy.window.total_seconds() / 60,
        candidates=candidates,
        dismissed=tuple(dismissed),
    )


def merge(
    session: Session, actor: User, kept_id: int, duplicate_ids: Sequence[int], reason: str
) -> Incident:
    """Merge duplicate reports into the incident that keeps the event; audited.

    Each duplicate moves to state ``merged`` and names ``kept_id``; both timelines record the
    merge. Refused when a duplicate is the kept incident itself, of another agreement, already
    merged, has reports merged into it, or has been raised with its party (the party answers
    the record as raised).
    """
    require_role(actor, *DECIDERS)
    why = decided.reason_of(reason)
    decided.lock(session, [kept_id, *duplicate_ids])
    kept = get_incident(session, actor, kept_id)
    if kept.state is State.MERGED:
        raise WorkflowError(
            f"incident {kept.id} is itself merged into incident {kept.merged_into_id}: "
            "merge into that one",
            field="incident_id",
        )
    if not duplicate_ids:
        raise InputError("name at least one report to merge", field="duplicate_ids")
    if len(set(duplicate_ids)) != len(duplicate_ids):
        raise InputError("a report is listed twice", field="duplicate_ids")
    duplicates = [get_incident(session, actor, i) for i in duplicate_ids]
    for dup in duplicates:
        _check_mergeable(session, kept, dup)
    for dup in duplicates:
        before = dup.state
        decided.add_event(
            kept, actor, "merge", kept.state, f"report {dup.id} merged into this one: {why}"
        )
        decided.add_event(
            dup, actor, "merge", State.MERGED, f"merged into incident {kept.id}: {why}"
        )
        dup.state = State.MERGED
        dup.merged_into_id = kept.id
        session.flush()
        audit.record(
            session,
            actor=actor.username,
            action="incident.merge",
            object_type="incident",
            object_id=dup.id,
            payload={"from": before, "to": State.MERGED, "into": kept.id, "reason": why},
        )
    return kept


def _check_mergeable(session: Session, kept: Incident, dup: Incident) -> None:
    where = f"cannot merge incident {dup.id} into incident {kept.id}"
    if dup.id == kept.id:
        raise InputError(f"{where}: it is the same incident", field="duplicate_ids")
    if dup.agreement_id != kept.agreement_id:
        raise InputError(f"{where}: they belong to different agreements", field="duplicate_ids")
    if dup.state is State.MERGED:
        by, at = decided.merged_by(session, dup.id)
        raise AlreadyDecidedError(
            f"{where}: it was already merged into incident {dup.merged_into_id}",
            decided_by=by,
            decided_at=at,
            field="duplicate_ids",
        )
    dismissed = decided.dismissed_by(session, dup.id, kept.id)
    if dismissed is not None:
        raise AlreadyDecidedError(
            f"{where}: they were judged different events",
            decided_by=dismissed[0],
            decided_at=dismissed[1],
            field="duplicate_ids",
        )
    if dup.state in RAISED_STATES:
        raise WorkflowError(
            f"{where}: it has been raised with its party, so its record stays (merge the other "
            "way round)",
            field="duplicate_ids",
        )
    has_merged = session.scalar(select(Incident.id).where(Incident.merged_into_id == dup.id))
    if has_merged is not None:
        raise WorkflowError(
            f"{where}: other reports are merged into it (merge incident {kept.id} into it, "
            "or undo those merges first)",
            field="duplicate_ids",
        )


def unmerge(session: Session, actor: User, incident_id: int, reason: str) -> Incident:
    """Undo the merge of a report: it returns to the state it was merged from; audited.

    Allowed until the incident it was merged into is raised with its party: from then on the
    party has (or may have) answered the record that counted the event once.
    """
    require_role(actor, *DECIDERS)
    why = decided.reason_of(reason)
    incident = get_incident(session, actor, incident_id)
    into = incident.merged_into_id
    decided.lock(session, [incident.id, into])  # in id order, as merge locks them
    if incident.state is not State.MERGED or incident.merged_into_id is None:
        undone = decided.unmerged_by(session, incident.id)
        if undone is None:
            raise WorkflowError(f"incident {incident.id} is not merged", field="incident_id")
        raise AlreadyDecidedError(
            f"incident {incident.id} is not merged: its merge was already undone",
            decided_by=undone[0],
            decided_at=undone[1],
            field="incident_id",
        )
    if incident.merged_into_id != into:
        by, at = decided.merged_by(session, incident.id)
        raise AlreadyDecidedError(
            f"incident {incident.id} was merged into incident {incident.merged_into_id} "
            "meanwhile: look again",
            decided_by=by,
            decided_at=at,
            field="incident_id",
        )
    kept = get_incident(session, actor, incident.merged_into_id)
    if kept.state in RAISED_STATES:
        raise WorkflowError(
            f"cannot undo the merge of incident {incident.id}: incident {kept.id} it was merged "
            "into has been raised with its party",
            field="incident_id",
        )
    before = next(
        (e.from_state for e in reversed(incident.events) if e.action == "merge"), State.REPORTED
    )
    assert before is not None
    decided.add_event(
        kept, actor, "unmerge", kept.state, f"report {incident.id} split off again: {why}"
    )
    decided.add_event(
        incident, actor, "unmerge", before, f"no longer merged into incident {kept.id}: {why}"
    )
    incident.state = before
    incident.merged_into_id = None
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="incident.unmerge",
        object_type="incident",
        object_id=incident.id,
        payload={"from": State.MERGED, "to": before, "into": None, "reason": why},
    )
    return incident


def dismiss(
    session: Session, actor: User, incident_id: int, other_id: int, reason: str
) -> DuplicateDismissal:
    """Record that two reports are of different events: not proposed again until restored.

    Refused when the pair was already dismissed, or one of the two is merged into the other
    (someone judged them one event).
    """
    require_role(actor, *DECIDERS)
    why = decided.reason_of(reason)
    decided.lock(session, [incident_id, other_id])
    incident = get_incident(session, actor, incident_id)
    other = get_incident(session, actor, other_id)
    if incident.id == other.id:
        raise InputError("a report is not a duplicate of itself", field="other_id")
    if incident.agreement_id != other.agreement_id:
        raise InputError("the two reports belong to different agreements", field="other_id")
    low, high = decided.pair(incident.id, other.id)
    dismissed = decided.dismissed_by(session, low, high)
    if dismissed is not None:
        raise AlreadyDecidedError(
            f"incidents {low} and {high} were already judged different events",
            decided_by=dismissed[0],
            decided_at=dismissed[1],
            field="other_id",
        )
    for one, two in ((incident, other), (other, incident)):
        if one.merged_into_id == two.id:
            by, at = decided.merged_by(session, one.id)
            raise AlreadyDecidedError(
                f"cannot judge incidents {low} and {high} different events: incident {one.id} "
                f"was merged into incident {two.id}",
                decided_by=by,
                decided_at=at,
                field="other_id",
            )
    dismissal = DuplicateDismissal(low_id=low, high_id=high, actor_id=actor.id, reason=why)
    session.add(dismissal)
    for one, two in ((incident, other), (other, incident)):
        decided.add_event(
            one,
            actor,
            DISMISS,
            one.state,
            f"judged a different event from incident {two.id}: {why}",
        )
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="duplicate.dismiss",
        object_type="incident",
        object_id=low,
        payload={"pair": [low, high], "reason": why},
    )
    return dismissal


def restore(session: Session, actor: User, incident_id: int, other_id: int, reason: str) -> None:
    """Undo the dismissal of a pair: the two reports are proposed again and may be merged.

    The dismissal's row goes; the audit log and both reports' timelines keep the dismissal
    and record its undoing. Refused when the pair is not dismissed, with who decided and
    when if someone did: merged one into the other, or already undid the dismissal.
    """
    require_role(actor, *DECIDERS)
    why = decided.reason_of(reason)
    decided.lock(session, [incident_id, other_id])
    incident = get_incident(session, actor, incident_id)
    other = get_incident(session, actor, other_id)
    if incident.id == other.id:
        raise InputError("a report is not a duplicate of itself", field="other_id")
    low, high = decided.pair(incident.id, other.id)
    dismissal = session.get(DuplicateDismissal, (low, high))
    if dismissal is None:
        _refuse_restore(session, incident, other)
    session.delete(dismissal)
    for one, two in ((incident, other), (other, incident)):
        decided.add_event(
            one,
            actor,
            RESTORE,
            one.state,
            f"may be the same event as incident {two.id} again: {why}",
        )
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="duplicate.restore",
        object_type="incident",
        object_id=low,
        payload={"pair": [low, high], "reason": why},
    )


def _refuse_restore(session: Session, incident: Incident, other: Incident) -> NoReturn:
    """Refuse to restore a pair that is not dismissed, naming who decided what it is now."""
    low, high = decided.pair(incident.id, other.id)
    for one, two in ((incident, other), (other, incident)):
        if one.merged_into_id == two.id:
            by, at = decided.merged_by(session, one.id)
            raise AlreadyDecidedError(
                f"incidents {low} and {high} are not judged different events: incident "
                f"{one.id} was merged into incident {two.id}",
                decided_by=by,
                decided_at=at,
                field="other_id",
            )
    restored = decided.restored_by(session, low, high)
    if restored is not None:
        raise AlreadyDecidedError(
            f"the dismissal of incidents {low} and {high} was already undone",
            decided_by=restored[0],
            decided_at=restored[1],
            field="other_id",
        )
    raise WorkflowError(
        f"incidents {low} and {high} were never judged different events", field="other_id"
    )
