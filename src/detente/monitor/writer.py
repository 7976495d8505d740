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

Several processes or servers on one database stay correct: each group holds the write lock
(SQLite) or the chain's lock (PostgreSQL, taken first thing, see
:func:`detente.monitor.audit.lock_chain`) from its first statement to its commit, so two groups
never interleave and the chain cannot fork.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor import audit

__all__ = ["GroupWriter"]

T = TypeVar("T")
_Item = tuple[Callable[[Session], Any], "Future[Any]"]


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
        future: Future[T] = Future()
        with self._lock:
            self._queue.put((work, future))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="detente-writer", daemon=True
                )
                self._thread.start()
        return future.result()

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
        outcomes: list[tuple[Future[Any], Any, BaseException | None]] = []
        # The session's identity map holds its objects weakly: keep every object loaded (a
        # request's session and user, the agreement and its sectors) for the group's next
        # requests, which then find them without a query.
        held: list[object] = []
        try:
            with self._factory() as session, session.begin():
                event.listen(session, "loaded_as_persistent", lambda _s, obj: held.append(obj))
                audit.lock_chain(session)
                for work, future in group:
                    try:
                        with session.begin_nested():
                            outcomes.append((future, work(session), None))
                    except Exception as exc:  # noqa: BLE001 - the request's own answer
                        outcomes.append((future, None, exc))
        except Exception as exc:  # noqa: BLE001 - nothing of the group was stored: say so to all
            for _work, future in group:
                future.set_exception(exc)
            return
        for future, result, error in outcomes:
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)
