"""GeoJSON (RFC 7946) and UCDP GED exchange through the API: export, import, refusals."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor import exchange, ged, service
from detente.monitor.ged import GED_COLUMNS, GED_EXPORT_COLUMNS
from detente.monitor.models import Incident, User
from tests.monitor.api_support import Api
from tests.monitor.geojson_rfc import rfc7946_problems

#: The fields an import carries over, as the list endpoint shows them.
CARRIED = ["occurred_at", "type", "sector_id", "longitude", "latitude", "confidence", "sources",
           "description", "clause_ids", "attachments"]  # fmt: skip
#: The column list of the UCDP GED codebook (versions 20.1-24.1), written out independently.
CODEBOOK = [
    "id", "relid", "year", "active_year", "code_status", "type_of_violence", "conflict_dset_id",
    "conflict_new_id", "conflict_name", "dyad_dset_id", "dyad_new_id", "dyad_name",
    "side_a_dset_id", "side_a_new_id", "side_a", "side_b_dset_id", "side_b_new_id", "side_b",
    "number_of_sources", "source_article", "source_office", "source_date", "source_headline",
    "source_original", "where_prec", "where_coordinates", "where_description", "adm_1", "adm_2",
    "latitude", "longitude", "geom_wkt", "priogrid_gid", "country", "country_id", "region",
    "event_clarity", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b",
    "deaths_civilians", "deaths_unknown", "best", "high", "low", "gwnoa", "gwnob",
]  # fmt: skip


def _varied(api: Api) -> list[int]:
    """Incidents with every kind of field: a point, a sector only, clauses, files, odd text."""
    w = api.world
    files = [{"sha256": "c" * 64, "filename": "crater; north.jpg", "size_bytes": 12}]
    return [
        api.report(description='=HYPERLINK("x")', sources='a, "quoted"\nline', attachments=files,
                   clause_ids=w.clause_ids, longitude=20.123456, latitude=45.000001),
        api.report(longitude=None, latitude=None, sector_id=w.sector_ids[1], type="troop_movement",
                   description="'=already guarded", sources="", confidence="low"),
        api.report(sector_id=None, description="Ünïcode — ✓", clause_ids=[],
                   occurred_at="2026-02-03T04:05:06.789Z"),
    ]  # fmt: skip


def _listed(api: Api) -> dict[int, dict[str, Any]]:
    items = api.get("analyst", "/api/incidents?limit=1000").json()["items"]
    return {i["id"]: {k: i[k] for k in CARRIED} for i in items}


def _round_trip(api: Api, export: str, fmt: str, media: str) -> None:
    before = _varied(api)
    text = api.get("analyst", export).text
    r = api.post(
        "monitor",
        f"/api/import/incidents?agreement_id={api.world.agreement_id}&format={fmt}",
        content=text.encode(),
        headers={"Content-Type": media},
    )
    assert r.status_code == 201, r.text
    after = r.json()
    assert len(after) == len(before)
    listed = _listed(api)
    # The export lists newest first; the import creates in file order.
    originals = sorted((listed[i] for i in before), key=json.dumps)
    copies = sorted((listed[i] for i in after), key=json.dumps)
    assert copies == originals


def test_geojson_round_trip(api: Api) -> None:
    _round_trip(api, "/api/export/incidents.geojson", "geojson", "application/geo+json")


def test_ged_round_trip(api: Api) -> None:
    _round_trip(api, "/api/export/incidents-ged.csv", "ged", "text/csv")


def test_geojson_export_keeps_rfc_7946(api: Api) -> None:
    api.report(longitude=20.1234567891, latitude=45.9876543219)
    api.report(longitude=None, latitude=None)  # at the sector's representative point
    r = api.get("analyst", "/api/export/incidents.geojson")
    assert r.headers["content-type"] == "application/geo+json"
    doc = r.json()
    assert rfc7946_problems(doc) == []
    coordinates = [f["geometry"]["coordinates"] for f in doc["features"]]
    assert [20.123457, 45.987654] in coordinates  # rounded to 6 places, longitude first
    assert rfc7946_problems({**doc, "crs": {}}) == ["a crs member (RFC 7946 has none)"]


def test_the_checker_catches_what_the_rfc_forbids() -> None:
    bad = {
        "type": "FeatureCollection",
        "bbox": [1, 2, 3],
        "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [45.2, 200.1]},
             "properties": None},
            {"type": "Feature", "id": [1], "properties": {}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1.1234567, 2]},
             "properties": 3, "crs": {}},
            {"type": "Feature", "geometry": {"type": "LineString", "coordinates": []},
             "properties": {}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": ["a", 1]},
             "properties": {}},
            {"type": "Feature", "geometry": {"type": "Circle"}, "properties": {}},
            {"type": "Place"},
        ],
    }  # fmt: skip
    assert rfc7946_problems(bad) == [
        "bbox is not 2n numbers",
        "features[0].geometry.coordinates: [45.2, 200.1] is not longitude, latitude in WGS 84",
        "features[1]: lacks a geometry or properties member",
        "features[1].id: not a string or number",
        "features[2].properties: not an object or null",
        "features[2]: a crs member (RFC 7946 has none)",
        "features[2].geometry.coordinates: more than 6 decimal places",
        "features[3].geometry.coordinates: expected a non-empty array",
        "features[4].geometry.coordinates: a position is 2 or 3 numbers",
        "features[5].geometry: not a geometry object",
        "features[6]: not a Feature",
    ]
    assert rfc7946_problems([]) == ["the document is not a FeatureCollection"]
    assert rfc7946_problems({"type": "FeatureCollection"}) == ["features is not an array"]


def test_ged_export_has_the_codebook_columns_then_the_monitors(api: Api) -> None:
    w = api.world
    point = api.report(longitude=20.25, latitude=45.5, sources="radio")
    zone = api.report(longitude=None, latitude=None, sector_id=w.sector_ids[1])
    text = api.get("analyst", "/api/export/incidents-ged.csv").text
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == GED_EXPORT_COLUMNS
    assert GED_COLUMNS == CODEBOOK
    rows = {int(r["id"]): r for r in reader}
    p, z = rows[point], rows[zone]
    assert (p["latitude"], p["longitude"], p["geom_wkt"]) == ("45.5", "20.25", "POINT (20.25 45.5)")
    assert (p["where_prec"], p["located_by"], p["source_article"]) == ("1", "point", "radio")
    assert (p["date_start"], p["date_end"], p["year"], p["date_prec"]) == (
        "2026-03-01", "2026-03-01", "2026", "1"
    )  # fmt: skip
    assert p["relid"] == f"detente-{w.agreement_id}-{point}"
    assert (z["where_prec"], z["located_by"], z["where_coordinates"]) == ("5", "sector", "South")
    assert 44.5 <= float(z["latitude"]) <= 45.5
    assert p["best"] == p["deaths_a"] == p["type_of_violence"] == ""  # unknown, never zero


def test_a_ged_release_row_imports(api: Api, factory: sessionmaker[Session]) -> None:
    """A row as UCDP publishes it (no monitor columns) becomes an incident of type other."""
    release = dict.fromkeys(GED_COLUMNS, "") | {
        "id": "244657", "relid": "UKR-2026-1-1-1", "type_of_violence": "1", "side_a": "Red",
        "side_b": "Blue", "source_article": "Agency report", "where_prec": "1",
        "where_description": "near the bridge", "latitude": "45.1", "longitude": "20.3",
        "geom_wkt": "POINT (20.3 45.1)", "date_start": "2026-03-02 00:00:00.000",
        "date_end": "2026-03-02 00:00:00.000", "best": "3", "low": "2", "high": "5",
    }  # fmt: skip
    civilians = release | {"type_of_violence": "3", "latitude": "", "longitude": ""}
    out = io.StringIO()
    writer = csv.DictWriter(out, GED_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows([release, civilians])
    r = api.post(
        "monitor",
        f"/api/import/incidents?agreement_id={api.world.agreement_id}&format=ged",
        content=out.getvalue(),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 201, r.text
    listed = _listed(api)
    first, second = (listed[i] for i in r.json())
    assert first["type"] == "other"
    assert second["type"] == "civilian_harm"
    assert first["occurred_at"].startswith("2026-03-02T00:00:00")
    assert (first["longitude"], first["latitude"]) == (20.3, 45.1)
    assert (second["longitude"], second["latitude"]) == (20.3, 45.1)  # from geom_wkt
    assert first["sources"] == "Agency report"
    assert first["description"] == (
        "UCDP GED event UKR-2026-1-1-1; Red vs Blue; deaths best 3 (low 2, high 5); near the bridge"
    )
    with factory() as s:
        assert s.scalar(select(func.count(Incident.id))) == 2


GED_HEADER = "date_start,type,sector,latitude,longitude,geom_wkt\n"


@pytest.mark.parametrize(
    ("body", "line", "field"),
    [
        (GED_HEADER + "2026-03-01,shelling,North,,,\n2026-03-01,napalm,North,,,\n", 3, "type"),
        (GED_HEADER + "2026-13-01,shelling,North,,,\n", 2, "date_start"),
        (GED_HEADER + ",shelling,North,,,\n", 2, "date_start"),
        (GED_HEADER + "2026-03-01,shelling,,45.1,,\n", 2, "longitude"),
        (GED_HEADER + "2026-03-01,shelling,,45.1,east,\n", 2, "longitude"),
        (GED_HEADER + "2026-03-01,shelling,,,,LINESTRING (1 2 3 4)\n", 2, "geom_wkt"),
        (GED_HEADER + "2026-03-01,shelling,,,,POINT (1.2.3 4)\n", 2, "geom_wkt"),
        (GED_HEADER + "2026-03-01,shelling,,45.1,20.2,POINT (20.3 45.1)\n", 2, "geom_wkt"),
        (GED_HEADER + "2026-03-01,shelling,,95.0,20.2,\n", 2, "latitude"),
        (GED_HEADER + "2025-03-01,shelling,North,,,\n", 2, "occurred_at"),
        (GED_HEADER + "2026-03-01,shelling,Atlantis,,,\n", 2, "sector"),
        (GED_HEADER + "2026-03-01,shelling,North,,,,extra\n", 2, None),
        ("date_start,clauses\n2026-03-01,9\n", 2, "clauses"),
        ("date_start,sector,attachments\n2026-03-01,North,[{\n", 2, "attachments"),
        ("id,relid\n1,x\n", 1, None),
        ("date_start,colour\n2026-03-01,red\n", 1, None),
        (GED_HEADER, 1, None),
    ],
)
def test_ged_import_is_all_or_nothing(
    api: Api, factory: sessionmaker[Session], body: str, line: int, field: str | None
) -> None:
    r = api.post(
        "monitor",
        f"/api/import/incidents?agreement_id={api.world.agreement_id}&format=ged",
        content=body,
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 422, r.text
    assert (r.json()["line"], r.json()["field"]) == (line, field)
    with factory() as s:
        assert s.scalar(select(func.count(Incident.id))) == 0


def _fc(*features: Any, **extra: Any) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features), **extra})


def _f(geometry: Any = None, **props: Any) -> dict[str, Any]:
    base = {"occurred_at": "2026-03-01T10:00:00Z", "type": "shelling", "sector": "North"}
    return {"type": "Feature", "geometry": geometry, "properties": base | props}


POINT = {"type": "Point", "coordinates": [20.2, 45.2]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("{", None),
        ('{"type": "FeatureCollection", "features": [NaN]}', None),
        ('{"type": "Feature"}', "type"),
        (_fc(), "features"),
        (_fc(_f(), crs={"type": "name", "properties": {"name": "EPSG:3857"}}), "crs"),
        (_fc(_f(), crs="EPSG:4326"), "crs"),
        (_fc(_f(), {"type": "Place"}), "features[1].type"),
        (_fc({"type": "Feature", "properties": {}}), "features[0]"),
        (_fc(_f(colour="red")), "features[0].properties"),
        (_fc(_f({"type": "LineString", "coordinates": [[1, 2], [3, 4]]})),
         "features[0].geometry.type"),
        (_fc(_f({"type": "Point", "coordinates": [45.2, 200.0]})),
         "features[0].geometry.coordinates"),
        (_fc(_f(POINT), _f(POINT, type="napalm")), "features[1].properties.type"),
        (_fc(_f(POINT, sector="Atlantis")), "features[0].properties.sector"),
        (_fc(_f(POINT, clauses="1")), "features[0].properties.clauses"),
        (_fc(_f(POINT, clauses=["9"])), "features[0].properties.clauses"),
        (_fc(_f(POINT, occurred_at="2025-01-01T00:00:00Z")), "features[0].properties.occurred_at"),
        (_fc(_f(None, sector=None)), "features[0].properties.sector_id"),
    ],
)  # fmt: skip
def test_geojson_import_is_all_or_nothing(
    api: Api, factory: sessionmaker[Session], body: str, field: str | None
) -> None:
    r = api.post(
        "monitor",
        f"/api/import/incidents?agreement_id={api.world.agreement_id}&format=geojson",
        content=body,
        headers={"Content-Type": "application/geo+json"},
    )
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    with factory() as s:
        assert s.scalar(select(func.count(Incident.id))) == 0


def test_geojson_import_reads_what_other_tools_write(api: Api) -> None:
    """A null geometry with a sector, an altitude, and the old CRS84 crs member are accepted."""
    crs84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    body = _fc(
        _f(None, sector="South"),
        _f({"type": "Point", "coordinates": [20.4, 45.3, 120.0]}, sector=None),
        crs=crs84,
        bbox=[20, 45, 21, 46],
    )
    r = api.post(
        "monitor",
        f"/api/import/incidents?agreement_id={api.world.agreement_id}&format=geojson",
        content=body,
        headers={"Content-Type": "application/geo+json"},
    )
    assert r.status_code == 201, r.text
    listed = _listed(api)
    zone, point = (listed[i] for i in r.json())
    assert (zone["sector_id"], zone["longitude"]) == (api.world.sector_ids[1], None)
    assert (point["sector_id"], point["longitude"], point["latitude"]) == (None, 20.4, 45.3)


def test_import_refuses_a_body_that_is_not_utf8(api: Api) -> None:
    r = api.post(
        "monitor",
        f"/api/import/incidents?agreement_id={api.world.agreement_id}&format=geojson",
        content=b"\xff\xfe{}",
    )
    assert r.status_code == 400
    assert r.json()["detail"] == "the geojson file is not UTF-8"
    r = api.post(
        "monitor", f"/api/import/incidents?agreement_id={api.world.agreement_id}&format=kml"
    )
    assert r.status_code == 422


@pytest.mark.parametrize("export", ["incidents.geojson", "incidents-ged.csv"])
def test_exports_pull_incrementally(api: Api, export: str) -> None:
    """``changed_since`` selects what was reported, moved or corrected since the last pull."""
    old, moved, _untouched = (api.report(description=d) for d in ("old", "moved", "untouched"))
    time.sleep(0.01)
    mark = dt.datetime.now(dt.UTC).isoformat()
    time.sleep(0.01)
    fresh = api.report(description="new")
    assert api.act("monitor", moved, "start_verification").status_code == 200
    r = api.client.patch(
        f"/api/incidents/{old}",
        json={"description": "old, corrected", "reason": "typo"},
        headers=api.h("monitor"),
    )
    assert r.status_code == 200, r.text
    text = api.get("analyst", f"/api/export/{export}", params={"changed_since": mark}).text
    ids = (
        [f["id"] for f in json.loads(text)["features"]]
        if export.endswith("geojson")
        else [int(row["id"]) for row in csv.DictReader(io.StringIO(text))]
    )
    assert sorted(ids) == sorted([old, moved, fresh])


def test_large_files_are_refused_and_exports_stream_in_chunks(
    api: Api, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exchange, "MAX_IMPORT_ROWS", 2)
    r = api.post(
        "monitor",
        f"/api/import/incidents?agreement_id={api.world.agreement_id}&format=geojson",
        content=_fc(_f(), _f(), _f()),
    )
    assert (r.status_code, r.json()["field"]) == (422, "features")
    ids = [api.report(description=f"n{k}") for k in range(3)]
    with factory() as s:
        analyst = s.get(User, api.world.users["analyst"])
        assert analyst is not None
        chunks = list(ged.ged_chunks(s, analyst, service.IncidentFilter(), rows_per_chunk=2))
    assert len(chunks) == 2
    rows = list(csv.DictReader(io.StringIO("".join(chunks))))
    assert sorted(int(row["id"]) for row in rows) == ids


def test_the_maps_features_are_the_exports_less_the_details(
    api: Api, factory: sessionmaker[Session]
) -> None:
    api.report(description="long " * 100)
    exported = api.get("analyst", "/api/export/incidents.geojson").json()["features"]
    with factory() as s:
        analyst = s.get(User, api.world.users["analyst"])
        assert analyst is not None
        items = service.iter_incidents(s, analyst, service.IncidentFilter())
        drawn = exchange.incidents_geojson(items)["features"]
    assert [f["geometry"] for f in drawn] == [f["geometry"] for f in exported]
    assert [f["properties"] for f in drawn] == [
        {k: f["properties"][k] for k in exchange.MAP_PROPERTIES} for f in exported
    ]
