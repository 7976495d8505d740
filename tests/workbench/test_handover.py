"""Put into force: a deal becomes a monitored agreement, and the record feeds its durability."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from detente import durability
from detente.monitor import service
from detente.monitor.enums import Action, BreachMechanism, Confidence, IncidentType
from detente.monitor.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from detente.monitor.models import Agreement, AuditEntry, User
from detente.monitor.schemas import IncidentIn, TransitionIn
from detente.scenario.model import Scenario
from detente.space import OutcomeSpace
from detente.workbench import library as lib
from detente.workbench.handover import (
    AgreementDurabilityRequest,
    ForceRequest,
    _clauses,
    agreement_durability,
    agreement_origin,
    breach_mechanism,
    can_put_into_force,
    put_into_force,
)
from detente.workbench.models import AgreementOrigin
from detente.workbench.runs import scenario_space
from tests.monitor_support import World

Factory = sessionmaker[Session]
SMALL = AgreementDurabilityRequest(paths=400, days=60, seed=4)


def run(factory: Factory, who: str, work: Callable[[Session, User], Any]) -> Any:
    with factory() as s, s.begin():
        actor = s.scalars(select(User).where(User.username == who)).one()
        return work(s, actor)


@pytest.fixture
def scenario_id(factory: Factory, world: World) -> int:
    del world  # the users
    made = run(factory, "analyst", lambda s, a: lib.create_scenario(s, a, builtin="ceasefire-2025"))
    return int(made.id)


def test_a_deal_becomes_an_agreement_with_clauses_and_mechanisms(
    factory: Factory, scenario_id: int
) -> None:
    request = ForceRequest(deal={"oversight": "hotline"}, signed_on=dt.date(2026, 3, 1))
    made = run(factory, "admin", lambda s, a: _summary(put_into_force(s, a, scenario_id, request)))
    stored = run(factory, "monitor", lambda s, a: lib.get_scenario(s, a, scenario_id))
    space = scenario_space(stored)
    deal, _ = durability.deal.complete_deal(space, {"oversight": "hotline"})
    assert made["name"] == "Russia-Ukraine 30-day ceasefire talks, March 2025 (US-brokered)"
    assert made["parties"] == ["Russia", "Ukraine"]  # the belligerents
    assert made["signed_on"] == dt.date(2026, 3, 1)
    issues = space.scenario.issues
    assert [c[0] for c in made["clauses"]] == [str(k) for k in range(1, len(issues) + 1)]
    oversight = next(c[1] for c in made["clauses"] if c[1].startswith("Oversight"))
    assert oversight == "Oversight of the frontline: a bilateral military hotline"
    sanctions = next(c[1] for c in made["clauses"] if c[1].startswith("Sanctions"))
    if deal["sanctions_relief"] == "phased":  # the option's description follows its label
        assert "Delivered step by step over about six months" in sanctions
    expected = list(durability.parameters_for_deal(space, deal).mechanisms)
    assert "hotline" in expected
    assert made["mechanism"] is breach_mechanism(expected)
    origin = run(factory, "analyst", lambda s, a: agreement_origin(s, a, made["id"]))
    assert (origin.scenario_id, origin.scenario_version) == (scenario_id, 1)
    assert origin.deal == deal
    assert origin.mechanisms == expected
    actions = run(factory, "admin", lambda s, _a: list(s.scalars(select(AuditEntry.action))))
    assert actions[-2:] == ["agreement.create", "agreement.put_into_force"]


def _summary(agreement: Agreement) -> dict[str, Any]:
    return {
        "id": agreement.id,
        "name": agreement.name,
        "parties": [p.name for p in agreement.parties],
        "clauses": [(c.ref, c.text) for c in agreement.clauses],
        "mechanism": agreement.mechanism,
        "signed_on": agreement.signed_on,
    }


@pytest.mark.parametrize(
    ("mechanisms", "breach"),
    [
        (["snapback", "commission", "monitoring"], BreachMechanism.JOINT_COMMISSION),
        (["monitoring", "hotline"], BreachMechanism.THIRD_PARTY_MONITOR),
        (["guarantees", "hotline"], BreachMechanism.GUARANTOR),
        (["hotline"], BreachMechanism.HOTLINE),
        ([], BreachMechanism.THIRD_PARTY_MONITOR),
    ],
)
def test_the_breach_mechanism_follows_the_deal(mechanisms: list[str], breach: object) -> None:
    assert breach_mechanism(mechanisms) is breach


def test_only_admins_put_into_force_and_bad_input_stores_nothing(
    factory: Factory, scenario_id: int
) -> None:
    for who in ("analyst", "monitor", "liaison_red"):
        assert not run(factory, who, lambda _s, a: can_put_into_force(a))  # the page's button
        with pytest.raises(PermissionDeniedError):
            run(factory, who, lambda s, a: put_into_force(s, a, scenario_id, ForceRequest()))
    assert run(factory, "admin", lambda _s, a: can_put_into_force(a))
    with pytest.raises(InputError, match="drones") as caught:
        run(
            factory,
            "admin",
            lambda s, a: put_into_force(
                s, a, scenario_id, ForceRequest(deal={"oversight": "drones"})
            ),
        )
    assert caught.value.field in {"deal", "oversight"}
    with pytest.raises(NotFoundError):
        run(
            factory,
            "admin",
            lambda s, a: put_into_force(s, a, scenario_id, ForceRequest(version=9)),
        )
    run(factory, "admin", lambda s, a: put_into_force(s, a, scenario_id, ForceRequest(name="A")))
    with pytest.raises(ConflictError):
        run(
            factory, "admin", lambda s, a: put_into_force(s, a, scenario_id, ForceRequest(name="A"))
        )
    origins = run(factory, "admin", lambda s, _a: list(s.scalars(select(AgreementOrigin))))
    assert len(origins) == 1


def test_incidents_recorded_later_feed_the_agreements_durability(
    factory: Factory, world: World, scenario_id: int
) -> None:
    request = ForceRequest(name="Handed over", signed_on=dt.date(2026, 3, 1))
    made = run(factory, "admin", lambda s, a: _summary(put_into_force(s, a, scenario_id, request)))
    now = dt.datetime(2026, 3, 11, tzinfo=dt.UTC)

    def view() -> dict[str, Any]:
        return run(
            factory,
            "analyst",
            lambda s, a: agreement_durability(s, a, made["id"], SMALL, now=now),
        )

    quiet = view()
    stored = run(factory, "monitor", lambda s, a: lib.get_scenario(s, a, scenario_id))
    space = scenario_space(stored)
    plain = durability.run(space, quiet["deal"], paths=400, days=60, seed=4)
    assert quiet["expected"] == plain.to_dict()  # detente durability on the deal
    assert quiet["rates"]["incidents"] == 0
    assert quiet["observed"] is None  # no record yet: nothing observed
    # two incidents attributed to Russia in the ten days since the first
    with factory() as s, s.begin():
        monitor = s.get(User, world.users["monitor"])
        assert monitor is not None
        russia = next(p.id for p in s.get(Agreement, made["id"]).parties if p.name == "Russia")
        for day in (1, 6):
            incident = service.create_incident(
                s,
                monitor,
                IncidentIn(
                    agreement_id=made["id"],
                    occurred_at=dt.datetime(2026, 3, day, 6, tzinfo=dt.UTC),
                    type=IncidentType.SHELLING,
                    longitude=37.8,
                    latitude=48.0,
                ),
            )
            for action, party in (
                (Action.START_VERIFICATION, None),
                (Action.VERIFY, None),
                (Action.ATTRIBUTE, russia),
            ):
                service.transition(
                    s,
                    monitor,
                    incident.id,
                    TransitionIn(
                        action=action,
                        reason="seen",
                        party_id=party,
                        confidence=None if party is None else Confidence.HIGH,
                    ),
                )
    busy = view()
    russia_rate = next(p for p in busy["rates"]["parties"] if p["party"] == "Russia")
    assert russia_rate["incidents"] == 2
    assert busy["expected"] == quiet["expected"]  # the calibrated run does not move
    assert busy["observed"] != quiet["observed"]
    by_party = {p.name: p for p in busy_parameters(busy)}
    assert by_party["Russia"].incident_rate > by_party["Ukraine"].incident_rate == 0.0
    with pytest.raises(PermissionDeniedError):
        run(factory, "liaison_red", lambda s, a: agreement_durability(s, a, made["id"], SMALL))
    with pytest.raises(NotFoundError, match="not put into force"):
        run(factory, "analyst", lambda s, a: agreement_durability(s, a, world.agreement_id, SMALL))


def busy_parameters(view: dict[str, Any]) -> list[Any]:
    """The parameters behind the observed run: the rates, as ``to_parameters`` reads them."""
    from detente.monitor.rates import ObservedRates, PartyRate, to_parameters  # noqa: PLC0415

    rates = dict(view["rates"])
    rates["parties"] = tuple(PartyRate(**p) for p in rates["parties"])
    return list(to_parameters(ObservedRates(**rates)).parties)


def test_the_scenarios_line_of_contact_becomes_the_agreements_sectors(
    factory: Factory, scenario_id: int
) -> None:
    request = ForceRequest(deal={"oversight": "hotline"}, name="With the line")
    made = run(
        factory,
        "admin",
        lambda s, a: [
            (x.name, x.geometry) for x in put_into_force(s, a, scenario_id, request).sectors
        ],
    )
    stored = run(factory, "monitor", lambda s, a: lib.get_scenario(s, a, scenario_id))
    line = scenario_space(stored).scenario.line_of_contact
    assert line is not None
    assert [name for name, _ in made] == [s.name for s in line.sectors]
    for (_, geometry), sector in zip(made, line.sectors, strict=True):
        assert geometry["type"] == "LineString"
        assert [tuple(p) for p in geometry["coordinates"]] == sector.coordinates
    text = run(factory, "analyst", lambda s, a: service.get_agreement(s, a, int(_last_id(s))).text)
    assert "approximate and illustrative" in text


def _last_id(s: Session) -> int:
    return int(s.scalars(select(Agreement.id).order_by(Agreement.id.desc())).first() or 0)


def test_a_clause_of_a_numeric_issue_reads_its_value() -> None:
    scenario = Scenario.model_validate(
        {
            "name": "zone",
            "issues": [
                {"kind": "integer", "name": "km", "label": "Buffer zone", "low": 0, "high": 4}
            ],
            "parties": [
                {
                    "name": n,
                    "reservation_value": 0.0,
                    "preferences": {
                        "issues": {
                            "km": {
                                "weight": 1,
                                "function": {"kind": "linear", "at_low": a, "at_high": b},
                            }
                        }
                    },
                }
                for n, a, b in (("A", 0, 1), ("B", 1, 0))
            ],
        }
    )
    clauses = _clauses(OutcomeSpace.from_scenario(scenario), {"km": "3"})
    assert [(c.ref, c.text) for c in clauses] == [("1", "Buffer zone: 3")]
