"""``Idempotency-Key``: a retried creating request returns the first answer and stores nothing."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor.audit import verify_chain
from detente.monitor.errors import AuthenticationError, InputError
from detente.monitor.models import AuditEntry, Incident, IncidentNote
from detente.monitor.schemas import IncidentIn
from detente.web.api.idempotency import _Pending
from detente.web.api.incidents import REPORTS
from tests.monitor.api_support import Api


def _count(factory: sessionmaker[Session], column: object) -> int:
    with factory() as s:
        return int(s.scalar(select(func.count(column))) or 0)  # type: ignore[call-overload]


def test_a_retry_returns_the_first_answer_and_creates_nothing(
    api: Api, factory: sessionmaker[Session]
) -> None:
    key = {"Idempotency-Key": "report-7f3c"}
    body = api.incident_body(description="once")
    first = api.post("monitor", "/api/incidents", json=body, headers=key)
    assert first.status_code == 201
    entries = _count(factory, AuditEntry.seq)
    again = api.post("monitor", "/api/incidents", json=body, headers=key)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert _count(factory, Incident.id) == 1
    assert _count(factory, AuditEntry.seq) == entries
    other = api.post("monitor", "/api/incidents", json={**body, "description": "x"}, headers=key)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.text
    # The key belongs to its user: another monitor's same key is another request.
    assert api.post("admin", "/api/incidents", json=body, headers=key).status_code == 201
    assert _count(factory, Incident.id) == 2
    # Without a key, two posts are two reports.
    for _ in range(2):
        assert api.post("monitor", "/api/incidents", json=body).status_code == 201
    assert _count(factory, Incident.id) == 4


def test_every_creating_post_takes_a_key(api: Api, factory: sessionmaker[Session]) -> None:
    w = api.world
    inc = api.report()
    csv_text = "occurred_at,type,sector\n2026-03-01T10:00:00Z,shelling,North\n"
    posts = [
        ("admin", "/api/users", {"json": {"username": "u9", "password": "quiet river lantern",
                                          "role": "analyst"}}),
        ("admin", "/api/agreements", {"json": {"name": "B", "mechanism": "hotline",
                                               "parties": ["x", "y"]}}),
        ("monitor", f"/api/incidents/{inc}/notes", {"json": {"body": "seen twice"}}),
        ("monitor", f"/api/incidents/{inc}/transitions",
         {"json": {"action": "start_verification", "reason": "go"}}),
        ("monitor", f"/api/import/incidents?agreement_id={w.agreement_id}",
         {"content": csv_text, "headers": {"Content-Type": "text/csv"}}),
    ]  # fmt: skip
    for n, (who, url, kw) in enumerate(posts):
        headers = {"Idempotency-Key": f"k{n}", **kw.pop("headers", {})}  # type: ignore[dict-item]
        first = api.post(who, url, headers=headers, **kw)
        assert first.status_code in {200, 201}, first.text
        again = api.post(who, url, headers=headers, **kw)
        assert (again.status_code, again.json()) == (first.status_code, first.json()), url
    assert _count(factory, IncidentNote.id) == 1
    assert _count(factory, Incident.id) == 2
    with factory() as s:
        assert verify_chain(s).ok


def test_a_refused_request_claims_no_key(api: Api) -> None:
    key = {"Idempotency-Key": "bad-then-good"}
    r = api.post("monitor", "/api/incidents", json=api.incident_body(sector_id=999), headers=key)
    assert r.status_code == 422
    r = api.post("monitor", "/api/incidents", json=api.incident_body(), headers=key)
    assert r.status_code == 201
    r = api.post("monitor", "/api/incidents", json=api.incident_body(), headers={
        "Idempotency-Key": "no spaces allowed"})  # fmt: skip
    assert r.status_code == 422


def test_concurrent_retries_with_one_key_store_once(
    api: Api, factory: sessionmaker[Session]
) -> None:
    body = api.incident_body(description="raced")
    answers: list[tuple[int, int]] = []
    lock = threading.Lock()

    def post() -> None:
        with TestClient(api.client.app) as c:
            r = c.post(
                "/api/incidents",
                json=body,
                headers={**api.h("monitor"), "Idempotency-Key": "race-1"},
            )
            with lock:
                answers.append((r.status_code, r.json()["id"]))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(answers) == 8
    assert len(set(answers)) == 1
    assert answers[0][0] == 201
    assert _count(factory, Incident.id) == 1


def test_a_batch_answers_each_request_as_alone(api: Api, factory: sessionmaker[Session]) -> None:
    """Reports waiting together: one key twice, a key reused for another body, a bad token."""
    writer = api.client.app.state.writer  # type: ignore[attr-defined]
    body = IncidentIn.model_validate(api.incident_body(description="batched"))
    other = IncidentIn.model_validate(api.incident_body(description="another"))
    token = api.tokens["monitor"]
    pending = [
        _Pending(token, "same", "digest-1", body),
        _Pending(token, "same", "digest-1", body),
        _Pending(token, "fresh", "digest-2", other),
        _Pending(token, "fresh", "digest-3", other),  # the key again, another request
        _Pending("not-a-token", "k", "digest-4", body),
        _Pending(token, None, "", other),
    ]
    gate = threading.Event()
    held = threading.Thread(target=writer.submit, args=(lambda _s: gate.wait(30),))
    held.start()
    time.sleep(0.2)  # the writer waits in the held unit: the batch queues behind it
    futures = [writer.submit_batched(REPORTS, p) for p in pending]
    gate.set()
    held.join(30)
    outcomes = [f.exception(30) or f.result() for f in futures]
    first, again, fresh, reused, stranger, keyless = outcomes
    assert first.status_code == again.status_code == fresh.status_code == 201
    assert again.body == first.body
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert isinstance(reused, InputError)
    assert isinstance(stranger, AuthenticationError)
    assert keyless.status_code == 201
    assert _count(factory, Incident.id) == 3
    with factory() as s:
        assert verify_chain(s).ok
