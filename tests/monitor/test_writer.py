"""The group writer: one transaction per group, a savepoint per unit, answers after the commit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
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


def _submitted(writer: GroupWriter, submits: list[Callable[[], Any]]) -> list[Any]:
    """Like ``_grouped``, for any way of submitting, each queued after the one before."""
    gate = threading.Event()
    with ThreadPoolExecutor(len(submits) + 1) as pool:
        first = pool.submit(writer.submit, lambda _s: gate.wait(30))
        time.sleep(0.2)
        futures = []
        for queued, submit in enumerate(submits, start=1):
            futures.append(pool.submit(submit))
            deadline = time.monotonic() + 10
            while writer._queue.qsize() < queued and time.monotonic() < deadline:
                time.sleep(0.005)
        gate.set()
        first.result()
        return [f.exception() or f.result() for f in futures]


class Appends:
    """A batch function: appends one entry per unit (its number) with one INSERT.

    A negative unit is refused (returned as an error, nothing written for it); the call fails
    as a whole, after writing, when it has more than one unit and one is 99, or answers one
    outcome too few when one is 98.
    """

    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    def __call__(self, s: Session, units: Sequence[int]) -> list[Any]:
        self.calls.append(list(units))
        good = [u for u in units if u >= 0]
        records = [audit.AuditRecord(None, "test.batch", "test", u, {}) for u in good]
        seqs = iter(audit.record_many(s, records))
        if len(units) > 1 and 99 in units:
            msg = "the whole call failed"
            raise RuntimeError(msg)
        out: list[Any] = [next(seqs) if u >= 0 else ValueError(f"refused {u}") for u in units]
        return out[:-1] if len(units) > 1 and 98 in units else out


def _batched(writer: GroupWriter, batch: Appends, unit: int) -> Callable[[], Any]:
    return lambda: writer.submit_batched(batch, unit).result(30)


def _unit(writer: GroupWriter, n: int) -> Callable[[], Any]:
    return lambda: writer.submit(_append(n))


def test_batched_units_are_applied_together_in_their_place(engine: Engine) -> None:
    writer, batch = GroupWriter(sessions(engine, MonitorSettings())), Appends()
    submits = [
        _unit(writer, 1),
        _batched(writer, batch, 2),
        _batched(writer, batch, 3),
        _unit(writer, 4),
        _batched(writer, batch, 5),
        _batched(writer, batch, -6),
        _batched(writer, batch, 7),
    ]
    outcomes = _submitted(writer, submits)
    assert batch.calls == [[2, 3], [5, -6, 7]]
    assert isinstance(outcomes[5], ValueError)
    good = [o for o in outcomes if not isinstance(o, Exception)]
    assert good == sorted(good)  # the chain's order is the order of submission
    assert [n for n in _entries(engine) if n is not None] == [1, 2, 3, 4, 5, 7]
    with sessions(engine, MonitorSettings())() as s:
        assert audit.verify_chain(s).ok


@pytest.mark.parametrize("fault", [99, 98])
@pytest.mark.parametrize("alone", [True, False], ids=["batch-only", "among-others"])
def test_a_failed_batch_call_is_undone_and_each_unit_applied_alone(
    engine: Engine, fault: int, alone: bool
) -> None:
    """Undone by its savepoint among other units, or with the group's transaction when alone."""
    writer, batch = GroupWriter(sessions(engine, MonitorSettings())), Appends()
    units = [1, fault, -3, 4]
    before = [] if alone else [_unit(writer, 50)]
    outcomes = _submitted(writer, before + [_batched(writer, batch, u) for u in units])
    outcomes = outcomes[len(before) :]
    assert batch.calls == [units, [1], [fault], [-3], [4]]
    assert isinstance(outcomes[2], ValueError)
    assert not isinstance(outcomes[0], Exception)
    # alone, unit 99 and unit 98 are applied like any other
    expected = [1, fault, 4] if alone else [50, 1, fault, 4]
    assert [n for n in _entries(engine) if n is not None] == expected
    with sessions(engine, MonitorSettings())() as s:
        assert audit.verify_chain(s).ok
