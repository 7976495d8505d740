"""Write throughput of the monitoring service, measured with locust from a separate process.

For SQLite and PostgreSQL in turn: a fresh database, ``detente monitor serve`` in its own
process, and ``locust --headless`` (another process) with 50 users posting incident reports
back to back for 60 s to 127.0.0.1. Reported: writes per second, median and 99th percentile
latency, failures; then the reports stored (each report is unique, so none may be stored
twice) and whether the audit chain verifies. PostgreSQL is ``$DETENTE_TEST_POSTGRES`` or a
throwaway local cluster.

Usage: ``python -m benchmarks monitor`` (``DETENTE_BENCH_SECONDS`` and ``DETENTE_BENCH_USERS``
change the duration and the number of users).
"""

from __future__ import annotations

import contextlib
import csv
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from detente.monitor.audit import verify_chain
from detente.monitor.db import MonitorSettings, make_engine, sessions
from detente.monitor.models import Incident

HERE = Path(__file__).parent
USERS = int(os.environ.get("DETENTE_BENCH_USERS", "50"))
SECONDS = int(os.environ.get("DETENTE_BENCH_SECONDS", "60"))
PASSWORD = "bench quiet river lantern"
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[20.0, 45.0], [20.5, 45.0], [20.5, 45.5], [20.0, 45.5], [20.0, 45.0]]],
}


def _free_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _detente(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", "from detente.cli import main; main()", *args]
    return subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)


@contextlib.contextmanager
def _server(url: str, env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    cmd = [sys.executable, "-c", "from detente.cli import main; main()", "monitor", "serve"]
    proc = subprocess.Popen(
        [*cmd, "--db", url, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                break
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit("the server did not start")
        time.sleep(0.2)
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(30)


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
    subprocess.run(cmd, env=env, check=False, capture_output=True, text=True)
    with Path(f"{prefix}_stats.csv").open(newline="") as f:
        rows = {r["Name"]: r for r in csv.DictReader(f)}
    total = rows["Aggregated"]
    return {
        "requests": float(total["Request Count"]),
        "failures": float(total["Failure Count"]),
        "rate": float(total["Requests/s"]),
        "p50": float(total["50%"]),
        "p99": float(total["99%"]),
    }


def run(name: str, url: str, workdir: Path) -> dict[str, float]:
    """One backend: init, serve, load, check."""
    env = {
        **os.environ,
        "DETENTE_MONITOR_SECRET": "bench-secret",
        "DETENTE_MONITOR_AUDIT_KEY": "bench-audit-key",
        "DETENTE_MONITOR_ADMIN_PASSWORD": PASSWORD,
    }
    _detente("monitor", "init", "--db", url, env=env)
    with _server(url, env) as base:
        env.update(_prepare(base))
        figures = _locust(base, env, workdir / name)
    engine = make_engine(url)
    settings = MonitorSettings(db_url=url, audit_key="bench-audit-key")
    with sessions(engine, settings)() as s:
        stored = int(s.scalar(select(func.count(Incident.id))) or 0)
        distinct = select(func.count(func.distinct(Incident.description)))
        figures["twice"] = float(stored - int(s.scalar(distinct) or 0))
        figures["chain_ok"] = float(verify_chain(s).ok)
    engine.dispose()
    figures["stored"] = stored
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
    console = Console()
    table = Table(title=f"Monitor writes: {USERS} locust users for {SECONDS} s, 127.0.0.1")
    columns = ("backend", "writes/s", "p50 ms", "p99 ms", "failures", "stored", "twice", "chain")
    for column in columns:
        table.add_column(column, justify="left" if column == "backend" else "right")
    with tempfile.TemporaryDirectory(prefix="detente-bench-") as tmp:
        work = Path(tmp)
        results = {"sqlite": run("sqlite", f"sqlite:///{work / 'bench.db'}", work)}
        with _postgres() as url:
            results["postgresql"] = run("postgresql", url, work)
    for name, f in results.items():
        acked = f["requests"] - f["failures"]
        table.add_row(
            name,
            f"{f['rate']:.0f}",
            f"{f['p50']:.0f}",
            f"{f['p99']:.0f}",
            f"{f['failures']:.0f}",
            f"{f['stored']:.0f} of {acked:.0f} acked",
            f"{f['twice']:.0f}",
            "intact" if f["chain_ok"] else "BROKEN",
        )
    console.print(table)
    console.print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    console.print(
        "stored counts the reports in flight when locust stopped (answered by the server after "
        "locust stopped counting); twice: reports stored more than once (must be 0)"
    )


if __name__ == "__main__":
    main()
