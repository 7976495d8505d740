"""A person's path through the site in a real headless Chromium; screenshots in tests/artifacts/."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor.db import make_engine
from detente.monitor.enums import Confidence, IncidentType, State
from detente.monitor.models import Incident
from tests.monitor_support import PASSWORD, World, make_world
from tests.web.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _login(page: Any, base: str, who: str) -> None:
    """Sign in from the incident list's address: the login page brings the browser back there."""
    page.goto(f"{base}/incidents")
    page.fill("input[name=username]", who)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/incidents")


def _logout(page: Any) -> None:
    page.click("form.logout button")
    page.wait_for_selector("input[name=username]")


def _act(page: Any, action: str, reason: str) -> None:
    form = page.locator(f"form.action:has(input[name=action][value={action}])")
    form.locator("input[name=reason]").fill(reason)
    form.locator("button").click()
    page.wait_for_load_state()


def _bulk(url: str, world: World, n: int) -> None:
    """Insert ``n`` reported incidents on 1 February in one statement."""
    eng = make_engine(url)
    rows = [
        {
            "agreement_id": world.agreement_id,
            "occurred_at": dt.datetime(2026, 2, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=i),
            "reported_at": dt.datetime(2026, 2, 1, 12, tzinfo=dt.UTC),
            "type": IncidentType.SMALL_ARMS_FIRE,
            "sector_id": world.sector_ids[i % 2],
            "longitude": 20.05 + 0.003 * i,
            "latitude": 45.2 - 0.5 * (i % 2),
            "reporter_id": world.users["monitor"],
            "sources": "",
            "confidence": Confidence.MEDIUM,
            "description": f"Bursts of fire, report {i}",
            "state": State.REPORTED,
        }
        for i in range(n)
    ]
    with Session(eng) as s, s.begin():
        s.execute(insert(Incident), rows)
    eng.dispose()


def test_file_an_incident_and_follow_it_through(live_server: tuple[str, str], browser: Any) -> None:
    base, url = live_server
    eng = make_engine(url)
    world = make_world(sessionmaker(eng, expire_on_commit=False))
    eng.dispose()
    dialogs: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    # Wrong password: refused with a message.
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "monitor")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert "wrong username or password" in page.inner_text(".error")

    _login(page, base, "monitor")
    page.click("text=New incident")
    page.fill("input[name=occurred_at]", "2026-03-01T10:30")
    page.select_option("select[name=type]", "drone_strike")
    page.select_option("select[name=sector_id]", label="North")
    page.fill("input[name=latitude]", "45.1")
    page.fill("input[name=longitude]", "20.4")
    page.select_option("select[name=confidence]", "high")
    page.fill("input[name=sources]", "patrol 7")
    page.check("input[name=clause_ids][value='1']")
    page.fill("textarea[name=description]", SCRIPT)
    page.screenshot(path=str(ARTIFACTS / "01-new-incident.png"), full_page=True)
    page.click("button:has-text('Report incident')")
    page.wait_for_selector("h1:has-text('Incident')")
    incident_url = page.url
    assert page.inner_text("p.description") == SCRIPT  # shown as text, not run
    assert "1. No firing." in page.inner_text("#clauses")
    form = page.locator("form.action:has(input[name=action][value=start_verification])")
    assert form.count() == 1
    _act(page, "start_verification", "patrol sent")
    _act(page, "verify", "crater analysis")
    form = page.locator("form.action:has(input[name=action][value=attribute])")
    form.locator("select[name=party_id]").select_option(label="Red")
    form.locator("select[name=confidence]").select_option("high")
    _act(page, "attribute", "direction of fire")
    _act(page, "raise", "raised at the commission")
    page.fill("textarea[name=body]", "internal: source is a local official")
    page.click("button:has-text('Add note')")
    page.wait_for_load_state()
    assert "raised" in page.inner_text("h1 .state")
    page.screenshot(path=str(ARTIFACTS / "02-incident-raised.png"), full_page=True)
    _logout(page)

    # The liaison of the other party does not see it; the liaison of Red answers it.
    _login(page, base, "liaison_blue")
    assert "No incidents match" in page.inner_text("table.list")
    page.goto(incident_url)
    assert page.locator("h1").inner_text() == "404"
    page.goto(f"{base}/incidents")
    _logout(page)
    _login(page, base, "liaison_red")
    page.goto(incident_url)
    assert "internal: source" not in page.content()
    assert page.locator("text=Internal notes").count() == 0
    _act(page, "answer", "unit instructed to comply")
    assert "answered" in page.inner_text("h1 .state")
    page.screenshot(path=str(ARTIFACTS / "03-liaison-answered.png"), full_page=True)
    _logout(page)

    _login(page, base, "monitor")
    page.goto(incident_url)
    _act(page, "resolve", "answer accepted")
    assert "resolved" in page.inner_text("h1 .state")
    timeline = page.inner_text("ol.timeline")
    for step in (
        "report",
        "start verification",
        "verify",
        "attribute",
        "raise",
        "answer",
        "resolve",
    ):
        assert step in timeline

    # The list, with a filter.
    page.goto(f"{base}/incidents")
    page.select_option("select[name=state]", "resolved")
    page.click("button:has-text('Filter')")
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 1
    assert "drone strike" in rows.first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "04-list.png"), full_page=True)

    # Many incidents: 50 to a page, with links to the next and previous pages.
    _bulk(url, world, 120)
    page.goto(f"{base}/incidents")
    assert page.inner_text("#count").startswith("Incidents 1\u201350 of 121")
    assert page.locator("table.list tbody tr").count() == 50
    page.click("a[rel=next]")
    page.wait_for_url("**/incidents?page=2")
    assert "51\u2013100 of 121" in page.inner_text("#count")
    page.screenshot(path=str(ARTIFACTS / "04b-list-page-2.png"), full_page=True)
    page.click("a[rel=prev]")
    page.wait_for_url("**/incidents?page=1")

    # The map: sectors and the incident drawn by the vendored Leaflet, no outside requests.
    page.goto(f"{base}/map")
    page.wait_for_selector("#map[data-ready='121']")
    # Two sectors and every incident (more than a page of them).
    assert page.locator("path.leaflet-interactive").count() == 2 + 121
    page.screenshot(path=str(ARTIFACTS / "05-map.png"), full_page=True)

    # The report for the day of the incident.
    page.goto(f"{base}/report?date=2026-03-01")
    assert page.inner_text("#count") == "1"  # the bulk incidents are on 1 February
    assert page.locator("svg.chart").count() == 2
    assert "drone strike" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "06-report.png"), full_page=True)

    assert dialogs == []
    assert all(r.startswith(base) for r in requests), [
        r for r in requests if not r.startswith(base)
    ]
    context.close()
