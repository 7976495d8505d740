"""The workflow: every (action, state, role) pair against the table; a random-walk state machine."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor import service
from detente.monitor.db import make_engine, migrate
from detente.monitor.enums import Action, Confidence, Role, State
from detente.monitor.errors import InputError, NotFoundError, PermissionDeniedError, WorkflowError
from detente.monitor.models import Agreement, Incident, Party, User
from detente.monitor.schemas import IncidentIn, TransitionIn
from detente.monitor.workflow import (
    ATTRIBUTED_STATES,
    TRANSITIONS,
    allowed_actions,
    apply_action,
)
from tests.monitor_support import World, make_world

# The specification written out independently of TRANSITIONS: (action, from) -> to.
SPEC = {
    (Action.START_VERIFICATION, State.REPORTED): State.UNDER_VERIFICATION,
    (Action.VERIFY, State.UNDER_VERIFICATION): State.VERIFIED,
    (Action.REJECT, State.UNDER_VERIFICATION): State.NOT_VERIFIED,
    (Action.DISPUTE, State.UNDER_VERIFICATION): State.DISPUTED,
    (Action.REOPEN, State.NOT_VERIFIED): State.UNDER_VERIFICATION,
    (Action.REOPEN, State.DISPUTED): State.UNDER_VERIFICATION,
    (Action.ATTRIBUTE, State.VERIFIED): State.ATTRIBUTED,
    (Action.ATTRIBUTE, State.DISPUTED): State.ATTRIBUTED,
    (Action.RAISE, State.ATTRIBUTED): State.RAISED,
    (Action.ANSWER, State.RAISED): State.ANSWERED,
    (Action.RESOLVE, State.ANSWERED): State.RESOLVED,
    (Action.ESCALATE, State.RAISED): State.ESCALATED,
    (Action.ESCALATE, State.ANSWERED): State.ESCALATED,
}


def _incident(state: State, party: int | None = 1) -> Incident:
    agreement = Agreement(name="a", parties=[Party(id=1, name="Red"), Party(id=2, name="Blue")])
    return Incident(id=7, state=state, agreement=agreement, attributed_party_id=party, events=[])


def _user(role: Role, party: int | None = None) -> User:
    return User(id=3, username=role.value, role=role, party_id=party)


@pytest.mark.parametrize(("action", "state", "role"), list(itertools.product(Action, State, Role)))
def test_every_action_state_role(action: Action, state: State, role: Role) -> None:
    party = 1 if role is Role.LIAISON else None
    incident = _incident(state)
    user = _user(role, party)
    may_act = role in ({Role.LIAISON} if action is Action.ANSWER else {Role.ADMIN, Role.MONITOR})
    kwargs = {"party_id": 2, "confidence": Confidence.HIGH}
    if not may_act:
        with pytest.raises(PermissionDeniedError):
            apply_action(incident, action, user, "why", **kwargs)
        assert incident.state is state
    elif (action, state) not in SPEC:
        with pytest.raises(WorkflowError, match=f"cannot {action.value}"):
            apply_action(incident, action, user, "why", **kwargs)
        assert incident.state is state
        assert incident.events == []
    else:
        event = apply_action(incident, action, user, "  why  ", **kwargs)
        assert incident.state is SPEC[action, state]
        assert (event.from_state, event.to_state, event.reason) == (state, incident.state, "why")
        assert event.actor_id == user.id
        assert (action in allowed_actions(_incident(state), user)) is True


def test_table_matches_spec() -> None:
    pairs = {(a, s): t.target for a, t in TRANSITIONS.items() for s in t.sources}
    assert pairs == SPEC


def test_liaison_of_other_party_cannot_answer() -> None:
    with pytest.raises(PermissionDeniedError):
        apply_action(_incident(State.RAISED, party=1), Action.ANSWER, _user(Role.LIAISON, 2), "x")
    assert allowed_actions(_incident(State.RAISED, party=1), _user(Role.LIAISON, 2)) == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({}, "party_id"), ({"party_id": 99, "confidence": Confidence.LOW}, "party_id")],
)
def test_attribution_needs_party_of_agreement(kwargs: dict[str, object], field: str) -> None:
    incident = _incident(State.VERIFIED, party=None)
    with pytest.raises(InputError) as info:
        apply_action(incident, Action.ATTRIBUTE, _user(Role.MONITOR), "x", **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
    assert incident.state is State.VERIFIED


def test_reason_required() -> None:
    incident = _incident(State.REPORTED)
    with pytest.raises(InputError, match="reason"):
        apply_action(incident, Action.START_VERIFICATION, _user(Role.MONITOR), "   ")
    assert incident.state is State.REPORTED


class WorkflowMachine(RuleBasedStateMachine):
    """Random actions by random users through the service layer never reach an illegal state."""

    def __init__(self, factory: sessionmaker[Session], world: World) -> None:
        super().__init__()
        self.factory = factory
        self.world = world
        self.incident_id: int | None = None
        self.applied = 0

    def _session(self) -> Session:
        return self.factory()

    @precondition(lambda self: self.incident_id is None)
    @rule(sector=st.integers(0, 1))
    def report(self, sector: int) -> None:
        with self._session() as s, s.begin():
            monitor = s.get(User, self.world.users["monitor"])
            assert monitor is not None
            inc = service.create_incident(
                s,
                monitor,
                IncidentIn(
                    agreement_id=self.world.agreement_id,
                    occurred_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
                    type="shelling",
                    sector_id=self.world.sector_ids[sector],
                ),
            )
            self.incident_id = inc.id

    @precondition(lambda self: self.incident_id is not None)
    @rule(
        action=st.sampled_from(Action),
        who=st.sampled_from(["admin", "monitor", "analyst", "liaison_red", "liaison_blue"]),
        party=st.sampled_from([0, 1]),
    )
    def act(self, action: Action, who: str, party: int) -> None:
        assert self.incident_id is not None
        before = self._state()
        body = TransitionIn(
            action=action,
            reason="because",
            party_id=self.world.party_ids[party],
            confidence=Confidence.MEDIUM,
        )
        try:
            with self._session() as s, s.begin():
                user = s.get(User, self.world.users[who])
                assert user is not None
                service.transition(s, user, self.incident_id, body)
        except (WorkflowError, PermissionDeniedError, InputError, NotFoundError) as exc:
            assert self._state() == before  # nothing changed
            if isinstance(exc, WorkflowError):
                assert (action, before[0]) not in SPEC
            return
        self.applied += 1
        after = self._state()
        assert after[0] == SPEC[action, before[0]]

    def _state(self) -> tuple[State, int | None, int]:
        with self._session() as s:
            inc = s.get(Incident, self.incident_id)
            assert inc is not None
            return inc.state, inc.attributed_party_id, len(inc.events)

    @invariant()
    def consistent(self) -> None:
        if self.incident_id is None:
            return
        with self._session() as s:
            inc = s.scalars(select(Incident).where(Incident.id == self.incident_id)).one()
            assert inc.state in State
            assert (inc.attributed_party_id is not None) == (inc.state in ATTRIBUTED_STATES)
            assert len(inc.events) == self.applied + 1
            # The timeline replays to the current state through legal steps only.
            state = None
            for e in inc.events:
                assert e.from_state == state
                if state is not None:
                    assert SPEC[Action(e.action), state] == e.to_state
                state = e.to_state
            assert state == inc.state


def test_random_walks_never_reach_illegal_state(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'walk.db'}")
    migrate(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    world = make_world(factory)
    run = settings(
        max_examples=15,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    run_state_machine_as_test(lambda: WorkflowMachine(factory, world), settings=run)
    engine.dispose()
