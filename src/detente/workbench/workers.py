"""The processes that compute the live panel's answers beside the web server.

A slider move asks for an analysis of some 20 ms of CPU; twenty analysts editing at once ask
for about one core's worth. Computed in the server's own process they would share its
interpreter lock with every other request, and each other: the answers would queue behind one
core whatever the machine has. So the server hands them to worker processes:

* :class:`AnalysisPool`: the plot's part (:func:`detente.workbench.live.live_analysis`), in
  ``workers`` processes at the server's priority, first come first served; each answer comes
  back as the JSON the page reads, so the server only forwards it.
* :class:`SurvivalWorker`: the survival part (:func:`detente.workbench.live.live_survival`,
  about a second), one request at a time in one process that runs only on CPU time nothing
  else wants, so it never slows the plot; a request whose editor has moved on is dropped
  unanswered, and its computation, if started, stopped.

Both compute in a thread of the server's own process instead when asked (``workers=0``,
``in_process=True``), as the tests of the routes do. The processes start when first needed (the
editor page starts the pool as it is served), so a server that only monitors has none; every
worker process exits with the server that started it, even when it dies without a goodbye.
"""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import os
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread
import orjson

from detente.monitor.auth import require_role
from detente.monitor.enums import READERS
from detente.monitor.errors import InputError
from detente.monitor.models import User
from detente.workbench.documents import FieldError
from detente.workbench.errors import InvalidDocumentError
from detente.workbench.live import document_key, live_analysis, live_survival

__all__ = ["AnalysisPool", "LiveAnswer", "SurvivalWorker"]


@dataclass(frozen=True)
class LiveAnswer:
    """One live analysis as the page reads it.

    Attributes:
        body: the UTF-8 JSON of :meth:`detente.workbench.live.LiveAnalysis.to_dict`.
        compute_ms: how long the worker computed and encoded it (its queue excluded).
    """

    body: bytes
    compute_ms: float


