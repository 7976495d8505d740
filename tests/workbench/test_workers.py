"""The live analysis's workers: the same answers as the functions, roles, order, abandonment."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
from typing import Any

import anyio
import psutil
import pytest
import yaml

from detente import assess as assess_module
from detente.monitor.db import MonitorSettings
from detente.monitor.enums import Role
from detente.monitor.errors import InputError, PermissionDeniedError
from detente.scenario.io import builtin_path
from detente.workbench import live, workers
from detente.workbench.errors import InvalidDocumentError
from detente.workbench.live import analyze_document, live_analysis, live_survival
from detente.workbench.workers import AnalysisPool, SurvivalWorker
from tests.workbench.support import run_async as _run
from tests.workbench.test_live import _small, _user


@pytest.mark.parametrize("role", [Role.ADMIN, Role.ANALYST, Role.MONITOR])
def test_every_reader_may_analyse(role: Role) -> None:
    document = _small()
    assert analyze_document(_user(role), document, x="R").x == "R"
    answer = _run(lambda: SurvivalWorker(in_process=True).assess(_user(role), document))
    assert answer == live_survival(document).to_dict()


def test_a_party_liaison_may_not_analyse_scenarios() -> None:
    with pytest.raises(PermissionDeniedError, match="a liaison may not"):
        analyze_document(_user(Role.LIAISON), _small())
    with pytest.raises(PermissionDeniedError, match="a liaison may not"):
        _run(lambda: SurvivalWorker(in_process=True).assess(_user(Role.LIAISON), _small()))


def test_the_worker_process_answers_as_the_server_would_and_drops_what_is_abandoned() -> None:
    worker = SurvivalWorker()
    ceasefire = yaml.safe_load(builtin_path("ceasefire-2025").read_text())
    analyst = _user(Role.ANALYST)
    document = _small()

    async def gone() -> None:
        return None

    async def soon() -> None:
        await anyio.sleep(0.05)

    async def scenario() -> None:
        answer = await worker.assess(analyst, document, seed=2)
        assert answer == live_survival(document, seed=2).to_dict()
        assert await worker.assess(analyst, document, gone=gone) is None
        broken = _small()
        del broken["parties"][0]["reservation_value"]
        with pytest.raises(InvalidDocumentError, match="has no reservation_value"):
            await worker.assess(analyst, broken)
        # abandoned while the worker computes (nine deals, about a second): stopped, no answer
        assert await worker.assess(analyst, ceasefire, seed=5, gone=soon) is None
        answer = await worker.assess(analyst, document, seed=3)  # the turn was passed on
        assert answer == live_survival(document, seed=3).to_dict()

    try:
        _run(scenario)
        # the survival worker runs only on processor time nothing else wants
        (pid,) = [p.pid for p in psutil.Process().children() if _spawned(p)]
        assert os.sched_getscheduler(pid) == os.SCHED_IDLE
    finally:
        worker.close()
        worker.close()


def _spawned(process: psutil.Process) -> bool:
    """A worker process of a process pool (not its resource tracker)."""
    return "spawn_main" in " ".join(process.cmdline())


def test_requests_wait_their_turn_and_are_dropped_if_abandoned_meanwhile() -> None:
    worker = SurvivalWorker(in_process=True)
    analyst = _user(Role.ANALYST)
    document = _small()
    order: list[str] = []

    async def scenario() -> dict[str, Any]:
        results: dict[str, Any] = {}
        left = {"first": anyio.Event(), "second": anyio.Event()}

        async def ask(name: str) -> None:
            async def gone() -> None:
                await left[name].wait()

            results[name] = await worker.assess(analyst, document, gone=gone)
            order.append(name)

        await worker._turn.acquire()  # someone else's computation holds the turn
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(ask, "first")
            tasks.start_soon(ask, "second")
            await anyio.sleep(0.05)
            left["second"].set()  # the second editor moves on while waiting
            await anyio.sleep(0.05)
            order.append("released")
            worker._turn.release()
        return results

    results = _run(scenario)
    assert results["second"] is None
    assert results["first"] == live_survival(document).to_dict()
    assert order == ["second", "released", "first"]  # dropped at once, not at its turn


def test_a_request_abandoned_as_its_computation_runs_stops_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The flag is set as the client goes; the computation stops before the next deal."""
    worker = SurvivalWorker(in_process=True)
    analyst = _user(Role.ANALYST)
    started = threading.Event()
    simulated: list[int] = []
    real = assess_module.assess_deal

    def slow(*args: Any, **kwargs: Any) -> Any:
        simulated.append(1)
        started.set()
        assert worker._cancel.wait(10)  # the first deal goes on until the client has gone
        return real(*args, **kwargs)

    monkeypatch.setattr(assess_module, "assess_deal", slow)

    async def gone() -> None:
        await anyio.to_thread.run_sync(started.wait)

    live._ASSESSMENTS.clear()
    assert _run(lambda: worker.assess(analyst, _small(), seed=6, gone=gone)) is None
    assert simulated == [1]  # one deal of three
    monkeypatch.setattr(assess_module, "assess_deal", real)
    assert (
        _run(lambda: worker.assess(analyst, _small(), seed=6))
        == live_survival(_small(), seed=6).to_dict()
    )


def test_the_turn_is_not_kept_by_a_request_cancelled_while_it_waits() -> None:
    worker = SurvivalWorker(in_process=True)
    analyst = _user(Role.ANALYST)

    async def scenario() -> Any:
        await worker._turn.acquire()
        with anyio.move_on_after(0.05):  # the server drops the request (shutting down)
            await worker.assess(analyst, _small())
        worker._turn.release()
        with anyio.move_on_after(0):  # cancelled just as the turn is free
            await worker.assess(analyst, _small())
        assert not worker._turn.locked()
        return await worker.assess(analyst, _small())

    assert _run(scenario) == live_survival(_small()).to_dict()


