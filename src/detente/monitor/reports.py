"""Daily report and per-sector daily counts (aggregates for mission staff)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from detente.monitor.auth import require_role
from detente.monitor.enums import READERS, Action, State
from detente.monitor.models import Incident, IncidentEvent, User
from detente.monitor.schemas import DailyReport
from detente.monitor.service import get_agreement

__all__ = ["OPEN_BREACH_STATES", "daily_counts", "daily_report", "states_at"]

#: Attributed incidents not yet resolved: the open breaches a party is answerable for.
OPEN_BREACH_STATES = frozenset({State.ATTRIBUTED, State.RAISED, State.ANSWERED, State.ESCALATED})


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return start, start + dt.timedelta(days=1)


def states_at(
    session: Session, agreement_id: int, moment: dt.datetime
) -> dict[int, tuple[State, int | None]]:
    """Each incident's state and attributed party just before ``moment``, from its events.

    An incident is in the state its last event before ``moment`` led to, attributed to the
    party its last ``attribute`` event named, unless a ``reopen`` came after that. Incidents
    with no event before ``moment`` were not yet on record and are left out.
    """
    rows = session.execute(
        select(
            IncidentEvent.incident_id,
            IncidentEvent.action,
            IncidentEvent.to_state,
            IncidentEvent.party_id,
        )
        .join(Incident, Incident.id == IncidentEvent.incident_id)
        .where(Incident.agreement_id == agreement_id, IncidentEvent.at < moment)
        .order_by(IncidentEvent.incident_id, IncidentEvent.at, IncidentEvent.id)
    ).all()
    found: dict[int, tuple[State, int | None]] = {}
    for incident_id, action, to_state, party_id in rows:
        party = found.get(incident_id, (to_state, None))[1]
        if action == Action.ATTRIBUTE.value:
            party = party_id
        elif action == Action.REOPEN.value:
            party = None
        found[incident_id] = (to_state, party)
    return found


def daily_report(session: Session, actor: User, agreement_id: int, day: dt.date) -> DailyReport:
    """Counts for one UTC day: by sector and type, new and resolved, open breaches per party.

    Open breaches are counted as they stood at the end of the day (:func:`states_at`), so a
    past day's report does not change when incidents move on later.
    """
    require_role(actor, *READERS)
    agreement = get_agreement(session, actor, agreement_id)
    start, end = _day_bounds(day)
    sector_names: dict[int | None, str] = {s.id: s.name for s in agreement.sectors}
    rows = session.execute(
        select(Incident.sector_id, Incident.type).where(
            Incident.agreement_id == agreement_id,
            Incident.occurred_at >= start,
            Incident.occurred_at < end,
            Incident.state != State.MERGED,  # a duplicate report counts with its event
        )
    ).all()
    by_sector = Counter(sector_names.get(r[0], "(no sector)") for r in rows)
    by_type = Counter(r[1].value for r in rows)
    new = session.scalar(
        select(func.count(Incident.id)).where(
            Incident.agreement_id == agreement_id,
            Incident.reported_at >= start,
            Incident.reported_at < end,
            Incident.state != State.MERGED,
        )
    )
    resolved = session.scalar(
        select(func.count(IncidentEvent.id))
        .join(Incident, Incident.id == IncidentEvent.incident_id)
        .where(
            Incident.agreement_id == agreement_id,
            IncidentEvent.action == Action.RESOLVE.value,  # not a later merge into it
            IncidentEvent.at >= start,
            IncidentEvent.at < end,
        )
    )
    open_by_party = {p.name: 0 for p in agreement.parties}
    party_names = {p.id: p.name for p in agreement.parties}
    for state, party_id in states_at(session, agreement_id, end).values():
        if state in OPEN_BREACH_STATES and party_id in party_names:
            open_by_party[party_names[party_id]] += 1
    return DailyReport(
        agreement_id=agreement_id,
        date=day,
        incidents=len(rows),
        by_sector=dict(sorted(by_sector.items())),
        by_type=dict(sorted(by_type.items())),
        new_incidents=int(new or 0),
        resolved_incidents=int(resolved or 0),
        open_breaches_by_party=open_by_party,
    )


def daily_counts(
    session: Session, actor: User, agreement_id: int, last_day: dt.date, days: int
) -> tuple[list[dt.date], dict[str, list[int]]]:
    """Incidents per sector per UTC day over ``days`` days ending on ``last_day``."""
    require_role(actor, *READERS)
    agreement = get_agreement(session, actor, agreement_id)
    dates = [last_day - dt.timedelta(days=days - 1 - i) for i in range(days)]
    start, _ = _day_bounds(dates[0])
    _, end = _day_bounds(last_day)
    index = {d: i for i, d in enumerate(dates)}
    series = {s.name: [0] * days for s in agreement.sectors}
    names: dict[int | None, str] = {s.id: s.name for s in agreement.sectors}
    rows = session.execute(
        select(Incident.sector_id, Incident.occurred_at).where(
            Incident.agreement_id == agreement_id,
            Incident.occurred_at >= start,
            Incident.occurred_at < end,
            Incident.state != State.MERGED,
        )
    ).all()
    for sector_id, at in rows:
        name = names.get(sector_id, "(no sector)")
        series.setdefault(name, [0] * days)[index[at.date()]] += 1
    return dates, series
