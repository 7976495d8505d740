"""The group writer: one transaction per group, a savepoint per unit, answers after the commit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from detente.monitor import audit
from detente.monitor.db import MonitorSettings, sessions
from detente.monitor.models import AuditEntry
from detente.monitor.writer import GroupWriter

Unit = Callable[[Session], Any]


def _append(n: int) -> Unit:
    def unit(s: Session) -> int:
        entry = audit.record(
            s, actor=None, action="test.append", object_type="test", object_id=n, payload={}
        )
        return entry.seq

    return unit


def _refused(s: Session) -> None:
    _append(-1)(s)
    s.flush()
    msg = "refused half-way"
    raise ValueError(msg)


def _grouped(writer: GroupWriter, units: list[Unit]) -> list[Any]:
    """Submit ``units`` while the writer is held busy, so they form one group; their outcomes."""
    gate = threading.Event()
    with ThreadPoolExecutor(len(units) + 1) as pool:
        first = pool.submit(writer.submit, lambda _s: gate.wait(30))
        time.sleep(0.2)  # the writer now waits in the first unit's transaction
        futures = [pool.submit(writer.submit, unit) for unit in units]
        time.sleep(0.3)  # every unit queued
        gate.set()
        first.result()
        return [f.exception() or f.result() for f in futures]


def _entries(engine: Engine) -> list[int | None]:
    with sessions(engine, MonitorSettings())() as s:
        return list(s.scalars(select(AuditEntry.object_id).order_by(AuditEntry.seq)))


def test_a_refused_unit_leaves_nothing_and_the_others_commit(engine: Engine) -> None:
    writer = GroupWriter(sessions(engine, MonitorSettings()))
    outcomes = _grouped(writer, [_append(1), _refused, _append(2), _append(3)])
    assert [type(o) for o in outcomes].count(ValueError) == 1
    # the chain goes on from the head it had before the refused unit
    assert sorted(o for o in outcomes if isinstance(o, int)) == [1, 2, 3]
    assert sorted(n for n in _entries(engine) if n is not None) == [1, 2, 3]
    with sessions(engine, MonitorSettings())() as s:
        assert audit.verify_chain(s).ok


def test_a_failed_commit_fails_every_unit_and_stores_nothing(engine: Engine) -> None:
    factory = sessions(engine, MonitorSettings())

    @event.listens_for(factory, "before_commit")
    def _fail(session: Session) -> None:
        appended = any(isinstance(o, AuditEntry) for o in session.identity_map.values())
        if appended and not session.in_nested_transaction():  # the group's own commit
            msg = "the disk is full"
            raise OSError(msg)

    writer = GroupWriter(factory)
    outcomes = _grouped(writer, [_append(1), _append(2)])
    assert all(isinstance(o, OSError) for o in outcomes)
    assert _entries(engine) == []


def test_the_thread_ends_when_idle_and_starts_again(engine: Engine) -> None:
    writer = GroupWriter(sessions(engine, MonitorSettings()), idle=0.05)
    assert writer.submit(_append(1)) == 1
    deadline = time.monotonic() + 10
    while writer._thread is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert writer._thread is None
    assert writer.submit(_append(2)) == 2


@pytest.mark.parametrize("size", [1, 3])
def test_groups_are_bounded_and_keep_one_chain(engine: Engine, size: int) -> None:
    writer = GroupWriter(sessions(engine, MonitorSettings()), max_group=size)
    outcomes = _grouped(writer, [_append(n) for n in range(1, 6)])
    assert sorted(outcomes) == [1, 2, 3, 4, 5]
    assert sorted(n for n in _entries(engine) if n is not None) == [1, 2, 3, 4, 5]
    with sessions(engine, MonitorSettings())() as s:
        assert audit.verify_chain(s).ok
