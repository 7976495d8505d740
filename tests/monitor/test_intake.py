"""Reports written in batches (Core) store and answer exactly what the ORM path does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from detente.errors import DetenteError
from detente.monitor import intake, service
from detente.monitor.audit import verify_chain
from detente.monitor.db import MonitorSettings, sessions
from detente.monitor.models import AuditEntry, Incident, User
from detente.monitor.schemas import IncidentIn, IncidentOut
from tests.monitor_support import World, make_world

SETTINGS = MonitorSettings(audit_key="intake-test-key")


def _reports(w: World, seed: int, n: int) -> list[tuple[str, IncidentIn]]:
    """A seeded mix of reports: most valid, in every shape, some refused for each reason."""
    rng = np.random.default_rng(seed)
    out: list[tuple[str, IncidentIn]] = []
    for k in range(n):
        body: dict[str, Any] = {
            "agreement_id": w.agreement_id,
            "occurred_at": dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC) + dt.timedelta(minutes=k),
            "type": str(rng.choice(["shelling", "small_arms_fire", "drone_strike"])),
            "sources": f"patrol {k}",
            "confidence": str(rng.choice(["low", "medium", "high"])),
            "description": f"report {k} \N{EM DASH} \u00e9",
            "clause_ids": [int(c) for c in rng.choice(w.clause_ids, rng.integers(0, 3))],
            "attachments": [
                {"sha256": f"{k:02x}{j}" + "a" * 61, "filename": f"p{j}.jpg", "size_bytes": j}
                for j in range(int(rng.integers(0, 3)))
            ],
        }
        shape = int(rng.integers(0, 3))
        if shape != 1:
            body["sector_id"] = w.sector_ids[int(rng.integers(0, 2))]
        if shape != 0:
            body["longitude"], body["latitude"] = 20.1 + k / 1000, 45.1
        who = "admin" if k % 5 == 0 else "monitor"
        fault = int(rng.integers(0, 12))
        if fault == 1:
            who = "analyst"  # may not report
        elif fault == 2:
            body["sector_id"] = 999
        elif fault == 3:
            body["clause_ids"] = [999]
        elif fault == 4:
            body["attachments"] = [body_attachment(), body_attachment()]
        elif fault == 5:
            body["occurred_at"] = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        elif fault == 6:
            body["agreement_id"] = 999
        out.append((who, IncidentIn.model_validate(body)))
    return out


def body_attachment() -> dict[str, Any]:
    return {"sha256": "b" * 64, "filename": "same.jpg", "size_bytes": 1}


def _orm(s: Session, users: dict[str, User], reports: list[tuple[str, IncidentIn]]) -> list[Any]:
    """The reference: each report by the ORM path, in a savepoint of its own."""
    out: list[Any] = []
    for who, data in reports:
        try:
            with s.begin_nested():
                incident = service.create_incident(s, users[who], data)
                out.append(service.incident_out(incident, users[who]))
        except DetenteError as exc:
            out.append(exc)
    return out


def _users(s: Session, w: World) -> dict[str, User]:
    return {name: s.get_one(User, uid) for name, uid in w.users.items()}


def _shown(answer: IncidentOut) -> dict[str, Any]:
    """An answer without what differs between two recordings: ids and times."""
    data = answer.model_dump(exclude={"id", "reported_at"})
    for event in data["events"]:
        del event["id"], event["at"]
    return data


def _stored(s: Session, iid: int) -> dict[str, Any]:
    """An incident as stored, with its clauses, attachments, events and audit entry."""
    i = s.get_one(Incident, iid)
    entry = s.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "incident", AuditEntry.object_id == iid)
    ).one()
    columns = {c.key: getattr(i, c.key) for c in Incident.__table__.columns}
    del columns["id"], columns["reported_at"]
    return {
        **columns,
        "clauses": [c.id for c in i.clauses],
        "attachments": [(a.sha256, a.filename, a.size_bytes) for a in i.attachments],
        "events": [(e.action, e.from_state, e.to_state, e.actor_id, e.reason) for e in i.events],
        "audit": (entry.actor, entry.action, entry.object_type, entry.payload),
    }


def test_a_batch_stores_and_answers_what_the_orm_path_does(engine: Engine) -> None:
    factory: sessionmaker[Session] = sessions(engine, SETTINGS)
    w = make_world(factory)
    reports = _reports(w, seed=13, n=40)
    with factory() as s, s.begin():
        reference = _orm(s, _users(s, w), reports)
    with factory() as s, s.begin():
        batch = intake.create_incidents(s, [(_users(s, w)[who], d) for who, d in reports])
    assert len(batch) == len(reports)
    refused = [type(r) for r in reference if isinstance(r, DetenteError)]
    assert 3 < len(refused) < len(reports) - 10
    for ref, got in zip(reference, batch, strict=True):
        if isinstance(ref, DetenteError):
            assert type(got) is type(ref)
            assert str(got) == str(ref)
            assert isinstance(got, DetenteError)
            assert got.field == ref.field
        else:
            assert isinstance(got, IncidentOut)
            assert _shown(got) == _shown(ref)
    new = [
        (r.id, g.id) for r, g in zip(reference, batch, strict=True) if isinstance(g, IncidentOut)
    ]
    assert [g for _, g in new] == sorted(g for _, g in new)  # ids in the reports' order
    with factory() as s:
        for ref_id, got_id in new:
            assert _stored(s, got_id) == _stored(s, ref_id)
        # the answer is the incident as any later read shows it, to the microsecond
        users = _users(s, w)
        for (who, _), got in zip(reports, batch, strict=True):
            if isinstance(got, IncidentOut):
                shown = service.incident_out(s.get_one(Incident, got.id), users[who])
                assert shown == got
        # one chain, in order: the batch's entries follow the ORM path's
        incident_entries = select(AuditEntry.object_id).where(AuditEntry.object_type == "incident")
        entries = s.scalars(incident_entries.order_by(AuditEntry.seq)).all()
        assert [e for e in entries if e in {g for _, g in new}] == [g for _, g in new]
        report = verify_chain(s)
        assert report.ok, report.problem


def test_a_batch_of_refusals_writes_nothing(engine: Engine) -> None:
    factory: sessionmaker[Session] = sessions(engine, SETTINGS)
    w = make_world(factory)
    bad = IncidentIn.model_validate({**_reports(w, 1, 1)[0][1].model_dump(), "sector_id": 999})
    with factory() as s, s.begin():
        before = s.scalars(select(AuditEntry.seq)).all()
        out = intake.create_incidents(s, [(_users(s, w)["monitor"], bad)] * 2)
        assert all(isinstance(o, DetenteError) for o in out)
        assert s.scalars(select(AuditEntry.seq)).all() == before
        assert s.scalars(select(Incident.id)).all() == []
    with factory() as s:
        assert intake.create_incidents(s, []) == []
