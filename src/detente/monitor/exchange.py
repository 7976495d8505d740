"""Incidents as CSV (with HXL hashtags) and as GeoJSON (RFC 7946): export and import.

Every import is all or nothing: each row or feature is validated before anything is stored,
and the first bad one refuses the whole file, naming its line or feature and its field.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from detente.monitor.auth import require_role
from detente.monitor.enums import MISSION, READERS
from detente.monitor.errors import InputError
from detente.monitor.geo import representative_point, validate_geometry
from detente.monitor.models import Incident, User
from detente.monitor.schemas import IncidentIn
from detente.monitor.service import (
    IncidentFilter,
    create_incident,
    get_agreement,
    iter_incidents,
)

__all__ = [
    "COORDINATE_DECIMALS",
    "CSV_COLUMNS",
    "HXL_TAGS",
    "IMPORT_COLUMNS",
    "MAP_PROPERTIES",
    "MAX_IMPORT_ROWS",
    "Where",
    "attachments_cell",
    "attachments_from_cell",
    "coordinate",
    "csv_chunks",
    "geojson_chunks",
    "import_csv",
    "import_geojson",
    "incidents_geojson",
    "incoming_cell",
    "outgoing_cell",
    "split_clauses",
    "store_incidents",
    "to_incident_in",
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
#: The columns an import reads; the export's others (id, state, attribution...) describe the
#: stored incident and are ignored, since imported incidents start as reported.
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
#: Decimal places of exported longitudes and latitudes: 6 is about 10 cm, well within GPS
#: precision (RFC 7946, section 11.2, on the cost of more digits than needed).
COORDINATE_DECIMALS = 6


def _risky(text: str) -> bool:
    """Whether a spreadsheet could run ``text`` as a formula, even behind a guard apostrophe.

    Text whose first character, or first character after leading white space, starts a
    formula (``= + - @``, a tab or a line break) is risky (spreadsheets skip leading blanks
    before ``=``), and so is such text behind apostrophes, so that the guard can be undone
    exactly (:func:`incoming_cell`).
    """
    body = text.lstrip("'")
    return body[:1] in _FORMULA_STARTS or body.lstrip()[:1] in _FORMULA_STARTS


def outgoing_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula.

    Risky text gets a leading apostrophe (OWASP's advice on CSV injection); numbers are written
    as they are. :func:`incoming_cell` removes the apostrophe again, so text round-trips.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value) if isinstance(value, float) else str(value)
    text = "" if value is None else str(getattr(value, "value", value))
    return "'" + text if _risky(text) else text


def incoming_cell(text: str) -> str:
    """The text of a cell written by :func:`outgoing_cell` (other text is left as it is)."""
    return text[1:] if text[:1] == "'" and _risky(text[1:]) else text


def coordinate(value: float) -> float:
    """A longitude or latitude rounded to :data:`COORDINATE_DECIMALS` places."""
    return round(value, COORDINATE_DECIMALS)


def _row(i: Incident) -> list[str]:
    return [
        outgoing_cell(v)
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
            attachments_cell(i),
        )
    ]


def attachments_cell(i: Incident) -> str:
    """The attachments as a JSON list (empty cell when there are none)."""
    if not i.attachments:
        return ""
    return json.dumps(_attachments(i), ensure_ascii=False, separators=(",", ":"))


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
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180: quotes a lone CR too
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

    The text is RFC 7946 GeoJSON: WGS 84 longitude, latitude (no ``crs`` member), coordinates
    to :data:`COORDINATE_DECIMALS` places. An incident known only by its sector is placed at
    the sector's representative point (``located_by: "sector"``).
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
        "geometry": {"type": "Point", "coordinates": [coordinate(lon), coordinate(lat)]},
        "properties": {
            "id": i.id,
            "agreement_id": i.agreement_id,
            "type": i.type.value,
            "state": i.state.value,
            "occurred_at": i.occurred_at.isoformat(),
            "reported_at": i.reported_at.isoformat(),
            "sector": i.sector.name if i.sector else None,
            "located_by": located_by,
            "confidence": i.confidence.value,
            "attributed_party": i.attributed_party.name if i.attributed_party else None,
            "attribution_confidence": (
                i.attribution_confidence.value if i.attribution_confidence else None
            ),
            "sources": i.sources,
            "description": i.description,
            "clauses": [c.ref for c in i.clauses],
            "attachments": _attachments(i),
        },
    }


def _attachments(i: Incident) -> list[dict[str, Any]]:
    return [
        {"sha256": a.sha256, "filename": a.filename, "size_bytes": a.size_bytes}
        for a in i.attachments
    ]


#: The properties a map needs to draw an incident and link to it (the page stays small).
MAP_PROPERTIES = ("id", "type", "state", "occurred_at", "sector", "located_by")


def incidents_geojson(incidents: Iterable[Incident]) -> dict[str, Any]:
    """Incidents (already authorised for the reader) as a FeatureCollection for a map.

    Each feature keeps only :data:`MAP_PROPERTIES`; the export has every field.
    """
    features = []
    for i in incidents:
        feature = _feature(i)
        feature["properties"] = {k: feature["properties"][k] for k in MAP_PROPERTIES}
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}


def _csv_rows(
    text: str, sectors: dict[str, int], clauses: dict[str, int], agreement_id: int
) -> list[tuple[Where, IncidentIn]]:
    """Validate every row first, so that nothing is stored unless the whole file is good."""
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    missing = [c for c in ("occurred_at", "type") if c not in columns]
    if missing:
        raise InputError(f"the CSV header lacks {', '.join(missing)}", source="csv", line=1)
    unknown = sorted(set(columns) - set(CSV_COLUMNS))
    if unknown:
        raise InputError(f"unknown column {unknown[0]!r}", source="csv", line=1)
    items: list[tuple[Where, IncidentIn]] = []
    for row in _without_hxl(reader):
        line = reader.line_num
        if len(items) >= MAX_IMPORT_ROWS or None in row:
            raise InputError(
                f"more than {MAX_IMPORT_ROWS} rows, or more cells than columns",
                source="csv",
                line=line,
            )
        data: dict[str, Any] = {
            k: incoming_cell(v) for k, v in row.items() if k in IMPORT_COLUMNS and v
        }
        where = Where("csv", line=line)
        data["clauses"] = split_clauses(data.get("clauses", ""))
        if "attachments" in data:
            data["attachments"] = attachments_from_cell(data["attachments"], where)
        items.append((where, to_incident_in(data, agreement_id, sectors, clauses, where)))
    if not items:
        raise InputError("the CSV has no rows", source="csv", line=1)
    return items


@dataclasses.dataclass(frozen=True)
class Where:
    """Where in an imported file a record is: the format, and its line or its field path."""

    source: str
    line: int | None = None
    prefix: str = ""

    def error(self, message: str, field: str | None = None) -> InputError:
        """An InputError at this record (``field`` is appended to the record's path)."""
        path = ".".join(p for p in (self.prefix, field) if p) or None
        return InputError(message, source=self.source, field=path, line=self.line)


def split_clauses(cell: str) -> list[str]:
    """The clause references of a ``clauses`` cell (separated by ``;``)."""
    return [r.strip() for r in cell.split(CLAUSE_SEPARATOR) if r.strip()]


def attachments_from_cell(cell: str, where: Where) -> Any:
    """The JSON list of an ``attachments`` cell."""
    try:
        return json.loads(cell)
    except json.JSONDecodeError:
        raise where.error(
            "attachments must be a JSON list of {sha256, filename, size_bytes}", "attachments"
        ) from None


def to_incident_in(
    data: dict[str, Any],
    agreement_id: int,
    sectors: dict[str, int],
    clauses: dict[str, int],
    where: Where,
) -> IncidentIn:
    """A validated new incident from one imported record.

    ``data`` holds the importable fields by their export names: ``sector`` is a sector's name,
    ``clauses`` a list of clause references; the others are as in :class:`IncidentIn`.
    """
    data = dict(data)
    sector = data.pop("sector", None)
    if sector is not None:
        if sector not in sectors:
            raise where.error(f"no sector {sector!r}", "sector")
        data["sector_id"] = sectors[sector]
    refs = data.pop("clauses", None) or []
    if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
        raise where.error("clauses must be a list of clause references", "clauses")
    for ref in refs:
        if ref not in clauses:
            raise where.error(f"no clause {ref!r}", "clauses")
    data["clause_ids"] = [clauses[r] for r in refs]
    try:
        return IncidentIn.model_validate({"agreement_id": agreement_id, **data})
    except ValidationError as exc:
        err = exc.errors()[0]
        raise where.error(err["msg"], ".".join(str(p) for p in err["loc"])) from None


def _without_hxl(reader: csv.DictReader[str]) -> Iterator[dict[str | Any, str | Any]]:
    """The rows, less a first row of HXL hashtags (every non-empty cell starting with ``#``)."""
    for n, row in enumerate(reader):
        cells = [v for v in row.values() if isinstance(v, str) and v.strip()]
        if n == 0 and cells and all(v.strip().startswith("#") for v in cells):
            continue
        yield row


def store_incidents(
    session: Session,
    actor: User,
    agreement_id: int,
    parse: Callable[[dict[str, int], dict[str, int]], list[tuple[Where, IncidentIn]]],
) -> list[Incident]:
    """Create the incidents ``parse`` returns, once every record is valid (monitors, admins).

    ``parse`` gets the agreement's sectors and clauses (name or reference to id) and returns the
    validated records with where each came from; a record the service refuses (a time before
    the agreement, say) refuses the whole file, naming that record.
    """
    require_role(actor, *MISSION)
    agreement = get_agreement(session, actor, agreement_id)
    items = parse(
        {s.name: s.id for s in agreement.sectors}, {c.ref: c.id for c in agreement.clauses}
    )
    created = []
    for where, item in items:
        try:
            created.append(create_incident(session, actor, item))
        except InputError as exc:
            raise where.error(exc.message, exc.field) from None
    return created


def import_csv(session: Session, actor: User, agreement_id: int, text: str) -> list[Incident]:
    """Create one incident per CSV row; any bad row refuses the whole file (naming its line)."""

    def parse(sectors: dict[str, int], clauses: dict[str, int]) -> list[tuple[Where, IncidentIn]]:
        return _csv_rows(text, sectors, clauses, agreement_id)

    return store_incidents(session, actor, agreement_id, parse)


#: Properties an import reads (as the export writes them).
GEOJSON_IMPORTED = frozenset(
    {"occurred_at", "type", "sector", "confidence", "sources", "description", "clauses",
     "attachments"}
)  # fmt: skip
#: Properties the export writes that describe the stored incident and an import ignores:
#: the workflow belongs to the importing mission, and ``located_by`` says whether the point
#: is the incident's own or its sector's.
GEOJSON_IGNORED = frozenset(
    {"id", "agreement_id", "state", "reported_at", "attributed_party", "attribution_confidence",
     "located_by"}
)  # fmt: skip
#: ``crs`` values that name RFC 7946's own coordinate reference system (older GeoJSON wrote them).
_CRS84 = frozenset({"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84"})


def _refuse_constant(name: str) -> None:
    raise InputError(f"{name} is not a number JSON allows", source="geojson")


def _crs_name(crs: Any) -> Any:
    """The name in a ``{"type": "name", "properties": {"name": ...}}`` crs member, if any."""
    props = crs.get("properties") if isinstance(crs, dict) else None
    return props.get("name") if isinstance(props, dict) else None


def _geojson_document(text: str) -> list[Any]:
    """The features of an RFC 7946 FeatureCollection (refusing what the RFC does not allow)."""
    try:
        doc = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", source="geojson", line=exc.lineno) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise InputError("the document must be a GeoJSON FeatureCollection", source="geojson",
                         field="type")  # fmt: skip
    crs = doc.get("crs")
    if crs is not None and _crs_name(crs) not in _CRS84:
        raise InputError(
            "RFC 7946 GeoJSON has no crs member: coordinates must be WGS 84 longitude, latitude",
            source="geojson",
            field="crs",
        )
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise InputError("features must be a non-empty list", source="geojson", field="features")
    if len(features) > MAX_IMPORT_ROWS:
        raise InputError(f"more than {MAX_IMPORT_ROWS} features", source="geojson",
                         field="features")  # fmt: skip
    return features


