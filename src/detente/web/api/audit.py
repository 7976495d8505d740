"""The audit log's integrity check over the API (admins)."""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter

from detente.monitor.schemas import AuditOut
from detente.web.deps import ApiWork
from detente.workbench.audit import check_audit

__all__ = ["router"]

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/verify")
def verify(work: ApiWork) -> AuditOut:
    """Check the audit chain and the records it accounts for, scenarios included (admins)."""
    with work() as (s, user):
        return AuditOut(**dataclasses.asdict(check_audit(s, user)))
