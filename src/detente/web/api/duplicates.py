"""Duplicate reports over the API: the proposals for an incident, merge, unmerge, dismiss, restore.

Who may verify a report (monitors and admins) merges, unmerges, dismisses and restores;
analysts read the proposals; the service layer decides both.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session

from detente.monitor import duplicates, service
from detente.monitor.models import User
from detente.monitor.schemas import DismissIn, IncidentOut, MergeIn, RestoreIn, UnmergeIn
from detente.web.api.idempotency import IdempotencyKey, json_bytes, once
from detente.web.deps import ApiWork, IdPath, Settings

__all__ = ["router"]

router = APIRouter(prefix="/incidents", tags=["duplicates"])


@router.get("/{incident_id}/duplicates")
def proposals(incident_id: IdPath, work: ApiWork, settings: Settings) -> duplicates.Duplicates:
    """Other reports that may be of the same event: near in space and time, not dismissed.

    The reports judged different events come back too (``dismissed``). The thresholds are
    the service's settings (``DETENTE_MONITOR_DUPLICATE_METRES`` and ``_MINUTES``) and come
    back with the answer. Mission staff only.
    """
    with work() as (s, user):
        return duplicates.duplicates_of(s, user, incident_id, settings.duplicates)


@router.post("/{incident_id}/merge", response_model=IncidentOut)
def merge(incident_id: IdPath, body: MergeIn, work: ApiWork, key: IdempotencyKey = None) -> Any:
    """Merge duplicate reports into this incident, which keeps the event (monitors, admins).

    Each merged report moves to state ``merged`` and names this incident; lists, counts,
    rates and exports leave it out from then on. Answers this incident with ``merged_ids``.
    """

    def run(s: Session, user: User) -> IncidentOut:
        kept = duplicates.merge(s, user, incident_id, body.duplicate_ids, body.reason)
        return service.incident_out(kept, user)

    return once(work, key=key, body=json_bytes(body), status=200, run=run)


@router.post("/{incident_id}/unmerge", response_model=IncidentOut)
def unmerge(incident_id: IdPath, body: UnmergeIn, work: ApiWork, key: IdempotencyKey = None) -> Any:
    """Undo the merge of this report (monitors, admins; until the kept incident is raised)."""

    def run(s: Session, user: User) -> IncidentOut:
        incident = duplicates.unmerge(s, user, incident_id, body.reason)
        return service.incident_out(incident, user)

    return once(work, key=key, body=json_bytes(body), status=200, run=run)


@router.post("/{incident_id}/dismiss-duplicate", status_code=201)
def dismiss(
    incident_id: IdPath,
    body: DismissIn,
    work: ApiWork,
    settings: Settings,
    key: IdempotencyKey = None,
) -> Any:
    """Judge another report to be of a different event: not proposed again until restored.

    Answers this incident's remaining proposals.
    """

    def run(s: Session, user: User) -> duplicates.Duplicates:
        duplicates.dismiss(s, user, incident_id, body.other_id, body.reason)
        return duplicates.duplicates_of(s, user, incident_id, settings.duplicates)

    return once(work, key=key, body=json_bytes(body), status=201, run=run)


@router.post("/{incident_id}/restore-duplicate")
def restore(
    incident_id: IdPath,
    body: RestoreIn,
    work: ApiWork,
    settings: Settings,
    key: IdempotencyKey = None,
) -> Any:
    """Undo the dismissal of another report: the pair is proposed again and may be merged.

    Monitors and admins, with a reason. Answers this incident's proposals.
    """

    def run(s: Session, user: User) -> duplicates.Duplicates:
        duplicates.restore(s, user, incident_id, body.other_id, body.reason)
        return duplicates.duplicates_of(s, user, incident_id, settings.duplicates)

    return once(work, key=key, body=json_bytes(body), status=200, run=run)
