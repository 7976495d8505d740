"""The audit log against a database writer: keyed links, and the log replayed against the rows."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from detente.cli import app
from detente.monitor import audit, service
from detente.monitor.enums import Action, Confidence
from detente.monitor.models import AuditEntry, Incident, IncidentEvent, User
from detente.monitor.schemas import IncidentIn, IncidentPatch, TransitionIn, UserPatch
from tests.monitor_support import make_world

KEY = "an audit key kept outside the database"


def _keyed(engine: Engine, key: str = KEY) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, info={audit.AUDIT_KEY: key})


def _verify(engine: Engine, key: str = KEY) -> audit.AuditReport:
    with _keyed(engine, key)() as s:
        return audit.verify_chain(s)


@pytest.fixture
def keyed(engine: Engine) -> sessionmaker[Session]:
    """A world with three incidents, every entry chained under KEY; the last one attributed."""
    factory = _keyed(engine)
    world = make_world(factory)
    with factory() as s, s.begin():
        monitor = s.get(User, world.users["monitor"])
        assert monitor is not None
        for n in range(3):
            body = IncidentIn(
                agreement_id=world.agreement_id,
                occurred_at="2026-03-01T10:00:00Z",  # type: ignore[arg-type]
                type="shelling",  # type: ignore[arg-type]
                sector_id=world.sector_ids[0],
                description=f"report {n}",
            )
            incident = service.create_incident(s, monitor, body)
        for action in (Action.START_VERIFICATION, Action.VERIFY, Action.ATTRIBUTE):
            extra = (
                {"party_id": world.party_ids[0], "confidence": Confidence.HIGH}
                if action is Action.ATTRIBUTE
                else {}
            )
            service.transition(
                s, monitor, incident.id, TransitionIn(action=action, reason="seen", **extra)
            )
    return factory


def test_an_intact_keyed_log_verifies_only_under_its_key(
    engine: Engine, keyed: sessionmaker[Session]
) -> None:
    del keyed
    assert _verify(engine).ok
    assert _verify(engine).entries == 12
    for other in ("another key", ""):
        report = _verify(engine, other)
        assert not report.ok
        assert report.first_bad_seq == 1


def _rehash_from(session: Session, seq: int) -> None:
    """What a writer without the key can do: recompute every link from ``seq`` on."""
    query = select(AuditEntry).where(AuditEntry.seq >= seq - 1).order_by(AuditEntry.seq)
    entries = list(session.scalars(query))
    prev = entries[0].hash if seq > 1 else audit.GENESIS
    for e in entries[1:] if seq > 1 else entries:
        e.prev_hash = prev
        e.hash = audit.entry_hash(
            prev,
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            payload=e.payload,
        )
        prev = e.hash
        session.flush()


def test_rewrite_and_rehash_is_detected(engine: Engine, keyed: sessionmaker[Session]) -> None:
    del keyed
    with Session(engine) as s, s.begin():
        s.execute(update(AuditEntry).where(AuditEntry.seq == 8).values(actor="mallory"))
        _rehash_from(s, 8)
    report = _verify(engine)
    assert not report.ok
    assert report.first_bad_seq == 8
    assert "key" in (report.problem or "")


def test_a_deleted_tail_is_detected(engine: Engine, keyed: sessionmaker[Session]) -> None:
    del keyed
    with Session(engine) as s, s.begin():
        last = s.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
        s.execute(delete(AuditEntry).where(AuditEntry.seq == last))
    # The rest of the chain still links; the replay finds the incident ahead of its log.
    report = _verify(engine)
    assert not report.ok
    assert report.problem == "incident 3: its state differs from what the audit log records"


def test_an_edited_incident_row_is_detected(engine: Engine, keyed: sessionmaker[Session]) -> None:
    del keyed
    with Session(engine) as s, s.begin():
        s.execute(update(Incident).where(Incident.id == 2).values(description="nothing"))
    report = _verify(engine)
    assert not report.ok
    assert report.problem == "incident 2: its description differs from what the audit log records"
    assert report.first_bad_seq == 8  # the last entry about incident 2: its report


@pytest.mark.parametrize(
    ("table", "values", "expected"),
    [
        (User, {"role": "admin"}, "user 3: its role differs"),
        (User, {"active": False}, "user 3: its active differs"),
        (Incident, {"state": "resolved"}, "incident 1: its state differs"),
        (Incident, {"latitude": 45.0, "longitude": 20.0}, "incident 1: its longitude differs"),
    ],
)
def test_other_edits_of_rows_are_detected(
    engine: Engine, keyed: sessionmaker[Session], table: type, values: dict[str, object],
    expected: str,
) -> None:  # fmt: skip
    del keyed
    target = 3 if table is User else 1
    with Session(engine) as s, s.begin():
        s.execute(update(table).where(table.id == target).values(**values))  # type: ignore[attr-defined]
    report = _verify(engine)
    assert not report.ok
    assert (report.problem or "").startswith(expected)


def test_rows_without_a_record_and_records_without_a_row(
    engine: Engine, keyed: sessionmaker[Session]
) -> None:
    del keyed
    with Session(engine) as s, s.begin():
        row = {c.name: getattr(s.get(Incident, 1), c.name) for c in Incident.__table__.columns}
        s.execute(insert(Incident).values({**row, "id": 99}))
    report = _verify(engine)
    assert not report.ok
    assert report.first_bad_seq is None
    assert "incident 99 has no record" in (report.problem or "")
    with Session(engine) as s, s.begin():
        s.execute(delete(Incident).where(Incident.id == 99))
        s.execute(delete(IncidentEvent).where(IncidentEvent.incident_id == 2))
        s.execute(delete(Incident).where(Incident.id == 2))
    report = _verify(engine)
    assert report.problem == "incident 2 of the audit log is missing from the database"
    assert report.first_bad_seq == 8


def test_verify_audit_reads_the_key_from_the_environment(
    engine: Engine, keyed: sessionmaker[Session], db_url: str
) -> None:
    del keyed
    runner = CliRunner()
    env = {"DETENTE_MONITOR_AUDIT_KEY": KEY}
    r = runner.invoke(app, ["monitor", "verify-audit", "--db", db_url, "--json"], env=env)
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["entries"] == 12
    r = runner.invoke(app, ["monitor", "verify-audit", "--db", db_url], env={})
    assert r.exit_code == 1
    assert "entry 1" in r.output
    assert hashlib.sha256(b"").hexdigest() not in r.output


def test_replay_follows_corrections_reopenings_and_deactivations(
    engine: Engine, keyed: sessionmaker[Session]
) -> None:
    with keyed() as s, s.begin():
        monitor = s.get(User, 2)
        admin = s.get(User, 1)
        assert monitor is not None
        assert admin is not None
        patch = IncidentPatch(description="corrected", latitude=45.1, longitude=20.1, reason="r")
        service.correct_incident(s, monitor, 1, patch)
        for action in (Action.START_VERIFICATION, Action.REJECT, Action.REOPEN):
            service.transition(s, monitor, 2, TransitionIn(action=action, reason="again"))
        for active in (False, True):
            service.set_user_active(s, admin, 3, UserPatch(active=active))
    assert _verify(engine).ok
    with Session(engine) as s, s.begin():
        s.execute(update(Incident).where(Incident.id == 1).values(description="report 0"))
    assert _verify(engine).problem == (
        "incident 1: its description differs from what the audit log records"
    )
