"""Background jobs: long runs (rehearsals, durability, forecasts) off the request's thread.

A :class:`JobRegistry` runs work on a small thread pool (``concurrent.futures``): numpy does
the heavy lifting with the interpreter lock released, and a thread shares the process's
memory, so the result needs no pickling. A job's work receives a :data:`Report` callable; the
computations call it through their own progress callbacks (durability per chunk of paths,
negotiation per round, forecasts per turn). Cancelling a job makes its next report raise
:class:`JobCancelledError`, which ends the work there: within one chunk, round or turn.

The registry lives in the server's memory: a restart loses queued and running jobs and the
results of finished ones (``docs/how-to/rehearse-and-hand-over.md``). What is worth keeping is kept
elsewhere: a briefing is downloaded, an agreement put into force is stored in the database.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from detente.errors import DetenteError
from detente.monitor.auth import require_role
from detente.monitor.enums import Role
from detente.monitor.errors import MonitorError, NotFoundError, PermissionDeniedError
from detente.monitor.models import User, utcnow
from detente.workbench.library import EDITORS, READERS

__all__ = [
    "MAX_ACTIVE_PER_USER",
    "Job",
    "JobCancelledError",
    "JobLimitError",
    "JobOutput",
    "JobRegistry",
    "JobState",
    "Report",
    "Work",
]

#: Jobs one user may have queued or running at once.
MAX_ACTIVE_PER_USER = 4
#: Finished jobs kept in memory (the oldest finished ones are forgotten first).
KEEP_FINISHED = 200

_log = logging.getLogger(__name__)

#: What a job's work calls to report progress: ``(share done in [0, 1], message)``. It raises
#: :class:`JobCancelledError` once the job is cancelled.
Report = Callable[[float, str], None]


@dataclass(frozen=True)
class JobOutput:
    """What a job's work may return besides plain JSON: files to download.

    Attributes:
        result: the JSON-ready result.
        files: ``{file name: (media type, content)}``.
    """

    result: Mapping[str, Any]
    files: Mapping[str, tuple[str, bytes]] = field(default_factory=dict)


#: A job's work: given the reporter, it returns the JSON-ready result (or a :class:`JobOutput`).
Work = Callable[[Report], Mapping[str, Any] | JobOutput]


class JobState(enum.StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        """Whether the job will not change any more."""
        return self in {JobState.DONE, JobState.FAILED, JobState.CANCELLED}


class JobCancelledError(Exception):
    """Raised inside a job's work by its reporter once the job is cancelled."""


class JobLimitError(MonitorError):
    """A user has too many jobs queued or running."""

    status = 429


@dataclass(frozen=True)
class Job:
    """A job as it stands when read: what a page or the API shows.

    Attributes:
        id: the job's identifier (random, unguessable).
        kind: what it runs (``rehearsal``, ``durability``, ``forecast``).
        owner: the user name of who submitted it.
        owner_id: that user's id.
        subject: what it runs on, in words (``scenario 3 version 2``).
        state: queued, running, done, failed or cancelled.
        progress: share of the work done, in [0, 1].
        message: what the work is doing, or how it ended.
        created_at: when it was submitted (UTC).
        finished_at: when it ended (UTC), if it has.
        result: the result (``done`` only): the JSON the matching CLI command prints, and more.
        error: why it failed (``failed`` only), one line naming the field if known.
        scenario_id: the stored scenario it runs on, if any.
        scenario_version: the version of that scenario.
        files: files to download (``done`` only): ``{name: (media type, content)}``.
    """

    id: str
    kind: str
    owner: str
    owner_id: int
    subject: str
    state: JobState
    progress: float
    message: str
    created_at: dt.datetime
    finished_at: dt.datetime | None = None
    result: Mapping[str, Any] | None = None
    error: str | None = None
    scenario_id: int | None = None
    scenario_version: int | None = None
    files: Mapping[str, tuple[str, bytes]] = field(default_factory=dict)

    def to_dict(self, *, with_result: bool = True) -> dict[str, Any]:
        """The job as plain JSON-ready data (the result only with ``with_result``)."""
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "owner": self.owner,
            "subject": self.subject,
            "state": self.state.value,
            "progress": self.progress,
            "message": self.message,
            "created_at": self.created_at.isoformat(),
            "finished_at": None if self.finished_at is None else self.finished_at.isoformat(),
            "error": self.error,
            "scenario_id": self.scenario_id,
            "scenario_version": self.scenario_version,
            "files": list(self.files),
        }
        if with_result:
            out["result"] = None if self.result is None else dict(self.result)
        return out


