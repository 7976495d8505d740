"""Agreements over the API: their parties, clauses and sectors."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session

from detente.monitor import service
from detente.monitor.models import User
from detente.monitor.schemas import AgreementIn, AgreementOut
from detente.web.api.idempotency import IdempotencyKey, json_bytes, once
from detente.web.deps import ApiWork, IdPath

__all__ = ["router"]

router = APIRouter(prefix="/agreements", tags=["agreements"])


@router.get("")
def agreements(work: ApiWork) -> list[AgreementOut]:
    """Every agreement."""
    with work() as (s, user):
        return [AgreementOut.model_validate(a) for a in service.list_agreements(s, user)]


@router.post("", status_code=201, response_model=AgreementOut)
def new_agreement(body: AgreementIn, work: ApiWork, key: IdempotencyKey = None) -> Any:
    """Create an agreement with its parties, clauses and sectors (admins)."""

    def run(s: Session, user: User) -> AgreementOut:
        return AgreementOut.model_validate(service.create_agreement(s, user, body))

    return once(work, key=key, body=json_bytes(body), status=201, run=run)


@router.get("/{agreement_id}")
def agreement(agreement_id: IdPath, work: ApiWork) -> AgreementOut:
    """One agreement."""
    with work() as (s, user):
        return AgreementOut.model_validate(service.get_agreement(s, user, agreement_id))
