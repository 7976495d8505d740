"""Pages through the ASGI app (no browser): sessions, CSRF, roles, escaping, errors."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from detente.monitor import service
from detente.monitor.db import MonitorSettings
from detente.monitor.enums import Role
from detente.monitor.models import User
from detente.monitor.schemas import UserIn
from detente.web import create_app
from detente.web.app import content_security_policy
from tests.monitor_support import PASSWORD, World

SCRIPT = "<script>alert(1)</script>"


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
    assert r.headers["location"] == "/incidents"
    return _csrf(c.get("/incidents").text)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_pages_roles_csrf_and_escaping(app_url: tuple[str, World]) -> None:
    db_url, w = app_url
    with _client(db_url) as c:
        assert c.get("/incidents", follow_redirects=False).headers["location"] == "/login"
        assert c.get("/", follow_redirects=False).headers["location"] == "/incidents"
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
        assert c.get("/incidents", follow_redirects=False).headers["location"] == "/login"


def test_content_security_policy_tiles() -> None:
    assert "img-src 'self' data:;" in content_security_policy("")
    assert "https://*.tile.osm.org" in content_security_policy(
        "https://{s}.tile.osm.org/{z}/{x}/{y}.png"
    )
    assert "http://localhost:8080" in content_security_policy(
        "http://localhost:8080/{z}/{x}/{y}.png"
    )
