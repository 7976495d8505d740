"""Duplicate proposals of one incident among many: the indexed box query against a full scan.

100,000 reports over 90 days on a 2 x 2 degree front (a SQLite file): the time of
``find_duplicates`` for one incident (what the incident page and
``GET /api/incidents/{id}/duplicates`` pay), against reading every point of the agreement and
computing every distance in numpy. Per call, medians of 3 runs over 200 incidents (the full
scan over 5), wall and CPU time (the CPU time says more on a loaded machine). Target: under
20 ms a call at this size.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor import duplicates, service
from detente.monitor.db import make_engine, migrate
from detente.monitor.distance import haversine_m
from detente.monitor.duplicates import DuplicatePolicy
from detente.monitor.enums import BreachMechanism, Confidence, IncidentType, Role, State
from detente.monitor.models import Incident, User
from detente.monitor.schemas import AgreementIn, UserIn

N = 100_000
PROBES = 200
SCANNED = 5  # the full scan is slow: timed on a few incidents, scaled
REPEATS = 3
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
POLICY = DuplicatePolicy()


def _fill(factory: sessionmaker[Session], rng: np.random.Generator) -> tuple[User, list[int]]:
    with factory() as s, s.begin():
        admin = service.create_user(
            s, None, UserIn(username="admin", password="bench mark horse staple", role=Role.ADMIN)
        )
        agreement = service.create_agreement(
            s,
            admin,
            AgreementIn(name="bench", mechanism=BreachMechanism.HOTLINE, parties=["Red", "Blue"]),
        )
        minutes = rng.uniform(0, 90 * 24 * 60, N)
        lat = rng.uniform(47.0, 49.0, N)
        lon = rng.uniform(36.0, 38.0, N)
        rows = [
            {
                "agreement_id": agreement.id,
                "occurred_at": T0 + dt.timedelta(minutes=float(m)),
                "type": IncidentType.SHELLING,
                "latitude": float(a),
                "longitude": float(b),
                "reporter_id": admin.id,
                "confidence": Confidence.MEDIUM,
                "state": State.REPORTED,
            }
            for m, a, b in zip(minutes, lat, lon, strict=True)
        ]
        s.execute(insert(Incident), rows)
        ids = list(s.scalars(select(Incident.id)))
        return admin, [int(i) for i in rng.choice(ids, PROBES, replace=False)]


def _scan(s: Session, incident_id: int) -> int:
    """Every point of the agreement, every distance: what the box saves."""
    me = s.get(Incident, incident_id)
    assert me is not None
    rows = s.execute(
        select(Incident.id, Incident.occurred_at, Incident.latitude, Incident.longitude).where(
            Incident.agreement_id == me.agreement_id, Incident.id != me.id
        )
    ).all()
    lat = np.fromiter((r[2] for r in rows), np.float64, len(rows))
    lon = np.fromiter((r[3] for r in rows), np.float64, len(rows))
    apart = np.fromiter(
        (abs((r[1] - me.occurred_at).total_seconds()) for r in rows), np.float64, len(rows)
    )
    near = haversine_m(me.latitude, me.longitude, lat, lon) <= POLICY.distance_m
    return int(np.count_nonzero(near & (apart <= POLICY.window.total_seconds())))


class _Clock:
    """Wall and CPU time since creation."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def per_call(self, calls: int) -> tuple[float, float]:
        """Milliseconds of wall and CPU time per call."""
        wall, cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu
        return wall / calls * 1000, cpu / calls * 1000


def main() -> dict[str, float]:
    rng = np.random.default_rng(20261203)
    with tempfile.TemporaryDirectory(prefix="detente-bench-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'dups.db'}")
        migrate(engine)
        factory = sessionmaker(engine, expire_on_commit=False)
        admin, probes = _fill(factory, rng)
        timings: dict[str, list[tuple[float, float]]] = {"box query + exact": [], "full scan": []}
        found = scanned = 0
        for _ in range(REPEATS):
            with factory() as s:
                clock = _Clock()
                found = sum(len(duplicates.find_duplicates(s, admin, i, POLICY)) for i in probes)
                timings["box query + exact"].append(clock.per_call(PROBES))
            with factory() as s:
                clock = _Clock()
                scanned = sum(_scan(s, i) for i in probes[:SCANNED])
                timings["full scan"].append(clock.per_call(SCANNED))
        with factory() as s:  # both ways find the same candidates
            assert scanned == sum(
                len(duplicates.find_duplicates(s, admin, i, POLICY)) for i in probes[:SCANNED]
            )
        engine.dispose()
    table = Table(title=f"Duplicate proposals: {N:,} reports, SQLite, medians of {REPEATS}")
    for column in ("method", "ms per incident", "CPU ms per incident"):
        table.add_column(column, justify="left" if column == "method" else "right")
    medians = {}
    for name, runs in timings.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        medians[name] = wall
        table.add_row(name, f"{wall:.2f}", f"{cpu:.2f}")
    console = Console()
    console.print(table)
    console.print(f"{found / PROBES:.2f} candidates per incident on average")
    console.print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return medians
