"""Observed rates from the recorded incidents, and the durability parameters they give.

Only what the record supports is estimated: how often incidents attributed to each party
occur, which share of checked reports the mission verifies, which share of verified incidents
it attributes, which share of closed breaches the mechanism resolves rather than escalates,
and how long verification, answers and closure take. ``docs/explanation/monitoring-workflow.md``
gives each definition and how it maps onto the model's fields
(``detente.durability.parameters``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import Counter

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from detente.durability.parameters import Parameters, default_parameters, validate_parameters
from detente.monitor.auth import require_role
from detente.monitor.enums import READERS, Action, State
from detente.monitor.models import Incident, IncidentEvent, User
from detente.monitor.service import get_agreement

__all__ = ["ObservedRates", "PartyRate", "default_window", "observed_rates", "to_parameters"]

_OUTCOMES = {State.VERIFIED, State.NOT_VERIFIED, State.DISPUTED}
_CLOSED = {State.RESOLVED, State.ESCALATED}


@dataclasses.dataclass(frozen=True)
class PartyRate:
    """Incidents attributed to one party over the window.

    Attributes:
        party: the party's name.
        incidents: incidents in the window attributed to the party (current attribution).
        daily_rate: ``incidents / days``, the Poisson rate per day.
        daily_probability: ``1 - exp(-daily_rate)``, the probability of at least one such
            incident on a day: the model's per-party ``incident_rate``.
    """

    party: str
    incidents: int
    daily_rate: float
    daily_probability: float


@dataclasses.dataclass(frozen=True)
class ObservedRates:
    """Rates and delays observed for one agreement over a window of days.

    Attributes:
        agreement_id: the agreement.
        since: start of the window (ISO 8601, UTC).
        until: end of the window (ISO 8601, UTC).
        days: length of the window in days.
        incidents: incidents that occurred in the window.
        daily_incident_rate: ``incidents / days``, all incidents, attributed or not.
        parties: per party, the incidents attributed to it and the daily probability.
        unattributed: incidents in the window attributed to no party (yet).
        verification_share: verified / (verified + not verified + disputed), first outcomes.
        attribution_share: of the incidents ever verified, the share ever attributed.
        answer_share: answered / raised.
        resolution_share: resolved / (resolved + escalated).
        median_hours_to_verification: report to first verification outcome.
        median_hours_to_answer: raise to answer.
        median_hours_to_closure: report to resolved or escalated.
    """

    agreement_id: int
    since: str
    until: str
    days: float
    incidents: int
    daily_incident_rate: float
    parties: tuple[PartyRate, ...]
    unattributed: int
    verification_share: float | None
    attribution_share: float | None
    answer_share: float | None
    resolution_share: float | None
    median_hours_to_verification: float | None
    median_hours_to_answer: float | None
    median_hours_to_closure: float | None


def _median_hours(deltas: list[float]) -> float | None:
    return float(np.median(np.asarray(deltas) / 3600.0)) if deltas else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def default_window(
    session: Session, agreement_id: int, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """From the UTC midnight before the agreement's first incident to ``now``.

    With no incident yet the window is empty (``now`` to ``now``).
    """
    first = session.scalar(
        select(func.min(Incident.occurred_at)).where(
            Incident.agreement_id == agreement_id, Incident.state != State.MERGED
        )
    )
    if first is None:
        return now, now
    start = dt.datetime(first.year, first.month, first.day, tzinfo=dt.UTC)
    return min(start, now), now


def observed_rates(
    session: Session, actor: User, agreement_id: int, since: dt.datetime, until: dt.datetime
) -> ObservedRates:
    """Estimate the rates from the incidents that occurred in ``[since, until)``."""
    require_role(actor, *READERS)
    agreement = get_agreement(session, actor, agreement_id)
    days = max((until - since).total_seconds() / 86400.0, 0.0)
    rows = session.execute(
        select(Incident.id, Incident.attributed_party_id).where(
            Incident.agreement_id == agreement_id,
            Incident.occurred_at >= since,
            Incident.occurred_at < until,
            Incident.state != State.MERGED,  # a duplicate report counts with its event
        )
    ).all()
    ids = [r[0] for r in rows]
    by_party = Counter(r[1] for r in rows if r[1] is not None)
    events: dict[int, list[IncidentEvent]] = {i: [] for i in ids}
    found = session.scalars(
        select(IncidentEvent)
        .where(IncidentEvent.incident_id.in_(ids))
        .order_by(IncidentEvent.incident_id, IncidentEvent.at, IncidentEvent.id)
    )
    for e in found:
        events[e.incident_id].append(e)
    outcomes: list[State] = []
    to_verify: list[float] = []
    to_answer: list[float] = []
    to_close: list[float] = []
    closed: list[State] = []
    raised = answered = verified = verified_attributed = 0
    for timeline in events.values():
        reported_at = timeline[0].at
        first_outcome = next((e for e in timeline if e.to_state in _OUTCOMES), None)
        if first_outcome is not None:
            outcomes.append(first_outcome.to_state)
            to_verify.append((first_outcome.at - reported_at).total_seconds())
        actions = {e.action for e in timeline}
        if Action.VERIFY.value in actions:
            verified += 1
            verified_attributed += Action.ATTRIBUTE.value in actions
        raise_event = next((e for e in timeline if e.to_state is State.RAISED), None)
        if raise_event is not None:
            raised += 1
            answer = next((e for e in timeline if e.to_state is State.ANSWERED), None)
            if answer is not None:
                answered += 1
                to_answer.append((answer.at - raise_event.at).total_seconds())
        close = next((e for e in timeline if e.to_state in _CLOSED), None)
        if close is not None:
            closed.append(close.to_state)
            to_close.append((close.at - reported_at).total_seconds())
    parties = []
    for party in agreement.parties:
        n = by_party.get(party.id, 0)
        rate = n / days if days > 0 else 0.0
        parties.append(PartyRate(party.name, n, rate, -math.expm1(-rate)))
    return ObservedRates(
        agreement_id=agreement_id,
        since=since.isoformat(),
        until=until.isoformat(),
        days=days,
        incidents=len(ids),
        daily_incident_rate=len(ids) / days if days > 0 else 0.0,
        parties=tuple(parties),
        unattributed=len(ids) - sum(by_party.values()),
        verification_share=_share(outcomes.count(State.VERIFIED), len(outcomes)),
        attribution_share=_share(verified_attributed, verified),
        answer_share=_share(answered, raised),
        resolution_share=_share(closed.count(State.RESOLVED), len(closed)),
        median_hours_to_verification=_median_hours(to_verify),
        median_hours_to_answer=_median_hours(to_answer),
        median_hours_to_closure=_median_hours(to_close),
    )


def to_parameters(rates: ObservedRates, base: Parameters | None = None) -> Parameters:
    """Durability parameters for the agreement's parties with the observed rates put in.

    Each party's ``incident_rate`` is its observed daily probability; ``detection`` is the
    verification share, ``attribution`` the attribution share (``misattribution`` lowered if
    the two would exceed 1) and ``resolution`` the resolution share. A share the record
    cannot estimate (no case yet) keeps the base's value. Every other field comes from
    ``base``: a party of the same name, else its first party as template; by default the
    calibrated parameters (``detente.durability.default_parameters``).
    """
    if base is None:
        reference = default_parameters().parties[0]
        base = default_parameters(
            dict.fromkeys((p.party for p in rates.parties), reference.deal_value),
            dict.fromkeys((p.party for p in rates.parties), reference.alternative),
        )
    templates = {p.name: p for p in base.parties}
    parties = [
        {
            **templates.get(p.party, base.parties[0]).model_dump(),
            "name": p.party,
            "incident_rate": p.daily_probability,
        }
        for p in rates.parties
    ]
    shared = base.model_dump()
    if rates.verification_share is not None:
        shared["detection"] = rates.verification_share
    if rates.attribution_share is not None:
        shared["attribution"] = rates.attribution_share
        shared["misattribution"] = min(shared["misattribution"], 1.0 - rates.attribution_share)
    if rates.resolution_share is not None:
        shared["resolution"] = rates.resolution_share
    return validate_parameters({**shared, "parties": parties}, source="observed rates")
