"""Duplicate reports on the incident page: through the ASGI app, and in headless Chromium."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor import audit, duplicates, service
from detente.monitor.db import MonitorSettings, make_engine
from detente.monitor.duplicates import DuplicatePolicy
from detente.monitor.enums import Action, Confidence, IncidentType
from detente.monitor.models import User
from detente.monitor.schemas import IncidentIn, TransitionIn
from detente.web import create_app
from tests.monitor_support import PASSWORD, World, make_world
from tests.web.conftest import ARTIFACTS

T0 = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)
SCRIPT = "<script>alert(1)</script>"


def _reports(factory: sessionmaker[Session], world: World) -> list[int]:
    """Three reports of one shelling (two monitors) and one far away; the first by 'admin'."""
    ids = []
    with factory() as s, s.begin():
        for who, minutes, lat, text in (
            ("admin", 0, 45.2, "impacts near the bridge"),
            ("monitor", 15, 45.203, SCRIPT),
            ("monitor", -10, 45.199, "heard from the post"),
            ("monitor", 5, 45.4, "another village"),
        ):
            user = s.get(User, world.users[who])
            assert user is not None
            body = IncidentIn(
                agreement_id=world.agreement_id,
                occurred_at=T0 + dt.timedelta(minutes=minutes),
                type=IncidentType.SHELLING,
                sector_id=world.sector_ids[0],
                latitude=lat,
                longitude=20.2,
                description=text,
            )
            ids.append(service.create_incident(s, user, body).id)
    return ids


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _login(c: TestClient, who: str) -> str:
    token = _csrf(c.get("/login").text)
    r = c.post("/login", data={"csrf": token, "username": who, "password": PASSWORD})
    assert r.status_code == 200
    return _csrf(r.text)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_incident_page_proposes_merges_and_dismisses(
    db_url: str, world: World, factory: sessionmaker[Session]
) -> None:
    a, b, c, far = _reports(factory, world)
    settings = MonitorSettings(
        db_url=db_url,
        secret_key="k",
        duplicates=DuplicatePolicy(distance_m=1000, window=dt.timedelta(minutes=30)),
    )
    with TestClient(create_app(settings)) as client:
        csrf = _login(client, "analyst")
        page = client.get(f"/incidents/{a}").text
        assert "within 1,000 m and 30 minutes" in page
        rows = re.findall(r'<tr data-incident="(\d+)">', page)
        assert rows == [str(c), str(b)]  # 111 m, then 334 m
        assert str(far) not in rows
        assert "Merge into this incident" not in page  # analysts read, never decide
        r = client.post(
            f"/incidents/{a}/merge", data={"csrf": csrf, "other_id": str(b), "reason": "x"}
        )
        assert r.status_code == 403
        client.post("/logout", data={"csrf": csrf})

        csrf = _login(client, "liaison_red")
        assert client.get(f"/incidents/{a}").status_code == 404
        client.post("/logout", data={"csrf": csrf})

        csrf = _login(client, "monitor")
        page = client.get(f"/incidents/{a}").text
        assert page.count("Merge into this incident") == 2
        form = {"csrf": csrf, "other_id": str(b), "reason": "same barrage"}
        assert client.post(f"/incidents/{a}/merge", data={**form, "csrf": "x"}).status_code == 403
        r = client.post(f"/incidents/{a}/merge", data=form, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, f"/incidents/{a}")
        r = client.post(
            f"/incidents/{a}/dismiss-duplicate",
            data={"csrf": csrf, "other_id": str(c), "reason": "an earlier round"},
        )
        assert r.status_code == 200
        assert re.findall(r'<tr data-incident="(\d+)">', r.text) == []
        assert f'<a href="/incidents/{b}">incident {b}</a> (monitor)' in r.text
        merged = client.get(f"/incidents/{b}").text
        assert f'merged into <a href="/incidents/{a}">incident {a}</a>' in merged
        assert SCRIPT not in merged  # escaped
        assert "Undo the merge" in merged
        missing = client.post(f"/incidents/{b}/unmerge", data={"csrf": csrf, "reason": " "})
        assert missing.status_code == 422
        assert "needs a reason" in missing.text
        r = client.post(f"/incidents/{b}/unmerge", data={"csrf": csrf, "reason": "split"})
        assert r.status_code == 200
        assert "Undo the merge" not in r.text
        again = client.post(f"/incidents/{b}/unmerge", data={"csrf": csrf, "reason": "again"})
        assert again.status_code == 409
        assert "is not merged" in again.text
    with factory() as s:
        assert audit.verify_chain(s).ok


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_incident_page_undoes_a_dismissal(
    db_url: str, world: World, factory: sessionmaker[Session]
) -> None:
    a, b, c, _far = _reports(factory, world)
    with TestClient(create_app(MonitorSettings(db_url=db_url, secret_key="k"))) as client:
        csrf = _login(client, "monitor")
        form = {"csrf": csrf, "other_id": str(c), "reason": f"an earlier round {SCRIPT}"}
        client.post(f"/incidents/{a}/dismiss-duplicate", data=form)
        client.post("/logout", data={"csrf": csrf})

        csrf = _login(client, "analyst")  # sees who judged what, may not undo it
        page = client.get(f"/incidents/{c}").text
        assert re.findall(r'<tr data-dismissed="(\d+)">', page) == [str(a)]
        assert "<td>monitor</td>" in page
        assert "an earlier round &lt;script&gt;" in page
        assert "Undo the dismissal" not in page
        form = {"csrf": csrf, "other_id": str(a), "reason": "x"}
        assert client.post(f"/incidents/{c}/restore-duplicate", data=form).status_code == 403
        client.post("/logout", data={"csrf": csrf})

        csrf = _login(client, "admin")
        page = client.get(f"/incidents/{c}").text
        assert f'aria-label="Reason for undoing the dismissal of incident {a}"' in page
        assert re.findall(r'<tr data-incident="(\d+)">', page) == [str(b)]
        form = {"csrf": csrf, "other_id": str(a), "reason": "one round after all"}
        url = f"/incidents/{c}/restore-duplicate"
        assert client.post(url, data={**form, "csrf": "x"}).status_code == 403
        missing = client.post(url, data={**form, "reason": " "})
        assert (missing.status_code, "needs a reason" in missing.text) == (422, True)
        r = client.post(url, data=form, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, f"/incidents/{c}")
        page = client.get(f"/incidents/{c}").text
        assert sorted(re.findall(r'<tr data-incident="(\d+)">', page)) == sorted([str(a), str(b)])
        assert "data-dismissed" not in page
        assert "restore duplicate" in page  # the timeline: both decisions
        assert "dismiss duplicate" in page
        again = client.post(f"/incidents/{a}/restore-duplicate", data={**form, "other_id": str(c)})
        assert again.status_code == 409
        assert re.search(
            r"was already undone by admin at \d{4}-\d\d-\d\d \d\d:\d\d UTC", again.text
        )
    with factory() as s:
        assert audit.verify_chain(s).ok


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_liaisons_page_shows_no_judgement_on_duplicates(
    db_url: str, world: World, factory: sessionmaker[Session]
) -> None:
    a, b, _c, _far = _reports(factory, world)
    with factory() as s, s.begin():
        monitor = s.get(User, world.users["monitor"])
        assert monitor is not None
        for action, extra in (
            (Action.START_VERIFICATION, {}),
            (Action.VERIFY, {}),
            (Action.ATTRIBUTE, {"party_id": world.party_ids[0], "confidence": Confidence.HIGH}),
            (Action.RAISE, {}),
        ):
            service.transition(s, monitor, a, TransitionIn(action=action, reason="seen", **extra))
        duplicates.dismiss(s, monitor, a, b, "two guns")
    with TestClient(create_app(MonitorSettings(db_url=db_url, secret_key="k"))) as client:
        csrf = _login(client, "monitor")
        assert "dismiss duplicate" in client.get(f"/incidents/{a}").text
        client.post("/logout", data={"csrf": csrf})
        _login(client, "liaison_red")
        page = client.get(f"/incidents/{a}")
        assert page.status_code == 200
        assert "raise" in page.text
        assert "dismiss duplicate" not in page.text
        assert "two guns" not in page.text


@pytest.mark.browser
@pytest.mark.slow
def test_a_monitor_merges_and_dismisses_in_the_browser(
    live_server: tuple[str, str], browser: Any
) -> None:
    base, url = live_server
    eng = make_engine(url)
    factory = sessionmaker(eng, expire_on_commit=False)
    world = make_world(factory)
    a, b, c, _far = _reports(factory, world)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{base}/incidents")  # the login page, which returns there
    page.fill("input[name=username]", "monitor")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/incidents")
    assert page.locator("table.list tbody tr").count() == 4

    page.goto(f"{base}/incidents/{a}")
    rows = page.locator("table.candidates tbody tr")
    assert rows.count() == 2
    assert [rows.nth(i).get_attribute("data-incident") for i in range(2)] == [str(c), str(b)]
    page.screenshot(path=str(ARTIFACTS / "07-duplicates-proposed.png"), full_page=True)
    # Dismiss c, then merge b: each decision with its reason, from the keyboard-usable form.
    row = page.locator(f"tr[data-incident='{c}']")
    row.get_by_label(f"Reason for the decision on incident {c}").fill("an earlier, separate round")
    row.locator("button.dismiss").click()
    page.wait_for_selector(f"tr[data-dismissed='{c}']")
    assert page.locator(f"tr[data-incident='{c}']").count() == 0
    page.screenshot(path=str(ARTIFACTS / "07a-duplicates-dismissed.png"), full_page=True)
    # Undo the dismissal from the keyboard alone: type the reason, Tab to the button, Enter.
    page.get_by_label(f"Reason for undoing the dismissal of incident {c}").focus()
    page.keyboard.type("the same round after all")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Undo the dismissal"
    page.keyboard.press("Enter")
    page.wait_for_selector(f"tr[data-incident='{c}']")
    assert page.locator("table.dismissed").count() == 0
    assert "restore duplicate" in page.inner_text("ol.timeline")
    page.screenshot(path=str(ARTIFACTS / "07b-duplicates-restored.png"), full_page=True)
    # ... and dismiss it again after all.
    row = page.locator(f"tr[data-incident='{c}']")
    row.get_by_label(f"Reason for the decision on incident {c}").fill("an earlier round, checked")
    row.locator("button.dismiss").click()
    page.wait_for_selector(f"tr[data-dismissed='{c}']")
    row = page.locator(f"tr[data-incident='{b}']")
    row.get_by_label(f"Reason for the decision on incident {b}").fill("same barrage, two posts")
    row.locator("button.merge").click()
    page.wait_for_load_state()
    assert page.locator("table.candidates").count() == 0
    assert f"incident {b}" in page.inner_text("p.merged-reports")
    assert "merge" in page.inner_text("ol.timeline")
    page.screenshot(path=str(ARTIFACTS / "08-duplicates-merged.png"), full_page=True)

    # The list counts the event once; the merged report is still there, by its state.
    page.goto(f"{base}/incidents")
    assert page.locator("table.list tbody tr").count() == 3
    page.select_option("select[name=state]", "merged")
    page.click("button:has-text('Filter')")
    assert page.locator("table.list tbody tr").count() == 1
    page.click(f"a[href='/incidents/{b}']")
    page.wait_for_selector("p.merged-into")
    page.get_by_label("Reason for undoing the merge").fill("a second impact after all")
    page.click("button:has-text('Undo the merge')")
    page.wait_for_load_state()
    assert "reported" in page.inner_text("h1 .state")
    assert dialogs == []
    context.close()
    with factory() as s:
        assert audit.verify_chain(s).ok
    eng.dispose()
