"""The daily report over the API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from detente.monitor import reports
from detente.monitor.schemas import DailyReport
from detente.web.deps import MAX_ID, ApiWork

__all__ = ["router"]

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/daily")
def daily(
    agreement_id: Annotated[int, Query(ge=1, le=MAX_ID)], date: dt.date, work: ApiWork
) -> DailyReport:
    """The daily report of one agreement for one UTC day."""
    with work() as (s, user):
        return reports.daily_report(s, user, agreement_id, date)
