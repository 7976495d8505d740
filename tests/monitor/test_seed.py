"""Demo data: inside its window, in many states, and the same for the same seed."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from detente.monitor import service
from detente.monitor.audit import verify_chain
from detente.monitor.db import make_engine, migrate
from detente.monitor.enums import Role
from detente.monitor.models import Incident
from detente.monitor.schemas import UserIn
from detente.monitor.seed import seed_demo
from tests.monitor_support import PASSWORD


def _seed(path: Path, seed: int) -> list[tuple[str, dt.datetime, str, list[dt.datetime]]]:
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with Session(engine) as s, s.begin():
        admin = service.create_user(
            s, None, UserIn(username="admin", password=PASSWORD, role=Role.ADMIN)
        )
        seed_demo(
            s,
            admin,
            password=PASSWORD,
            incidents=25,
            days=7,
            today=dt.date(2026, 3, 15),
            rng=seed,
        )
    with Session(engine) as s:
        rows = [
            (i.type.value, i.occurred_at, i.state.value, [e.at for e in i.events])
            for i in s.scalars(select(Incident).order_by(Incident.id))
        ]
        for i in s.scalars(select(Incident)):
            assert i.reported_at == i.events[0].at
        assert verify_chain(s).ok
    engine.dispose()
    return rows


def test_demo_is_reproducible_and_in_its_window(tmp_path: Path) -> None:
    first = _seed(tmp_path / "a.db", 7)
    assert first == _seed(tmp_path / "b.db", 7)
    assert first != _seed(tmp_path / "c.db", 8)
    start, end = dt.datetime(2026, 3, 8, tzinfo=dt.UTC), dt.datetime(2026, 3, 15, tzinfo=dt.UTC)
    assert all(start <= at < end for _, at, _, _ in first)
    assert len({state for _, _, state, _ in first}) >= 5
    # Every step has its own time: after the incident and the step before, before the end.
    gaps = []
    for _, occurred, _, times in first:
        assert occurred <= times[0]
        assert times == sorted(times)
        assert times[-1] < end
        gaps += [(b - a).total_seconds() / 3600 for a, b in itertools.pairwise(times)]
    assert len(gaps) > 20
    assert min(gaps) > 0
    assert 3 < float(np.median(gaps)) < 72  # hours, not microseconds
