"""Demo data: an agreement with sectors of the line and incidents in every workflow state."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from detente._rng import RNGLike, as_generator
from detente.monitor import service
from detente.monitor.enums import Action, Confidence, IncidentType, Role
from detente.monitor.errors import ConflictError
from detente.monitor.models import Agreement, User
from detente.monitor.schemas import AgreementIn, IncidentIn, TransitionIn, UserIn

__all__ = ["DemoSummary", "seed_demo"]

DEMO_FILE = Path(__file__).with_name("demo.json")

# Paths through the workflow the demo incidents follow (each prefix is a possible end state).
_PATHS: list[list[Action]] = [
    [],
    [Action.START_VERIFICATION],
    [Action.START_VERIFICATION, Action.REJECT],
    [Action.START_VERIFICATION, Action.DISPUTE],
    [Action.START_VERIFICATION, Action.VERIFY],
    [Action.START_VERIFICATION, Action.VERIFY, Action.ATTRIBUTE],
    [Action.START_VERIFICATION, Action.VERIFY, Action.ATTRIBUTE, Action.RAISE],
    [Action.START_VERIFICATION, Action.VERIFY, Action.ATTRIBUTE, Action.RAISE, Action.ANSWER],
    [
        Action.START_VERIFICATION,
        Action.VERIFY,
        Action.ATTRIBUTE,
        Action.RAISE,
        Action.ANSWER,
        Action.RESOLVE,
    ],
    [Action.START_VERIFICATION, Action.VERIFY, Action.ATTRIBUTE, Action.RAISE, Action.ESCALATE],
]
_REASONS = {
    Action.START_VERIFICATION: "Patrol dispatched to the reported location.",
    Action.VERIFY: "Crater analysis and two independent witnesses confirm the report.",
    Action.REJECT: "No trace found on site; sources could not be corroborated.",
    Action.DISPUTE: "Evidence is contradictory; both sides deny involvement.",
    Action.ATTRIBUTE: "Direction of fire traced to positions of this party.",
    Action.RAISE: "Raised at the joint commission's daily meeting.",
    Action.ANSWER: "The unit concerned has been instructed to comply; investigation opened.",
    Action.RESOLVE: "Commission accepts the answer; no repeat observed.",
    Action.ESCALATE: "No satisfactory answer within 48 hours; escalated to the guarantors.",
}


#: Mean hours from the step before to each action (exponential delays; judgement, in line
#: with a mission that patrols daily and a commission that meets every day or two).
_MEAN_HOURS = {
    Action.START_VERIFICATION: 3.0,
    Action.VERIFY: 12.0,
    Action.REJECT: 18.0,
    Action.DISPUTE: 18.0,
    Action.ATTRIBUTE: 8.0,
    Action.RAISE: 18.0,
    Action.ANSWER: 24.0,
    Action.RESOLVE: 24.0,
    Action.ESCALATE: 48.0,
}
#: Mean hours from an incident to its report.
_MEAN_REPORT_HOURS = 2.0


@dataclasses.dataclass(frozen=True)
class DemoSummary:
    """What ``seed_demo`` created."""

    agreement_id: int
    users: dict[str, str]
    incidents: int


def _point_in(geometry: dict[str, Any], rng: Any) -> tuple[float, float]:
    ring = geometry["coordinates"][0]
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    return (
        round(float(rng.uniform(min(lons), max(lons))), 4),
        round(float(rng.uniform(min(lats), max(lats))), 4),
    )


def seed_demo(
    session: Session,
    admin: User,
    *,
    password: str,
    incidents: int = 60,
    days: int = 14,
    today: dt.date | None = None,
    rng: RNGLike = 2026,
) -> DemoSummary:
    """Create the demo agreement, a user per role and ``incidents`` incidents over ``days`` days."""
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    spec = AgreementIn.model_validate(data["agreement"])
    if session.scalars(select(Agreement.id).where(Agreement.name == spec.name)).first():
        raise ConflictError(f"the demo agreement {spec.name!r} exists already", field="name")
    gen = as_generator(rng)
    agreement = service.create_agreement(session, admin, spec)
    parties = agreement.parties
    users = {"monitor": Role.MONITOR, "analyst": Role.ANALYST}
    made: dict[str, User] = {}
    for name, role in users.items():
        made[name] = service.create_user(
            session, admin, UserIn(username=f"demo-{name}", password=password, role=role)
        )
    liaisons = {}
    for i, party in enumerate(parties, start=1):
        liaisons[party.id] = service.create_user(
            session,
            admin,
            UserIn(
                username=f"demo-liaison{i}", password=password, role=Role.LIAISON, party_id=party.id
            ),
        )
    monitor = made["monitor"]
    types = list(data["type_weights"])
    weights = [float(w) for w in data["type_weights"].values()]
    total = sum(weights)
    now = dt.datetime.now(dt.UTC)
    end = now if today is None else dt.datetime.combine(today, dt.time(), dt.UTC)
    for _ in range(incidents):
        kind = IncidentType(types[int(gen.choice(len(types), p=[w / total for w in weights]))])
        sector = agreement.sectors[int(gen.integers(len(agreement.sectors)))]
        lon, lat = _point_in(sector.geometry, gen)
        has_point = bool(gen.random() < 0.8)
        occurred = end - dt.timedelta(minutes=int(gen.integers(1, days * 24 * 60)))
        incident = service.create_incident(
            session,
            monitor,
            IncidentIn(
                agreement_id=agreement.id,
                occurred_at=occurred,
                type=kind,
                sector_id=sector.id,
                longitude=lon if has_point else None,
                latitude=lat if has_point else None,
                sources="Patrol observation; local residents",
                confidence=Confidence(["low", "medium", "high"][int(gen.integers(3))]),
                description=data["descriptions"][kind.value],
                clause_ids=[agreement.clauses[int(gen.integers(len(agreement.clauses)))].id],
            ),
        )
        # Realistic times: reported a little after it happened, each step some hours after
        # the one before; a step that would fall after the end of the demo has not happened.
        at = min(occurred + dt.timedelta(hours=float(gen.exponential(_MEAN_REPORT_HOURS))), end)
        incident.reported_at = at
        incident.events[0].at = at
        party = parties[int(gen.integers(len(parties)))]
        for action in _PATHS[int(gen.integers(len(_PATHS)))]:
            at += dt.timedelta(hours=float(gen.exponential(_MEAN_HOURS[action])))
            if at >= end:
                break
            actor = liaisons[party.id] if action is Action.ANSWER else monitor
            service.transition(
                session,
                actor,
                incident.id,
                TransitionIn(
                    action=action,
                    reason=_REASONS[action],
                    party_id=party.id if action is Action.ATTRIBUTE else None,
                    confidence=Confidence.HIGH if action is Action.ATTRIBUTE else None,
                ),
            )
            incident.events[-1].at = at
    session.flush()
    return DemoSummary(
        agreement_id=agreement.id,
        users={u.username: u.role.value for u in [*made.values(), *liaisons.values()]},
        incidents=incidents,
    )
