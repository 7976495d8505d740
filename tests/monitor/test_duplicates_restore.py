"""Undoing a dismissal (restore) and an unmerge refused after another: through the service."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor import audit, duplicates, service
from detente.monitor.duplicates import DuplicatePolicy
from detente.monitor.enums import Action, Confidence, IncidentType, Role, State
from detente.monitor.errors import (
    AlreadyDecidedError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    WorkflowError,
)
from detente.monitor.models import AuditEntry, DuplicateDismissal, Incident, IncidentEvent, User
from detente.monitor.schemas import IncidentIn, TransitionIn
from tests.monitor_support import World

T0 = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)
POLICY = DuplicatePolicy(distance_m=2000.0, window=dt.timedelta(hours=1))


def _user(s: Session, world: World, who: str) -> User:
    user = s.get(User, world.users[who])
    assert user is not None
    return user


def _report(factory: sessionmaker[Session], world: World, minutes: float = 0) -> int:
    """A shelling 100 m north of the others per minute after ``T0`` (all within 2 km)."""
    with factory() as s, s.begin():
        body = IncidentIn(
            agreement_id=world.agreement_id,
            occurred_at=T0 + dt.timedelta(minutes=minutes),
            type=IncidentType.SHELLING,
            sector_id=world.sector_ids[0],
            latitude=45.2 + minutes * 0.0009,
            longitude=20.2,
        )
        return service.create_incident(s, _user(s, world, "monitor"), body).id


def _do(factory: sessionmaker[Session], world: World, who: str, what: str, *pair: int) -> None:
    """One decision in a transaction of its own, as a request takes it."""
    one, two = (*pair, 0)[:2]
    with factory() as s, s.begin():
        user = _user(s, world, who)
        if what == "merge":
            duplicates.merge(s, user, one, [two], "same event")
        elif what == "dismiss":
            duplicates.dismiss(s, user, one, two, "two events")
        elif what == "restore":
            duplicates.restore(s, user, one, two, "one event after all")
        else:
            duplicates.unmerge(s, user, one, "two events after all")


def _proposed(factory: sessionmaker[Session], world: World, incident: int) -> list[int]:
    with factory() as s:
        found = duplicates.find_duplicates(s, _user(s, world, "analyst"), incident, POLICY)
        return [c.incident_id for c in found]


def _events(factory: sessionmaker[Session], incident: int) -> list[tuple[str, str, str]]:
    with factory() as s:
        rows = s.execute(
            select(IncidentEvent.action, User.username, IncidentEvent.reason)
            .join(User, User.id == IncidentEvent.actor_id)
            .where(IncidentEvent.incident_id == incident)
            .order_by(IncidentEvent.id)
        )
        return [(a, u, r) for a, u, r in rows]


def _last_at(factory: sessionmaker[Session], incident: int, action: str) -> dt.datetime:
    with factory() as s:
        found = s.scalars(
            select(IncidentEvent.at)
            .where(IncidentEvent.incident_id == incident, IncidentEvent.action == action)
            .order_by(IncidentEvent.id.desc())
        ).first()
        assert found is not None
        return found


def _refused(exc: AlreadyDecidedError, by: str, at: dt.datetime) -> None:
    """The refusal names who decided and when, in its message and its details."""
    when = at.astimezone(dt.UTC)
    assert exc.message.endswith(f" by {by} at {when:%Y-%m-%d %H:%M} UTC"), exc.message
    assert exc.status == 409
    assert exc.details() == {"decided_by": by, "decided_at": when.isoformat()}


def test_a_restored_pair_is_proposed_again_merged_and_its_history_kept(
    factory: sessionmaker[Session], world: World
) -> None:
    a, b, c = _report(factory, world), _report(factory, world, 1), _report(factory, world, 2)
    assert _proposed(factory, world, a) == [b, c]
    _do(factory, world, "monitor", "dismiss", b, a)
    assert _proposed(factory, world, a) == [c]
    with factory() as s:
        shown = duplicates.duplicates_of(s, _user(s, world, "analyst"), a, POLICY)
        assert [(d.incident_id, d.decided_by, d.reason) for d in shown.dismissed] == [
            (b, "monitor", "two events")
        ]
        seen_from_b = duplicates.duplicates_of(s, _user(s, world, "analyst"), b, POLICY)
        assert [d.incident_id for d in seen_from_b.dismissed] == [a]
    with pytest.raises(AlreadyDecidedError, match="they were judged different events"):
        _do(factory, world, "admin", "merge", a, b)

    _do(factory, world, "admin", "restore", a, b)
    assert _proposed(factory, world, a) == [b, c]
    with factory() as s:
        assert s.scalar(select(DuplicateDismissal).limit(1)) is None
        shown = duplicates.duplicates_of(s, _user(s, world, "analyst"), a, POLICY)
        assert shown.dismissed == ()
    _do(factory, world, "admin", "merge", a, b)

    # Both timelines show both decisions, who took them and why, in order.
    assert _events(factory, a)[1:] == [
        ("dismiss_duplicate", "monitor", f"judged a different event from incident {b}: two events"),
        ("restore_duplicate", "admin",
         f"may be the same event as incident {b} again: one event after all"),
        ("merge", "admin", f"report {b} merged into this one: same event"),
    ]  # fmt: skip
    assert [e[0] for e in _events(factory, b)[1:]] == [
        "dismiss_duplicate",
        "restore_duplicate",
        "merge",
    ]
    with factory() as s:
        logged = s.execute(
            select(AuditEntry.action, AuditEntry.actor, AuditEntry.object_id, AuditEntry.payload)
            .where(AuditEntry.action.like("duplicate.%"))
            .order_by(AuditEntry.seq)
        ).all()
        assert [(r[0], r[1], r[2], json.loads(r[3])) for r in logged] == [
            ("duplicate.dismiss", "monitor", a, {"pair": [a, b], "reason": "two events"}),
            ("duplicate.restore", "admin", a, {"pair": [a, b], "reason": "one event after all"}),
        ]
        assert audit.verify_chain(s).ok
        # The timeline keeps the state: a dismissal and its undoing change none.
        assert s.get(Incident, a).state is State.REPORTED  # type: ignore[union-attr]


def test_dismissed_again_after_a_restore_and_restored_again(
    factory: sessionmaker[Session], world: World
) -> None:
    a, b = _report(factory, world), _report(factory, world, 1)
    for _ in range(2):
        _do(factory, world, "monitor", "dismiss", a, b)
        assert _proposed(factory, world, a) == []
        with factory() as s:
            assert audit.verify_chain(s).ok
        _do(factory, world, "monitor", "restore", b, a)
        assert _proposed(factory, world, a) == [b]
        with factory() as s:
            assert audit.verify_chain(s).ok
    assert [e[0] for e in _events(factory, a)[1:]] == ["dismiss_duplicate", "restore_duplicate"] * 2


@pytest.mark.parametrize("role", list(Role))
def test_who_may_restore_is_who_may_dismiss(
    factory: sessionmaker[Session], world: World, role: Role
) -> None:
    a, b, c = _report(factory, world), _report(factory, world, 1), _report(factory, world, 2)
    _do(factory, world, "monitor", "dismiss", a, b)
    who = next(name for name, user_id in world.users.items() if _role(factory, user_id) is role)
    outcomes = []
    for what, one, two in (("dismiss", a, c), ("restore", a, b)):
        try:
            _do(factory, world, who, what, one, two)
            outcomes.append("done")
        except (PermissionDeniedError, NotFoundError) as exc:
            outcomes.append(type(exc).__name__)
    assert outcomes[0] == outcomes[1]
    assert (outcomes[1] == "done") is (role in duplicates.DECIDERS)


def _role(factory: sessionmaker[Session], user_id: int) -> Role:
    with factory() as s:
        user = s.get(User, user_id)
        assert user is not None
        return user.role


def test_restore_refusals_name_who_decided_and_when(
    factory: sessionmaker[Session], world: World
) -> None:
    a, b, c = _report(factory, world), _report(factory, world, 1), _report(factory, world, 2)
    with pytest.raises(WorkflowError, match=f"incidents {a} and {b} were never judged") as never:
        _do(factory, world, "monitor", "restore", a, b)
    assert not isinstance(never.value, AlreadyDecidedError)  # nobody to name
    _do(factory, world, "monitor", "dismiss", a, b)
    with factory() as s, s.begin():
        monitor = _user(s, world, "monitor")
        with pytest.raises(InputError, match="needs a reason"):
            duplicates.restore(s, monitor, a, b, "  ")
        with pytest.raises(InputError, match="itself"):
            duplicates.restore(s, monitor, a, a, "why")
        with pytest.raises(NotFoundError, match="no incident 999"):
            duplicates.restore(s, monitor, a, 999, "why")

    _do(factory, world, "admin", "restore", b, a)
    with factory() as s:  # when the log recorded it
        restored_at = s.scalars(
            select(AuditEntry.at).where(AuditEntry.action == "duplicate.restore")
        ).one()
    for one, two in ((a, b), (b, a)):
        with pytest.raises(AlreadyDecidedError, match="was already undone") as again:
            _do(factory, world, "monitor", "restore", one, two)
        _refused(again.value, "admin", restored_at)

    # Merged meanwhile: the merge is named, each way round.
    _do(factory, world, "admin", "dismiss", a, c)
    _do(factory, world, "monitor", "restore", a, c)
    # The log's later restore of another pair of a's is not taken for this pair's.
    with pytest.raises(AlreadyDecidedError, match="was already undone") as again:
        _do(factory, world, "monitor", "restore", a, b)
    _refused(again.value, "admin", restored_at)
    _do(factory, world, "monitor", "merge", c, a)
    merged_at = _last_at(factory, a, "merge")
    for one, two in ((a, c), (c, a)):
        with pytest.raises(AlreadyDecidedError, match=f"incident {a} was merged into") as late:
            _do(factory, world, "admin", "restore", one, two)
        _refused(late.value, "monitor", merged_at)
    with factory() as s:
        assert audit.verify_chain(s).ok  # the refusals left nothing


def test_the_log_accounts_for_restored_dismissals(
    factory: sessionmaker[Session], world: World
) -> None:
    a, b = _report(factory, world), _report(factory, world, 1)
    _do(factory, world, "monitor", "dismiss", a, b)
    _do(factory, world, "monitor", "restore", a, b)
    # A dismissal put back behind the log's back shows, as one deleted without a restore does.
    with factory() as s, s.begin():
        s.execute(
            insert(DuplicateDismissal),
            [{"low_id": a, "high_id": b, "actor_id": world.users["monitor"], "at": T0,
              "reason": "x"}],
        )  # fmt: skip
    with factory() as s:
        report = audit.verify_chain(s)
    assert report.problem == (
        f"the dismissal of incidents {a} and {b} as duplicates has no record in the audit log"
    )
    with factory() as s, s.begin():
        s.execute(delete(DuplicateDismissal))
    _do(factory, world, "monitor", "dismiss", a, b)
    with factory() as s, s.begin():
        s.execute(delete(DuplicateDismissal))
    with factory() as s:
        report = audit.verify_chain(s)
    assert report.problem is not None
    assert "missing from the database" in report.problem


def test_an_unmerge_after_another_names_who_unmerged_and_when(
    factory: sessionmaker[Session], world: World
) -> None:
    a, b, c = _report(factory, world), _report(factory, world, 1), _report(factory, world, 2)
    with pytest.raises(WorkflowError, match=f"incident {b} is not merged") as never:
        _do(factory, world, "monitor", "unmerge", b)
    assert not isinstance(never.value, AlreadyDecidedError)  # nobody to name
    _do(factory, world, "monitor", "merge", a, b)
    _do(factory, world, "admin", "unmerge", b)
    unmerged_at = _last_at(factory, b, "unmerge")
    with pytest.raises(AlreadyDecidedError, match="its merge was already undone") as again:
        _do(factory, world, "monitor", "unmerge", b)
    _refused(again.value, "admin", unmerged_at)
    # The incident that kept the event was never merged itself: nobody to name.
    with pytest.raises(WorkflowError, match=f"incident {a} is not merged") as kept:
        _do(factory, world, "monitor", "unmerge", a)
    assert not isinstance(kept.value, AlreadyDecidedError)
    _do(factory, world, "monitor", "merge", c, b)
    with factory() as s:
        assert s.get(Incident, b).merged_into_id == c  # type: ignore[union-attr]
        assert audit.verify_chain(s).ok


def test_an_unmerge_of_a_report_merged_elsewhere_meanwhile_names_that_merge(
    factory: sessionmaker[Session], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report is read, then unmerged and merged elsewhere before the lock: refused.

    The other decisions are taken in the same transaction, just before the lock (on SQLite
    no other transaction can write meanwhile); the refusal rolls them back with it.
    """
    a, b, c = _report(factory, world), _report(factory, world, 1), _report(factory, world, 2)
    _do(factory, world, "monitor", "merge", a, b)
    lock = duplicates.decided.lock
    meanwhile: list[dt.datetime] = []

    def lock_after_others(session: Session, ids: list[int | None]) -> None:
        if not meanwhile:
            meanwhile.append(dt.datetime.now(dt.UTC))
            admin = _user(session, world, "admin")
            duplicates.unmerge(session, admin, b, "two events")
            duplicates.merge(session, admin, c, [b], "the other one")
        lock(session, ids)

    monkeypatch.setattr(duplicates.decided, "lock", lock_after_others)
    with pytest.raises(AlreadyDecidedError, match=f"merged into incident {c} meanwhile") as late:
        _do(factory, world, "monitor", "unmerge", b)
    assert late.value.decided_by == "admin"
    assert abs(late.value.decided_at - meanwhile[0]) < dt.timedelta(minutes=1)
    with factory() as s:
        assert s.get(Incident, b).merged_into_id == a  # type: ignore[union-attr]
        assert audit.verify_chain(s).ok


