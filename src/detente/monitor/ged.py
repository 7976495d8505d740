"""Incidents as events in the UCDP Georeferenced Event Dataset (GED) column layout.

The first 49 columns are GED's, in the order of its CSV releases and codebook (Sundberg and
Melander 2013, "Introducing the UCDP Georeferenced Event Dataset", Journal of Peace Research
50(4); UCDP GED codebook, versions 20.1 to 24.1). The monitor's own fields follow as extra
columns, so that a file written here imports back to the same incidents.

A monitor records no fatalities, actors' UCDP ids, administrative units or PRIO-GRID cells:
those columns are left empty (GED itself leaves unknown values empty), never zero. The columns
the monitor does fill:

- ``id`` the incident's id, ``relid`` ``detente-<agreement>-<incident>``;
- ``year``, ``date_start`` and ``date_end`` the UTC day it occurred, ``date_prec`` 1 (that day);
- ``latitude``, ``longitude`` and ``geom_wkt`` its point (WKT ``POINT (lon lat)``), with
  ``where_prec`` 1 (exact location); an incident known only by its sector is placed at the
  sector's representative point with ``where_prec`` 5 (a part of a country or a linear
  feature) and the sector's name in ``where_coordinates``;
- ``side_a`` the party the mission attributed it to, ``source_article`` its sources.

Import reads either such a file or a GED release: the monitor's columns when present, else
``date_start`` for the time (midnight UTC), ``type_of_violence`` 3 (one-sided violence) as
``civilian_harm`` and anything else as ``other``, the point from ``latitude``/``longitude`` or
``geom_wkt``, ``source_article`` for the sources, and a description naming the GED event,
its sides and its fatality estimates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from detente.monitor.auth import require_role
from detente.monitor.enums import READERS
from detente.monitor.errors import InputError
from detente.monitor.exchange import (
    MAX_IMPORT_ROWS,
    Where,
    attachments_cell,
    attachments_from_cell,
    coordinate,
    incoming_cell,
    outgoing_cell,
    split_clauses,
    store_incidents,
    to_incident_in,
)
from detente.monitor.geo import representative_point
from detente.monitor.models import Incident, User
from detente.monitor.schemas import IncidentIn
from detente.monitor.service import IncidentFilter, iter_incidents

__all__ = ["GED_COLUMNS", "GED_EXPORT_COLUMNS", "MONITOR_COLUMNS", "ged_chunks", "import_ged"]

#: The columns of a UCDP GED release, in order.
GED_COLUMNS = [
    "id",
    "relid",
    "year",
    "active_year",
    "code_status",
    "type_of_violence",
    "conflict_dset_id",
    "conflict_new_id",
    "conflict_name",
    "dyad_dset_id",
    "dyad_new_id",
    "dyad_name",
    "side_a_dset_id",
    "side_a_new_id",
    "side_a",
    "side_b_dset_id",
    "side_b_new_id",
    "side_b",
    "number_of_sources",
    "source_article",
    "source_office",
    "source_date",
    "source_headline",
    "source_original",
    "where_prec",
    "where_coordinates",
    "where_description",
    "adm_1",
    "adm_2",
    "latitude",
    "longitude",
    "geom_wkt",
    "priogrid_gid",
    "country",
    "country_id",
    "region",
    "event_clarity",
    "date_prec",
    "date_start",
    "date_end",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
    "best",
    "high",
    "low",
    "gwnoa",
    "gwnob",
]
#: The monitor's own fields, after GED's columns.
MONITOR_COLUMNS = [
    "agreement_id",
    "occurred_at",
    "reported_at",
    "type",
    "sector",
    "located_by",
    "confidence",
    "state",
    "attributed_party",
    "attribution_confidence",
    "sources",
    "description",
    "clauses",
    "attachments",
]
GED_EXPORT_COLUMNS = GED_COLUMNS + MONITOR_COLUMNS
#: ``where_prec`` of a monitor's own point, and of a sector's representative point.
EXACT_LOCATION, PART_OF_COUNTRY = 1, 5
#: ``type_of_violence`` of one-sided violence (against civilians).
ONE_SIDED = "3"
#: How far apart (degrees, about 10 cm) geom_wkt and longitude/latitude may be and agree.
_SAME_POINT = 1e-6
_WKT_POINT = re.compile(
    r"^\s*POINT\s*\(\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)(?:\s+[-+0-9.eE]+)?\s*\)\s*$", re.IGNORECASE
)


def _ged_values(i: Incident) -> dict[str, Any]:
    if i.longitude is not None and i.latitude is not None:
        lon, lat, located_by, prec = i.longitude, i.latitude, "point", EXACT_LOCATION
    else:
        assert i.sector is not None  # an incident has a point or a sector
        lon, lat = representative_point(i.sector.geometry)
        located_by, prec = "sector", PART_OF_COUNTRY
    lon, lat = coordinate(lon), coordinate(lat)
    day = i.occurred_at.date().isoformat()
    party = i.attributed_party.name if i.attributed_party else None
    return {
        "id": i.id,
        "relid": f"detente-{i.agreement_id}-{i.id}",
        "year": i.occurred_at.year,
        "side_a": party,
        "source_article": i.sources,
        "where_prec": prec,
        "where_coordinates": i.sector.name if i.sector else None,
        "latitude": lat,
        "longitude": lon,
        "geom_wkt": f"POINT ({lon!r} {lat!r})",
        "date_prec": 1,
        "date_start": day,
        "date_end": day,
        "agreement_id": i.agreement_id,
        "occurred_at": i.occurred_at.isoformat(),
        "reported_at": i.reported_at.isoformat(),
        "type": i.type,
        "sector": i.sector.name if i.sector else None,
        "located_by": located_by,
        "confidence": i.confidence,
        "state": i.state,
        "attributed_party": party,
        "attribution_confidence": i.attribution_confidence,
        "sources": i.sources,
        "description": i.description,
        "clauses": ";".join(c.ref for c in i.clauses),
        "attachments": attachments_cell(i),
    }


def ged_chunks(
    session: Session, actor: User, flt: IncidentFilter, *, rows_per_chunk: int = 200
) -> Iterator[str]:
    """Every filtered incident as a CSV row in the GED layout, in chunks (readers)."""
    require_role(actor, *READERS)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180: quotes a lone CR too
    writer.writerow(GED_EXPORT_COLUMNS)
    for n, incident in enumerate(iter_incidents(session, actor, flt), start=1):
        values = _ged_values(incident)
        writer.writerow([outgoing_cell(values.get(c)) for c in GED_EXPORT_COLUMNS])
        if n % rows_per_chunk == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def _number(row: dict[str, str], column: str, where: Where) -> float | None:
    text = row.get(column, "")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise where.error(f"{text!r} is not a number", column) from None


def _point(row: dict[str, str], where: Where) -> tuple[float, float] | None:
    """The event's point: ``longitude``/``latitude``, else ``geom_wkt``; both must agree."""
    lon, lat = _number(row, "longitude", where), _number(row, "latitude", where)
    if (lon is None) != (lat is None):
        raise where.error("give both longitude and latitude, or neither", "longitude")
    wkt = row.get("geom_wkt", "")
    if not wkt:
        return None if lon is None or lat is None else (lon, lat)
    match = _WKT_POINT.match(wkt)
    if match is None:
        raise where.error("geom_wkt must be a WKT POINT (longitude latitude)", "geom_wkt")
    try:
        wkt_lon, wkt_lat = float(match[1]), float(match[2])
    except ValueError:
        raise where.error("geom_wkt must be a WKT POINT (longitude latitude)", "geom_wkt") from None
    if lon is None or lat is None:
        return wkt_lon, wkt_lat
    if abs(wkt_lon - lon) > _SAME_POINT or abs(wkt_lat - lat) > _SAME_POINT:
        raise where.error("geom_wkt and longitude/latitude name different points", "geom_wkt")
    return lon, lat


