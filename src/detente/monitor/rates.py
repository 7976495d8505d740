"""Observed rates from the recorded incidents: inputs for the durability model.

Only what the record supports is estimated: how often incidents are reported, which share of
checked reports is verified, which share of raised incidents the party answers, and how long
verification, answers and closure take. Detection (the share of real breaches that are
reported at all) needs an outside reference and is not estimated here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from detente.monitor.auth import require_role
from detente.monitor.enums import State
from detente.monitor.models import Incident, IncidentEvent, User
from detente.monitor.service import READERS, get_agreement

__all__ = ["ObservedRates", "observed_rates"]

_OUTCOMES = {State.VERIFIED, State.NOT_VERIFIED, State.DISPUTED}
_CLOSED = {State.RESOLVED, State.ESCALATED}


@dataclasses.dataclass(frozen=True)
class ObservedRates:
    """Rates and delays observed for one agreement over a window of days.

    Attributes:
        agreement_id: the agreement.
        days: length of the observation window in days.
        incidents: incidents that occurred in the window.
        daily_incident_rate: ``incidents / days``.
        verification_share: verified / (verified + not verified + disputed), first outcomes.
        answer_share: answered / raised.
        median_hours_to_verification: report to first verification outcome.
        median_hours_to_answer: raise to answer.
        median_hours_to_closure: report to resolved or escalated.
    """

    agreement_id: int
    days: float
    incidents: int
    daily_incident_rate: float
    verification_share: float | None
    answer_share: float | None
    median_hours_to_verification: float | None
    median_hours_to_answer: float | None
    median_hours_to_closure: float | None


def _median_hours(deltas: list[float]) -> float | None:
    return float(np.median(np.asarray(deltas) / 3600.0)) if deltas else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def observed_rates(
    session: Session, actor: User, agreement_id: int, since: dt.datetime, until: dt.datetime
) -> ObservedRates:
    """Estimate the rates from the incidents that occurred in ``[since, until)``."""
    require_role(actor, *READERS)
    get_agreement(session, actor, agreement_id)
    days = (until - since).total_seconds() / 86400.0
    ids = list(
        session.scalars(
            select(Incident.id).where(
                Incident.agreement_id == agreement_id,
                Incident.occurred_at >= since,
                Incident.occurred_at < until,
            )
        )
    )
    events: dict[int, list[IncidentEvent]] = {i: [] for i in ids}
    rows = session.scalars(
        select(IncidentEvent)
        .where(IncidentEvent.incident_id.in_(ids))
        .order_by(IncidentEvent.incident_id, IncidentEvent.id)
    )
    for e in rows:
        events[e.incident_id].append(e)
    outcomes: list[State] = []
    to_verify: list[float] = []
    to_answer: list[float] = []
    to_close: list[float] = []
    raised = answered = 0
    for timeline in events.values():
        reported_at = timeline[0].at
        first_outcome = next((e for e in timeline if e.to_state in _OUTCOMES), None)
        if first_outcome is not None:
            outcomes.append(first_outcome.to_state)
            to_verify.append((first_outcome.at - reported_at).total_seconds())
        raise_event = next((e for e in timeline if e.to_state is State.RAISED), None)
        if raise_event is not None:
            raised += 1
            answer = next((e for e in timeline if e.to_state is State.ANSWERED), None)
            if answer is not None:
                answered += 1
                to_answer.append((answer.at - raise_event.at).total_seconds())
        closed = next((e for e in timeline if e.to_state in _CLOSED), None)
        if closed is not None:
            to_close.append((closed.at - reported_at).total_seconds())
    return ObservedRates(
        agreement_id=agreement_id,
        days=days,
        incidents=len(ids),
        daily_incident_rate=len(ids) / days if days > 0 else 0.0,
        verification_share=_share(outcomes.count(State.VERIFIED), len(outcomes)),
        answer_share=_share(answered, raised),
        median_hours_to_verification=_median_hours(to_verify),
        median_hours_to_answer=_median_hours(to_answer),
        median_hours_to_closure=_median_hours(to_close),
    )