def _feature_data(feature: Any, where: Where) -> dict[str, Any]:
    """The importable fields of one Feature, its point unless it is its sector's."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise where.error("a feature must be an object with type Feature", "type")
    if "geometry" not in feature or not isinstance(feature.get("properties"), dict):
        raise where.error("a Feature has a geometry (or null) and a properties object")
    props: dict[str, Any] = feature["properties"]
    unknown = sorted(set(props) - GEOJSON_IMPORTED - GEOJSON_IGNORED)
    if unknown:
        raise where.error(f"unknown property {unknown[0]!r}", "properties")
    data = {k: v for k, v in props.items() if k in GEOJSON_IMPORTED and v is not None}
    geometry = feature["geometry"]
    if geometry is not None:
        if not isinstance(geometry, dict) or geometry.get("type") != "Point":
            raise where.error("an incident's geometry is a Point (or null)", "geometry.type")
        try:
            validate_geometry(geometry)
        except InputError as exc:
            raise where.error(exc.message, exc.field) from None
        if props.get("located_by") != "sector":
            data["longitude"], data["latitude"] = geometry["coordinates"][:2]
    return data


def import_geojson(session: Session, actor: User, agreement_id: int, text: str) -> list[Incident]:
    """Create one incident per Feature of an RFC 7946 FeatureCollection; all or nothing.

    Each Feature has a Point geometry (or null when its ``sector`` property locates it) and the
    properties :func:`geojson_chunks` writes; the workflow properties (state, attribution) are
    ignored, since imported incidents start as reported. A feature whose ``located_by`` is
    ``"sector"`` keeps only its sector, as when it was exported.
    """

    def parse(sectors: dict[str, int], clauses: dict[str, int]) -> list[tuple[Where, IncidentIn]]:
        items = []
        for n, feature in enumerate(_geojson_document(text)):
            where = Where("geojson", prefix=f"features[{n}]")
            data = _feature_data(feature, where)
            where = Where("geojson", prefix=f"features[{n}].properties")
            items.append((where, to_incident_in(data, agreement_id, sectors, clauses, where)))
        return items

    return store_incidents(session, actor, agreement_id, parse)
