"""Write throughput of the monitoring service, measured with locust from a separate process.

For SQLite and PostgreSQL in turn: a fresh database, ``detente monitor serve`` in its own
process, and ``locust --headless`` (another process) with 50 users posting incident reports
back to back for 60 s to 127.0.0.1, each report under its own ``Idempotency-Key`` and sent again
with it until answered. Reported: writes per second (answered reports), median and 99th
percentile latency, failed attempts; then the exact count of reports: locust stops its users
in the middle of their requests, so the reports then in flight are sent once more with their
key after locust has quit (the server answers each with the incident it stored, or stores it
now). Every report sent must then be stored exactly once, as the incident it was answered
with, and the audit chain must verify. PostgreSQL is ``$DETENTE_TEST_POSTGRES`` or a
throwaway local cluster.

Usage: ``python -m benchmarks monitor`` (``DETENTE_BENCH_SECONDS`` and ``DETENTE_BENCH_USERS``
change the duration and the number of users, ``DETENTE_BENCH_BACKENDS=sqlite`` runs one).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from benchmarks.servers import serving
from detente.monitor.audit import verify_chain
from detente.monitor.db import MonitorSettings, make_engine, sessions
from detente.monitor.models import Incident

HERE = Path(__file__).parent
USERS = int(os.environ.get("DETENTE_BENCH_USERS", "50"))
BACKENDS = os.environ.get("DETENTE_BENCH_BACKENDS", "sqlite,postgresql").split(",")
SECONDS = int(os.environ.get("DETENTE_BENCH_SECONDS", "60"))
PASSWORD = "bench quiet river lantern"
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[20.0, 45.0], [20.5, 45.0], [20.5, 45.5], [20.0, 45.5], [20.0, 45.0]]],
}


def incident_body(label: str, agreement: int, sector: int) -> dict[str, Any]:
    """The report sent under ``label``: by the locust users, and again to settle it."""
    return {
        "agreement_id": agreement,
        "occurred_at": "2026-03-01T10:00:00Z",
        "type": "small_arms_fire",
        "sector_id": sector,
        "longitude": 20.25,
        "latitude": 45.25,
        "sources": "load test",
        "description": f"bench {label}",
    }


def _detente(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", "from detente.cli import main; main()", *args]
    return subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)


def _prepare(base: str) -> dict[str, str]:
    """An agreement and a monitor; the monitor's token for the locust users."""
    with httpx.Client(base_url=base, timeout=60) as c:
        r = c.post("/api/token", json={"username": "admin", "password": PASSWORD})
        admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
        agreement = c.post(
            "/api/agreements",
            headers=admin,
            json={
                "name": "Bench ceasefire",
                "mechanism": "joint_commission",
                "signed_on": "2026-01-01",
                "parties": ["Red", "Blue"],
                "sectors": [{"name": "North", "geometry": SQUARE}],
            },
        ).json()
        c.post(
            "/api/users",
            headers=admin,
            json={"username": "bench-monitor", "password": PASSWORD, "role": "monitor"},
        )
        r = c.post("/api/token", json={"username": "bench-monitor", "password": PASSWORD})
        return {
            "DETENTE_BENCH_TOKEN": r.json()["access_token"],
            "DETENTE_BENCH_AGREEMENT": str(agreement["id"]),
            "DETENTE_BENCH_SECTOR": str(agreement["sectors"][0]["id"]),
        }