def to_json(payload: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON of plain data (orjson: a tenth of the standard encoder's time).

    A figure that is not a number (none is expected) becomes ``null``, which JSON can hold.
    """
    return orjson.dumps(payload)


def _analysis_text(
    document: dict[str, Any], x: str | None, y: str | None, seed: int
) -> tuple[str, Any, Any]:
    """:func:`live_analysis` as JSON, or the error, as plain picklable data.

    Errors go back as data rather than as exceptions: an exception is rebuilt from its
    arguments on the other side, which these errors' constructors do not take.
    """
    started = time.perf_counter()
    try:
        answer = live_analysis(document, x=x, y=y, seed=seed)
    except InvalidDocumentError as exc:
        return "invalid", list(exc.errors), None
    except InputError as exc:
        return "input", exc.message, exc.field
    body = to_json(answer.to_dict())
    return "ok", body, 1000 * (time.perf_counter() - started)


def _orphan_exit(parent: int) -> None:  # pragma: no cover - runs in a worker process
    """Exit once the server that started this worker is gone (it may die without a goodbye)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _start_worker(parent: int, background: bool) -> None:  # pragma: no cover - in a worker
    """Make a background worker yield the CPU to everything else; exit with the server.

    Linux's idle scheduling class runs it only on a CPU nothing else wants; elsewhere it is
    made as nice as can be.
    """
    if background:
        if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        elif hasattr(os, "nice"):
            os.nice(19)
    threading.Thread(target=_orphan_exit, args=(parent,), daemon=True).start()


def _pool(workers: int, *, background: bool) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(os.getpid(), background),
    )


class AnalysisPool:
    """Computes :func:`live_analysis` answers in ``workers`` worker processes.

    Args:
        workers: worker processes; 0 computes in a thread of this process instead.
    """

    def __init__(self, workers: int = 0) -> None:
        if workers < 0:
            msg = f"workers is {workers}: give 0 (this process) or more processes"
            raise ValueError(msg)
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _processes(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = _pool(self.workers, background=False)
            return self._executor

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """Drop a pool one of whose processes died (the next request starts a new one)."""
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)

    async def _in_process(self, args: tuple[Any, ...]) -> tuple[str, Any, Any]:
        """Run in a worker process; once more, in a new pool, if a worker died meanwhile.

        A worker killed from outside (out of memory, an operator's ``kill``) breaks its whole
        pool: the requests it held are asked again of a new pool rather than failing.
        """
        try:
            return await self._submit(args)
        except BrokenProcessPool:
            return await self._submit(args)

    async def _submit(self, args: tuple[Any, ...]) -> tuple[str, Any, Any]:
        executor = self._processes()
        try:
            result: tuple[str, Any, Any] = await asyncio.wrap_future(
                executor.submit(_analysis_text, *args)
            )
        except BrokenProcessPool:
            self._replace(executor)
            raise
        return result

    def start(self) -> None:
        """Start the worker processes now, if not yet, and let each import the analysis.

        Otherwise the first edit would wait for them (a few seconds). Nothing to start with 0
        workers; the pool also starts by itself on the first request.
        """
        if not self.workers:
            return
        with self._lock:
            if self._executor is not None:
                return
            self._executor = executor = _pool(self.workers, background=False)
        for _ in range(self.workers):
            executor.submit(document_key, {})

    async def analyze(
        self,
        actor: User,
        document: Mapping[str, Any],
        *,
        x: str | None = None,
        y: str | None = None,
        seed: int = 0,
    ) -> LiveAnswer:
        """The live analysis of ``document`` for a reader, as the page's JSON.

        Raises:
            PermissionDeniedError: the user may not read scenarios.
            InvalidDocumentError: the document is not a valid scenario.
            InputError: ``x`` or ``y`` names no party, or both name the same one.
        """
        require_role(actor, *READERS)
        args = (dict(document), x, y, seed)
        if self.workers:
            status, value, extra = await self._in_process(args)
        else:
            status, value, extra = await anyio.to_thread.run_sync(_analysis_text, *args)
        if status == "invalid":
            raise InvalidDocumentError([FieldError(e.path, e.message) for e in value])
        if status == "input":
            raise InputError(value, field=extra)
        return LiveAnswer(body=value, compute_ms=extra)

    def close(self) -> None:
        """Stop the worker processes, if they were started."""
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(cancel_futures=True)
                self._executor = None


class _StoppedError(Exception):
    """Raised between a survival computation's steps once its request is abandoned."""


class _SharedFlag:
    """A flag the server sets and its worker process reads: one byte of shared memory.

    Unlike a ``multiprocessing`` event it holds no named semaphore, so nothing is left for the
    resource tracker to clean up when the server stops; only the server writes it.
    """

    def __init__(self, context: Any) -> None:
        self._value = context.RawValue(ctypes.c_bool, False)  # noqa: FBT003 - the initial value

    def set(self) -> None:
        self._value.value = True

    def clear(self) -> None:
        self._value.value = False

    def is_set(self) -> bool:
        return bool(self._value.value)


#: The survival worker process's flag, set by the server when the request it computes for is
#: abandoned (given to the process as it starts: see :func:`_start_survival_worker`).
_CANCEL: Any = None


def _start_survival_worker(parent: int, cancel: Any) -> None:  # pragma: no cover - in a worker
    global _CANCEL  # noqa: PLW0603 - one flag per worker process, set once as it starts
    _CANCEL = cancel
    _start_worker(parent, background=True)


def _survival_payload(document: dict[str, Any], seed: int, cancel: Any = None) -> tuple[str, Any]:
    """:func:`live_survival` as plain data, or the document's errors (see _analysis_text).

    ``("cancelled", None)`` once ``cancel`` (an event; the worker's own flag by default) is
    set: the flag is looked at between the computation's steps, so an abandoned computation
    stops within one deal's simulation; one that goes on gives the figures it always gives.
    """
    flag = _CANCEL if cancel is None else cancel

    def checkpoint() -> None:
        if flag is not None and flag.is_set():
            raise _StoppedError

    try:
        return "ok", live_survival(document, seed=seed, checkpoint=checkpoint).to_dict()
    except InvalidDocumentError as exc:
        return "invalid", list(exc.errors)
    except _StoppedError:
        return "cancelled", None


async def _never() -> None:
    await asyncio.Event().wait()


class SurvivalWorker:
    """Computes :func:`live_survival` answers one at a time, in a low-priority worker process.

    Survival takes about a second, the plot's part tens of milliseconds. In the server's own
    process survival would hold the interpreter lock the plot's requests need, and twenty
    analysts' survival requests run side by side would each take twenty times as long. So one
    worker process, in Linux's idle scheduling class (below the server and the analysis
    workers), computes them in turn (keeping its own cache of recent answers).

    A request waits for its turn without holding a thread or looking again and again: it
    sleeps until the turn is free or ``gone()`` returns (its editor has moved on), whichever
    comes first. One abandoned while it waits is dropped unanswered; one abandoned while the
    worker computes for it stops the computation at the next deal (the worker looks at a flag
    the server sets), so the turn passes to the next request at once.

    Args:
        in_process: compute in a thread of this process instead (still one at a time).
    """

    def __init__(self, *, in_process: bool = False) -> None:
        self.in_process = in_process
        self._turn = asyncio.Lock()  # first come, first served
        self._pool: ProcessPoolExecutor | None = None
        self._cancel: Any = threading.Event()  # the worker process's own once it starts

    async def assess(
        self,
        actor: User,
        document: Mapping[str, Any],
        *,
        seed: int = 0,
        gone: Callable[[], Awaitable[object]] = _never,
    ) -> dict[str, Any] | None:
        """:meth:`LiveSurvival.to_dict` for a reader, or ``None`` if ``gone()`` returned first.

        The document is checked in its turn, by the worker: the page asks only about documents
        it has just had analysed, and most requests are abandoned before their turn.

        Raises:
            PermissionDeniedError: the user may not read scenarios.
            InvalidDocumentError: the document is not a valid scenario.
        """
        require_role(actor, *READERS)
        watch = asyncio.ensure_future(gone())
        try:
            if not await self._take_turn(watch):
                return None
            try:
                status, value = await self._compute(dict(document), seed, watch)
            finally:
                self._turn.release()
        finally:
            watch.cancel()
        if status == "invalid":
            raise InvalidDocumentError([FieldError(e.path, e.message) for e in value])
        if status == "cancelled":
            return None
        return value  # type: ignore[no-any-return]

    async def _take_turn(self, watch: asyncio.Future[object]) -> bool:
        """Wait for the turn or the end of ``watch``; whether this request holds the turn."""
        waiting: asyncio.Future[object] = asyncio.ensure_future(self._turn.acquire())
        try:
            await asyncio.wait({waiting, watch}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:  # this request was cancelled: the turn must not stay taken
            if not waiting.cancel():
                self._turn.release()
            raise
        if watch.done():  # gone, maybe just as its turn came: the turn passes on
            if not waiting.cancel():
                self._turn.release()
            return False
        return True

    async def _compute(
        self, document: dict[str, Any], seed: int, watch: asyncio.Future[object]
    ) -> tuple[str, Any]:
        """Compute in this request's turn; ``watch`` ending sets the flag the worker reads."""

        def stop(_: object) -> None:
            self._cancel.set()

        self._cancel.clear()
        watch.add_done_callback(stop)
        try:
            if self.in_process:
                return await anyio.to_thread.run_sync(
                    _survival_payload, document, seed, self._cancel
                )
            try:
                return await self._submit(document, seed)
            except BrokenProcessPool:  # the worker was killed: once more in a new one
                self._cancel.clear()
                return await self._submit(document, seed)
        finally:
            watch.remove_done_callback(stop)

    async def _submit(self, document: dict[str, Any], seed: int) -> tuple[str, Any]:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._cancel = _SharedFlag(context)
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=context,
                initializer=_start_survival_worker,
                initargs=(os.getpid(), self._cancel),
            )
        pool = self._pool
        try:
            result: tuple[str, Any] = await asyncio.wrap_future(
                pool.submit(_survival_payload, document, seed)
            )
        except BrokenProcessPool:
            self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        return result

    def close(self) -> None:
        """Stop the worker process, if one was started."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
