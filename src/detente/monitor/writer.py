"""Group commit: the service's creating requests applied by one writer thread, many per commit.

Every write appends to the audit chain, so writes are serialised anyway: on SQLite by the
database's write lock, on PostgreSQL by the chain's advisory lock. Serialised one transaction
per request, each request pays for the lock, the commit and its round trips alone, and under
load the requests' threads queue on the lock. The :class:`GroupWriter` instead hands the
requests of one server process to a single thread, which applies those waiting in one
transaction: each request's work runs in a savepoint of its own (a refused request rolls back
to it and leaves nothing behind), the transaction commits once for the whole group, and only
then does each request get its answer, so no answer is ever given for a write that a crash
could still lose.

Units of one kind can also be applied together (:meth:`GroupWriter.submit_batched`): the
units of a batch waiting next to each other in a group go to its function in one call, in a
savepoint of their own (none when the group is that batch alone), which writes each table's
rows for all of them with one statement (see :mod:`detente.monitor.intake`). Should that call
fail as a whole, its savepoint (or the group's transaction) is rolled back and each of its
units is applied again alone, in a savepoint of its own, so one unit's fault never decides
another's answer.

Several processes or servers on one database stay correct: each group holds the write lock
(SQLite) or the chain's lock (PostgreSQL, taken first thing, see
:func:`detente.monitor.audit.lock_chain`) from its first statement to its commit, so two groups
never interleave and the chain cannot fork.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor import audit

__all__ = ["Batch", "GroupWriter"]

T = TypeVar("T")

#: Applies many units of one kind in the caller's transaction: one outcome per unit, in
#: order, each a result or the exception that refuses that unit (which then wrote nothing).
Batch = Callable[[Session, Sequence[Any]], Sequence[Any]]


@dataclasses.dataclass(frozen=True)
class _Batched:
    """A unit for ``batch``, applied with its neighbours in the group of the same batch."""

    batch: Batch
    unit: Any


_Item = tuple["Callable[[Session], Any] | _Batched", "Future[Any]"]


class GroupWriter:
    """Applies units of work in groups, one transaction per group, in one thread.

    The thread starts with the first unit submitted and ends after ``idle`` seconds without
    work, so an idle service (or a test's app) holds no thread.

    Args:
        factory: the service's session maker.
        max_group: the most units one transaction applies (bounds how long one commit keeps
            the others waiting).
        idle: seconds without work after which the thread ends.
    """

    def __init__(
        self, factory: sessionmaker[Session], *, max_group: int = 64, idle: float = 2.0
    ) -> None:
        self._factory = factory
        self._max_group = max_group
        self._idle = idle
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, work: Callable[[Session], T]) -> T:
        """Run ``work(session)`` in the next group; return its result once that group committed.

        Raises whatever ``work`` raised (nothing of it was stored), or the error that kept the
        group from committing (nothing of the group was stored).
        """
        return self._enqueue(work).result()

    def submit_batched(self, batch: Batch, unit: Any) -> Future[Any]:
        """Queue ``unit`` to be applied with the other units of ``batch`` beside it in a group.

        The future's result is ``unit``'s outcome, set once the group committed; or its
        exception is the error that refused the unit (nothing of it was stored) or that kept
        the group from committing. An event loop awaits it with ``asyncio.wrap_future``.
        """
        return self._enqueue(_Batched(batch, unit))

    def _enqueue(self, work: Callable[[Session], T] | _Batched) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            self._queue.put((work, future))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="detente-writer", daemon=True
                )
                self._thread.start()
        return future

    def _run(self) -> None:
        while True:
            try:
                group = [self._queue.get(timeout=self._idle)]
            except queue.Empty:
                with self._lock:  # submit cannot queue meanwhile: nothing is left behind
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            while len(group) < self._max_group:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._apply(group)

    def _apply(self, group: list[_Item]) -> None:
        """One transaction for the group; the answers are handed out after its commit."""
        runs = [(batch, list(run)) for batch, run in itertools.groupby(group, key=_batch_of)]
        try:
            try:
                outcomes = self._transaction(runs)
            except _BatchFailedError:  # nothing was stored: each of the batch's units alone
                outcomes = self._transaction([(b, [item]) for b, items in runs for item in items])
        except Exception as exc:  # noqa: BLE001 - nothing of the group was stored: say so to all
            for _work, future in group:
                future.set_exception(exc)
            return
        for future, result, error in outcomes:
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

    def _transaction(
        self, runs: list[tuple[Batch | None, list[_Item]]]
    ) -> list[tuple[Future[Any], Any, BaseException | None]]:
        """Apply the runs of units in one transaction; their outcomes once it committed.

        A group that is a single batch of several units needs no savepoint: should its call
        fail, the whole transaction is rolled back (:class:`_BatchFailedError`) and the caller
        applies each unit alone. That saves two round trips a group on PostgreSQL.
        """
        outcomes: list[tuple[Future[Any], Any, BaseException | None]] = []
        # The session's identity map holds its objects weakly: keep every object loaded (a
        # request's session and user, the agreement and its sectors) for the group's next
        # requests, which then find them without a query.
        held: list[object] = []
        with self._factory() as session, session.begin():
            event.listen(session, "loaded_as_persistent", lambda _s, obj: held.append(obj))
            audit.lock_chain(session)
            only, items = runs[0]
            if len(runs) == 1 and only is not None and len(items) > 1:
                return _whole(session, only, items)
            for batch, items in runs:
                if batch is None:
                    outcomes.extend(
                        _apply_one(session, w, f) for w, f in items if not isinstance(w, _Batched)
                    )
                else:
                    outcomes.extend(_apply_batch(session, batch, items))
        return outcomes


class _BatchFailedError(Exception):
    """A group's only batch failed as a whole: its transaction is rolled back."""


def _whole(
    session: Session, batch: Batch, items: list[_Item]
) -> list[tuple[Future[Any], Any, BaseException | None]]:
    """A group that is one batch: one call, no savepoint; ``_BatchFailedError`` if it fails."""
    units = [work.unit for work, _ in items if isinstance(work, _Batched)]
    try:
        results = list(batch(session, units))
    except Exception as exc:
        raise _BatchFailedError from exc
    if len(results) != len(units):
        raise _BatchFailedError
    return [
        (future, None, r) if isinstance(r, BaseException) else (future, r, None)
        for (_, future), r in zip(items, results, strict=True)
    ]


def _apply_one(
    session: Session, work: Callable[[Session], Any], future: Future[Any]
) -> tuple[Future[Any], Any, BaseException | None]:
    """One unit in a savepoint of its own: its result, or the error that undid it."""
    try:
        with session.begin_nested():
            return future, work(session), None
    except Exception as exc:  # noqa: BLE001 - the request's own answer
        return future, None, exc


def _batch_of(item: _Item) -> Batch | None:
    return item[0].batch if isinstance(item[0], _Batched) else None


def _apply_batch(
    session: Session, batch: Batch, items: list[_Item]
) -> list[tuple[Future[Any], Any, BaseException | None]]:
    """Neighbouring units of one batch in one call; each alone should that call fail."""
    units = [work.unit for work, _ in items if isinstance(work, _Batched)]
    futures = [future for _, future in items]
    results = _together(session, batch, units) if len(units) > 1 else None
    if results is not None:
        return [
            (future, None, r) if isinstance(r, BaseException) else (future, r, None)
            for future, r in zip(futures, results, strict=True)
        ]
    return [
        _apply_one(session, functools.partial(_alone, batch, unit), future)
        for unit, future in zip(units, futures, strict=True)
    ]


def _together(session: Session, batch: Batch, units: list[Any]) -> list[Any] | None:
    """The units' outcomes from one call in a savepoint, or None (undone) if the call failed."""
    try:
        with session.begin_nested():
            results = list(batch(session, units))
            if len(results) != len(units):
                msg = f"a batch answered {len(results)} of {len(units)} units"
                raise RuntimeError(msg)  # noqa: TRY301 - undone like any failure of the call
    except Exception:  # noqa: BLE001 - the caller applies each unit alone: each gets its answer
        return None
    return results


def _alone(batch: Batch, unit: Any, session: Session) -> Any:
    """Apply one unit of a batch: its result, or raise the error that refuses it."""
    (result,) = batch(session, [unit])
    if isinstance(result, BaseException):
        raise result
    return result