def _raise_with_party(factory: sessionmaker[Session], world: World, incident: int) -> None:
    """Verify the incident, attribute it to the first party and raise it with that party."""
    with factory() as s, s.begin():
        monitor = _user(s, world, "monitor")
        for action in (Action.START_VERIFICATION, Action.VERIFY, Action.ATTRIBUTE, Action.RAISE):
            extra = {}
            if action is Action.ATTRIBUTE:
                extra = {"party_id": world.party_ids[0], "confidence": Confidence.HIGH}
            body = TransitionIn(action=action, reason="seen", **extra)  # type: ignore[arg-type]
            service.transition(s, monitor, incident, body)


def test_a_liaison_never_sees_the_judgements_on_duplicates(
    factory: sessionmaker[Session], world: World
) -> None:
    a, b = _report(factory, world), _report(factory, world, 1)
    _raise_with_party(factory, world, a)
    _do(factory, world, "monitor", "dismiss", a, b)
    _do(factory, world, "admin", "restore", b, a)
    with factory() as s:
        liaison, monitor = _user(s, world, "liaison_red"), _user(s, world, "monitor")
        incident = service.get_incident(s, liaison, a)
        mission = [e.action for e in service.incident_out(incident, monitor).events]
        party = [e.action for e in service.incident_out(incident, liaison).events]
    assert mission[-2:] == ["dismiss_duplicate", "restore_duplicate"]
    assert party == mission[:-2]


