"""Incidents in and out: CSV (with HXL), GeoJSON and UCDP GED exports and imports."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from detente.monitor import exchange, ged, service
from detente.monitor.errors import MonitorError
from detente.monitor.models import User
from detente.web.api.idempotency import IdempotencyKey, once
from detente.web.deps import MAX_ID, ApiWork, UnitOfWork
from detente.web.listing import Filter

__all__ = ["router"]

router = APIRouter()
Renderer = Callable[[Session, User, service.IncidentFilter], Iterator[str]]


def _stream(work: UnitOfWork, render: Renderer, flt: service.IncidentFilter) -> Iterator[str]:
    """Chunks of an export, rendered inside one read transaction from a batched cursor."""
    with work() as (s, user):
        yield from render(s, user, flt)


def _started(chunks: Iterator[str]) -> Iterator[str]:
    """Run the export up to its first chunk now, so refusals are 4xx answers, not cut streams."""
    first = next(chunks)
    return itertools.chain([first], chunks)


@router.get(
    "/export/incidents.csv",
    tags=["export"],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_csv(
    flt: Filter,
    work: ApiWork,
    hxl: Annotated[bool, Query(description="add a second row of HXL hashtags")] = False,
) -> StreamingResponse:
    """Every incident matching the filters, as CSV (streamed); ``hxl`` adds HXL hashtags."""
    render = functools.partial(exchange.csv_chunks, hxl=hxl)
    chunks = _started(_stream(work, render, flt))
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8")


@router.get(
    "/export/incidents.geojson",
    tags=["export"],
    response_class=StreamingResponse,
    responses={200: {"content": {"application/geo+json": {"schema": {"type": "object"}}}}},
)
def export_geojson(flt: Filter, work: ApiWork) -> StreamingResponse:
    """Every incident matching the filters, as a GeoJSON FeatureCollection (streamed)."""
    chunks = _started(_stream(work, exchange.geojson_chunks, flt))
    return StreamingResponse(chunks, media_type="application/geo+json")


@router.get(
    "/export/incidents-ged.csv",
    tags=["export"],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_ged(flt: Filter, work: ApiWork) -> StreamingResponse:
    """Every incident matching the filters, as CSV in the UCDP GED layout (streamed)."""
    chunks = _started(_stream(work, ged.ged_chunks, flt))
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8")


_CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/geo+json": {"schema": {"type": "object"}},
        },
    }
}
#: The importers by the ``format`` of ``POST /api/import/incidents``.
IMPORTERS = {"csv": exchange.import_csv, "geojson": exchange.import_geojson, "ged": ged.import_ged}
ImportFormat = Literal["csv", "geojson", "ged"]


@router.post(
    "/import/incidents",
    tags=["import"],
    status_code=201,
    openapi_extra=_CSV_BODY,
    response_model=list[int],
)
async def import_incidents(
    agreement_id: Annotated[int, Query(ge=1, le=MAX_ID)],
    work: ApiWork,
    key: IdempotencyKey = None,
    format: Annotated[  # noqa: A002 - the API's parameter name
        ImportFormat,
        Query(description="csv (HXL hashtags allowed), geojson (RFC 7946) or ged (UCDP GED)"),
    ] = "csv",
) -> Any:
    """Import incidents as exported (CSV, GeoJSON, UCDP GED); a bad record refuses the file."""
    raw = await work.request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MonitorError(f"the {format} file is not UTF-8", source=format) from exc
    importer = IMPORTERS[format]

    def run(s: Session, user: User) -> list[int]:
        return [i.id for i in importer(s, user, agreement_id, text)]

    return await run_in_threadpool(
        functools.partial(once, work, key=key, body=raw, status=201, run=run)
    )