def _broken() -> dict[str, Any]:
    document = _small()
    document["parties"][0]["reservation_value"] = 1.5
    del document["parties"][1]["reservation_value"]
    return document


async def _refusals(pool: AnalysisPool) -> None:
    """Bad documents and axes are refused with the functions' own errors and fields."""
    analyst = _user(Role.ANALYST)
    with pytest.raises(InvalidDocumentError) as caught:
        await pool.analyze(analyst, _broken())
    with pytest.raises(InvalidDocumentError) as expected:
        live_analysis(_broken())
    assert caught.value.errors == expected.value.errors
    assert (caught.value.message, caught.value.field) == (
        expected.value.message,
        expected.value.field,
    )
    with pytest.raises(InputError, match="unknown party 'Nobody'") as axis:
        await pool.analyze(analyst, _small(), x="P", y="Nobody")
    assert axis.value.field == "y"
    with pytest.raises(PermissionDeniedError, match="a liaison may not"):
        await pool.analyze(_user(Role.LIAISON), _small())


@pytest.mark.parametrize("workers", [0, 2])
def test_the_pool_answers_the_functions_json_and_refuses_what_they_refuse(workers: int) -> None:
    pool = AnalysisPool(workers)
    analyst = _user(Role.ANALYST)
    documents = []
    for k in range(4):  # four different documents in flight at once
        document = _small()
        document["parties"][0]["preferences"]["issues"]["a"]["weight"] = 1 + k
        documents.append(document)

    async def scenario() -> list[Any]:
        results: list[Any] = [None] * len(documents)

        async def ask(k: int) -> None:
            results[k] = await pool.analyze(analyst, documents[k], x="Q", seed=k)

        async with anyio.create_task_group() as tasks:
            for k in range(len(documents)):
                tasks.start_soon(ask, k)
        await _refusals(pool)
        return results

    pool.start()
    try:
        answers = _run(scenario)
        spawned = [p for p in psutil.Process().children() if _spawned(p)]
        assert len(spawned) == workers  # at the server's priority, in the normal class
        assert all(os.sched_getscheduler(p.pid) == os.SCHED_OTHER for p in spawned)
    finally:
        pool.close()
        pool.close()
    for k, answer in enumerate(answers):
        expected = live_analysis(documents[k], x="Q", seed=k).to_dict()
        assert json.loads(answer.body) == json.loads(json.dumps(expected))
        assert answer.compute_ms > 0
    assert json.loads(answers[0].body)["x"] == "Q"
    assert json.loads(answers[0].body) != json.loads(answers[1].body)  # not one cached answer


def test_a_pool_has_zero_or_more_workers() -> None:
    with pytest.raises(ValueError, match="workers is -1"):
        AnalysisPool(-1)
    AnalysisPool(0).start()  # nothing to start in this process


def test_the_live_workers_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DETENTE_WORKBENCH_LIVE_WORKERS", raising=False)
    assert MonitorSettings.from_env("sqlite://").live_workers == (os.cpu_count() or 1)
    assert MonitorSettings(db_url="sqlite://").live_workers == 0  # in-process unless asked
    monkeypatch.setenv("DETENTE_WORKBENCH_LIVE_WORKERS", " 3 ")
    assert MonitorSettings.from_env("sqlite://").live_workers == 3
    assert MonitorSettings.from_env("sqlite://", live_workers=0).live_workers == 0
    for bad in ("-1", "two", "1.5"):
        monkeypatch.setenv("DETENTE_WORKBENCH_LIVE_WORKERS", bad)
        with pytest.raises(InputError, match="must be a whole number of processes") as caught:
            MonitorSettings.from_env("sqlite://")
        assert caught.value.field == "DETENTE_WORKBENCH_LIVE_WORKERS"


def test_a_killed_worker_is_replaced_and_its_requests_answered() -> None:
    """A worker killed from outside breaks its pool; the pool is started again."""
    analyst = _user(Role.ANALYST)
    pool = AnalysisPool(1)
    survival = SurvivalWorker()
    document = _small()

    def kill_workers() -> None:
        for process in psutil.Process().children():
            if _spawned(process):
                process.kill()
                process.wait(10)

    async def scenario() -> tuple[Any, Any]:
        await pool.analyze(analyst, document)
        await survival.assess(analyst, document)
        kill_workers()
        return await pool.analyze(analyst, document), await survival.assess(analyst, document)

    try:
        analysed, assessed = _run(scenario)
    finally:
        pool.close()
        survival.close()
    assert json.loads(analysed.body) == json.loads(json.dumps(live_analysis(document).to_dict()))
    assert assessed == live_survival(document).to_dict()


def test_a_broken_pool_is_dropped_once_and_survival_checks_in_process_too() -> None:
    pool = AnalysisPool(1)
    first = pool._processes()
    pool._replace(first)
    second = pool._processes()
    assert second is not first
    pool._replace(first)  # a late request that saw the old pool leaves the new one alone
    assert pool._processes() is second
    pool.close()
    broken = _small()
    del broken["parties"][0]["reservation_value"]
    with pytest.raises(InvalidDocumentError, match="has no reservation_value"):
        _run(lambda: SurvivalWorker(in_process=True).assess(_user(Role.ANALYST), broken))


def test_the_shared_flag_is_what_the_server_last_wrote() -> None:
    flag = workers._SharedFlag(multiprocessing.get_context("spawn"))
    assert not flag.is_set()
    flag.set()
    assert flag.is_set()
    flag.clear()
    assert not flag.is_set()
