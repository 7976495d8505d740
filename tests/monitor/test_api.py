"""The JSON API on SQLite and PostgreSQL: authorisation, filters, reports, exchange, bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor.enums import Confidence, IncidentType, State
from detente.monitor.models import AuditEntry, Incident, IncidentEvent, User
from detente.monitor.reports import states_at
from tests.monitor.api_support import Api
from tests.monitor_support import PASSWORD


def _counts(factory: sessionmaker[Session]) -> tuple[int, int]:
    with factory() as s:
        return (
            int(s.scalar(select(func.count(Incident.id))) or 0),
            int(s.scalar(select(func.count(AuditEntry.seq))) or 0),
        )


def test_corrections(api: Api, factory: sessionmaker[Session]) -> None:
    w = api.world
    inc = api.report(description="impacts", clause_ids=[w.clause_ids[0]])
    url = f"/api/incidents/{inc}"
    body = {"description": "impacts, 12 rounds", "clause_ids": w.clause_ids, "reason": "count"}
    r = api.client.patch(url, json=body, headers=api.h("monitor"))
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["description"], got["clause_ids"], got["state"]) == (
        "impacts, 12 rounds",
        w.clause_ids,
        "reported",
    )
    assert [(e["action"], e["to_state"], e["reason"]) for e in got["events"]][-1] == (
        "correct",
        "reported",
        "count",
    )
    with factory() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert entry is not None
        assert (entry.action, entry.actor, entry.object_id) == ("incident.correct", "monitor", inc)
        assert '"description":["impacts","impacts, 12 rounds"]' in entry.payload
    # An admin may correct too, and move it from its sector to a point.
    r = api.client.patch(
        url,
        json={"sector_id": None, "longitude": 20.3, "latitude": 45.3, "reason": "GPS fix"},
        headers=api.h("admin"),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["sector_id"], r.json()["longitude"]) == (None, 20.3)
    # Another monitor may not; nor may anyone once the incident is raised.
    r = api.post(
        "admin", "/api/users", json={"username": "m2", "password": PASSWORD, "role": "monitor"}
    )
    assert r.status_code == 201
    m2 = api.client.post("/api/token", json={"username": "m2", "password": PASSWORD})
    other = {"Authorization": f"Bearer {m2.json()['access_token']}"}
    assert api.client.patch(url, json=body, headers=other).status_code == 403
    before = _counts(factory)
    for bad in (
        {"latitude": None, "reason": "x"},  # a point needs both coordinates
        {"longitude": None, "latitude": None, "reason": "x"},  # neither sector nor point
        {"sector_id": 999, "reason": "x"},
        {"clause_ids": [999], "reason": "x"},
        {"type": None, "reason": "x"},
        {"description": "impacts, 12 rounds", "reason": "x"},  # changes nothing
        {"description": "new", "reason": "   "},
        {"description": "new"},  # no reason
        {"state": "resolved", "reason": "x"},  # not a descriptive field
    ):
        r = api.client.patch(url, json=bad, headers=api.h("monitor"))
        assert r.status_code == 422, (bad, r.text)
    assert _counts(factory) == before
    api.drive(inc, 0, "raise")
    r = api.client.patch(url, json=body | {"description": "late"}, headers=api.h("admin"))
    assert r.status_code == 409
    assert "raised with its party" in r.json()["detail"]


def test_user_deactivation(api: Api, factory: sessionmaker[Session]) -> None:
    analyst = api.world.users["analyst"]
    url = f"/api/users/{analyst}"
    assert (
        api.client.patch(url, json={"active": False}, headers=api.h("monitor")).status_code == 403
    )
    r = api.client.patch(url, json={"active": False}, headers=api.h("admin"))
    assert r.status_code == 200
    assert r.json()["active"] is False
    assert api.get("analyst", "/api/me").status_code == 401  # its token no longer works
    login = {"username": "analyst", "password": PASSWORD}
    assert api.client.post("/api/token", json=login).status_code == 401
    assert api.client.patch(url, json={"active": True}, headers=api.h("admin")).status_code == 200
    assert api.client.post("/api/token", json=login).status_code == 200
    admin = f"/api/users/{api.world.users['admin']}"
    r = api.client.patch(admin, json={"active": False}, headers=api.h("admin"))
    assert r.status_code == 422
    assert "own account" in r.json()["detail"]
    missing = api.client.patch("/api/users/9999", json={"active": False}, headers=api.h("admin"))
    assert missing.status_code == 404
    with factory() as s:
        entries = s.execute(
            select(AuditEntry.action, AuditEntry.object_id).where(AuditEntry.object_type == "user")
        ).all()
    assert [tuple(e) for e in entries][-2:] == [
        ("user.deactivate", analyst),
        ("user.activate", analyst),
    ]


def test_liaison_sees_only_own_raised_incidents_and_no_notes(api: Api) -> None:
    red = api.report(description="red one")
    api.drive(red, 0, "raise")
    blue = api.report(description="blue one")
    api.drive(blue, 1, "answer")
    attributed_red = api.report()
    api.drive(attributed_red, 0, "attribute")  # attributed, not yet raised
    for inc in (red, blue, attributed_red):
        assert (
            api.post(
                "monitor", f"/api/incidents/{inc}/notes", json={"body": "secret note"}
            ).status_code
            == 201
        )
    seen = {i["id"] for i in api.get("liaison_red", "/api/incidents").json()["items"]}
    assert seen == {red}
    assert {i["id"] for i in api.get("liaison_blue", "/api/incidents").json()["items"]} == {blue}
    other = api.get("liaison_red", f"/api/incidents?party_id={api.world.party_ids[1]}").json()
    assert (other["items"], other["total"]) == ([], 0)
    one = api.get("liaison_red", f"/api/incidents/{red}").json()
    assert one["notes"] is None
    assert "secret note" not in api.get("liaison_red", "/api/incidents").text
    for inc in (blue, attributed_red):
        assert api.get("liaison_red", f"/api/incidents/{inc}").status_code == 404
    assert [n["body"] for n in api.get("analyst", f"/api/incidents/{red}").json()["notes"]] == [
        "secret note"
    ]


def test_filters(api: Api) -> None:
    w = api.world
    made = []
    kinds = ["shelling", "drone_strike", "small_arms_fire"]
    for i in range(9):
        inc = api.report(
            type=kinds[i % 3],
            sector_id=w.sector_ids[i % 2],
            occurred_at=f"2026-03-0{1 + i % 4}T12:00:00Z",
        )
        made.append((inc, kinds[i % 3], w.sector_ids[i % 2], 1 + i % 4))
    api.drive(made[0][0], 1, "raise")

    def ids(q: str) -> set[int]:
        r = api.get("analyst", f"/api/incidents?{q}")
        assert r.status_code == 200, r.text
        return {i["id"] for i in r.json()["items"]}

    assert ids("type=drone_strike") == {m[0] for m in made if m[1] == "drone_strike"}
    assert ids(f"sector_id={w.sector_ids[1]}") == {m[0] for m in made if m[2] == w.sector_ids[1]}
    assert ids("since=2026-03-02T00:00:00Z&until=2026-03-04T00:00:00") == {
        m[0] for m in made if m[3] in {2, 3}
    }
    assert ids("state=raised") == {made[0][0]}
    assert ids(f"party_id={w.party_ids[1]}") == {made[0][0]}
    assert ids("limit=2&page=2").issubset({m[0] for m in made})
    assert len(ids("limit=2")) == 2
    assert api.get("analyst", "/api/incidents?type=napalm").status_code == 422
    assert api.get("analyst", "/api/incidents?state=gone").status_code == 422


def _retime(factory: sessionmaker[Session], incident: int, times: list[str]) -> None:
    """Give an incident's events (in order) and its report the given times."""
    stamps = [dt.datetime.fromisoformat(t) for t in times]
    with factory() as s, s.begin():
        events = list(
            s.scalars(
                select(IncidentEvent)
                .where(IncidentEvent.incident_id == incident)
                .order_by(IncidentEvent.id)
            )
        )
        assert len(events) == len(stamps)
        for event, at in zip(events, stamps, strict=True):
            event.at = at
        s.execute(update(Incident).where(Incident.id == incident).values(reported_at=stamps[0]))