@dataclass
class _Entry:
    """The registry's mutable record of one job (guarded by the registry's lock)."""

    job: Job
    future: Future[None]
    cancel: threading.Event = field(default_factory=threading.Event)


class JobRegistry:
    """Jobs of one server: submit, read, list and cancel; the work runs on a thread pool.

    Args:
        workers: threads running jobs at once (the rest wait, queued).
        keep: finished jobs kept in memory.
    """

    def __init__(self, workers: int = 2, keep: int = KEEP_FINISHED) -> None:
        if workers < 1:
            raise DetenteError(f"must be at least 1, got {workers}", field="workers")
        self._workers = workers
        self._pool = self._new_pool()
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._keep = keep

    def _new_pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="detente-job")

    # -- the service: every call checks the actor's role --------------------------------

    def submit(
        self,
        actor: User,
        kind: str,
        work: Work,
        *,
        subject: str = "",
        scenario: tuple[int, int] | None = None,
    ) -> Job:
        """Queue ``work`` as a job of ``actor`` (who may edit scenarios: analysts and admins).

        Raises:
            PermissionDeniedError: the actor may not run jobs.
            JobLimitError: the actor has :data:`MAX_ACTIVE_PER_USER` jobs queued or running.
        """
        require_role(actor, *EDITORS)
        job = Job(
            id=secrets.token_hex(16),
            kind=kind,
            owner=actor.username,
            owner_id=actor.id,
            subject=subject,
            state=JobState.QUEUED,
            progress=0.0,
            message="waiting for a free worker",
            created_at=utcnow(),
            scenario_id=None if scenario is None else scenario[0],
            scenario_version=None if scenario is None else scenario[1],
        )
        with self._lock:
            active = sum(
                1
                for e in self._entries.values()
                if e.job.owner_id == actor.id and not e.job.state.finished
            )
            if active >= MAX_ACTIVE_PER_USER:
                raise JobLimitError(
                    f"{active} of your runs are queued or running: wait for one to finish or "
                    "cancel it",
                    field="job",
                )
            # the work waits for the lock, so it finds its entry in place
            future = self._pool.submit(self._run, job.id, work)
            self._entries[job.id] = _Entry(job, future)
            self._forget_old()
        return job

    def get(self, actor: User, job_id: str) -> Job:
        """One job (every role that reads scenarios: all but a party's liaison).

        Raises:
            PermissionDeniedError: a party's liaison.
            NotFoundError: no such job (or it was forgotten, or the server restarted).
        """
        require_role(actor, *READERS)
        with self._lock:
            entry = self._entries.get(job_id)
            if entry is None:
                raise NotFoundError(
                    f"no job {job_id!r} (finished jobs are kept until the server restarts)",
                    field="job_id",
                )
            return entry.job

    def list(self, actor: User, *, scenario_id: int | None = None) -> list[Job]:
        """Every job kept, newest first, optionally those on one scenario."""
        require_role(actor, *READERS)
        with self._lock:
            jobs = [e.job for e in self._entries.values()]
        if scenario_id is not None:
            jobs = [j for j in jobs if j.scenario_id == scenario_id]
        return jobs[::-1]

    def cancel(self, actor: User, job_id: str) -> Job:
        """Cancel a job (its owner, or an admin).

        A queued job never starts; a running one stops at its next report; a finished one
        is left as it is.

        Raises:
            PermissionDeniedError: the actor is neither the owner nor an admin.
            NotFoundError: no such job.
        """
        job = self.get(actor, job_id)
        if job.owner_id != actor.id and actor.role is not Role.ADMIN:
            raise PermissionDeniedError(
                "only the user who started a run, or an admin, may cancel it", field="job_id"
            )
        with self._lock:
            entry = self._entries[job_id]
            if entry.job.state.finished:
                return entry.job
            entry.cancel.set()
            if entry.future.cancel():  # it never started, and never will
                self._finish(job_id, JobState.CANCELLED, "cancelled before it started")
            else:  # it stops at its next report
                self._update(job_id, message="cancelling...")
            return self._entries[job_id].job

    def file(self, actor: User, job_id: str, name: str) -> tuple[str, bytes]:
        """A file a finished job made: ``(media type, content)`` (every reader).

        Raises:
            PermissionDeniedError: a party's liaison.
            NotFoundError: no such job, or the job made no such file (yet).
        """
        job = self.get(actor, job_id)
        if name not in job.files:
            raise NotFoundError(f"job {job_id!r} has no file {name!r}", field="name")
        return job.files[name]

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        """Block until the job has finished (for tests and command-line use)."""
        with self._lock:
            future = self._entries[job_id].future
        if not future.cancelled():
            future.result(timeout=timeout)

    def close(self) -> None:
        """Cancel every job and wait for the running ones to stop (the server is stopping).

        Jobs submitted afterwards run on a new pool (an app started again in the same process).
        """
        with self._lock:
            for key, entry in self._entries.items():
                entry.cancel.set()
                if entry.future.cancel():
                    self._finish(key, JobState.CANCELLED, "cancelled: the server stopped")
            pool, self._pool = self._pool, self._new_pool()
        pool.shutdown(wait=True)

    # -- inside the pool -----------------------------------------------------------------

    def _run(self, job_id: str, work: Work) -> None:
        with self._lock:
            cancel = self._entries[job_id].cancel
            if cancel.is_set():  # cancelled as it was about to start
                self._finish(job_id, JobState.CANCELLED, "cancelled before it started")
                return
            self._update(job_id, state=JobState.RUNNING, message="started")

        def report(share: float, message: str) -> None:
            if cancel.is_set():
                raise JobCancelledError
            with self._lock:
                self._update(job_id, progress=min(max(share, 0.0), 1.0), message=message)

        try:
            output = work(report)
        except JobCancelledError:
            with self._lock:
                self._finish(job_id, JobState.CANCELLED, "cancelled")
        except DetenteError as exc:
            with self._lock:
                self._finish(job_id, JobState.FAILED, "failed", error=str(exc))
        except Exception as exc:  # noqa: BLE001 - a job's failure is reported, never lost
            _log.exception("job %s failed", job_id)
            with self._lock:
                self._finish(
                    job_id,
                    JobState.FAILED,
                    "failed",
                    error=f"internal error ({type(exc).__name__}); the server's log has details",
                )
        else:  # a job cancelled after its last report has finished all the same
            if not isinstance(output, JobOutput):
                output = JobOutput(output)
            with self._lock:
                self._finish(job_id, JobState.DONE, "done", result=dict(output.result))
                self._update(job_id, files=dict(output.files))

    def _update(self, job_id: str, **changes: Any) -> None:
        entry = self._entries[job_id]
        entry.job = replace(entry.job, **changes)

    def _finish(
        self,
        job_id: str,
        state: JobState,
        message: str,
        *,
        result: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        changes: dict[str, Any] = {
            "state": state,
            "message": message,
            "finished_at": utcnow(),
            "result": result,
            "error": error,
        }
        if state is JobState.DONE:
            changes["progress"] = 1.0
        self._update(job_id, **changes)

    def _forget_old(self) -> None:
        finished = [k for k, e in self._entries.items() if e.job.state.finished]
        for key in finished[: max(0, len(finished) - self._keep)]:
            del self._entries[key]
