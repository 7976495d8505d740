"""The incident page's duplicate forms: merge a proposed report, dismiss it, undo either.

The incident page lists the proposals (:mod:`detente.web.pages.monitor`); these routes take
its forms, call the service (which decides who may) and return to the page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse

from detente.monitor import duplicates
from detente.web.deps import CSRF, MAX_ID, PageWork

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
OtherId = Annotated[int, Form(ge=1, le=MAX_ID)]
Reason = Annotated[str, Form(max_length=5000)]


@router.post("/incidents/{incident_id}/merge", dependencies=[CSRF])
def merge(
    work: PageWork, incident_id: int, other_id: OtherId, reason: Reason = ""
) -> RedirectResponse:
    """Merge a proposed report into this incident, which keeps the event."""
    with work() as (s, user):
        duplicates.merge(s, user, min(incident_id, MAX_ID), [other_id], reason)
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


@router.post("/incidents/{incident_id}/dismiss-duplicate", dependencies=[CSRF])
def dismiss(
    work: PageWork, incident_id: int, other_id: OtherId, reason: Reason = ""
) -> RedirectResponse:
    """Judge a proposed report to be of a different event."""
    with work() as (s, user):
        duplicates.dismiss(s, user, min(incident_id, MAX_ID), other_id, reason)
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


@router.post("/incidents/{incident_id}/restore-duplicate", dependencies=[CSRF])
def restore(
    work: PageWork, incident_id: int, other_id: OtherId, reason: Reason = ""
) -> RedirectResponse:
    """Undo the dismissal of a report: the pair is proposed again."""
    with work() as (s, user):
        duplicates.restore(s, user, min(incident_id, MAX_ID), other_id, reason)
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


@router.post("/incidents/{incident_id}/unmerge", dependencies=[CSRF])
def unmerge(work: PageWork, incident_id: int, reason: Reason = "") -> RedirectResponse:
    """Undo the merge of this report."""
    with work() as (s, user):
        duplicates.unmerge(s, user, min(incident_id, MAX_ID), reason)
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)
