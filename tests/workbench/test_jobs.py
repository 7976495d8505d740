"""The job registry: progress, results, cancellation, failures, roles and limits."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from detente.errors import DetenteError
from detente.monitor.enums import Role
from detente.monitor.errors import NotFoundError, PermissionDeniedError
from detente.monitor.models import User
from detente.workbench.jobs import (
    MAX_ACTIVE_PER_USER,
    JobLimitError,
    JobRegistry,
    JobState,
    Report,
    Work,
)

WAIT = 10.0  # seconds a test waits for a thread before it fails


def user(uid: int, role: Role, name: str | None = None) -> User:
    return User(id=uid, username=name or f"{role.value}{uid}", role=role)


ANALYST = user(1, Role.ANALYST)
OTHER = user(2, Role.ANALYST)
ADMIN = user(3, Role.ADMIN)
MONITOR = user(4, Role.MONITOR)
LIAISON = user(5, Role.LIAISON)


@pytest.fixture
def registry() -> Iterator[JobRegistry]:
    jobs = JobRegistry(workers=1)
    yield jobs
    jobs.close()


def blocked(started: threading.Event, release: threading.Event, ticks: int = 0) -> Work:
    """Work that reports 0.5, says it started, and waits for ``release`` (reporting if ticks)."""

    def work(report: Report) -> dict[str, object]:
        report(0.5, "half way")
        started.set()
        while not release.wait(0.01):
            if ticks:
                report(0.5, "still half way")
        return {"answer": 42}

    return work


def test_a_job_runs_reports_progress_and_keeps_its_result(registry: JobRegistry) -> None:
    started, release = threading.Event(), threading.Event()
    job = registry.submit(ANALYST, "demo", blocked(started, release), subject="scenario 1")
    assert job.owner == ANALYST.username
    assert started.wait(WAIT)
    running = registry.get(MONITOR, job.id)  # every reader sees it
    assert (running.state, running.progress, running.message) == (
        JobState.RUNNING,
        0.5,
        "half way",
    )
    release.set()
    registry.wait(job.id, WAIT)
    done = registry.get(ANALYST, job.id)
    assert done.state is JobState.DONE
    assert done.progress == 1.0
    assert done.result == {"answer": 42}
    assert done.finished_at is not None
    assert done.to_dict()["result"] == {"answer": 42}
    assert "result" not in done.to_dict(with_result=False)
    assert done.to_dict()["state"] == "done"


def test_progress_is_clamped_to_zero_one(registry: JobRegistry) -> None:
    seen: list[float] = []

    def work(report: Report) -> dict[str, object]:
        report(1.7, "over")
        seen.append(registry.get(ANALYST, job_id[0]).progress)
        report(-1.0, "under")
        seen.append(registry.get(ANALYST, job_id[0]).progress)
        return {}

    job_id: list[str] = []
    gate = threading.Event()

    def gated(report: Report) -> dict[str, object]:
        gate.wait(WAIT)
        return work(report)

    job_id.append(registry.submit(ANALYST, "demo", gated).id)
    gate.set()
    registry.wait(job_id[0], WAIT)
    assert seen == [1.0, 0.0]


def test_cancel_stops_a_running_job_at_its_next_report(registry: JobRegistry) -> None:
    started, release = threading.Event(), threading.Event()
    job = registry.submit(ANALYST, "demo", blocked(started, release, ticks=1))
    assert started.wait(WAIT)
    cancelling = registry.cancel(ANALYST, job.id)
    assert cancelling.message == "cancelling..."
    registry.wait(job.id, WAIT)
    ended = registry.get(ANALYST, job.id)
    assert ended.state is JobState.CANCELLED
    assert ended.result is None
    assert registry.cancel(ANALYST, job.id).state is JobState.CANCELLED  # again: no change


def test_cancel_a_queued_job_before_it_starts(registry: JobRegistry) -> None:
    started, release = threading.Event(), threading.Event()
    first = registry.submit(ANALYST, "demo", blocked(started, release))
    assert started.wait(WAIT)
    ran: list[bool] = []
    second = registry.submit(ANALYST, "demo", lambda _r: ran.append(True) or {})
    assert registry.get(ANALYST, second.id).state is JobState.QUEUED
    assert registry.cancel(ADMIN, second.id).state is JobState.CANCELLED  # an admin may
    registry.wait(second.id, WAIT)  # returns at once
    release.set()
    registry.wait(first.id, WAIT)
    assert registry.get(ANALYST, first.id).state is JobState.DONE
    assert ran == []


def test_a_failing_job_says_why_in_one_line(registry: JobRegistry) -> None:
    def bad_input(_report: Report) -> dict[str, object]:
        raise DetenteError("no such option", field="deal.oversight")

    def bug(_report: Report) -> dict[str, object]:
        message = "secret internals"
        raise RuntimeError(message)

    first = registry.submit(ANALYST, "demo", bad_input)
    registry.wait(first.id, WAIT)
    failed = registry.get(ANALYST, first.id)
    assert failed.state is JobState.FAILED
    assert failed.error == "deal.oversight: no such option"
    second = registry.submit(ANALYST, "demo", bug)
    registry.wait(second.id, WAIT)
    crashed = registry.get(ANALYST, second.id)
    assert crashed.state is JobState.FAILED
    assert crashed.error is not None
    assert "RuntimeError" in crashed.error
    assert "secret" not in crashed.error


def test_roles(registry: JobRegistry) -> None:
    with pytest.raises(PermissionDeniedError):
        registry.submit(MONITOR, "demo", lambda _r: {})
    with pytest.raises(PermissionDeniedError):
        registry.submit(LIAISON, "demo", lambda _r: {})
    job = registry.submit(ANALYST, "demo", lambda _r: {})
    registry.wait(job.id, WAIT)
    with pytest.raises(PermissionDeniedError):
        registry.get(LIAISON, job.id)
    with pytest.raises(PermissionDeniedError):
        registry.list(LIAISON)
    with pytest.raises(PermissionDeniedError, match="who started"):
        registry.cancel(OTHER, job.id)
    with pytest.raises(PermissionDeniedError):
        registry.cancel(MONITOR, job.id)
    with pytest.raises(NotFoundError, match="no job"):
        registry.get(ANALYST, "0" * 32)


def test_a_user_may_have_only_so_many_jobs_at_once(registry: JobRegistry) -> None:
    started, release = threading.Event(), threading.Event()
    jobs = [registry.submit(ANALYST, "demo", blocked(started, release))]
    jobs += [
        registry.submit(ANALYST, "demo", lambda _r: {}) for _ in range(MAX_ACTIVE_PER_USER - 1)
    ]
    with pytest.raises(JobLimitError, match="wait for one to finish") as caught:
        registry.submit(ANALYST, "demo", lambda _r: {})
    assert caught.value.status == 429
    other = registry.submit(OTHER, "demo", lambda _r: {})  # another user is not held up
    release.set()
    for job in [*jobs, other]:
        registry.wait(job.id, WAIT)


def test_list_is_newest_first_and_filters_by_scenario(registry: JobRegistry) -> None:
    a = registry.submit(ANALYST, "demo", lambda _r: {}, scenario=(1, 2))
    b = registry.submit(OTHER, "demo", lambda _r: {}, scenario=(7, 1))
    for job in (a, b):
        registry.wait(job.id, WAIT)
    assert [j.id for j in registry.list(MONITOR)] == [b.id, a.id]
    only = registry.list(MONITOR, scenario_id=1)
    assert [(j.id, j.scenario_id, j.scenario_version) for j in only] == [(a.id, 1, 2)]


def test_old_finished_jobs_are_forgotten() -> None:
    jobs = JobRegistry(workers=1, keep=2)
    try:
        ids = []
        for _ in range(4):
            job = jobs.submit(ANALYST, "demo", lambda _r: {})
            jobs.wait(job.id, WAIT)
            ids.append(job.id)
        kept = [j.id for j in jobs.list(ANALYST)]
        assert kept[:2] == [ids[3], ids[2]]
        assert ids[0] not in kept
    finally:
        jobs.close()


def test_close_cancels_what_runs_and_what_waits() -> None:
    jobs = JobRegistry(workers=1)
    started, release = threading.Event(), threading.Event()
    job = jobs.submit(ANALYST, "demo", blocked(started, release, ticks=1))
    queued = jobs.submit(ANALYST, "demo", lambda _r: {})
    assert started.wait(WAIT)
    jobs.close()
    assert jobs.get(ANALYST, job.id).state is JobState.CANCELLED
    assert jobs.get(ANALYST, queued.id).message == "cancelled: the server stopped"
    again = jobs.submit(ANALYST, "demo", lambda _r: {"after": True})  # a new pool takes it
    jobs.wait(again.id, WAIT)
    assert jobs.get(ANALYST, again.id).result == {"after": True}
    jobs.close()


def test_at_least_one_worker() -> None:
    with pytest.raises(DetenteError, match="at least 1"):
        JobRegistry(workers=0)


def test_a_job_cancelled_as_it_starts_does_not_run(registry: JobRegistry) -> None:
    started, release = threading.Event(), threading.Event()
    job = registry.submit(ANALYST, "demo", blocked(started, release))
    assert started.wait(WAIT)
    ran: list[bool] = []
    # the race the pool cannot close: the job was taken by a worker as it was cancelled
    registry._entries[job.id].cancel.set()
    registry._run(job.id, lambda _r: ran.append(True) or {})
    assert ran == []
    assert registry.get(ANALYST, job.id).state is JobState.CANCELLED
    release.set()
