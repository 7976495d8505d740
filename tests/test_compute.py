"""Executors: same tasks, same results, in order, whatever the executor and worker count."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from detente._rng import as_generator, spawn_seeds
from detente.compute import DaskExecutor, LocalExecutor, batched, make_executor
from detente.errors import DetenteError


def draw(seed: np.random.SeedSequence) -> float:
    """A seeded task: the mean of 1,000 normal draws from its own stream."""
    return float(as_generator(np.random.default_rng(seed)).normal(size=1_000).mean())


def _tasks(n: int = 12) -> list[np.random.SeedSequence]:
    return spawn_seeds(2025, n)


def _serial() -> list[float]:
    return [draw(s) for s in _tasks()]


@pytest.mark.parametrize("workers", [1, 2])
def test_local_executor_matches_a_plain_loop(workers: int) -> None:
    executor = LocalExecutor(workers)
    try:
        assert list(executor.map(draw, _tasks())) == _serial()
        assert list(executor.map(draw, _tasks()[:1])) == _serial()[:1]  # one task: no pool
    finally:
        executor.close()
        executor.close()  # closing twice is harmless


def test_local_executor_defaults_to_the_cpu_count() -> None:
    assert LocalExecutor().workers >= 1


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_dask_local_cluster_gives_identical_results(workers: int) -> None:
    executor = make_executor("dask", workers=workers)
    try:
        assert list(executor.map(draw, _tasks())) == _serial()
    finally:
        executor.close()


@pytest.fixture
def scheduler() -> Iterator[str]:
    """An existing Dask cluster to connect to: one in-process worker, reached over TCP."""
    from dask.distributed import LocalCluster  # noqa: PLC0415 - the optional extra

    cluster = LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=None
    )
    try:
        yield str(cluster.scheduler_address)
    finally:
        cluster.close()


def test_dask_executor_on_an_existing_scheduler(scheduler: str) -> None:
    """``--address``: the tasks run on the cluster, which outlives the executor's client."""
    assert scheduler.startswith("tcp://")
    for _ in range(2):  # closing the first client leaves the cluster up for the second
        executor = make_executor("dask", address=scheduler)
        assert isinstance(executor, DaskExecutor)
        try:
            assert list(executor.map(draw, _tasks())) == _serial()
            assert executor._cluster is None  # it started no cluster of its own
        finally:
            executor.close()


def test_make_executor() -> None:
    assert isinstance(make_executor("local", workers=1), LocalExecutor)
    with pytest.raises(DetenteError, match="unknown executor 'ray'") as info:
        make_executor("ray")
    assert info.value.field == "--executor"


def test_an_unreachable_scheduler_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import dask.distributed  # noqa: PLC0415 - the optional extra

    def refuse(address: str, timeout: str) -> None:
        raise OSError(f"Timed out trying to connect to {address} after {timeout}")

    monkeypatch.setattr(dask.distributed, "Client", refuse)  # no 10 s wait for a real timeout
    with pytest.raises(DetenteError, match="cannot reach the Dask scheduler: Timed out") as info:
        DaskExecutor("tcp://127.0.0.1:9")
    assert info.value.field == "--address"


def test_batched() -> None:
    assert list(batched(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(batched([], 3)) == []