def test_daily_report_counts(api: Api, factory: sessionmaker[Session]) -> None:
    w = api.world
    rows = [
        ("shelling", 0, "2026-03-01T01:00:00Z"),
        ("shelling", 1, "2026-03-01T23:59:00Z"),
        ("drone_strike", 0, "2026-03-01T12:00:00Z"),
        ("shelling", 0, "2026-03-02T00:00:00Z"),
    ]
    ids = [api.report(type=t, sector_id=w.sector_ids[s], occurred_at=at) for t, s, at in rows]
    api.drive(ids[0], 0, "resolve")  # Red: raised on 1 March, answered 2nd, resolved 3rd
    _retime(
        factory,
        ids[0],
        [
            "2026-03-01T02:00Z",
            "2026-03-01T03:00Z",
            "2026-03-01T05:00Z",
            "2026-03-01T06:00Z",
            "2026-03-01T08:00Z",
            "2026-03-02T10:00Z",
            "2026-03-03T12:00Z",
        ],
    )
    api.drive(ids[1], 1, "raise")  # Blue: reported and raised on 2 March
    _retime(factory, ids[1], [f"2026-03-02T0{h}:00Z" for h in range(1, 6)])
    _retime(factory, ids[2], ["2026-03-01T13:00Z"])
    api.drive(ids[3], 1, "attribute")  # Blue: attributed on 2 March
    _retime(factory, ids[3], [f"2026-03-02T0{h}:30Z" for h in range(1, 5)])
    reopened = api.report(occurred_at="2026-02-20T00:00:00Z")
    for action in ("start_verification", "dispute", "reopen"):
        assert api.act("monitor", reopened, action).status_code == 200

    def report(day: object) -> dict[str, Any]:
        url = f"/api/reports/daily?agreement_id={w.agreement_id}&date={day}"
        r = api.get("analyst", url)
        assert r.status_code == 200, r.text
        out: dict[str, Any] = r.json()
        return out

    first = report("2026-03-01")
    assert first["incidents"] == 3
    assert first["by_type"] == {"drone_strike": 1, "shelling": 2}
    assert first["by_sector"] == {"North": 2, "South": 1}
    assert first["new_incidents"] == 2
    assert first["resolved_incidents"] == 0
    # As it stood at the end of 1 March: Red's breach raised, Blue's not yet reported.
    assert first["open_breaches_by_party"] == {"Red": 1, "Blue": 0}
    second = report("2026-03-02")
    assert (second["new_incidents"], second["resolved_incidents"]) == (2, 0)
    assert second["open_breaches_by_party"] == {"Red": 1, "Blue": 2}
    third = report("2026-03-03")
    assert third["resolved_incidents"] == 1
    assert third["open_breaches_by_party"] == {"Red": 0, "Blue": 2}
    today = report(dt.datetime.now(dt.UTC).date())
    assert (today["new_incidents"], today["resolved_incidents"]) == (1, 0)  # the reopened one
    assert today["open_breaches_by_party"] == {"Red": 0, "Blue": 2}
    # Independent check: replayed to the far future, the history gives the stored states.
    with factory() as s:
        replayed = states_at(s, w.agreement_id, dt.datetime(3000, 1, 1, tzinfo=dt.UTC))
        stored = {i.id: (i.state, i.attributed_party_id) for i in s.scalars(select(Incident))}
    assert replayed == stored
    assert (
        api.get("analyst", "/api/reports/daily?agreement_id=999&date=2026-03-01").status_code == 404
    )


