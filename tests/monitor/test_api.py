"""The JSON API on SQLite and PostgreSQL: authorisation, filters, reports, exchange, bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor.models import AuditEntry, Incident, User
from tests.monitor.api_support import ROLES, Api

MISSION = {"admin", "monitor"}
READERS = {"admin", "monitor", "analyst"}


def _counts(factory: sessionmaker[Session]) -> tuple[int, int]:
    with factory() as s:
        return (
            int(s.scalar(select(func.count(Incident.id))) or 0),
            int(s.scalar(select(func.count(AuditEntry.seq))) or 0),
        )


def test_authorisation_matrix(api: Api) -> None:
    w = api.world
    raised_red = api.report()
    api.drive(raised_red, 0, "raise")
    raised_blue = api.report()
    api.drive(raised_blue, 1, "raise")
    fresh = api.report()
    csv_body = "occurred_at,type,sector\n2026-03-01T00:00:00Z,shelling,North\n"

    def status(expected_ok: set[str], ok: int, refused: int = 403) -> dict[str, int]:
        return {r: ok if r in expected_ok else refused for r in ROLES}

    n = iter(range(1000))
    cases: list[tuple[str, str, Any, dict[str, int]]] = [
        ("GET", "/api/me", None, status(set(ROLES), 200)),
        ("GET", "/api/users", None, status({"admin"}, 200)),
        (
            "POST",
            "/api/users",
            lambda: {"username": f"u{next(n)}", "password": "password1", "role": "analyst"},
            status({"admin"}, 201),
        ),
        ("GET", "/api/agreements", None, status(set(ROLES), 200)),
        ("GET", f"/api/agreements/{w.agreement_id}", None, status(set(ROLES), 200)),
        (
            "POST",
            "/api/agreements",
            lambda: {"name": f"A{next(n)}", "mechanism": "hotline", "parties": ["x", "y"]},
            status({"admin"}, 201),
        ),
        ("GET", "/api/incidents", None, status(set(ROLES), 200)),
        ("POST", "/api/incidents", api.incident_body, status(MISSION, 201)),
        (
            "GET",
            f"/api/incidents/{raised_red}",
            None,
            status(READERS | {"liaison_red"}, 200, 404),
        ),
        ("GET", f"/api/incidents/{fresh}", None, status(READERS, 200, 404)),
        (
            "POST",
            f"/api/incidents/{fresh}/notes",
            lambda: {"body": "internal"},
            {**status(MISSION, 201), "liaison_red": 403, "liaison_blue": 403},
        ),
        (
            "GET",
            f"/api/reports/daily?agreement_id={w.agreement_id}&date=2026-03-01",
            None,
            status(READERS, 200),
        ),
        ("GET", "/api/export/incidents.csv", None, status(READERS, 200)),
        ("GET", "/api/export/incidents.geojson", None, status(READERS, 200)),
        ("GET", "/api/audit/verify", None, status({"admin"}, 200)),
    ]
    wrong = []
    for method, url, body, expected in cases:
        r = api.client.request(method, url)
        if r.status_code != 401:
            wrong.append((method, url, "anonymous", r.status_code))
        for who, code in expected.items():
            kw = {"json": body()} if body else {}
            r = api.client.request(method, url, headers=api.h(who), **kw)
            if r.status_code != code:
                wrong.append((method, url, who, r.status_code, r.text[:100]))
    # Import: mission staff only.
    for who in ROLES:
        r = api.post(
            who,
            f"/api/import/incidents?agreement_id={w.agreement_id}",
            content=csv_body,
            headers={**api.h(who), "Content-Type": "text/csv"},
        )
        if r.status_code != (201 if who in MISSION else 403):
            wrong.append(("import", who, r.status_code))
    # Workflow actions: each on a fresh incident in the right state.
    for who in ROLES:
        inc = api.report()
        r = api.act(who, inc, "start_verification")
        if r.status_code != (200 if who in MISSION else 403 if who == "analyst" else 404):
            wrong.append(("start_verification", who, r.status_code))
        inc = api.report()
        api.drive(inc, 0, "raise")
        r = api.act(who, inc, "answer")
        expect = {"liaison_red": 200, "liaison_blue": 404}.get(who, 403)
        if r.status_code != expect:
            wrong.append(("answer", who, r.status_code))
    assert wrong == []


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
    seen = {i["id"] for i in api.get("liaison_red", "/api/incidents").json()}
    assert seen == {red}
    assert {i["id"] for i in api.get("liaison_blue", "/api/incidents").json()} == {blue}
    assert api.get("liaison_red", f"/api/incidents?party_id={api.world.party_ids[1]}").json() == []
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
        return {i["id"] for i in r.json()}

    assert ids("type=drone_strike") == {m[0] for m in made if m[1] == "drone_strike"}
    assert ids(f"sector_id={w.sector_ids[1]}") == {m[0] for m in made if m[2] == w.sector_ids[1]}
    assert ids("since=2026-03-02T00:00:00Z&until=2026-03-04T00:00:00") == {
        m[0] for m in made if m[3] in {2, 3}
    }
    assert ids("state=raised") == {made[0][0]}
    assert ids(f"party_id={w.party_ids[1]}") == {made[0][0]}
    assert ids("limit=2&offset=1").issubset({m[0] for m in made})
    assert len(ids("limit=2")) == 2
    assert api.get("analyst", "/api/incidents?type=napalm").status_code == 422
    assert api.get("analyst", "/api/incidents?state=gone").status_code == 422


def test_daily_report_counts(api: Api) -> None:
    w = api.world
    rows = [
        ("shelling", 0, "2026-03-01T01:00:00Z"),
        ("shelling", 1, "2026-03-01T23:59:00Z"),
        ("drone_strike", 0, "2026-03-01T12:00:00Z"),
        ("shelling", 0, "2026-03-02T00:00:00Z"),
    ]
    ids = [api.report(type=t, sector_id=w.sector_ids[s], occurred_at=at) for t, s, at in rows]
    api.drive(ids[0], 0, "resolve")
    api.drive(ids[1], 1, "raise")
    api.drive(ids[3], 1, "attribute")
    today = dt.datetime.now(dt.UTC).date()
    r = api.get("analyst", f"/api/reports/daily?agreement_id={w.agreement_id}&date=2026-03-01")
    rep = r.json()
    assert rep["incidents"] == 3
    assert rep["by_type"] == {"drone_strike": 1, "shelling": 2}
    assert rep["by_sector"] == {"North": 2, "South": 1}
    assert rep["open_breaches_by_party"] == {"Red": 0, "Blue": 1}  # the 2 March one is later
    assert rep["new_incidents"] == 0  # reported today, not on 1 March
    rep_today = api.get(
        "analyst", f"/api/reports/daily?agreement_id={w.agreement_id}&date={today}"
    ).json()
    assert rep_today["new_incidents"] == 4
    assert rep_today["resolved_incidents"] == 1
    assert rep_today["open_breaches_by_party"] == {"Red": 0, "Blue": 2}
    assert (
        api.get("analyst", "/api/reports/daily?agreement_id=999&date=2026-03-01").status_code == 404
    )


def test_csv_export_import_roundtrip_and_geojson(api: Api, factory: sessionmaker[Session]) -> None:
    w = api.world
    api.report(description='=HYPERLINK("http://x")', sources='a, "quoted"\nline')
    api.report(longitude=None, latitude=None, sector_id=w.sector_ids[1], type="troop_movement")
    text = api.get("analyst", "/api/export/incidents.csv").text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2
    assert {r["type"] for r in rows} == {"shelling", "troop_movement"}
    assert any(r["description"].startswith("'=HYPERLINK") for r in rows)  # no formula injection
    keep = ["occurred_at", "type", "sector", "longitude", "latitude", "confidence", "sources"]
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
    assert len(api.get("analyst", "/api/incidents").json()) == 1
    r = api.post(
        "admin", "/api/users", json={"username": "x'--", "password": "password1", "role": "analyst"}
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
        {"username": "l1", "password": "password1", "role": "liaison"},
        {
            "username": "l1",
            "password": "password1",
            "role": "monitor",
            "party_id": api.world.party_ids[0],
        },
        {"username": "l1", "password": "password1", "role": "liaison", "party_id": 999},
        {"username": "l1", "password": "short", "role": "monitor"},
        {"username": "l1", "password": "password1", "role": "superuser"},
    ):
        assert api.post("admin", "/api/users", json=body).status_code == 422, body
    assert (
        api.post(
            "admin",
            "/api/users",
            json={"username": "monitor", "password": "password1", "role": "monitor"},
        ).status_code
        == 409
    )


def test_openapi_published(api: Api) -> None:
    assert api.client.get("/docs").status_code == 404  # FastAPI's page would load a CDN
    spec = api.client.get("/openapi.json").json()
    assert "/api/incidents/{incident_id}/transitions" in spec["paths"]
    assert "shelling" in str(spec["components"]["schemas"]["IncidentType"])
