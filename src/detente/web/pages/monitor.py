"""The Monitor area's pages: incident list, incident page, new incident, map, daily report."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from detente.monitor import duplicates, exchange, reports, service
from detente.monitor.auth import (
    can_read_notes,
    can_write_notes,
    check_can_read_reports,
    check_can_report_incidents,
    visible_events,
)
from detente.monitor.enums import Action, Confidence, IncidentType, State
from detente.monitor.errors import InputError
from detente.monitor.models import Agreement, User
from detente.monitor.schemas import IncidentIn, NoteIn, TransitionIn
from detente.monitor.workflow import allowed_actions
from detente.web.charts import daily_bars
from detente.web.deps import CSRF, MAX_ID, PageWork, Settings
from detente.web.listing import Filter, PageNumber, Paging
from detente.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _agreement(session: Session, user: User, agreement_id: int | None) -> Agreement | None:
    """The agreement asked for, else the only one there is, else the first."""
    found = service.list_agreements(session, user)
    if agreement_id is not None:
        return service.get_agreement(session, user, agreement_id)
    return found[0] if found else None


PAGE_SIZE = 50


@router.get("/incidents")
def incident_list(
    request: Request, work: PageWork, flt: Filter, page: PageNumber = 1
) -> HTMLResponse:
    """The incidents the user may see, with filters, 50 to a page.

    With several agreements and none chosen, every agreement's incidents are listed, each
    row naming its agreement; the sector and party filters need a chosen agreement.
    """
    if flt.agreement_id is None:
        flt = dataclasses.replace(flt, sector_id=None, party_id=None)
    with work() as (s, user):
        agreements = service.list_agreements(s, user)
        agreement = None
        if flt.agreement_id is not None:
            agreement = service.get_agreement(s, user, flt.agreement_id)
        elif len(agreements) == 1:
            agreement = agreements[0]
        paging = Paging(page, PAGE_SIZE, service.count_incidents(s, user, flt))
        items = service.list_incidents(s, user, flt, limit=PAGE_SIZE, offset=paging.offset)
        fields = ("type", "state", "sector_id", "party_id", "since", "until")
        return render(
            request,
            "incidents.html",
            user,
            incidents=items,
            agreement=agreement,
            agreements=agreements,
            chosen_agreement=flt.agreement_id,
            types=list(IncidentType),
            states=list(State),
            chosen={k: request.query_params.get(k, "") for k in fields},
            total=paging.total,
            page=page,
            pages=paging.pages,
            first=paging.offset + 1 if items else 0,
            last=paging.offset + len(items),
            prev_url=paging.prev_url(request),
            next_url=paging.next_url(request),
        )


@router.get("/incidents/new")
def new_incident_form(
    request: Request,
    work: PageWork,
    agreement_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> HTMLResponse:
    """The form to report an incident (mission staff)."""
    with work() as (s, user):
        check_can_report_incidents(user)
        return render(
            request,
            "new_incident.html",
            user,
            agreement=_agreement(s, user, agreement_id),
            types=list(IncidentType),
            confidences=list(Confidence),
            values={},
            error=None,
        )


@router.post("/incidents/new", dependencies=[CSRF])
def new_incident(
    request: Request,
    work: PageWork,
    *,
    agreement_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    occurred_at: Annotated[str, Form(max_length=40)],
    type: Annotated[str, Form(max_length=40)],  # noqa: A002 - the form field's name
    sector_id: Annotated[str, Form(max_length=12)] = "",
    longitude: Annotated[str, Form(max_length=40)] = "",
    latitude: Annotated[str, Form(max_length=40)] = "",
    sources: Annotated[str, Form(max_length=2000)] = "",
    confidence: Annotated[str, Form(max_length=20)] = "medium",
    description: Annotated[str, Form(max_length=10_000)] = "",
    clause_ids: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Report an incident; on bad input show the form again with the message."""
    values: dict[str, Any] = {
        "agreement_id": agreement_id,
        "occurred_at": occurred_at,
        "type": type,
        "sector_id": sector_id or None,
        "longitude": longitude or None,
        "latitude": latitude or None,
        "sources": sources,
        "confidence": confidence,
        "description": description,
        "clause_ids": clause_ids or [],
    }
    try:
        with work() as (s, user):
            incident = service.create_incident(s, user, IncidentIn.model_validate(values))
            return RedirectResponse(f"/incidents/{incident.id}", status_code=303)
    except (ValidationError, InputError) as exc:  # rolled back: show the form again
        message = str(exc) if isinstance(exc, InputError) else _first_error(exc)
    with work() as (s, user):
        return render(
            request,
            "new_incident.html",
            user,
            status=422,
            agreement=_agreement(s, user, agreement_id),
            types=list(IncidentType),
            confidences=list(Confidence),
            values=values,
            error=message,
        )


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


