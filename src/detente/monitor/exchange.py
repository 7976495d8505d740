"""CSV and GeoJSON export, and all-or-nothing CSV import of incidents."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from detente.monitor.auth import require_role
from detente.monitor.errors import InputError
from detente.monitor.geo import representative_point
from detente.monitor.models import Incident, User
from detente.monitor.schemas import IncidentIn
from detente.monitor.service import (
    MISSION,
    READERS,
    IncidentFilter,
    create_incident,
    get_agreement,
    iter_incidents,
)

__all__ = [
    "CSV_COLUMNS",
    "HXL_TAGS",
    "IMPORT_COLUMNS",
    "csv_chunks",
    "geojson_chunks",
    "import_csv",
    "incidents_geojson",
]

CSV_COLUMNS = [
    "id",
    "agreement_id",
    "occurred_at",
    "reported_at",
    "type",
    "sector",
    "longitude",
    "latitude",
    "confidence",
    "state",
    "attributed_party",
    "attribution_confidence",
    "sources",
    "description",
    "clauses",
    "attachments",
]
IMPORT_COLUMNS = [
    "occurred_at",
    "type",
    "sector",
    "longitude",
    "latitude",
    "confidence",
    "sources",
    "description",
    "clauses",
    "attachments",
]
#: HXL hashtags of the columns (Humanitarian Exchange Language 1.1, hxlstandard.org): the
#: second row of an export with ``hxl=True``, so humanitarian tools read the columns' meaning.
HXL_TAGS = {
    "id": "#event+id",
    "agreement_id": "#meta+agreement+id",
    "occurred_at": "#date+occurred",
    "reported_at": "#date+reported",
    "type": "#event+type",
    "sector": "#loc+sector+name",
    "longitude": "#geo+lon",
    "latitude": "#geo+lat",
    "confidence": "#meta+confidence",
    "state": "#status+workflow",
    "attributed_party": "#org+party+name",
    "attribution_confidence": "#meta+confidence+attribution",
    "sources": "#meta+source",
    "description": "#description",
    "clauses": "#meta+clauses",
    "attachments": "#meta+attachments",
}
#: Clause references in the ``clauses`` column are separated by this character.
CLAUSE_SEPARATOR = ";"
MAX_IMPORT_ROWS = 5000


_FORMULA_STARTS = frozenset("=+-@\t\r\n")


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula.

    Text whose first character, or first character after leading white space, starts a
    formula (``= + - @``, a tab or a line break) gets a leading apostrophe (OWASP's advice);
    spreadsheets skip leading blanks before ``=``. Numbers are written as they are.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value) if isinstance(value, float) else str(value)
    text = "" if value is None else str(getattr(value, "value", value))
    stripped = text.lstrip()
    risky = text[:1] in _FORMULA_STARTS or stripped[:1] in _FORMULA_STARTS
    return "'" + text if risky else text


def _row(i: Incident) -> list[str]:
    return [
        _cell(v)
        for v in (
            i.id,
            i.agreement_id,
            i.occurred_at.isoformat(),
            i.reported_at.isoformat(),
            i.type,
            i.sector.name if i.sector else "",
            i.longitude,
            i.latitude,
            i.confidence,
            i.state,
            i.attributed_party.name if i.attributed_party else "",
            i.attribution_confidence,
            i.sources,
            i.description,
            CLAUSE_SEPARATOR.join(c.ref for c in i.clauses),
            _attachments_cell(i),
        )
    ]


def _attachments_cell(i: Incident) -> str:
    """The attachments as a JSON list (empty cell when there are none)."""
    if not i.attachments:
        return ""
    items = [
        {"sha256": a.sha256, "filename": a.filename, "size_bytes": a.size_bytes}
        for a in i.attachments
    ]
    return json.dumps(items, ensure_ascii=False, separators=(",", ":"))


def csv_chunks(
    session: Session,
    actor: User,
    flt: IncidentFilter,
    *,
    rows_per_chunk: int = 200,
    hxl: bool = False,
) -> Iterator[str]:
    """Every filtered incident as CSV text, in chunks (analysts and mission staff).

    With ``hxl``, the second row holds each column's HXL hashtag (:data:`HXL_TAGS`).
    """
    require_role(actor, *READERS)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    if hxl:
        writer.writerow([HXL_TAGS[c] for c in CSV_COLUMNS])
    for n, incident in enumerate(iter_incidents(session, actor, flt), start=1):
        writer.writerow(_row(incident))
        if n % rows_per_chunk == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def geojson_chunks(session: Session, actor: User, flt: IncidentFilter) -> Iterator[str]:
    """Every filtered incident as the text of a GeoJSON FeatureCollection, in chunks.

    An incident known only by its sector is placed at the sector's representative point
    (``located_by: "sector"``).
    """
    require_role(actor, *READERS)
    yield '{"type": "FeatureCollection", "features": ['
    for n, incident in enumerate(iter_incidents(session, actor, flt)):
        yield ("," if n else "") + json.dumps(_feature(incident), ensure_ascii=False)
    yield "]}"


def _feature(i: Incident) -> dict[str, Any]:
    if i.longitude is not None and i.latitude is not None:
        lon, lat, located_by = i.longitude, i.latitude, "point"
    else:
        assert i.sector is not None  # an incident has a point or a sector
        lon, lat = representative_point(i.sector.geometry)
        located_by = "sector"
    return {
        "type": "Feature",
        "id": i.id,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "id": i.id,
            "type": i.type.value,
            "state": i.state.value,
            "occurred_at": i.occurred_at.isoformat(),
            "sector": i.sector.name if i.sector else None,
            "located_by": located_by,
        },
    }


def incidents_geojson(incidents: Iterable[Incident]) -> dict[str, Any]:
    """Incidents (already authorised for the reader) as a GeoJSON FeatureCollection."""
    return {"type": "FeatureCollection", "features": [_feature(i) for i in incidents]}


def _parse(  # noqa: C901 - one pass over the rows, each column checked in turn
    text: str, agreement_id: int, sectors: dict[str, int], clauses: dict[str, int]
) -> list[tuple[int, IncidentIn]]:
    """Validate every row first, so that nothing is stored unless the whole file is good."""
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    missing = [c for c in ("occurred_at", "type") if c not in columns]
    if missing:
        raise InputError(f"the CSV header lacks {', '.join(missing)}", source="csv", line=1)
    unknown = sorted(set(columns) - set(IMPORT_COLUMNS))
    if unknown:
        raise InputError(f"unknown column {unknown[0]!r}", source="csv", line=1)
    items: list[tuple[int, IncidentIn]] = []
    for row in _without_hxl(reader):
        line = reader.line_num
        if len(items) >= MAX_IMPORT_ROWS or None in row:
            raise InputError(
                f"more than {MAX_IMPORT_ROWS} rows, or more cells than columns",
                source="csv",
                line=line,
            )
        data: dict[str, Any] = {k: v for k, v in row.items() if v not in {None, ""}}
        sector = data.pop("sector", None)
        if sector is not None:
            if sector not in sectors:
                raise InputError(f"no sector {sector!r}", source="csv", field="sector", line=line)
            data["sector_id"] = sectors[sector]
        refs = [r.strip() for r in data.pop("clauses", "").split(CLAUSE_SEPARATOR) if r.strip()]
        for ref in refs:
            if ref not in clauses:
                raise InputError(f"no clause {ref!r}", source="csv", field="clauses", line=line)
        data["clause_ids"] = [clauses[r] for r in refs]
        if "attachments" in data:
            try:
                data["attachments"] = json.loads(data["attachments"])
            except json.JSONDecodeError:
                raise InputError(
                    "attachments must be a JSON list of {sha256, filename, size_bytes}",
                    source="csv",
                    field="attachments",
                    line=line,
                ) from None
        try:
            items.append((line, IncidentIn.model_validate({"agreement_id": agreement_id, **data})))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            raise InputError(err["msg"], source="csv", field=field, line=line) from None
    if not items:
        raise InputError("the CSV has no rows", source="csv", line=1)
    return items


def _without_hxl(reader: csv.DictReader[str]) -> Iterator[dict[str | Any, str | Any]]:
    """The rows, less a first row of HXL hashtags (every non-empty cell starting with ``#``)."""
    for n, row in enumerate(reader):
        cells = [v for v in row.values() if isinstance(v, str) and v.strip()]
        if n == 0 and cells and all(v.strip().startswith("#") for v in cells):
            continue
        yield row


def import_csv(session: Session, actor: User, agreement_id: int, text: str) -> list[Incident]:
    """Create one incident per CSV row; any bad row refuses the whole file (naming its line)."""
    require_role(actor, *MISSION)
    agreement = get_agreement(session, actor, agreement_id)
    items = _parse(
        text,
        agreement_id,
        {s.name: s.id for s in agreement.sectors},
        {c.ref: c.id for c in agreement.clauses},
    )
    created = []
    for line, item in items:
        try:
            created.append(create_incident(session, actor, item))
        except InputError as exc:
            raise InputError(exc.message, source="csv", field=exc.field, line=line) from None
    return created
