"""Duplicate reports: candidates against brute force; merge, unmerge, dismiss; audit and counts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor import audit, duplicates, reports, service
from detente.monitor.distance import EARTH_RADIUS_M
from detente.monitor.duplicates import DuplicatePolicy
from detente.monitor.enums import Action, BreachMechanism, Confidence, IncidentType, State
from detente.monitor.errors import (
    AlreadyDecidedError,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    WorkflowError,
)
from detente.monitor.models import DuplicateDismissal, Incident, IncidentEvent, User
from detente.monitor.rates import observed_rates
from detente.monitor.schemas import AgreementIn, IncidentIn, TransitionIn
from tests.monitor.sphere_support import vincenty_sphere_m
from tests.monitor_support import World

T0 = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)
POLICY = DuplicatePolicy(distance_m=2000.0, window=dt.timedelta(hours=1))
#: Metres per degree of latitude on the sphere.
M_PER_DEG = EARTH_RADIUS_M * math.pi / 180


def _user(s: Session, world: World, who: str) -> User:
    user = s.get(User, world.users[who])
    assert user is not None
    return user


def _report(
    factory: sessionmaker[Session],
    world: World,
    *,
    minutes: float = 0,
    north_m: float = 0,
    point: bool = True,
    who: str = "monitor",
) -> int:
    with factory() as s, s.begin():
        body = IncidentIn(
            agreement_id=world.agreement_id,
            occurred_at=T0 + dt.timedelta(minutes=minutes),
            type=IncidentType.SHELLING,
            sector_id=world.sector_ids[0],
            latitude=45.2 + north_m / M_PER_DEG if point else None,
            longitude=20.2 if point else None,
        )
        return service.create_incident(s, _user(s, world, who), body).id


def _act(factory: sessionmaker[Session], world: World, incident: int, *actions: Action) -> None:
    with factory() as s, s.begin():
        for action in actions:
            extra: dict[str, Any] = {}
            if action is Action.ATTRIBUTE:
                extra = {"party_id": world.party_ids[0], "confidence": Confidence.HIGH}
            service.transition(
                s,
                _user(s, world, "monitor"),
                incident,
                TransitionIn(action=action, reason="seen", **extra),
            )


def _candidates(
    factory: sessionmaker[Session], world: World, incident: int, who: str = "analyst"
) -> list[duplicates.DuplicateCandidate]:
    with factory() as s:
        return duplicates.find_duplicates(s, _user(s, world, who), incident, POLICY)


def _verify(factory: sessionmaker[Session]) -> audit.AuditReport:
    with factory() as s:
        return audit.verify_chain(s)


def test_candidates_are_the_reports_near_in_space_and_time(
    factory: sessionmaker[Session], world: World
) -> None:
    a = _report(factory, world)
    near = _report(factory, world, minutes=20, north_m=500)
    edge = _report(factory, world, minutes=-60, north_m=-1500)  # the window is inclusive
    _report(factory, world, minutes=5, north_m=2500)  # too far
    _report(factory, world, minutes=61, north_m=10)  # too late
    _report(factory, world, minutes=1, point=False)  # a sector alone has no distance
    got = _candidates(factory, world, a)
    assert [c.incident_id for c in got] == [near, edge]  # nearest first
    assert got[0].distance_m == pytest.approx(vincenty_sphere_m(45.2, 20.2, got[0].latitude, 20.2))
    assert got[0].distance_m == pytest.approx(500, abs=1e-6)
    assert got[0].minutes_apart == pytest.approx(20)
    assert got[1].minutes_apart == pytest.approx(60)
    assert (got[0].reporter, got[0].type, got[0].state) == ("monitor", "shelling", "reported")
    # Symmetric: ``a`` is a candidate of ``near``.
    assert a in {c.incident_id for c in _candidates(factory, world, near)}
    # Thresholds come from the policy.
    with factory() as s:
        tight = DuplicatePolicy(distance_m=600, window=dt.timedelta(minutes=30))
        found = duplicates.find_duplicates(s, _user(s, world, "monitor"), a, tight)
    assert [c.incident_id for c in found] == [near]


def test_merge_counts_the_event_once_and_verifies(
    factory: sessionmaker[Session], world: World
) -> None:
    kept = _report(factory, world)
    b = _report(factory, world, minutes=10, north_m=300, who="admin")
    c = _report(factory, world, minutes=-5, north_m=-200)
    since, until = T0 - dt.timedelta(days=1), T0 + dt.timedelta(days=1)

    def counts() -> tuple[int, int, int, int]:
        with factory() as s:
            analyst = _user(s, world, "analyst")
            flt = service.IncidentFilter(agreement_id=world.agreement_id)
            listed = service.count_incidents(s, analyst, flt)
            exported = len(list(service.iter_incidents(s, analyst, flt)))
            day = reports.daily_report(s, analyst, world.agreement_id, T0.date()).incidents
            rates = observed_rates(s, analyst, world.agreement_id, since, until).incidents
        return listed, exported, day, rates

    assert counts() == (3, 3, 3, 3)
    _act(factory, world, kept, Action.START_VERIFICATION, Action.VERIFY)
    _act(factory, world, c, Action.START_VERIFICATION)
    with factory() as s, s.begin():
        duplicates.merge(s, _user(s, world, "monitor"), kept, [b, c], "same impacts, two patrols")
    assert counts() == (1, 1, 1, 1)
    with factory() as s:
        k, mb, mc = (s.get(Incident, i) for i in (kept, b, c))
        assert k is not None
        assert mb is not None
        assert mc is not None
        assert (k.state, mb.state, mc.state) == (State.VERIFIED, State.MERGED, State.MERGED)
        assert (mb.merged_into_id, mc.merged_into_id) == (kept, kept)
        assert [m.id for m in k.merged] == [b, c]
        assert [e.action for e in k.events][-2:] == ["merge", "merge"]
        assert (mc.events[-1].from_state, mc.events[-1].to_state) == (
            State.UNDER_VERIFICATION,
            State.MERGED,
        )
        out = service.incident_out(k, _user(s, world, "analyst"))
        assert (out.merged_ids, out.merged_into_id) == ([b, c], None)
        assert service.incident_out(mb, _user(s, world, "analyst")).merged_into_id == kept
        merged_only = service.IncidentFilter(state=State.MERGED)
        assert service.count_incidents(s, _user(s, world, "analyst"), merged_only) == 2
        assert audit.verify_chain(s).ok
        # A merged report is never deleted, and neither proposes nor is proposed.
        assert duplicates.find_duplicates(s, _user(s, world, "analyst"), b, POLICY) == []
        assert duplicates.find_duplicates(s, _user(s, world, "analyst"), kept, POLICY) == []
        # Merged reports take no workflow action.
        with pytest.raises(WorkflowError, match="it is merged"):
            service.transition(
                s, _user(s, world, "monitor"), c, TransitionIn(action=Action.VERIFY, reason="x")
            )

    # Undo one merge: back to the state it was merged from, counted again, still verifying.
    with factory() as s, s.begin():
        back = duplicates.unmerge(s, _user(s, world, "admin"), c, "a second impact after all")
        assert (back.state, back.merged_into_id) == (State.UNDER_VERIFICATION, None)
    assert counts() == (2, 2, 2, 2)
    assert _verify(factory).ok
    # An edited link is found by the replay.
    with factory() as s, s.begin():
        s.execute(update(Incident).where(Incident.id == b).values(merged_into_id=None))
    report = _verify(factory)
    assert not report.ok
    assert (
        report.problem
        == f"incident {b}: its merged_into_id differs from what the audit log records"
    )


def test_merge_and_unmerge_refusals(factory: sessionmaker[Session], world: World) -> None:
    kept = _report(factory, world)
    dup = _report(factory, world, minutes=3)
    other = _report(factory, world, minutes=4)
    raised = _report(factory, world, minutes=5)
    _act(
        factory, world, raised,
        Action.START_VERIFICATION, Action.VERIFY, Action.ATTRIBUTE, Action.RAISE,
    )  # fmt: skip

    def merge(who: str, into: int, ids: list[int], reason: str = "same event") -> None:
        with factory() as s, s.begin():
            duplicates.merge(s, _user(s, world, who), into, ids, reason)

    def unmerge(who: str, incident: int, reason: str = "different") -> None:
        with factory() as s, s.begin():
            duplicates.unmerge(s, _user(s, world, who), incident, reason)

    with pytest.raises(PermissionDeniedError, match="an analyst may not"):
        merge("analyst", kept, [dup])
    with pytest.raises(PermissionDeniedError, match="a liaison may not"):
        merge("liaison_red", kept, [dup])
    with pytest.raises(InputError, match="needs a reason"):
        merge("monitor", kept, [dup], "  ")
    with pytest.raises(InputError, match="the same incident"):
        merge("monitor", kept, [kept])
    with pytest.raises(InputError, match="listed twice"):
        merge("monitor", kept, [dup, dup])
    with pytest.raises(InputError, match="at least one"):
        merge("monitor", kept, [])
    with pytest.raises(WorkflowError, match="raised with its party"):
        merge("monitor", kept, [raised])
    with pytest.raises(NotFoundError, match="no incident 999"):
        merge("monitor", kept, [999])
    with pytest.raises(WorkflowError, match="is not merged"):
        unmerge("monitor", dup)
    merge("monitor", kept, [dup])
    with pytest.raises(WorkflowError, match="already merged into incident"):
        merge("monitor", other, [dup])
    with pytest.raises(WorkflowError, match="is itself merged"):
        merge("monitor", dup, [other])
    with pytest.raises(WorkflowError, match="other reports are merged into it"):
        merge("monitor", other, [kept])
    with pytest.raises(PermissionDeniedError):
        unmerge("analyst", dup)
    # The raised report keeps the event: the others merge into it, and then stay merged.
    merge("monitor", raised, [other])
    with pytest.raises(WorkflowError, match="has been raised with its party"):
        unmerge("monitor", other)
    with factory() as s:
        assert s.get(Incident, other).state is State.MERGED  # type: ignore[union-attr]
        # Refused requests left nothing: the chain still replays to the rows.
        assert audit.verify_chain(s).ok


def test_crossed_merges_never_merge_two_reports_into_each_other(
    factory: sessionmaker[Session], world: World
) -> None:
    a = _report(factory, world)
    b = _report(factory, world, minutes=1)
    outcome: dict[str, str] = {}

    def crossed() -> None:
        try:
            with factory() as s, s.begin():
                duplicates.merge(s, _user(s, world, "admin"), b, [a], "the other way round")
            outcome["merged"] = "yes"
        except WorkflowError as exc:
            outcome["refused"] = exc.message

    first = factory()
    with first.begin():
        duplicates.merge(first, _user(first, world, "monitor"), a, [b], "same event")
        other = threading.Thread(target=crossed)
        other.start()
        other.join(0.5)
        assert other.is_alive()  # waits for the first merge's rows
    first.close()
    other.join(30)
    assert outcome == {
        "refused": f"incident {b} is itself merged into incident {a}: merge into that one"
    }
    with factory() as s:
        assert [
            (i.id, i.merged_into_id) for i in s.scalars(select(Incident).order_by(Incident.id))
        ] == [
            (a, None),
            (b, a),
        ]
        assert audit.verify_chain(s).ok


def test_a_pair_is_decided_once_and_the_refusal_says_by_whom_and_when(
    factory: sessionmaker[Session], world: World
) -> None:
    a = _report(factory, world)
    b = _report(factory, world, minutes=1)
    c = _report(factory, world, minutes=2)

    def decide(who: str, what: str, one: int, two: int) -> None:
        with factory() as s, s.begin():
            if what == "merge":
                duplicates.merge(s, _user(s, world, who), one, [two], "same event")
            else:
                duplicates.dismiss(s, _user(s, world, who), one, two, "two events")

    decide("admin", "merge", a, b)
    decide("monitor", "dismiss", c, a)
    with factory() as s:
        merged_at = s.scalars(
            select(IncidentEvent.at).where(
                IncidentEvent.incident_id == b, IncidentEvent.action == "merge"
            )
        ).one()
        dismissed_at = s.scalars(select(DuplicateDismissal.at)).one()
    # Each way round, from either report: refused, naming the first decision.
    refusals = [
        ("dismiss", a, b, f"incident {b} was merged into incident {a}", "admin", merged_at),
        ("dismiss", b, a, f"incident {b} was merged into incident {a}", "admin", merged_at),
        ("merge", a, c, f"incident {c} into incident {a}: they were judged", "monitor",
         dismissed_at),
        ("merge", c, a, f"incident {a} into incident {c}: they were judged", "monitor",
         dismissed_at),
        ("dismiss", a, c, f"incidents {a} and {c} were already judged", "monitor", dismissed_at),
    ]  # fmt: skip
    for what, one, two, message, by, at in refusals:
        with pytest.raises(AlreadyDecidedError) as refused:
            decide("admin", what, one, two)
        assert message in refused.value.message
        when = at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
        assert refused.value.message.endswith(f" by {by} at {when} UTC")
        assert refused.value.status == 409
        assert refused.value.details() == {"decided_by": by, "decided_at": at.isoformat()}
    # Undone, the merge no longer stands in the way of a dismissal.
    with factory() as s, s.begin():
        duplicates.unmerge(s, _user(s, world, "monitor"), b, "two impacts after all")
    decide("monitor", "dismiss", b, a)
    with factory() as s:
        assert s.scalars(select(DuplicateDismissal.high_id).order_by("high_id")).all() == [b, c]
        assert audit.verify_chain(s).ok


def test_reports_of_different_agreements_are_never_merged_or_dismissed(
    factory: sessionmaker[Session], world: World
) -> None:
    a = _report(factory, world)
    with factory() as s, s.begin():
        admin = _user(s, world, "admin")
        other = service.create_agreement(
            s,
            admin,
            AgreementIn(
                name="Another truce", mechanism=BreachMechanism.HOTLINE, parties=["X", "Y"]
            ),
        )
        body = IncidentIn(
            agreement_id=other.id,
            occurred_at=T0,
            type=IncidentType.SHELLING,
            latitude=45.2,
            longitude=20.2,
        )
        b = service.create_incident(s, admin, body).id
    assert _candidates(factory, world, a) == []  # same place and time, another agreement
    with factory() as s, pytest.raises(InputError, match="different agreements"):
        duplicates.merge(s, _user(s, world, "monitor"), a, [b], "same")
    with factory() as s, pytest.raises(InputError, match="different agreements"):
        duplicates.dismiss(s, _user(s, world, "monitor"), a, b, "different")


def test_dismissed_pairs_are_not_proposed_again(
    factory: sessionmaker[Session], world: World
) -> None:
    a = _report(factory, world)
    b = _report(factory, world, minutes=10, north_m=100)
    c = _report(factory, world, minutes=20, north_m=200)
    assert [x.incident_id for x in _candidates(factory, world, a)] == [b, c]
    with factory() as s, s.begin():
        d = duplicates.dismiss(s, _user(s, world, "monitor"), b, a, "two different guns")
        assert (d.low_id, d.high_id) == (a, b)
    assert [x.incident_id for x in _candidates(factory, world, a)] == [c]
    assert [x.incident_id for x in _candidates(factory, world, b)] == [c]

    def dismiss(who: str, one: int, two: int, reason: str = "not the same") -> None:
        with factory() as s, s.begin():
            duplicates.dismiss(s, _user(s, world, who), one, two, reason)

    with pytest.raises(ConflictError, match="already judged"):
        dismiss("admin", a, b)
    with pytest.raises(PermissionDeniedError):
        dismiss("analyst", a, c)
    with pytest.raises(InputError, match="itself"):
        dismiss("monitor", a, a)
    with pytest.raises(InputError, match="needs a reason"):
        dismiss("monitor", a, c, "")
    assert _verify(factory).ok
    # The dismissals are replayed from the log: a row deleted or added behind its back shows.
    with factory() as s, s.begin():
        s.execute(delete(DuplicateDismissal))
    report = _verify(factory)
    assert not report.ok
    assert report.problem is not None
    assert "missing from the database" in report.problem
    with factory() as s, s.begin():
        s.execute(
            insert(DuplicateDismissal),
            [
                {
                    "low_id": a,
                    "high_id": b,
                    "actor_id": world.users["monitor"],
                    "at": T0,
                    "reason": "x",
                },
                {
                    "low_id": a,
                    "high_id": c,
                    "actor_id": world.users["monitor"],
                    "at": T0,
                    "reason": "x",
                },
            ],
        )
    report = _verify(factory)
    assert (
        report.problem
        == f"the dismissal of incidents {a} and {c} as duplicates has no record in the audit log"
    )


def test_readers_and_liaisons(factory: sessionmaker[Session], world: World) -> None:
    a = _report(factory, world)
    b = _report(factory, world, minutes=1)
    for who in ("admin", "monitor", "analyst"):
        assert [x.incident_id for x in _candidates(factory, world, a, who)] == [b]
    with pytest.raises(PermissionDeniedError):
        _candidates(factory, world, a, "liaison_red")
    with pytest.raises(NotFoundError):
        _candidates(factory, world, 10_000)
    # A liaison never learns of the reports merged into an incident raised with its party.
    _act(
        factory, world, a, Action.START_VERIFICATION, Action.VERIFY, Action.ATTRIBUTE, Action.RAISE
    )
    with factory() as s, s.begin():
        duplicates.merge(s, _user(s, world, "monitor"), a, [b], "same")
    with factory() as s:
        inc = service.get_incident(s, _user(s, world, "liaison_red"), a)
        assert service.incident_out(inc, _user(s, world, "liaison_red")).merged_ids == []
        assert service.incident_out(inc, _user(s, world, "monitor")).merged_ids == [b]


def test_daily_report_resolutions_ignore_a_later_merge(
    factory: sessionmaker[Session], world: World
) -> None:
    a = _report(factory, world)
    b = _report(factory, world, minutes=2)
    _act(
        factory, world, a, Action.START_VERIFICATION, Action.VERIFY, Action.ATTRIBUTE, Action.RAISE
    )
    with factory() as s, s.begin():  # the liaison answers, the mission resolves
        service.transition(
            s, _user(s, world, "liaison_red"), a, TransitionIn(action=Action.ANSWER, reason="ok")
        )
        service.transition(
            s, _user(s, world, "monitor"), a, TransitionIn(action=Action.RESOLVE, reason="ok")
        )
    with factory() as s, s.begin():
        duplicates.merge(s, _user(s, world, "monitor"), a, [b], "same")
    today = dt.datetime.now(dt.UTC).date()
    with factory() as s:
        report = reports.daily_report(s, _user(s, world, "analyst"), world.agreement_id, today)
    assert report.resolved_incidents == 1
    assert report.new_incidents == 1


def test_policy_from_environment() -> None:
    assert DuplicatePolicy.from_env({}) == DuplicatePolicy()
    got = DuplicatePolicy.from_env(
        {"DETENTE_MONITOR_DUPLICATE_METRES": "500", "DETENTE_MONITOR_DUPLICATE_MINUTES": "15"}
    )
    assert got == DuplicatePolicy(500.0, dt.timedelta(minutes=15))
    with pytest.raises(InputError, match="DETENTE_MONITOR_DUPLICATE_METRES must be a number"):
        DuplicatePolicy.from_env({"DETENTE_MONITOR_DUPLICATE_METRES": "2km"})
    with pytest.raises(InputError, match="METRES must be a finite number"):
        DuplicatePolicy.from_env({"DETENTE_MONITOR_DUPLICATE_METRES": "nan"})
    with pytest.raises(InputError, match="non-negative number of metres"):
        DuplicatePolicy.from_env({"DETENTE_MONITOR_DUPLICATE_METRES": "-5"})
    for minutes in ("-1", "1e300"):
        with pytest.raises(InputError, match="MINUTES must be between 0 and 527,040 minutes"):
            DuplicatePolicy.from_env({"DETENTE_MONITOR_DUPLICATE_MINUTES": minutes})
    with pytest.raises(InputError, match="must not be negative"):
        DuplicatePolicy(window=dt.timedelta(minutes=-1))


@dataclasses.dataclass(frozen=True)
class Report:
    lat: float
    lon: float
    minutes: int


@st.composite
def clusters(draw: st.DrawFn) -> tuple[list[Report], float, int, set[tuple[int, int]]]:
    """Reports around one centre anywhere on Earth (poles and the antimeridian included).

    Offsets are drawn in units of the distance threshold, so many pairs lie near it in every
    direction, where a box too narrow or a wrong distance would show.
    """
    distance = draw(st.floats(1, 20_000))
    lat0 = draw(st.floats(-89.99, 89.99))
    lon0 = draw(st.floats(-180, 180))
    per_deg_lon = M_PER_DEG * max(math.cos(math.radians(lat0)), 1e-6)
    n = draw(st.integers(2, 8))
    points = []
    for _ in range(n):
        north, east = draw(st.floats(-1.5, 1.5)), draw(st.floats(-1.5, 1.5))
        lat = min(90.0, max(-90.0, lat0 + north * distance / M_PER_DEG))
        lon = lon0 + max(-179.0, min(179.0, east * distance / per_deg_lon))
        points.append(Report(lat, (lon + 180.0) % 360.0 - 180.0, draw(st.integers(-90, 90))))
    window = draw(st.integers(0, 90))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    dismissed = set(draw(st.lists(st.sampled_from(pairs), max_size=3)))
    return points, distance, window, dismissed


@pytest.mark.slow
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(clusters())
def test_candidates_are_the_brute_force_pairs_within_both_thresholds(
    factory: sessionmaker[Session],
    world: World,
    case: tuple[list[Report], float, int, set[tuple[int, int]]],
) -> None:
    points, distance, window, dismissed = case
    policy = DuplicatePolicy(distance, dt.timedelta(minutes=window))
    with factory() as s, s.begin():
        s.execute(delete(DuplicateDismissal))
        s.execute(delete(Incident))
        ids = list(
            s.scalars(
                insert(Incident).returning(Incident.id),
                [
                    {
                        "agreement_id": world.agreement_id,
                        "occurred_at": T0 + dt.timedelta(minutes=p.minutes),
                        "type": IncidentType.SHELLING,
                        "longitude": p.lon,
                        "latitude": p.lat,
                        "reporter_id": world.users["monitor"],
                        "confidence": Confidence.LOW,
                        "state": State.REPORTED,
                    }
                    for p in points
                ],
                execution_options={"sort_by_parameter_order": True},
            )
        )
        for i, j in dismissed:
            low, high = sorted((ids[i], ids[j]))
            s.add(
                DuplicateDismissal(
                    low_id=low, high_id=high, actor_id=world.users["monitor"], reason="x"
                )
            )
    with factory() as s:
        analyst = _user(s, world, "analyst")
        for i, p in enumerate(points):
            got = {c.incident_id for c in duplicates.find_duplicates(s, analyst, ids[i], policy)}
            # Pairs within a millimetre of the threshold may fall either way (rounding).
            near: dict[int, float] = {
                ids[j]: vincenty_sphere_m(p.lat, p.lon, q.lat, q.lon) - distance
                for j, q in enumerate(points)
                if j != i
                and (min(i, j), max(i, j)) not in dismissed
                and abs(p.minutes - q.minutes) <= window
            }
            surely = {k for k, excess in near.items() if excess <= -1e-3}
            maybe = {k for k, excess in near.items() if abs(excess) < 1e-3}
            assert surely <= got <= surely | maybe
    with factory() as s, s.begin():
        s.execute(delete(DuplicateDismissal))
        s.execute(delete(IncidentEvent))
        s.execute(delete(Incident))
