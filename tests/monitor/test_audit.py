"""The audit chain: every write leaves an entry; any change to a past entry is detected."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor import audit, service
from detente.monitor.audit import GENESIS, verify_chain
from detente.monitor.db import transaction
from detente.monitor.models import AuditEntry, Incident, IncidentEvent, User
from detente.monitor.schemas import IncidentIn
from tests.monitor.api_support import Api


def _entries(factory: sessionmaker[Session]) -> list[AuditEntry]:
    with factory() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_every_write_is_audited_and_chain_verifies(
    api: Api, factory: sessionmaker[Session]
) -> None:
    start = len(_entries(factory))
    assert start == 6  # five users and one agreement (make_world)
    inc = api.report()
    api.drive(inc, 0, "resolve")
    api.post("monitor", f"/api/incidents/{inc}/notes", json={"body": "n"})
    entries = _entries(factory)
    actions = [e.action for e in entries[start:]]
    assert actions == [
        "incident.create",
        "incident.start_verification",
        "incident.verify",
        "incident.attribute",
        "incident.raise",
        "incident.answer",
        "incident.resolve",
        "note.create",
    ]
    assert entries[start + 5].actor == "liaison_red"
    assert json.loads(entries[start + 3].payload)["party_id"] == api.world.party_ids[0]
    assert entries[0].prev_hash == GENESIS
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    r = api.get("admin", "/api/audit/verify").json()
    assert r["ok"] is True
    assert r["entries"] == len(entries)
    assert r["head_hash"] == entries[-1].hash


@pytest.mark.parametrize(
    "column", ["payload", "actor", "action", "object_id", "at", "hash", "prev_hash"]
)
def test_tampering_with_a_past_entry_is_detected(
    api: Api, factory: sessionmaker[Session], column: str
) -> None:
    api.report()
    target = 4
    values = {
        "payload": '{"role":"admin"}',
        "actor": "someone-else",
        "action": "user.delete",
        "object_id": 99,
        "at": _entries(factory)[0].at,
        "hash": "f" * 64,
        "prev_hash": "e" * 64,
    }
    with factory() as s, s.begin():
        s.execute(
            update(AuditEntry).where(AuditEntry.seq == target).values({column: values[column]})
        )
    with factory() as s:
        report = verify_chain(s)
    assert report.ok is False
    assert report.first_bad_seq == target


def test_deleting_an_entry_is_detected(api: Api, factory: sessionmaker[Session]) -> None:
    api.report()
    with factory() as s, s.begin():
        s.execute(delete(AuditEntry).where(AuditEntry.seq == 3))
    with factory() as s:
        report = verify_chain(s)
        assert s.scalar(select(func.count(AuditEntry.seq))) == 6
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 4, "entry 3 is missing")


def test_a_write_failing_half_way_leaves_nothing(
    api: Api, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _entries(factory)
    with factory() as s:
        incidents_before = s.scalar(select(func.count(Incident.id)))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", broken)
    body = IncidentIn.model_validate(api.incident_body())

    def write() -> None:
        with transaction(factory) as s:
            monitor = s.get(User, api.world.users["monitor"])
            assert monitor is not None
            service.create_incident(s, monitor, body)

    with pytest.raises(RuntimeError, match="disk full"):
        write()
    monkeypatch.undo()
    with factory() as s:
        assert s.scalar(select(func.count(Incident.id))) == incidents_before
        assert s.scalar(select(func.count(IncidentEvent.id))) == 0
    assert len(_entries(factory)) == len(before)
