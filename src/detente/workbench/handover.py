"""Put a deal into force: a deal of a stored scenario becomes an agreement in the Monitor.

The agreement's parties are the scenario's belligerents (every party when none is marked as
one): incidents are attributed to them. Each issue becomes a clause (``1``, ``2``, ... in the
scenario's order) reading the chosen option's label and description; the mechanisms the
chosen options declare (``provides:``) are kept with the agreement's origin, and the
monitor's breach mechanism is the first of them the monitor knows (a joint commission, a
monitoring mission, guarantors, a hotline), else a third-party monitor, the mission itself.
The agreement is created by the monitor's own service (admins only, audited) and its origin
(scenario, version, deal) is audited too.

:func:`agreement_durability` is the agreement's durability view: ``detente durability`` on the
deal with the record's observed rates (:mod:`detente.monitor.rates`) in place of the
calibrated ones, beside the same run without them; every incident recorded later moves it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from detente import durability
from detente.durability.deal import complete_deal
from detente.monitor import audit, rates, service
from detente.monitor.auth import require_role
from detente.monitor.enums import BreachMechanism, Role
from detente.monitor.errors import NotFoundError
from detente.monitor.lines import agreement_sectors, line_note
from detente.monitor.models import Agreement, User, utcnow
from detente.monitor.schemas import AgreementIn, ClauseIn
from detente.scenario.model import DiscreteIssue
from detente.scenario.model import Role as PartyRole
from detente.space import OutcomeSpace
from detente.workbench.library import READERS, get_scenario
from detente.workbench.models import AgreementOrigin
from detente.workbench.runs import (
    MAX_DAYS,
    MAX_PATHS,
    Deal,
    RunRequest,
    as_input_error,
    scenario_space,
)

__all__ = [
    "AgreementDurabilityRequest",
    "ForceRequest",
    "agreement_durability",
    "agreement_origin",
    "breach_mechanism",
    "can_put_into_force",
    "put_into_force",
]

#: The monitor's breach mechanism for each durability mechanism, in order of preference.
_BREACH = (
    ("commission", BreachMechanism.JOINT_COMMISSION),
    ("monitoring", BreachMechanism.THIRD_PARTY_MONITOR),
    ("peacekeepers", BreachMechanism.THIRD_PARTY_MONITOR),
    ("guarantees", BreachMechanism.GUARANTOR),
    ("hotline", BreachMechanism.HOTLINE),
)


class ForceRequest(RunRequest):
    """Which deal of which version becomes an agreement, and what to call it."""

    version: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The version (default: the latest)."
    )
    deal: Deal = Field(default="nash", description="A solution name or {issue: option}.")
    name: str | None = Field(
        default=None, min_length=1, max_length=200, description="Default: the scenario's title."
    )
    signed_on: dt.date | None = None
    mechanism: BreachMechanism | None = Field(
        default=None, description="Default: the first the deal's mechanisms give."
    )


class AgreementDurabilityRequest(RunRequest):
    """The size and seed of an agreement's durability runs, and the record's window."""

    paths: int = Field(default=durability.DEFAULT_PATHS, ge=100, le=MAX_PATHS)
    days: int = Field(default=durability.DEFAULT_DAYS, ge=1, le=MAX_DAYS)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)


def breach_mechanism(mechanisms: Sequence[str]) -> BreachMechanism:
    """The monitor's breach mechanism for the deal's mechanisms (see the module's words)."""
    for name, breach in _BREACH:
        if name in mechanisms:
            return breach
    return BreachMechanism.THIRD_PARTY_MONITOR


def _parties(space: OutcomeSpace) -> list[str]:
    """The sides incidents are attributed to: the belligerents, else every party."""
    parties = space.scenario.parties
    fighting = [p.name for p in parties if p.role is PartyRole.BELLIGERENT]
    return fighting if len(fighting) >= 2 else [p.name for p in parties]


def _clauses(space: OutcomeSpace, deal: dict[str, str]) -> list[ClauseIn]:
    """One clause per issue: the issue's label and the chosen option's words."""
    out = []
    for k, issue in enumerate(space.scenario.issues, start=1):
        chosen = deal[issue.name]
        head = f"{issue.label or issue.name}: "
        if isinstance(issue, DiscreteIssue):
            option = issue.options[issue.option_index(chosen)]
            words = option.label or option.name
            if option.description:
                words += f". {' '.join(option.description.split())}"
        else:
            words = chosen
        out.append(ClauseIn(ref=str(k), text=head + words))
    return out


def can_put_into_force(actor: User) -> bool:
    """Admins put a deal into force: an agreement is created as the monitor's rule says."""
    return actor.role is Role.ADMIN


def put_into_force(
    session: Session, actor: User, scenario_id: int, request: ForceRequest
) -> Agreement:
    """Make a deal of a stored scenario an agreement in the Monitor area (admins).

    Raises:
        PermissionDeniedError: the actor is not an admin (the monitor's rule for agreements).
        NotFoundError: no such scenario or version.
        InputError: the scenario or the deal is invalid.
        ConflictError: an agreement of that name exists already.
    """
    if not can_put_into_force(actor):
        require_role(actor, Role.ADMIN)  # refuses, in the monitor's words
    stored = get_scenario(session, actor, scenario_id, request.version)
    space = scenario_space(stored)
    with as_input_error("deal"):
        deal, _ = complete_deal(space, request.deal)
    model = durability.parameters_for_deal(space, deal)
    mechanisms = list(model.mechanisms)
    title = space.scenario.title or space.scenario.name
    notes = f"Put into force from scenario {stored.id} version {stored.version} ({title})."
    line = f" {line_note(space.scenario)}" if space.scenario.line_of_contact else ""
    data = AgreementIn(
        name=request.name or title[:200],
        text=f"{notes} Mechanisms the deal provides: {', '.join(mechanisms) or 'none'}.{line}",
        signed_on=request.signed_on,
        mechanism=request.mechanism or breach_mechanism(mechanisms),
        parties=_parties(space),
        clauses=_clauses(space, deal),
        sectors=agreement_sectors(space.scenario),
    )
    agreement = service.create_agreement(session, actor, data)
    session.add(
        AgreementOrigin(
            agreement_id=agreement.id,
            scenario_id=stored.id,
            scenario_version=stored.version,
            deal=deal,
            mechanisms=mechanisms,
            forced_at=utcnow(),
            forced_by_id=actor.id,
        )
    )
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="agreement.put_into_force",
        object_type="agreement",
        object_id=agreement.id,
        payload={
            "scenario_id": stored.id,
            "scenario_version": stored.version,
            "deal": deal,
            "mechanisms": mechanisms,
        },
    )
    return agreement


