"""The shape of the web application: one error handler, one session helper, ``detente serve``."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from detente.cli import app as cli
from detente.monitor import service
from detente.monitor.db import MonitorSettings, make_engine, migrate
from detente.monitor.enums import IncidentType
from detente.monitor.models import User
from detente.monitor.schemas import IncidentIn
from detente.web import create_api, create_app
from tests.monitor_support import World, _free_port
from tests.web.test_pages import _csrf, _login

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _client(db_url: str) -> TestClient:
    return TestClient(create_app(MonitorSettings(db_url=db_url, secret_key="k")))


@SQLITE
def test_one_error_handler_answers_json_or_html(db_url: str, world: World) -> None:
    del world
    with _client(db_url) as c:
        # A page: a browser is sent to the login page; a client asking for JSON gets JSON.
        location = c.get("/incidents", follow_redirects=False).headers["location"]
        assert location == "/login?next=%2Fincidents"
        r = c.get("/incidents", headers={"Accept": "application/json"})
        assert r.status_code == 401
        assert r.json() == {"detail": "log in first", "field": None, "line": None}
        # The API answers JSON even to a browser's Accept header.
        r = c.get("/api/me", headers={"Accept": "text/html"})
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json()["field"] == "Authorization"
        # A request that fails validation: a page for browsers, the 422 body for JSON clients.
        _login(c, "admin")
        r = c.get("/report?days=0")
        assert r.status_code == 422
        assert r.headers["content-type"].startswith("text/html")
        assert "days: Input should be greater than or equal to 1" in r.text
        r = c.get("/report?days=0", headers={"Accept": "application/json"})
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["query", "days"]
        r = c.get("/api/incidents?page=0")
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["query", "page"]
        # A refusal by the service on a page: the same message, as a page or as JSON.
        r = c.get("/incidents/999")
        assert r.status_code == 404
        assert "no incident 999" in r.text
        r = c.get("/incidents/999", headers={"Accept": "application/json"})
        assert r.json() == {"detail": "no incident 999", "field": "incident_id", "line": None}


@SQLITE
def test_deactivated_users_browser_session_is_cleared_for_api_and_pages(
    db_url: str, world: World, factory: Any
) -> None:
    del world
    for first in ("/api/me", "/incidents"):
        with _client(db_url) as c:
            _login(c, "monitor")
            assert c.get("/api/me").json()["username"] == "monitor"
            with factory() as s, s.begin():
                s.execute(update(User).where(User.username == "monitor").values(active=False))
            r = c.get(first, follow_redirects=False)
            assert r.status_code in {401, 303}
            # The cookie is cleared: the other side sees no session at all any more.
            assert "detente_session=null" in r.headers["set-cookie"]
            assert "detente_session" not in c.cookies
            with factory() as s, s.begin():
                s.execute(update(User).where(User.username == "monitor").values(active=True))
            location = c.get("/incidents", follow_redirects=False).headers["location"]
            assert location == "/login?next=%2Fincidents"
            assert c.get("/api/me").status_code == 401


@SQLITE
def test_api_alone_and_whole_app_share_routes(db_url: str, world: World) -> None:
    del world
    settings = MonitorSettings(db_url=db_url, secret_key="k")
    api, app = create_api(settings), create_app(settings)
    assert set(api.openapi()["paths"]) == set(app.openapi()["paths"])
    assert {"/api/token", "/api/incidents", "/api/audit/verify"} <= set(api.openapi()["paths"])
    assert app.url_path_for("login_form") == "/login"
    assert app.url_path_for("map_page") == "/map"
    with TestClient(api) as c:
        assert c.get("/login").status_code == 404
        assert c.get("/api/agreements").status_code == 401
    with TestClient(app) as c:
        assert c.get("/login").status_code == 200


@SQLITE
def test_nav_bar_shows_the_areas(db_url: str, world: World) -> None:
    del world
    with _client(db_url) as c:
        _login(c, "analyst")
        page = c.get("/incidents").text
        assert '<nav aria-label="Areas" class="areas">' in page
        assert '<a href="/incidents" aria-current="page">Monitor</a>' in page
        assert '<nav aria-label="Monitor">' in page
        # The Workbench area (its home page is the route named "workbench") is in the nav bar.
        assert '<a href="/workbench/">Workbench</a>' in page
        page = c.get("/workbench/").text
        assert '<a href="/workbench/" aria-current="page">Workbench</a>' in page
        assert '<nav aria-label="Workbench">' in page
        c.post("/logout", data={"csrf": _csrf(page)})
        _login(c, "liaison_red")  # a party liaison never sees scenarios: no Workbench link
        assert "Workbench</a>" not in c.get("/incidents").text


def _serve(args: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[Any]]:
    started: list[Any] = []

    def run(self: uvicorn.Server, sockets: list[Any]) -> None:
        started.append(self.config.app)
        for sock in sockets:
            sock.close()

    monkeypatch.setattr(uvicorn.Server, "run", run)
    monkeypatch.setenv("DETENTE_MONITOR_SECRET", "serve-test")
    return CliRunner().invoke(cli, args), started


@pytest.mark.parametrize("command", [["serve"], ["monitor", "serve"]])
def test_serve_starts_the_whole_app(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "site.db"
    engine = make_engine(str(db))
    migrate(engine)
    engine.dispose()
    port = str(_free_port())
    r, started = _serve([*command, "--db", str(db), "--port", port], monkeypatch)
    assert r.exit_code == 0, r.output
    assert f"Serving on http://127.0.0.1:{port}/" in r.output
    (app,) = started
    assert app.url_path_for("login_form") == "/login"
    assert "/api/token" in app.openapi()["paths"]


@pytest.mark.parametrize("command", [["serve"], ["monitor", "serve"]])
def test_serve_operator_faults_are_one_line(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r, started = _serve([*command, "--db", str(tmp_path / "none" / "x.db")], monkeypatch)
    assert r.exit_code == 2
    assert r.output.strip().count("\n") == 0
    assert "the folder" in r.output
    assert "does not exist" in r.output
    empty = tmp_path / "empty.db"
    make_engine(str(empty)).dispose()
    empty.touch()
    r, started = _serve([*command, "--db", str(empty)], monkeypatch)
    assert r.exit_code == 2
    assert "the database is not initialised: run `detente monitor init`" in r.output
    assert not started


@SQLITE
def test_pages_and_api_share_the_filter_and_paging(db_url: str, world: World, factory: Any) -> None:
    kinds = [IncidentType.SHELLING, IncidentType.DRONE_STRIKE]
    with factory() as s, s.begin():
        monitor = s.get(User, world.users["monitor"])
        made = [
            service.create_incident(
                s,
                monitor,
                IncidentIn(
                    agreement_id=world.agreement_id,
                    occurred_at=dt.datetime(2026, 3, 1 + i % 4, 6 * (i % 4), tzinfo=dt.UTC),
                    type=kinds[i % 2],
                    sector_id=world.sector_ids[i % 2],
                ),
            )
            for i in range(60)
        ]
        when = {i.id: (i.occurred_at.replace(tzinfo=dt.UTC), i.type) for i in made}

    def expected(since: dt.datetime, until: dt.datetime, kind: IncidentType | None) -> set[int]:
        return {k for k, (t, ty) in when.items() if since <= t < until and kind in {None, ty}}

    day = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    cases = {
        # A plain day in `until` counts the whole day; a time is exclusive; blank filters nothing.
        "since=2026-03-02&until=2026-03-03": expected(day, day + dt.timedelta(days=2), None),
        "since=2026-03-02&until=2026-03-03T00:00:00Z": expected(
            day, day + dt.timedelta(days=1), None
        ),
        "type=drone_strike&since=&until=&state=&sector_id=&party_id=": expected(
            day - dt.timedelta(days=9), day + dt.timedelta(days=9), IncidentType.DRONE_STRIKE
        ),
    }
    with _client(db_url) as c:
        _login(c, "analyst")
        for query, ids in cases.items():
            assert ids, query
            api = c.get(f"/api/incidents?{query}&limit=1000").json()
            assert {i["id"] for i in api["items"]} == ids, query
            found: set[int] = set()
            url: str | None = f"/incidents?{query}"
            while url:  # every page of the list, 50 to a page
                page = c.get(url.replace("&amp;", "&")).text
                found |= {int(x) for x in re.findall(r'<td><a href="/incidents/(\d+)">', page)}
                nxt = re.search(r'rel="next" href="([^"]+)"', page)
                url = nxt.group(1) if nxt else None
            assert found == ids, query
        # Paging: the same arithmetic on both sides, past the end too.
        api = c.get("/api/incidents?limit=50&page=2").json()
        assert (api["total"], api["pages"], len(api["items"])) == (60, 2, 10)
        assert api["prev"] == "/api/incidents?limit=50&page=1"
        assert api["next"] is None
        page = c.get("/incidents?page=2").text
        assert "Incidents 51\u201360 of 60" in page
        assert 'rel="prev" href="/incidents?page=1"' in page
        past = c.get("/api/incidents?limit=50&page=7").json()
        assert (past["items"], past["prev"]) == ([], "/api/incidents?limit=50&page=2")
        assert 'rel="prev" href="/incidents?page=2"' in c.get("/incidents?page=7").text
        # A bad value is refused the same way: 422, as a page or as JSON.
        assert c.get("/incidents?type=napalm").status_code == 422
        assert c.get("/api/incidents?type=napalm").status_code == 422
        assert c.get("/api/incidents?since=yesterday").status_code == 422