@router.get("/incidents/{incident_id}")
def incident_page(
    request: Request, work: PageWork, settings: Settings, incident_id: int
) -> HTMLResponse:
    """One incident: its facts, timeline, notes (mission only) and the actions the user may take."""
    with work() as (s, user):
        incident = service.get_incident(s, user, min(incident_id, MAX_ID))
        proposals = None
        if duplicates.can_read(user):
            proposals = duplicates.duplicates_of(s, user, incident.id, settings.duplicates)
        return render(
            request,
            "incident.html",
            user,
            incident=incident,
            events=visible_events(user, incident),
            duplicates=proposals,
            can_decide=duplicates.can_decide(user),
            actions=allowed_actions(incident, user),
            show_notes=can_read_notes(user),
            can_note=can_write_notes(user),
            confidences=list(Confidence),
        )


@router.post("/incidents/{incident_id}/act", dependencies=[CSRF])
def act(
    work: PageWork,
    incident_id: int,
    *,
    action: Annotated[Action, Form()],
    reason: Annotated[str, Form(max_length=5000)] = "",
    party_id: Annotated[str, Form(max_length=12)] = "",
    confidence: Annotated[str, Form(max_length=20)] = "",
) -> RedirectResponse:
    """Take a workflow action from the incident page."""
    with work() as (s, user):
        try:
            body = TransitionIn(
                action=action,
                reason=reason,
                party_id=int(party_id) if party_id else None,
                confidence=Confidence(confidence) if confidence else None,
            )
        except (ValidationError, ValueError):
            raise InputError(
                "every action needs a reason (and an attribution its party)", field="reason"
            ) from None
        service.transition(s, user, min(incident_id, MAX_ID), body)
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


@router.post("/incidents/{incident_id}/notes", dependencies=[CSRF])
def note(
    work: PageWork,
    incident_id: int,
    body: Annotated[str, Form(min_length=1, max_length=10_000)],
) -> RedirectResponse:
    """Add an internal note."""
    with work() as (s, user):
        service.add_note(s, user, min(incident_id, MAX_ID), NoteIn(body=body))
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


@router.get("/map")
def map_page(
    request: Request,
    work: PageWork,
    agreement_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> HTMLResponse:
    """The line's sectors and the incidents the user may see, drawn with Leaflet."""
    with work() as (s, user):
        agreement = _agreement(s, user, agreement_id)
        data: dict[str, Any] = {
            "sectors": [],
            "incidents": {"type": "FeatureCollection", "features": []},
        }
        if agreement is not None:
            data["sectors"] = [{"name": x.name, "geometry": x.geometry} for x in agreement.sectors]
            items = service.iter_incidents(
                s, user, service.IncidentFilter(agreement_id=agreement.id)
            )
            data["incidents"] = exchange.incidents_geojson(items)
        return render(request, "map.html", user, agreement=agreement, data=data)


@router.get("/report")
def report_page(
    request: Request,
    work: PageWork,
    agreement_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    date: dt.date | None = None,
    days: Annotated[int, Query(ge=1, le=92)] = 14,
) -> HTMLResponse:
    """The daily report and a chart of incidents per day in each sector."""
    with work() as (s, user):
        check_can_read_reports(user)
        agreement = _agreement(s, user, agreement_id)
        day = date or dt.datetime.now(dt.UTC).date()
        report = None
        charts = []
        if agreement is not None:
            report = reports.daily_report(s, user, agreement.id, day)
            dates, series = reports.daily_counts(s, user, agreement.id, day, days)
            charts = [(name, daily_bars(name, dates, counts)) for name, counts in series.items()]
        return render(
            request,
            "report.html",
            user,
            agreement=agreement,
            report=report,
            charts=charts,
            day=day,
            days=days,
        )