def _locust(base: str, env: dict[str, str], prefix: Path) -> dict[str, float]:
    cmd = [
        sys.executable, "-m", "locust", "-f", str(HERE / "locust_monitor.py"), "--headless",
        "--users", str(USERS), "--spawn-rate", str(USERS), "--run-time", f"{SECONDS}s",
        "--host", base, "--csv", str(prefix), "--only-summary", "--loglevel", "ERROR",
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, env=env, check=False, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # locust, the child just waited for
    locust_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    with Path(f"{prefix}_stats.csv").open(newline="") as f:
        rows = {r["Name"]: r for r in csv.DictReader(f)}
    total = rows["Aggregated"]
    if total["50%"] == "N/A":
        sys.exit(f"locust answered nothing:\n{done.stderr[-3000:]}")
    requests, failures = float(total["Request Count"]), float(total["Failure Count"])
    return {
        "requests": requests,
        "failures": failures,
        "rate": float(total["Requests/s"]) * (requests - failures) / max(requests, 1.0),
        "p50": float(total["50%"]),
        "p99": float(total["99%"]),
        "locust_ms": 1000 * locust_cpu / max(requests, 1.0),
    }


def _settle(base: str, env: dict[str, str], ledger: dict[str, Any]) -> int:
    """Send every report locust left unanswered once more, with its key, until answered."""
    answered: dict[str, int] = ledger["answered"]
    agreement, sector = int(env["DETENTE_BENCH_AGREEMENT"]), int(env["DETENTE_BENCH_SECTOR"])
    auth = {"Authorization": f"Bearer {env['DETENTE_BENCH_TOKEN']}"}
    pending = [label for label in ledger["sent"] if label not in answered]
    with httpx.Client(base_url=base, headers=auth, timeout=60) as c:
        for label in pending:
            body = incident_body(label, agreement, sector)
            r = c.post("/api/incidents", json=body, headers={"Idempotency-Key": label})
            r.raise_for_status()
            answered[label] = int(r.json()["id"])
    return len(pending)


def _count(url: str, ledger: dict[str, Any]) -> dict[str, float]:
    """Reports stored against reports sent: none lost, none twice, each the one answered."""
    engine = make_engine(url)
    settings = MonitorSettings(db_url=url, audit_key="bench-audit-key")
    with sessions(engine, settings)() as s:
        stored: dict[str, list[int]] = {}
        for iid, description in s.execute(select(Incident.id, Incident.description)):
            stored.setdefault(description.removeprefix("bench "), []).append(iid)
        chain_ok = verify_chain(s).ok
    engine.dispose()
    answered: dict[str, int] = ledger["answered"]
    return {
        "sent": float(len(ledger["sent"])),
        "stored": float(sum(len(ids) for ids in stored.values())),
        "lost": float(sum(stored.get(label) != [iid] for label, iid in answered.items())),
        "twice": float(sum(len(ids) > 1 for ids in stored.values())),
        "unsent": float(len(set(stored) - set(ledger["sent"]))),
        "chain_ok": float(chain_ok),
    }


def run(name: str, url: str, workdir: Path) -> dict[str, float]:
    """One backend: init, serve, load, settle the reports left in flight, count."""
    env = {
        **os.environ,
        "DETENTE_MONITOR_SECRET": "bench-secret",
        "DETENTE_MONITOR_AUDIT_KEY": "bench-audit-key",
        "DETENTE_MONITOR_ADMIN_PASSWORD": PASSWORD,
        "DETENTE_BENCH_LEDGER": str(workdir / f"{name}-ledger.json"),
    }
    _detente("monitor", "init", "--db", url, env=env)
    with serving(["monitor", "serve"], url, env, ready="/openapi.json") as server:
        base = server.base
        env.update(_prepare(base))
        before = server.process.cpu_times()
        figures = _locust(base, env, workdir / name)
        after = server.process.cpu_times()
        ledger = json.loads(Path(env["DETENTE_BENCH_LEDGER"]).read_text())
        cpu = after.user + after.system - before.user - before.system
        figures["cpu_ms"] = 1000 * cpu / max(len(ledger["answered"]), 1)
        figures["in_flight"] = float(_settle(base, env, ledger))
    figures.update(_count(url, ledger))
    figures["load"] = os.getloadavg()[0]
    return figures


@contextlib.contextmanager
def _postgres() -> Iterator[str]:
    server = os.environ.get("DETENTE_TEST_POSTGRES")
    sys.path.insert(0, str(HERE.parent))
    from tests.monitor_support import fresh_postgres_db, throwaway_postgres  # noqa: PLC0415

    with contextlib.ExitStack() as stack:
        if not server:
            server = stack.enter_context(throwaway_postgres())
        yield stack.enter_context(fresh_postgres_db(server))


def main() -> None:
    console = Console(width=180)
    table = Table(title=f"Monitor writes: {USERS} locust users for {SECONDS} s, 127.0.0.1")
    columns = (
        "backend", "writes/s", "p50 ms", "p99 ms", "server CPU ms/write", "locust CPU ms/req",
        "failed", "sent",
        "in flight", "stored", "lost", "twice", "chain", "load",
    )  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column == "backend" else "right")
    with tempfile.TemporaryDirectory(prefix="detente-bench-") as tmp:
        work = Path(tmp)
        results = {}
        if "sqlite" in BACKENDS:
            results["sqlite"] = run("sqlite", f"sqlite:///{work / 'bench.db'}", work)
        if "postgresql" in BACKENDS:
            with _postgres() as url:
                results["postgresql"] = run("postgresql", url, work)
    for name, f in results.items():
        table.add_row(
            name,
            f"{f['rate']:.0f}",
            f"{f['p50']:.0f}",
            f"{f['p99']:.0f}",
            f"{f['cpu_ms']:.1f}",
            f"{f['locust_ms']:.1f}",
            f"{f['failures']:.0f}",
            f"{f['sent']:.0f}",
            f"{f['in_flight']:.0f}",
            f"{f['stored']:.0f}",
            f"{f['lost'] + f['unsent']:.0f}",
            f"{f['twice']:.0f}",
            "intact" if f["chain_ok"] else "BROKEN",
            f"{f['load']:.1f}",
        )
    console.print(table)
    console.print(
        f"{os.cpu_count()} cores; load: the 1-minute load average as the run ended; server "
        "CPU: the CPU time of the server process per report answered, which another load on "
        "the machine changes little (a core runs 1000 / that many writes a second); locust "
        "CPU: the load generator's CPU time per request, which the same two cores pay. "
        "failed: attempts without an answer (sent again with their key); in flight: reports "
        "locust stopped waiting for, settled afterwards with their key; stored must equal "
        "sent, lost and twice must be 0"
    )


if __name__ == "__main__":
    main()