def _bulk(factory: sessionmaker[Session], api: Api, n: int) -> None:
    """Insert ``n`` incidents in one statement (no timelines: enough for lists and exports)."""
    w = api.world
    t0 = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    rows = [
        {
            "agreement_id": w.agreement_id,
            "occurred_at": t0 + dt.timedelta(minutes=i),
            "reported_at": t0,
            "type": IncidentType.SMALL_ARMS_FIRE if i % 3 else IncidentType.SHELLING,
            "sector_id": w.sector_ids[i % 2],
            "longitude": 20.1 if i % 2 else None,
            "latitude": 45.1 if i % 2 else None,
            "reporter_id": w.users["monitor"],
            "sources": "",
            "confidence": Confidence.LOW,
            "description": f"bulk-{i}",
            "state": State.REPORTED,
        }
        for i in range(n)
    ]
    with factory() as s, s.begin():
        s.execute(insert(Incident), rows)


def test_pagination_and_full_exports(api: Api, factory: sessionmaker[Session]) -> None:
    n = 1234
    _bulk(factory, api, n)
    shelling = len(range(0, n, 3))
    first = api.get("analyst", "/api/incidents?limit=500").json()
    assert (first["total"], first["page"], first["pages"], len(first["items"])) == (n, 1, 3, 500)
    assert first["prev"] is None
    seen: list[int] = []
    page, url = first, first["next"]
    while True:
        seen += [i["id"] for i in page["items"]]
        if url is None:
            break
        assert "limit=500" in url
        page = api.get("analyst", url).json()
        url = page["next"]
    assert page["page"] == 3
    assert len(page["items"]) == n - 1000
    assert api.get("analyst", page["prev"]).json()["page"] == 2
    assert len(seen) == n == len(set(seen))
    times = [i["occurred_at"] for i in first["items"]]
    assert times == sorted(times, reverse=True)  # newest first
    beyond = api.get("analyst", "/api/incidents?limit=500&page=9").json()
    assert (beyond["items"], beyond["next"], beyond["total"]) == ([], None, n)
    assert "page=3" in beyond["prev"]
    filtered = api.get("analyst", "/api/incidents?type=shelling&limit=10").json()
    assert filtered["total"] == shelling
    assert "type=shelling" in filtered["next"]
    assert api.get("analyst", "/api/incidents?limit=1001").status_code == 422
    assert api.get("analyst", "/api/incidents?page=0").status_code == 422
    # The exports return every match, not one page.
    rows = list(csv.DictReader(io.StringIO(api.get("analyst", "/api/export/incidents.csv").text)))
    assert len(rows) == n
    assert {r["description"] for r in rows} == {f"bulk-{i}" for i in range(n)}
    r = api.get("analyst", "/api/export/incidents.csv?type=shelling")
    assert len(list(csv.DictReader(io.StringIO(r.text)))) == shelling
    geo = api.get("analyst", "/api/export/incidents.geojson")
    assert geo.headers["content-type"] == "application/geo+json"
    assert len(geo.json()["features"]) == n
    assert api.get("liaison_red", "/api/export/incidents.csv").status_code == 403


