"""Pages through the ASGI app (no browser): sessions, CSRF, roles, escaping, errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from detente.monitor import service
from detente.monitor.db import MonitorSettings
from detente.monitor.enums import Action, Confidence, Role
from detente.monitor.models import User
from detente.monitor.schemas import AgreementIn, IncidentIn, TransitionIn, UserIn
from detente.web import create_app
from detente.web.middleware import content_security_policy
from tests.monitor_support import PASSWORD, World

SCRIPT = "<script>alert(1)</script>"
#: Where a signed-out browser asking for the incident list is sent (and then brought back).
LOGIN = "/login?next=%2Fincidents"


@pytest.fixture
def app_url(db_url: str, world: World) -> tuple[str, World]:
    return db_url, world


def _client(db_url: str, tiles: str = "") -> TestClient:
    return TestClient(create_app(MonitorSettings(db_url=db_url, secret_key="k", tile_url=tiles)))


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _login(c: TestClient, who: str) -> str:
    token = _csrf(c.get("/login").text)
    r = c.post(
        "/login",
        data={"csrf": token, "username": who, "password": PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 303
    # Who may read scenarios lands in the Workbench, a liaison in the Monitor.
    assert r.headers["location"] == ("/workbench/" if who in {"admin", "analyst"} else "/incidents")
    return _csrf(c.get("/incidents").text)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_pages_roles_csrf_and_escaping(app_url: tuple[str, World]) -> None:
    db_url, w = app_url
    with _client(db_url) as c:
        assert c.get("/incidents", follow_redirects=False).headers["location"] == LOGIN
        assert c.get("/", follow_redirects=False).headers["location"] == "/login"
        page = c.get("/login")
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
        # Login without the CSRF token, then with a wrong password.
        r = c.post("/login", data={"username": "monitor", "password": PASSWORD})
        assert r.status_code == 403
        r = c.post(
            "/login", data={"csrf": _csrf(page.text), "username": "monitor", "password": "x"}
        )
        assert r.status_code == 401
        assert "wrong username or password" in r.text
        csrf = _login(c, "monitor")
        assert "session" not in c.get("/api/me").text  # the API accepts the session cookie
        assert c.get("/api/me").json()["username"] == "monitor"
        form = {
            "csrf": csrf,
            "agreement_id": str(w.agreement_id),
            "occurred_at": "2026-03-01T10:30",
            "type": "shelling",
            "sector_id": str(w.sector_ids[0]),
            "description": SCRIPT,
        }
        assert c.post("/incidents/new", data={**form, "csrf": "forged"}).status_code == 403
        bad = c.post("/incidents/new", data={**form, "type": "napalm"})
        assert bad.status_code == 422
        assert "type" in bad.text
        assert SCRIPT not in bad.text
        assert "&lt;script&gt;" in bad.text
        bad = c.post("/incidents/new", data={**form, "sector_id": "", "latitude": "1"})
        assert bad.status_code == 422
        r = c.post("/incidents/new", data=form, follow_redirects=False)
        assert r.status_code == 303
        url = r.headers["location"]
        page = c.get(url).text
        assert SCRIPT not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert SCRIPT not in c.get("/incidents").text
        # Actions: refused without CSRF, refused illegal, missing reason, then done.
        assert c.post(f"{url}/act", data={"action": "verify", "reason": "x"}).status_code == 403
        r = c.post(f"{url}/act", data={"csrf": csrf, "action": "verify", "reason": "x"})
        assert r.status_code == 409
        assert "cannot verify" in r.text
        r = c.post(f"{url}/act", data={"csrf": csrf, "action": "start_verification", "reason": ""})
        assert r.status_code == 422
        for action in ("start_verification", "verify"):
            r = c.post(
                f"{url}/act",
                data={"csrf": csrf, "action": action, "reason": "ok"},
                follow_redirects=False,
            )
            assert r.status_code == 303
        r = c.post(
            f"{url}/act",
            data={
                "csrf": csrf,
                "action": "attribute",
                "reason": "ok",
                "party_id": str(w.party_ids[0]),
                "confidence": "low",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303
        r = c.post(f"{url}/notes", data={"csrf": csrf, "body": SCRIPT}, follow_redirects=False)
        assert r.status_code == 303
        page = c.get(url).text
        assert "Internal notes" in page
        assert SCRIPT not in page
        # Filters.
        assert (
            "shelling"
            in c.get(
                "/incidents?type=shelling&state=attributed&since=2026-03-01&until=2026-03-01"
            ).text
        )
        assert "No incidents match" in c.get("/incidents?type=drone_strike").text
        assert c.get("/incidents?state=bogus").status_code == 422
        assert c.get("/incidents?since=yesterday").status_code == 422
        assert c.get("/incidents/99999").status_code == 404
        assert c.get(f"/map?agreement_id={w.agreement_id}").status_code == 200
        report = c.get("/report?date=2026-03-01")
        assert report.status_code == 200
        assert report.text.count("<svg") == 2
        assert c.get("/report?agreement_id=999").status_code == 404
        # Logout needs the token too.
        assert c.post("/logout", data={}).status_code == 403
        assert c.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
        assert c.get("/incidents", follow_redirects=False).status_code == 303

        # A liaison: no report, no new-incident form, no notes, no incidents not raised with it.
        _login(c, "liaison_red")
        assert c.get("/report").status_code == 403
        assert c.get("/incidents/new").status_code == 403
        assert c.get(url).status_code == 404
        assert "No incidents match" in c.get("/incidents").text
        assert '"features": []' in c.get("/map").text
        # The API through the session cookie needs the CSRF header for writes.
        body = {"action": "answer", "reason": "r"}
        assert c.post(f"/api{url}/transitions", json=body).status_code == 403


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_empty_site_and_stale_session(db_url: str, factory: object) -> None:
    with factory() as s, s.begin():  # type: ignore[operator]
        service.create_user(s, None, UserIn(username="admin", password=PASSWORD, role=Role.ADMIN))
    with _client(db_url, tiles="https://{s}.tile.example.org/{z}/{x}/{y}.png") as c:
        csrf = _login(c, "admin")
        assert "No agreement yet" in c.get("/incidents/new").text
        assert "No agreement yet" in c.get("/report").text
        assert c.get("/map").status_code == 200
        assert "tile.example.org" in c.get("/map").headers["content-security-policy"]
        del csrf
    with _client(db_url) as c:
        _login(c, "admin")
        with factory() as s, s.begin():  # type: ignore[operator]
            s.execute(update(User).values(active=False))
        assert c.get("/incidents", follow_redirects=False).headers["location"] == LOGIN


def test_content_security_policy_tiles() -> None:
    assert "img-src 'self' data:;" in content_security_policy("")
    assert "https://*.tile.osm.org" in content_security_policy(
        "https://{s}.tile.osm.org/{z}/{x}/{y}.png"
    )
    assert "http://localhost:8080" in content_security_policy(
        "http://localhost:8080/{z}/{x}/{y}.png"
    )


def _incident(factory: Any, w: World, path: list[Action], **over: Any) -> int:
    """An incident reported by the monitor and moved along ``path`` (party Red)."""
    with factory() as s, s.begin():
        monitor = s.get(User, w.users["monitor"])
        body = {
            "agreement_id": w.agreement_id,
            "occurred_at": "2026-03-01T10:00:00Z",
            "type": "shelling",
            "sector_id": w.sector_ids[0],
            **over,
        }
        incident = service.create_incident(s, monitor, IncidentIn.model_validate(body))
        for action in path:
            actor = s.get(User, w.users["liaison_red" if action is Action.ANSWER else "monitor"])
            service.transition(
                s,
                actor,
                incident.id,
                TransitionIn(
                    action=action,
                    reason="because",
                    party_id=w.party_ids[0] if action is Action.ATTRIBUTE else None,
                    confidence=Confidence.HIGH if action is Action.ATTRIBUTE else None,
                ),
            )
        return incident.id


DASH = "\u2013"  # the en dash of "Incidents 1-50 of 55"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_list_pages_agreements_clauses_attachments(db_url: str, world: World, factory: Any) -> None:
    w = world
    attachment = {"sha256": "c" * 64, "filename": "photo.jpg", "size_bytes": 1_234_567}
    shown = _incident(factory, w, [], clause_ids=w.clause_ids, attachments=[attachment])
    for _ in range(54):
        _incident(factory, w, [], occurred_at="2026-02-01T00:00:00Z")
    with _client(db_url) as c:
        csrf = _login(c, "admin")
        # 55 incidents, 50 to a page, newest first.
        first = c.get("/incidents").text
        assert f"Incidents 1{DASH}50 of 55" in first
        assert first.count('<td><a href="/incidents/') == 50
        assert 'rel="next" href="/incidents?page=2"' in first
        assert 'rel="prev"' not in first
        second = c.get("/incidents?page=2").text
        assert f"Incidents 51{DASH}55 of 55" in second
        assert 'rel="prev" href="/incidents?page=1"' in second
        assert 'rel="next"' not in second
        filtered = c.get("/incidents?type=shelling&since=2026-02-01&page=2").text
        assert "type=shelling" in filtered
        assert "since=2026-02-01" in filtered
        # The incident page: clauses and attachments.
        page = c.get(f"/incidents/{shown}").text
        assert "1. No firing." in page
        assert "2. Withdraw." in page
        assert "photo.jpg" in page
        assert "c" * 64 in page
        assert "1,234,567 bytes" in page
        # The new-incident form sets clauses.
        form_page = c.get("/incidents/new").text
        assert 'name="clause_ids"' in form_page
        r = c.post(
            "/incidents/new",
            data={
                "csrf": csrf,
                "agreement_id": str(w.agreement_id),
                "occurred_at": "2026-03-02T10:30",
                "type": "drone_strike",
                "sector_id": str(w.sector_ids[1]),
                "clause_ids": [str(w.clause_ids[1])],
            },
            follow_redirects=False,
        )
        assert r.status_code == 303
        made = c.get(r.headers["location"]).text
        assert "2. Withdraw." in made
        assert "1. No firing." not in made
        bad = c.post(
            "/incidents/new",
            data={
                "csrf": csrf,
                "agreement_id": str(w.agreement_id),
                "occurred_at": "2026-03-02T10:30",
                "type": "drone_strike",
                "clause_ids": [str(w.clause_ids[1])],
            },
        )
        assert bad.status_code == 422
        assert re.search(rf'value="{w.clause_ids[1]}"\s+checked', bad.text)
        # A second agreement: the list shows every agreement's incidents, each named.
        with factory() as s, s.begin():
            admin = s.get(User, w.users["admin"])
            other = service.create_agreement(
                s,
                admin,
                AgreementIn(name="Second truce", mechanism="hotline", parties=["Red", "Green"]),
            )
            other_id = other.id
        _incident(
            factory,
            World(other_id, [], [0], [], w.users),
            [],
            sector_id=None,
            longitude=21.0,
            latitude=44.0,
        )
        listed = c.get("/incidents").text
        assert "all agreements" in listed
        assert "<th>Agreement</th>" in listed
        assert "Second truce" in listed
        assert "Test ceasefire</td>" in listed
        only = c.get(f"/incidents?agreement_id={other_id}").text
        assert f"Incidents 1{DASH}1 of 1" in only
        assert "<th>Agreement</th>" not in only


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_bad_values_get_an_html_page_and_favicon(db_url: str, world: World, factory: Any) -> None:
    inc = _incident(factory, world, [Action.START_VERIFICATION, Action.VERIFY])
    with _client(db_url) as c:
        icon = c.get("/favicon.ico")
        assert icon.status_code == 200
        assert icon.headers["content-type"] == "image/x-icon"
        assert icon.content[:4] == b"\x00\x00\x01\x00"
        csrf = _login(c, "monitor")
        assert 'rel="icon" href="/favicon.ico"' in c.get("/incidents").text
        for r in (
            c.post(f"/incidents/{inc}/act", data={"csrf": csrf, "action": "fly", "reason": "x"}),
            c.get("/incidents?page=0"),
            c.get("/report?days=1000"),
        ):
            assert r.status_code == 422
            assert r.headers["content-type"].startswith("text/html")
            assert "<h1>422</h1>" in r.text
        assert (
            "action"
            in c.post(
                f"/incidents/{inc}/act", data={"csrf": csrf, "action": "fly", "reason": "x"}
            ).text
        )
        assert c.get("/api/incidents?page=0").headers["content-type"] == "application/json"
        # An attribution needs a confidence chosen: none is preselected.
        page = c.get(f"/incidents/{inc}").text
        assert '<select name="confidence" required><option value="">choose…</option>' in page
        r = c.post(
            f"/incidents/{inc}/act",
            data={
                "csrf": csrf,
                "action": "attribute",
                "reason": "x",
                "party_id": str(world.party_ids[0]),
            },
        )
        assert r.status_code == 422
        assert "confidence" in r.text
    with _client(db_url) as c:
        _login(c, "analyst")
        r = c.get("/incidents/new")
        assert r.status_code == 403
        assert "an analyst may not report incidents" in r.text
