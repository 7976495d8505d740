"""The one definition of the incident filter and of paging, shared by the pages and the API.

The filter reads the same query parameters in both: a form's empty field filters nothing, a
plain day (``2026-03-01``) in ``until`` counts the whole day, a time without a zone is UTC.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import BeforeValidator, Field

from detente.monitor import service
from detente.monitor.enums import IncidentType, State
from detente.web.deps import MAX_ID

__all__ = ["MAX_PAGE_SIZE", "Filter", "PageNumber", "Paging", "incident_filter", "page_url"]

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _blank(value: Any) -> Any:
    """An empty form field is no value."""
    return None if value == "" else value


def _through_day(value: Any) -> Any:
    """A plain day as an upper bound means up to the end of that day."""
    value = _blank(value)
    if isinstance(value, str) and _DAY.fullmatch(value):
        return dt.date.fromisoformat(value) + dt.timedelta(days=1)
    return value


Blank = BeforeValidator(_blank)
FilterId = Annotated[Annotated[int, Field(ge=1, le=MAX_ID)] | None, Blank, Query()]
Since = Annotated[dt.datetime | None, Blank]
Until = Annotated[dt.datetime | None, BeforeValidator(_through_day)]


def incident_filter(
    *,
    agreement_id: FilterId = None,
    since: Annotated[
        Since, Query(description="occurred at or after (a day: from its start)")
    ] = None,
    until: Annotated[Until, Query(description="occurred before (a day: up to its end)")] = None,
    sector_id: FilterId = None,
    type: Annotated[IncidentType | None, Blank, Query()] = None,  # noqa: A002 - the field's name
    state: Annotated[State | None, Blank, Query()] = None,
    party_id: FilterId = None,
    changed_since: Annotated[
        Since,
        Query(
            description="reported, moved through the workflow or corrected at or after this "
            "time: for incremental pulls, pass the time of the previous pull"
        ),
    ] = None,
) -> service.IncidentFilter:
    """The incident filter of a list, page or export, from its query parameters."""

    def utc(t: dt.datetime | None) -> dt.datetime | None:
        return t.replace(tzinfo=dt.UTC) if t is not None and t.tzinfo is None else t

    return service.IncidentFilter(
        agreement_id, utc(since), utc(until), sector_id, type, state, party_id, utc(changed_since)
    )


Filter = Annotated[service.IncidentFilter, Depends(incident_filter)]
PageNumber = Annotated[int, Query(ge=1, le=MAX_ID, description="page number, from 1")]
MAX_PAGE_SIZE = 1000


def page_url(request: Request, page: int) -> str:
    """The request's path and query with ``page`` replaced (a link relative to the site)."""
    url = request.url.include_query_params(page=page)
    return f"{url.path}?{url.query}"


@dataclasses.dataclass(frozen=True)
class Paging:
    """Page ``page`` of ``total`` items, ``limit`` to a page (the last page may be past the end)."""

    page: int
    limit: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one, empty)."""
        return max(1, -(-self.total // self.limit))

    @property
    def offset(self) -> int:
        """How many items come before this page."""
        return min((self.page - 1) * self.limit, MAX_ID)

    def prev_url(self, request: Request) -> str | None:
        """The link to the previous page (the last one, from past the end), None on the first."""
        return page_url(request, min(self.page - 1, self.pages)) if self.page > 1 else None

    def next_url(self, request: Request) -> str | None:
        """The link to the next page, None on the last."""
        return page_url(request, self.page + 1) if self.page < self.pages else None