def test_csv_export_import_roundtrip_and_geojson(api: Api, factory: sessionmaker[Session]) -> None:
    w = api.world
    files = [
        {"sha256": "a" * 64, "filename": "crater; north.jpg", "size_bytes": 123_456},
        {"sha256": "b" * 64, "filename": "report.pdf"},
    ]
    api.report(
        description='=HYPERLINK("http://x")',
        sources='a, "quoted"\nline',
        clause_ids=w.clause_ids,
        attachments=files,
    )
    api.report(longitude=None, latitude=None, sector_id=w.sector_ids[1], type="troop_movement")
    text = api.get("analyst", "/api/export/incidents.csv").text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2
    assert {r["type"] for r in rows} == {"shelling", "troop_movement"}
    assert any(r["description"].startswith("'=HYPERLINK") for r in rows)  # no formula injection
    assert {r["clauses"] for r in rows} == {"1;2", "1"}
    keep = [
        "occurred_at",
        "type",
        "sector",
        "longitude",
        "latitude",
        "confidence",
        "sources",
        "clauses",
        "attachments",
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, keep, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: r[k] for k in keep} for r in rows)
    r = api.post(
        "monitor",
        f"/api/import/incidents?agreement_id={w.agreement_id}",
        content=out.getvalue(),
        headers={**api.h("monitor"), "Content-Type": "text/csv"},
    )
    assert r.status_code == 201, r.text
    assert len(r.json()) == 2
    assert _counts(factory)[0] == 4
    by_type = {
        i["type"]: i
        for i in api.get("analyst", "/api/incidents").json()["items"]
        if i["id"] in r.json()
    }
    imported = by_type["shelling"]
    assert imported["clause_ids"] == w.clause_ids
    assert imported["attachments"] == [files[0], {**files[1], "size_bytes": None}]
    assert by_type["troop_movement"]["clause_ids"] == [w.clause_ids[0]]
    assert by_type["troop_movement"]["attachments"] == []
    geo = api.get("analyst", "/api/export/incidents.geojson").json()
    assert geo["type"] == "FeatureCollection"
    assert len(geo["features"]) == 4
    by = Counter(f["properties"]["located_by"] for f in geo["features"])
    assert by == {"point": 2, "sector": 2}
    for f in geo["features"]:
        lon, lat = f["geometry"]["coordinates"]
        assert 20.0 <= lon <= 20.5
        assert 44.5 <= lat <= 45.5