def agreement_origin(session: Session, actor: User, agreement_id: int) -> AgreementOrigin:
    """Where an agreement came from (readers: every role but a party's liaison).

    Raises:
        NotFoundError: no such agreement, or it was not put into force from a scenario.
    """
    require_role(actor, *READERS)
    service.get_agreement(session, actor, agreement_id)
    origin = session.scalar(
        select(AgreementOrigin).where(AgreementOrigin.agreement_id == agreement_id)
    )
    if origin is None:
        raise NotFoundError(
            f"agreement {agreement_id} was not put into force from a scenario",
            field="agreement_id",
        )
    return origin


def agreement_durability(
    session: Session,
    actor: User,
    agreement_id: int,
    request: AgreementDurabilityRequest,
    *,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The agreement's durability view: its deal with the observed rates, and without.

    ``observed`` is ``detente durability --params FILE`` on the deal, ``FILE`` being what
    ``detente monitor rates --params-out`` writes for the agreement (from its first incident to
    ``now``), or ``None`` before the first incident (an empty record says nothing yet);
    ``expected`` is the same run with the calibrated rates; both on the same seed.

    Raises:
        PermissionDeniedError: a party's liaison.
        NotFoundError: no such agreement, or it was not put into force from a scenario.
    """
    origin = agreement_origin(session, actor, agreement_id)
    stored = get_scenario(session, actor, origin.scenario_id, origin.scenario_version)
    space = scenario_space(stored)
    since, until = rates.default_window(session, agreement_id, now or utcnow())
    observed = rates.observed_rates(session, actor, agreement_id, since, until)

    def run(params: durability.Parameters | None) -> durability.DurabilityRun:
        return durability.run(
            space,
            dict(origin.deal),
            params=params,
            paths=request.paths,
            days=request.days,
            seed=request.seed,
        )

    return {
        "agreement_id": agreement_id,
        "scenario_id": origin.scenario_id,
        "scenario_version": origin.scenario_version,
        "deal": dict(origin.deal),
        "mechanisms": list(origin.mechanisms),
        "rates": _rates_dict(observed),
        "observed": None if observed.days <= 0 else run(rates.to_parameters(observed)).to_dict(),
        "expected": run(None).to_dict(),
    }


def _rates_dict(observed: rates.ObservedRates) -> dict[str, Any]:
    return dataclasses.asdict(observed)