def _occurred_at(row: dict[str, str], where: Where) -> str:
    if row.get("occurred_at"):
        return row["occurred_at"]
    start = row.get("date_start", "")
    if not start:
        raise where.error("an event needs occurred_at or date_start", "date_start")
    try:
        day = dt.date.fromisoformat(start[:10])
    except ValueError:
        raise where.error(f"{start!r} is not a date (YYYY-MM-DD)", "date_start") from None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).isoformat()


def _ged_description(row: dict[str, str]) -> str:
    """What a GED event says, for an event imported from a GED release."""
    parts = [f"UCDP GED event {row.get('relid') or row.get('id') or '(no id)'}"]
    if row.get("side_a") or row.get("side_b"):
        parts.append(f"{row.get('side_a') or '?'} vs {row.get('side_b') or '?'}")
    if row.get("best"):
        parts.append(
            f"deaths best {row['best']} (low {row.get('low') or '?'}, "
            f"high {row.get('high') or '?'})"
        )
    if row.get("where_description"):
        parts.append(row["where_description"])
    return "; ".join(parts)


def _event_data(row: dict[str, str], where: Where) -> dict[str, Any]:
    """The importable fields of one row: the monitor's columns, else GED's."""
    data: dict[str, Any] = {
        k: row[k] for k in ("sector", "confidence", "sources", "description") if row.get(k)
    }
    data["occurred_at"] = _occurred_at(row, where)
    violence = row.get("type_of_violence", "")
    data["type"] = row.get("type") or ("civilian_harm" if violence == ONE_SIDED else "other")
    if "sources" not in data and row.get("source_article"):
        data["sources"] = row["source_article"]
    if "description" not in data and "type" not in row:
        data["description"] = _ged_description(row)
    point = _point(row, where)
    if point is not None and row.get("located_by") != "sector":
        data["longitude"], data["latitude"] = point
    data["clauses"] = split_clauses(row.get("clauses", ""))
    if row.get("attachments"):
        data["attachments"] = attachments_from_cell(row["attachments"], where)
    return data


def _ged_rows(
    text: str, sectors: dict[str, int], clauses: dict[str, int], agreement_id: int
) -> list[tuple[Where, IncidentIn]]:
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    if "occurred_at" not in columns and "date_start" not in columns:
        raise InputError("the header lacks date_start (or occurred_at)", source="ged", line=1)
    unknown = sorted(set(columns) - set(GED_EXPORT_COLUMNS))
    if unknown:
        raise InputError(f"unknown column {unknown[0]!r}", source="ged", line=1)
    items: list[tuple[Where, IncidentIn]] = []
    for raw in reader:
        where = Where("ged", line=reader.line_num)
        if len(items) >= MAX_IMPORT_ROWS or None in raw:
            raise where.error(f"more than {MAX_IMPORT_ROWS} rows, or more cells than columns")
        row = {k: incoming_cell(v) for k, v in raw.items() if v is not None}
        data = _event_data(row, where)
        items.append((where, to_incident_in(data, agreement_id, sectors, clauses, where)))
    if not items:
        raise InputError("the file has no rows", source="ged", line=1)
    return items


def import_ged(session: Session, actor: User, agreement_id: int, text: str) -> list[Incident]:
    """Create one incident per row of a GED-layout CSV; any bad row refuses the whole file."""

    def parse(sectors: dict[str, int], clauses: dict[str, int]) -> list[tuple[Where, IncidentIn]]:
        return _ged_rows(text, sectors, clauses, agreement_id)

    return store_incidents(session, actor, agreement_id, parse)
