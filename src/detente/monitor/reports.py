"""Daily report and per-sector daily counts (aggregates for mission staff)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from detente.monitor.auth import require_role
from detente.monitor.enums import State
from detente.monitor.models import Incident, IncidentEvent, Party, User
from detente.monitor.schemas import DailyReport
from detente.monitor.service import READERS, get_agreement

__all__ = ["OPEN_BREACH_STATES", "daily_counts", "daily_report"]

#: Attributed incidents not yet resolved: the open breaches a party is answerable for.
OPEN_BREACH_STATES = frozenset({State.ATTRIBUTED, State.RAISED, State.ANSWERED, State.ESCALATED})


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return start, start + dt.timedelta(days=1)


def daily_report(session: Session, actor: User, agreement_id: int, day: dt.date) -> DailyReport:
    """Counts for one UTC day: by sector and type, new and resolved, open breaches per party."""
    require_role(actor, *READERS)
    agreement = get_agreement(session, actor, agreement_id)
    start, end = _day_bounds(day)
    sector_names: dict[int | None, str] = {s.id: s.name for s in agreement.sectors}
    rows = session.execute(
        select(Incident.sector_id, Incident.type).where(
            Incident.agreement_id == agreement_id,
            Incident.occurred_at >= start,
            Incident.occurred_at < end,
        )
    ).all()
    by_sector = Counter(sector_names.get(r[0], "(no sector)") for r in rows)
    by_type = Counter(r[1].value for r in rows)
    new = session.scalar(
        select(func.count(Incident.id)).where(
            Incident.agreement_id == agreement_id,
            Incident.reported_at >= start,
            Incident.reported_at < end,
        )
    )
    resolved = session.scalar(
        select(func.count(IncidentEvent.id))
        .join(Incident, Incident.id == IncidentEvent.incident_id)
        .where(
            Incident.agreement_id == agreement_id,
            IncidentEvent.to_state == State.RESOLVED,
            IncidentEvent.at >= start,
            IncidentEvent.at < end,
        )
    )
    open_rows = session.execute(
        select(Party.name, func.count(Incident.id))
        .join(Incident, Incident.attributed_party_id == Party.id)
        .where(
            Incident.agreement_id == agreement_id,
            Incident.state.in_(OPEN_BREACH_STATES),
            Incident.occurred_at < end,
        )
        .group_by(Party.name)
    ).all()
    open_by_party = {p.name: 0 for p in agreement.parties} | {str(n): int(c) for n, c in open_rows}
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
        )
    ).all()
    for sector_id, at in rows:
        name = names.get(sector_id, "(no sector)")
        series.setdefault(name, [0] * days)[index[at.date()]] += 1
    return dates, series
