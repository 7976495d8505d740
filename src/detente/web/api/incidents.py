"""Incidents over the API: the filtered list by page, reports, corrections, the workflow, notes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from detente.monitor import intake, service
from detente.monitor.models import User
from detente.monitor.schemas import (
    IncidentIn,
    IncidentOut,
    IncidentPage,
    IncidentPatch,
    NoteIn,
    NoteOut,
    TransitionIn,
)
from detente.web.api.idempotency import BatchedCreate, IdempotencyKey, json_bytes, once
from detente.web.deps import ApiWork, IdPath
from detente.web.listing import MAX_PAGE_SIZE, Filter, PageNumber, Paging

__all__ = ["router"]

router = APIRouter(prefix="/incidents", tags=["incidents"])

#: New reports: those waiting together are written together (the API's busiest write).
REPORTS = BatchedCreate(intake.create_incidents, status=201)


@router.get("")
def incidents(
    flt: Filter,
    work: ApiWork,
    page: PageNumber = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="incidents per page")] = 100,
) -> IncidentPage:
    """Incidents the user may see, filtered by time, sector, type, state and party, by page.

    ``total`` counts every match; ``next`` and ``prev`` link the neighbouring pages (null at
    the ends). The exports return every match at once.
    """
    with work() as (s, user):
        paging = Paging(page, limit, service.count_incidents(s, user, flt))
        items = service.list_incidents(s, user, flt, limit=limit, offset=paging.offset)
        return IncidentPage(
            items=[service.incident_out(i, user) for i in items],
            total=paging.total,
            page=page,
            limit=limit,
            pages=paging.pages,
            next=paging.next_url(work.request),
            prev=paging.prev_url(work.request),
        )


@router.post("", status_code=201, response_model=IncidentOut)
async def new_incident(body: IncidentIn, work: ApiWork, key: IdempotencyKey = None) -> Any:
    """Report an incident (monitors and admins).

    Send an ``Idempotency-Key`` header to retry safely: the retry returns the first answer.
    """
    return await REPORTS.submit(work, key=key, body=json_bytes(body), payload=body)


@router.patch("/{incident_id}")
def correct(incident_id: IdPath, body: IncidentPatch, work: ApiWork) -> IncidentOut:
    """Correct an incident's descriptive fields (its reporter or an admin, until it is raised)."""
    with work() as (s, user):
        return service.incident_out(service.correct_incident(s, user, incident_id, body), user)


@router.get("/{incident_id}")
def incident(incident_id: IdPath, work: ApiWork) -> IncidentOut:
    """One incident with its timeline."""
    with work() as (s, user):
        return service.incident_out(service.get_incident(s, user, incident_id), user)


@router.post("/{incident_id}/transitions", response_model=IncidentOut)
def act(incident_id: IdPath, body: TransitionIn, work: ApiWork, key: IdempotencyKey = None) -> Any:
    """Move an incident through the workflow."""

    def run(s: Session, user: User) -> IncidentOut:
        return service.incident_out(service.transition(s, user, incident_id, body), user)

    return once(work, key=key, body=json_bytes(body), status=200, run=run)


@router.post("/{incident_id}/notes", status_code=201, response_model=NoteOut)
def note(incident_id: IdPath, body: NoteIn, work: ApiWork, key: IdempotencyKey = None) -> Any:
    """Add an internal note (monitors and admins)."""

    def run(s: Session, user: User) -> NoteOut:
        n = service.add_note(s, user, incident_id, body)
        return NoteOut(id=n.id, author=user.username, at=n.at, body=n.body)

    return once(work, key=key, body=json_bytes(body), status=201, run=run)
