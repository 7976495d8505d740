"""Incidents over the API: the filtered list by page, reports, corrections, the workflow, notes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from detente.monitor import service
from detente.monitor.enums import IncidentType, State
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
from detente.web.api.idempotency import IdempotencyKey, json_bytes, once
from detente.web.deps import MAX_ID, ApiWork, IdPath, IdQuery

__all__ = ["Filter", "incident_filter", "router"]

router = APIRouter(prefix="/incidents", tags=["incidents"])


def incident_filter(
    *,
    agreement_id: IdQuery = None,
    since: Annotated[dt.datetime | None, Query(description="occurred at or after")] = None,
    until: Annotated[dt.datetime | None, Query(description="occurred before")] = None,
    sector_id: IdQuery = None,
    type: IncidentType | None = None,  # noqa: A002 - the API's field name
    state: State | None = None,
    party_id: IdQuery = None,
    changed_since: Annotated[
        dt.datetime | None,
        Query(
            description="reported, moved through the workflow or corrected at or after this "
            "time: for incremental pulls, pass the time of the previous pull"
        ),
    ] = None,
) -> service.IncidentFilter:
    """Query parameters shared by the list and the exports."""

    def utc(t: dt.datetime | None) -> dt.datetime | None:
        return t.replace(tzinfo=dt.UTC) if t is not None and t.tzinfo is None else t

    return service.IncidentFilter(
        agreement_id, utc(since), utc(until), sector_id, type, state, party_id, utc(changed_since)
    )


Filter = Annotated[service.IncidentFilter, Depends(incident_filter)]
MAX_PAGE_SIZE = 1000


def page_url(request: Request, page: int) -> str:
    """The request's path and query with ``page`` replaced (a link relative to the site)."""
    url = request.url.include_query_params(page=page)
    return f"{url.path}?{url.query}"


@router.get("")
def incidents(
    flt: Filter,
    work: ApiWork,
    page: Annotated[int, Query(ge=1, le=MAX_ID, description="page number, from 1")] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="incidents per page")] = 100,
) -> IncidentPage:
    """Incidents the user may see, filtered by time, sector, type, state and party, by page.

    ``total`` counts every match; ``next`` and ``prev`` link the neighbouring pages (null at
    the ends). The exports return every match at once.
    """
    with work() as (s, user):
        total = service.count_incidents(s, user, flt)
        offset = min((page - 1) * limit, MAX_ID)
        items = service.list_incidents(s, user, flt, limit=limit, offset=offset)
        pages = max(1, -(-total // limit))
        return IncidentPage(
            items=[service.incident_out(i, user) for i in items],
            total=total,
            page=page,
            limit=limit,
            pages=pages,
            next=page_url(work.request, page + 1) if page < pages else None,
            prev=page_url(work.request, min(page - 1, pages)) if page > 1 else None,
        )


@router.post("", status_code=201, response_model=IncidentOut)
def new_incident(body: IncidentIn, work: ApiWork, key: IdempotencyKey = None) -> Any:
    """Report an incident (monitors and admins).

    Send an ``Idempotency-Key`` header to retry safely: the retry returns the first answer.
    """

    def run(s: Session, user: User) -> IncidentOut:
        return service.incident_out(service.create_incident(s, user, body), user)

    return once(work, key=key, body=json_bytes(body), status=201, run=run)


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
