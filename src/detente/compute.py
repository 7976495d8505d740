"""Executors: one small interface for parallel work, local by default, Dask on request.

Work is a list of independent tasks, each a picklable ``(function, argument)``; every task
carries its own seed (derived with :func:`detente._rng.spawn_seeds`), so the results do not
depend on the executor, the number of workers or the order of completion.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol, TypeVar

from detente._rng import check_seed
from detente.errors import DetenteError

__all__ = [
    "DaskExecutor",
    "Executor",
    "LocalExecutor",
    "check_seed",
    "make_executor",
    "open_executor",
]

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Maps a function over tasks; results come back in task order."""

    def map(self, func: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        """Yield ``func(task)`` for each task, in order."""
        ...

    def close(self) -> None:
        """Release workers."""
        ...


class LocalExecutor:
    """A local process pool (``workers=1`` runs in this process, with no pool at all)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def map(self, func: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        """Yield ``func(task)`` for each task, in order."""
        if self.workers == 1 or len(tasks) <= 1:
            yield from (func(t) for t in tasks)
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers)
        chunk = max(1, len(tasks) // (self.workers * 4))
        yield from self._pool.map(func, tasks, chunksize=chunk)

    def close(self) -> None:
        """Shut the pool down."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


class DaskExecutor:
    """Runs tasks on a Dask cluster: an existing one at ``address``, else a ``LocalCluster``."""

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        try:
            from dask.distributed import Client, LocalCluster  # noqa: PLC0415 - optional extra
        except ImportError:  # pragma: no cover - depends on the install
            raise DetenteError(
                "the Dask executor needs the 'dask' extra: pip install 'detente[dask]'"
            ) from None
        self._cluster: Any = None
        try:
            if address:
                self._client = Client(address, timeout="10s")
            else:
                self._cluster = LocalCluster(
                    n_workers=workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
                self._client = Client(self._cluster)
        except OSError as exc:
            raise DetenteError(
                f"cannot reach the Dask scheduler: {exc}", field="--address"
            ) from None

    def map(self, func: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        """Yield ``func(task)`` for each task, in order."""
        futures = self._client.map(func, list(tasks), pure=False)
        for future in futures:
            yield future.result()

    def close(self) -> None:
        """Close the client (and the local cluster, if this executor started one)."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(
    kind: str = "local", address: str | None = None, workers: int | None = None
) -> Executor:
    """An executor by name: ``"local"`` (process pool) or ``"dask"``."""
    if kind == "local":
        return LocalExecutor(workers)
    if kind == "dask":
        return DaskExecutor(address, workers)
    raise DetenteError(f"unknown executor {kind!r} (use local or dask)", field="--executor")


@contextlib.contextmanager
def open_executor(
    kind: str = "local", address: str | None = None, workers: int = 1
) -> Iterator[Executor | None]:
    """An executor for the ``with`` block, closed after it (``None``: this process, no pool).

    Raises:
        DetenteError: ``workers`` is below 1 or ``kind`` is unknown.
    """
    if workers < 1:
        raise DetenteError(f"must be at least 1, got {workers}", field="--workers")
    if kind == "local" and workers == 1:
        yield None
        return
    pool = make_executor(kind, address, workers)
    try:
        yield pool
    finally:
        pool.close()


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most ``size`` items."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