def test_import_is_all_or_nothing(api: Api, factory: sessionmaker[Session]) -> None:
    w = api.world
    before = _counts(factory)
    url = f"/api/import/incidents?agreement_id={w.agreement_id}"
    bad_files = {
        "occurred_at,type,sector\n2026-03-01T00:00:00Z,shelling,North\n2026-03-01,napalm,North\n": (
            3,
            "type",
        ),
        "occurred_at,type,sector\n2026-03-01T00:00:00Z,shelling,North\n"
        "2026-03-01,shelling,Atlantis\n": (
            3,
            "sector",
        ),
        "occurred_at,type,color\n2026-03-01,shelling,red\n": (1, None),
        "occurred_at,type\n2026-03-01T00:00:00Z,shelling\n": (2, "sector_id"),
        "occurred_at,type\n": (1, None),
        "type\nshelling\n": (1, None),
        "occurred_at,type,sector\n2026-03-01T00:00:00Z,shelling,North,extra\n": (2, None),
        "occurred_at,type,sector,clauses\n2026-03-01T00:00:00Z,shelling,North,1;9\n": (
            2,
            "clauses",
        ),
        "occurred_at,type,sector,attachments\n2026-03-01T00:00:00Z,shelling,North,[{\n": (
            2,
            "attachments",
        ),
        "occurred_at,type,sector,attachments\n"
        '2026-03-01T00:00:00Z,shelling,North,"[{""sha256"":""x""}]"\n': (
            2,
            "attachments.0.sha256",
        ),
    }
    for body, (line, field) in bad_files.items():
        r = api.post(
            "monitor", url, content=body, headers={**api.h("monitor"), "Content-Type": "text/csv"}
        )
        assert r.status_code == 422, (body, r.text)
        assert r.json()["line"] == line, (body, r.json())
        if field:
            assert r.json()["field"] == field
    r = api.post(
        "monitor",
        url,
        content=b"\xff\xfe bad",
        headers={**api.h("monitor"), "Content-Type": "text/csv"},
    )
    assert r.status_code == 400
    assert _counts(factory) == before


