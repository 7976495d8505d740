"""Through a real server process: login throttling and the revocation of sessions and tokens."""

from __future__ import annotations

import re
import statistics
import threading
import time

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor.audit import verify_chain
from detente.monitor.models import AuditEntry
from tests.monitor.test_server import server
from tests.monitor_support import PASSWORD, World, _free_port, make_world

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]


def _token(c: httpx.Client, who: str, password: str = PASSWORD) -> str:
    r = c.post("/api/token", json={"username": who, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _browser_login(base: str, who: str) -> httpx.Client:
    browser = httpx.Client(base_url=base, follow_redirects=False)
    page = browser.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    r = browser.post("/login", data={"csrf": csrf.group(1), "username": who, "password": PASSWORD})
    assert r.status_code == 303, r.text
    return browser


def _csrf_of(browser: httpx.Client) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', browser.get("/incidents").text)
    assert found
    return found.group(1)


def test_revocation_and_throttling_through_the_server(
    db_url: str, factory: sessionmaker[Session]
) -> None:
    world: World = make_world(factory)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with server(db_url, port), httpx.Client(base_url=base, timeout=30) as c:
        admin = _token(c, "admin")
        users = world.users

        # A browser cookie saved before logout no longer reads or writes anything.
        browser = _browser_login(base, "monitor")
        saved = dict(browser.cookies)
        csrf = _csrf_of(browser)
        assert browser.post("/logout", data={"csrf": csrf}).status_code == 303
        with httpx.Client(base_url=base, cookies=saved, follow_redirects=False) as replay:
            assert replay.get("/incidents").status_code == 303  # back to the login page
            r = replay.post(f"/incidents/{1}/notes", data={"csrf": csrf, "body": "after logout"})
            assert r.status_code in {303, 403}
            assert "after logout" not in replay.get("/incidents/1").text
        browser.close()

        # A token issued before deactivation stays dead after reactivation.
        analyst = _token(c, "analyst")
        assert c.get("/api/me", headers=_bearer(analyst)).status_code == 200
        path = f"/api/users/{users['analyst']}"
        assert c.patch(path, json={"active": False}, headers=_bearer(admin)).status_code == 200
        assert c.patch(path, json={"active": True}, headers=_bearer(admin)).status_code == 200
        assert c.get("/api/me", headers=_bearer(analyst)).status_code == 401
        assert c.post("/api/logout", headers=_bearer(_token(c, "analyst"))).status_code == 204

        # Sign out everywhere, and a password change, end every session.
        tokens = [_token(c, "liaison_red") for _ in range(2)]
        r = c.post(f"/api/users/{users['liaison_red']}/sign-out", headers=_bearer(admin))
        assert r.json() == {"sessions_ended": 2}
        assert all(c.get("/api/me", headers=_bearer(t)).status_code == 401 for t in tokens)
        old = _token(c, "liaison_blue")
        body = {"current_password": PASSWORD, "new_password": "quiet river lantern"}
        assert c.post("/api/me/password", json=body, headers=_bearer(old)).status_code == 200
        assert c.get("/api/me", headers=_bearer(old)).status_code == 401
        _token(c, "liaison_blue", "quiet river lantern")

        # Guessing an account's password locks it; the right one is then refused too.
        for _ in range(5):
            r = c.post("/api/token", json={"username": "analyst", "password": "guess"})
            assert r.status_code == 401
        r = c.post("/api/token", json={"username": "analyst", "password": PASSWORD})
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) >= 1
        r = c.post(f"/api/users/{users['analyst']}/unlock", headers=_bearer(admin))
        assert r.status_code == 204
        analyst = _token(c, "analyst")

        # Threads guessing a name that does not exist do not slow anyone else down.
        stop = threading.Event()
        statuses: list[int] = []

        def guess() -> None:
            with httpx.Client(base_url=base, timeout=30) as g:
                while not stop.is_set():
                    body = {"username": "nobody", "password": "guess"}
                    statuses.append(g.post("/api/token", json=body).status_code)

        guessers = [threading.Thread(target=guess) for _ in range(6)]
        for t in guessers:
            t.start()
        latencies = []
        try:
            for _ in range(20):
                start = time.perf_counter()
                assert c.get("/api/me", headers=_bearer(analyst)).status_code == 200
                latencies.append(time.perf_counter() - start)
                time.sleep(0.05)
        finally:
            stop.set()
            for t in guessers:
                t.join(30)
    assert set(statuses) <= {401, 429}  # never a 500 or a dropped connection
    assert 429 in statuses
    # Attempts already past the lock check when the lock is set may still be checked: at most
    # one per concurrent guesser beyond the five that lock the account.
    assert statuses.count(401) <= 5 + len(guessers)
    assert statistics.median(latencies) < 0.2
    assert max(latencies) < 2.0
    with factory() as s:
        locks = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "auth.lock")))
        assert {"user:analyst", "user:nobody"} <= {
            e.payload.split('"key":"')[1].split('"')[0] for e in locks
        }
        assert verify_chain(s).ok