def test_a_liaison_sees_its_report_merged_but_not_which_reports_were_merged_into_it(
    factory: sessionmaker[Session], world: World
) -> None:
    """As ``merged_ids`` is empty for a liaison, the kept incident's timeline names no merged
    report; the merged report's own timeline keeps its merge and unmerge (its merged_into_id)."""
    kept, dup = _report(factory, world), _report(factory, world, 1)
    _do(factory, world, "monitor", "merge", kept, dup)
    _do(factory, world, "admin", "unmerge", dup)
    _raise_with_party(factory, world, kept)  # each raised with the party: the liaison sees both
    _raise_with_party(factory, world, dup)
    with factory() as s:
        liaison, monitor = _user(s, world, "liaison_red"), _user(s, world, "monitor")
        seen = {
            who.username: {
                i: [(e.action, e.reason) for e in service.incident_out(inc, who).events]
                for i in (kept, dup)
                for inc in [service.get_incident(s, who, i)]
            }
            for who in (liaison, monitor)
        }
    mission, party = seen["monitor"], seen["liaison_red"]
    assert [a for a, _ in mission[kept] if a in ("merge", "unmerge")] == ["merge", "unmerge"]
    assert party[kept] == [
        e for e in mission[kept] if e[0] not in ("merge", "unmerge")
    ]  # no "report N merged into this one"
    assert not any(str(dup) in (reason or "") for _, reason in party[kept])
    assert party[dup] == mission[dup]  # its own merge and unmerge, as its merged_into_id
    assert [a for a, _ in party[dup] if a in ("merge", "unmerge")] == ["merge", "unmerge"]