def test_bad_input_is_refused_and_nothing_stored(api: Api, factory: sessionmaker[Session]) -> None:
    w = api.world
    before = _counts(factory)
    bad_incidents: list[dict[str, Any]] = [
        api.incident_body(type="napalm"),
        api.incident_body(confidence="certain"),
        api.incident_body(longitude=200),
        api.incident_body(latitude=None),
        api.incident_body(sector_id=None, longitude=None, latitude=None),
        api.incident_body(sector_id=999),
        api.incident_body(clause_ids=[999]),
        api.incident_body(agreement_id=999),
        api.incident_body(description="nul \x00 byte"),
        api.incident_body(unknown_field=1),
        api.incident_body(occurred_at="yesterday"),
        api.incident_body(attachments=[{"sha256": "xyz", "filename": "a"}]),
        api.incident_body(attachments=[{"sha256": "a" * 64, "filename": "a"}] * 2),
    ]
    for body in bad_incidents:
        r = api.post("monitor", "/api/incidents", json=body)
        assert r.status_code == 422, (body, r.text)
        assert "detail" in r.json()
    big = api.incident_body(description="x" * 300_000)
    r = api.post("monitor", "/api/incidents", json=big)
    assert r.status_code == 413
    r = api.client.post(
        "/api/incidents",
        content=iter([b"{" + b" " * 150_000, b" " * 150_000 + b"}"]),  # no Content-Length
        headers={**api.h("monitor"), "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    bad_sectors = [
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 2]]]},  # not closed
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]},  # too short
        {"type": "Circle", "coordinates": [0, 0]},
        {"type": "Point", "coordinates": [500, 0]},
        {"type": "Point", "coordinates": ["a", 0]},
        {"type": "LineString", "coordinates": [[0, 0]]},
        {"type": "MultiPolygon", "coordinates": []},
        "not an object",
    ]
    for geometry in bad_sectors:
        body = {
            "name": "Bad",
            "mechanism": "hotline",
            "parties": ["a", "b"],
            "sectors": [{"name": "s", "geometry": geometry}],
        }
        r = api.post("admin", "/api/agreements", json=body)
        assert r.status_code == 422, (geometry, r.text)
    body = {"name": "Bad", "mechanism": "tribunal", "parties": ["a", "b"]}
    assert api.post("admin", "/api/agreements", json=body).status_code == 422
    body = {"name": "Dup", "mechanism": "hotline", "parties": ["a", "a"]}
    assert api.post("admin", "/api/agreements", json=body).status_code == 422
    assert (
        api.post(
            "admin",
            "/api/agreements",
            json={**body, "name": "Test ceasefire", "parties": ["a", "b"]},
        ).status_code
        == 409
    )
    assert _counts(factory) == before
    # Workflow refusals change nothing either.
    inc = api.report()
    after_report = _counts(factory)
    r = api.act("monitor", inc, "resolve")
    assert r.status_code == 409
    assert "cannot resolve" in r.json()["detail"]
    assert api.act("monitor", inc, "fly").status_code == 422
    assert (
        api.post(
            "monitor", f"/api/incidents/{inc}/transitions", json={"action": "verify"}
        ).status_code
        == 422
    )
    assert api.get("monitor", "/api/incidents/2147483648").status_code == 422
    assert api.get("monitor", "/api/incidents/99999").status_code == 404
    assert _counts(factory) == after_report
    del w


def test_sql_metacharacters_are_data(api: Api) -> None:
    nasty = "'; DROP TABLE incident; -- \" OR 1=1 %_\\"
    inc = api.report(description=nasty, sources=nasty)
    got = api.get("analyst", f"/api/incidents/{inc}").json()
    assert got["description"] == nasty
    assert api.get("analyst", "/api/incidents").json()["total"] == 1
    r = api.post(
        "admin", "/api/users", json={"username": "x'--", "password": PASSWORD, "role": "analyst"}
    )
    assert r.status_code == 422
    r = api.client.post("/api/token", json={"username": nasty, "password": nasty})
    assert r.status_code == 401


def test_tokens_and_users(api: Api) -> None:
    assert (
        api.client.post("/api/token", json={"username": "admin", "password": "nope"}).status_code
        == 401
    )
    assert (
        api.client.post("/api/token", json={"username": "ghost", "password": "nope"}).status_code
        == 401
    )
    r = api.client.get("/api/me", headers={"Authorization": "Bearer forged"})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    me = api.get("liaison_red", "/api/me").json()
    with api.client.app.state.sessionmaker() as s, s.begin():  # type: ignore[attr-defined]
        s.execute(update(User).where(User.username == "analyst").values(active=False))
    assert api.get("analyst", "/api/me").status_code == 401
    assert me["role"] == "liaison"
    assert me["party_id"] == api.world.party_ids[0]
    assert "password" not in api.get("admin", "/api/users").text
    for body in (
        {"username": "l1", "password": PASSWORD, "role": "liaison"},
        {
            "username": "l1",
            "password": PASSWORD,
            "role": "monitor",
            "party_id": api.world.party_ids[0],
        },
        {"username": "l1", "password": PASSWORD, "role": "liaison", "party_id": 999},
        {"username": "l1", "password": "short", "role": "monitor"},
        {"username": "l1", "password": PASSWORD, "role": "superuser"},
    ):
        assert api.post("admin", "/api/users", json=body).status_code == 422, body
    assert (
        api.post(
            "admin",
            "/api/users",
            json={"username": "monitor", "password": PASSWORD, "role": "monitor"},
        ).status_code
        == 409
    )


def test_openapi_published(api: Api) -> None:
    assert api.client.get("/docs").status_code == 404  # FastAPI's page would load a CDN
    spec = api.client.get("/openapi.json").json()
    assert "/api/incidents/{incident_id}/transitions" in spec["paths"]
    assert "shelling" in str(spec["components"]["schemas"]["IncidentType"])
