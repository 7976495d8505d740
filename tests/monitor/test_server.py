"""A real server process: concurrent load, kill -9 in the middle of a write burst, two servers."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor.audit import verify_chain
from detente.monitor.models import AuditEntry, Incident
from tests.monitor.conftest import LOAD_RESULTS
from tests.monitor_support import PASSWORD, World, _free_port, make_world

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@contextlib.contextmanager
def server(db_url: str, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """``detente monitor serve`` in its own process."""
    env = {**os.environ, "DETENTE_MONITOR_SECRET": "server-test-secret"}
    cmd = [sys.executable, "-c", "from detente.cli import main; main()", "monitor", "serve"]
    proc = subprocess.Popen(
        [*cmd, "--db", db_url, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert proc.poll() is None, "server exited"
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.2)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(20)


def _token(base: str) -> str:
    r = httpx.post(f"{base}/api/token", json={"username": "monitor", "password": PASSWORD})
    return str(r.json()["access_token"])


def _body(world: World, label: str) -> dict[str, object]:
    return {
        "agreement_id": world.agreement_id,
        "occurred_at": "2026-03-01T10:00:00Z",
        "type": "small_arms_fire",
        "sector_id": world.sector_ids[0],
        "description": label,
    }


def _stored(factory: sessionmaker[Session]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    with factory() as s:
        for iid, desc in s.execute(select(Incident.id, Incident.description)):
            out.setdefault(desc, []).append(iid)
    return out


def _entries_expected(factory: sessionmaker[Session], incidents: int) -> int:
    """Audit entries after the world (6) and ``incidents`` reports, plus any password rehash.

    The server hashes with the default argon2 parameters, the test world with cheap ones, so
    the first login through the server rehashes that password (one audit entry).
    """
    with factory() as s:
        rehashes = s.scalar(
            select(func.count(AuditEntry.seq)).where(AuditEntry.action == "user.rehash")
        )
    return 6 + incidents + int(rehashes or 0)


def test_concurrent_clients_every_ack_stored_once(
    db_url: str, backend: str, factory: sessionmaker[Session]
) -> None:
    world = make_world(factory)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    clients, per_client = 50, 40
    acked: dict[str, int] = {}
    errors: list[str] = []
    lock = threading.Lock()
    with server(db_url, port):
        token = _token(base)

        def run(n: int) -> None:
            with httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
            ) as c:
                for i in range(per_client):
                    label = f"load-{n}-{i}"
                    r = c.post("/api/incidents", json=_body(world, label))
                    with lock:
                        if r.status_code == 201:
                            acked[label] = r.json()["id"]
                        else:
                            errors.append(f"{r.status_code} {r.text[:80]}")

        threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        elapsed = time.perf_counter() - start
    assert errors == []
    assert len(acked) == clients * per_client
    stored = _stored(factory)
    assert {k: v for k, v in stored.items() if k.startswith("load-")} == {
        k: [v] for k, v in acked.items()
    }
    with factory() as s:
        report = verify_chain(s)
    assert report.ok
    assert report.entries == _entries_expected(factory, clients * per_client)
    ARTIFACTS.mkdir(exist_ok=True)
    rate = len(acked) / elapsed
    line = (
        f"{backend}: {len(acked)} incidents from {clients} clients in {elapsed:.1f} s: "
        f"{rate:.0f} writes/s"
    )
    LOAD_RESULTS.append(line)
    print(line)  # noqa: T201 - shown with -rA; the terminal summary shows it always
    previous = (ARTIFACTS / "load.txt").read_text() if (ARTIFACTS / "load.txt").exists() else ""
    kept = [x for x in previous.splitlines() if x and not x.startswith(f"{backend}:")]
    (ARTIFACTS / "load.txt").write_text("\n".join(sorted([*kept, line])) + "\n")


def test_kill_9_during_write_burst(db_url: str, factory: sessionmaker[Session]) -> None:
    world = make_world(factory)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    acked: dict[str, int] = {}
    lock = threading.Lock()
    stop = threading.Event()
    with server(db_url, port) as proc:
        token = _token(base)

        def run(n: int) -> None:
            with httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
            ) as c:
                for i in range(10_000):
                    if stop.is_set():
                        return
                    label = f"crash-{n}-{i}"
                    try:
                        r = c.post("/api/incidents", json=_body(world, label))
                    except httpx.TransportError:
                        return
                    if r.status_code == 201:
                        with lock:
                            acked[label] = r.json()["id"]

        threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(acked) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.kill()  # SIGKILL: no shutdown handlers run
        proc.wait(10)
        stop.set()
        for t in threads:
            t.join(30)
    assert len(acked) >= 40
    with server(db_url, port):  # restarts on the same database
        headers = {"Authorization": f"Bearer {_token(base)}"}
        listed: dict[str, int] = {}
        url: str | None = "/api/incidents?limit=1000"
        while url is not None:
            r = httpx.get(f"{base}{url}", headers=headers)
            assert r.status_code == 200
            listed.update({i["description"]: i["id"] for i in r.json()["items"]})
            url = r.json()["next"]
    stored = _stored(factory)
    for label, iid in acked.items():
        assert stored[label] == [iid]
        assert listed[label] == iid
    assert all(len(v) == 1 for v in stored.values())  # nothing twice, nothing half-written
    with factory() as s:
        report = verify_chain(s)
        count = len(list(s.scalars(select(Incident.id))))
    assert report.ok
    assert report.entries == _entries_expected(factory, count)


def test_kill_9_with_retries_stores_every_report_once(
    db_url: str, factory: sessionmaker[Session]
) -> None:
    """200 concurrent reports, the server killed mid-burst and restarted; clients retry."""
    world = make_world(factory)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    reports = 200
    answered: dict[str, int] = {}
    attempts: dict[str, int] = {}
    lock = threading.Lock()
    started = threading.Barrier(reports + 1)
    with server(db_url, port) as proc:
        token = _token(base)

        def client(n: int) -> None:
            label = f"retry-{n}"
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": label}
            deadline = time.monotonic() + 240
            started.wait()
            with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
                while time.monotonic() < deadline:
                    with lock:
                        attempts[label] = attempts.get(label, 0) + 1
                    try:
                        r = c.post("/api/incidents", json=_body(world, label))
                    except httpx.TransportError:
                        time.sleep(0.3)
                        continue
                    if r.status_code == 201:
                        with lock:
                            answered[label] = r.json()["id"]
                        return
                    time.sleep(0.3)  # 5xx while the server dies: try again

        threads = [threading.Thread(target=client, args=(n,)) for n in range(reports)]
        for t in threads:
            t.start()
        started.wait()
        deadline = time.monotonic() + 60
        while len(answered) < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.kill()  # SIGKILL mid-burst: requests in flight get no answer
        proc.wait(10)
        at_kill = len(answered)
    with server(db_url, port):  # restarted on the same database; the clients retry
        for t in threads:
            t.join(240)
    assert 0 < at_kill < reports  # the kill did land in the middle of the burst
    assert sum(attempts.values()) > reports  # some clients had to retry
    assert len(answered) == reports
    stored = _stored(factory)
    for label, iid in answered.items():
        assert stored[label] == [iid]  # exactly once, and the one the client was told of
    assert set(stored) == set(answered)
    with factory() as s:
        report = verify_chain(s)
    assert report.ok, report
    assert report.entries == _entries_expected(factory, reports)


def test_two_servers_on_one_database_keep_one_chain(
    db_url: str, factory: sessionmaker[Session]
) -> None:
    """Two server processes, one database: concurrent reports, and one key sent to both."""
    world = make_world(factory)
    ports = [_free_port(), _free_port()]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    answers: dict[str, set[int]] = {}
    lock = threading.Lock()
    clients, per_client = 12, 12
    with server(db_url, ports[0]), server(db_url, ports[1]):
        token = _token(bases[0])  # sessions live in the database: the other server knows it

        def post(base: str, label: str) -> None:
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": label}
            body = _body(world, label)
            r = httpx.post(f"{base}/api/incidents", json=body, headers=headers, timeout=60)
            assert r.status_code == 201, r.text
            with lock:
                answers.setdefault(label, set()).add(r.json()["id"])

        def client(n: int) -> None:
            with ThreadPoolExecutor(2) as both:
                for i in range(per_client):
                    label = f"two-{n}-{i}"
                    if i % 3 == 0:  # the same report to both servers at once
                        list(both.map(post, bases, [label, label]))
                    else:
                        post(bases[(n + i) % 2], label)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
    assert len(answers) == clients * per_client
    stored = _stored(factory)
    for label, ids in answers.items():
        assert len(ids) == 1, label  # both servers answered the same incident
        assert stored[label] == list(ids)  # stored once
    with factory() as s:
        report = verify_chain(s)
    assert report.ok, report
    assert report.entries == _entries_expected(factory, clients * per_client)
