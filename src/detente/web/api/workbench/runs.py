"""Runs of a stored scenario over the API: rehearsal, durability, forecast, briefing; jobs.

Starting a run answers ``202`` with the job; ``GET /api/workbench/jobs/{id}`` follows it
(progress, then the result: the JSON the matching command prints) and ``POST .../cancel``
stops it. A briefing's files are downloads of its job. Every route is one unit of work over
the ``detente.workbench`` services, which check the roles.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel

from detente.monitor.schemas import AgreementOut
from detente.web.deps import MAX_ID, ApiWork, IdPath, IdQuery, Jobs
from detente.workbench import library
from detente.workbench.briefing import BriefingRequest, start_briefing
from detente.workbench.handover import (
    AgreementDurabilityRequest,
    ForceRequest,
    agreement_durability,
    agreement_origin,
    put_into_force,
)
from detente.workbench.jobs import Job
from detente.workbench.runs import (
    DurabilityRequest,
    ForecastRequest,
    RehearsalRequest,
    start_durability,
    start_forecast,
    start_rehearsal,
    strategies_for,
)

__all__ = ["JobOut", "OriginOut", "router"]

router = APIRouter(tags=["workbench"])
VersionQuery = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="a version number (default: the latest)")
]
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
FileName = Annotated[str, Path(max_length=200, pattern=r"^[A-Za-z0-9._-]+$")]


class JobOut(BaseModel):
    """A background job: its state, progress and (once done) its result and files."""

    id: str
    kind: str
    owner: str
    subject: str
    state: str
    progress: float
    message: str
    created_at: str
    finished_at: str | None
    error: str | None
    scenario_id: int | None
    scenario_version: int | None
    files: list[str]
    result: dict[str, Any] | None = None

    @classmethod
    def of(cls, job: Job, *, with_result: bool = True) -> JobOut:
        """The API view of ``job``."""
        return cls.model_validate(job.to_dict(with_result=with_result))


class OriginOut(BaseModel):
    """Where an agreement put into force came from."""

    agreement_id: int
    scenario_id: int
    scenario_version: int
    deal: dict[str, str]
    mechanisms: list[str]
    forced_at: dt.datetime
    forced_by: str


class ForcedOut(BaseModel):
    """An agreement put into force, and where it came from."""

    agreement: AgreementOut
    origin: OriginOut


@router.get("/strategies")
def strategies(work: ApiWork) -> list[str]:
    """The names of the registered negotiation strategies (a rehearsal's choices)."""
    with work() as (_, user):
        return strategies_for(user)


@router.post("/scenarios/{scenario_id}/rehearsals", status_code=202)
def rehearse(
    scenario_id: IdPath,
    body: RehearsalRequest,
    work: ApiWork,
    jobs: Jobs,
    version: VersionQuery = None,
) -> JobOut:
    """Start a negotiation with a strategy per party (analysts, admins): ``detente negotiate``."""
    with work() as (s, user):
        stored = library.get_scenario(s, user, scenario_id, version)
        return JobOut.of(start_rehearsal(jobs, user, stored, body))


@router.post("/scenarios/{scenario_id}/durability", status_code=202)
def durability(
    scenario_id: IdPath,
    body: DurabilityRequest,
    work: ApiWork,
    jobs: Jobs,
    version: VersionQuery = None,
) -> JobOut:
    """Start a durability run of a deal, and of a second one (``detente durability``)."""
    with work() as (s, user):
        stored = library.get_scenario(s, user, scenario_id, version)
        return JobOut.of(start_durability(jobs, user, stored, body))


@router.post("/scenarios/{scenario_id}/forecasts", status_code=202)
def forecast(
    scenario_id: IdPath,
    body: ForecastRequest,
    work: ApiWork,
    jobs: Jobs,
    version: VersionQuery = None,
) -> JobOut:
    """Start the stakeholder forecast (``detente forecast``)."""
    with work() as (s, user):
        stored = library.get_scenario(s, user, scenario_id, version)
        return JobOut.of(start_forecast(jobs, user, stored, body))


@router.post("/scenarios/{scenario_id}/briefings", status_code=202)
def briefing(
    scenario_id: IdPath,
    body: BriefingRequest,
    work: ApiWork,
    jobs: Jobs,
    version: VersionQuery = None,
) -> JobOut:
    """Start the briefing of a deal, as HTML and PDF (``detente brief --deal``)."""
    with work() as (s, user):
        stored = library.get_scenario(s, user, scenario_id, version)
        return JobOut.of(start_briefing(jobs, user, stored, body))


@router.post("/scenarios/{scenario_id}/put-into-force", status_code=201)
def force(scenario_id: IdPath, body: ForceRequest, work: ApiWork) -> ForcedOut:
    """Make a deal an agreement in the Monitor area (admins)."""
    with work() as (s, user):
        agreement = put_into_force(s, user, scenario_id, body)
        return ForcedOut(
            agreement=AgreementOut.model_validate(agreement),
            origin=_origin(agreement_origin(s, user, agreement.id)),
        )


@router.get("/jobs")
def job_list(work: ApiWork, jobs: Jobs, scenario_id: IdQuery = None) -> list[JobOut]:
    """The jobs kept in memory, newest first (without their results)."""
    with work() as (_s, user):
        found = jobs.list(user, scenario_id=scenario_id)
    return [JobOut.of(j, with_result=False) for j in found]


@router.get("/jobs/{job_id}")
def job(job_id: JobId, work: ApiWork, jobs: Jobs) -> JobOut:
    """One job: progress, then its result."""
    with work() as (_s, user):
        return JobOut.of(jobs.get(user, job_id))


@router.post("/jobs/{job_id}/cancel")
def cancel(job_id: JobId, work: ApiWork, jobs: Jobs) -> JobOut:
    """Cancel a job (its owner or an admin): it stops at its next step."""
    with work() as (_s, user):
        return JobOut.of(jobs.cancel(user, job_id), with_result=False)


@router.get("/jobs/{job_id}/files/{name}")
def job_file(job_id: JobId, name: FileName, work: ApiWork, jobs: Jobs) -> Response:
    """A file a job made (a briefing's page or PDF), as a download."""
    with work() as (_s, user):
        media, content = jobs.file(user, job_id, name)
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(content, media_type=media, headers=headers)


@router.get("/agreements/{agreement_id}/origin")
def origin(agreement_id: IdPath, work: ApiWork) -> OriginOut:
    """The scenario version and deal an agreement was put into force from."""
    with work() as (s, user):
        return _origin(agreement_origin(s, user, agreement_id))


@router.get("/agreements/{agreement_id}/durability")
def agreement_view(
    agreement_id: IdPath,
    work: ApiWork,
    paths: Annotated[int, Query(ge=100, le=200_000)] = AgreementDurabilityRequest().paths,
    days: Annotated[int, Query(ge=1, le=3_650)] = AgreementDurabilityRequest().days,
    seed: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
) -> dict[str, Any]:
    """The agreement's deal simulated with the record's observed rates, and without them."""
    request = AgreementDurabilityRequest(paths=paths, days=days, seed=seed)
    with work() as (s, user):
        return agreement_durability(s, user, agreement_id, request)


def _origin(found: Any) -> OriginOut:
    return OriginOut(
        agreement_id=found.agreement_id,
        scenario_id=found.scenario_id,
        scenario_version=found.scenario_version,
        deal=dict(found.deal),
        mechanisms=list(found.mechanisms),
        forced_at=found.forced_at,
        forced_by=found.forced_by.username,
    )
