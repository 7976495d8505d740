"""Rehearse, durability, forecast, briefing and put into force in a real headless Chromium.

Screenshots in tests/artifacts/ (runs-*.png).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker

from detente.monitor.db import make_engine
from tests.monitor_support import make_world
from tests.web.conftest import ARTIFACTS
from tests.web.test_browser import _login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _create(page: Any, base: str) -> str:
    page.goto(f"{base}/workbench/")
    page.get_by_label("Start from").select_option("ceasefire-2025")
    page.get_by_role("button", name="Create").click()
    page.wait_for_selector("p.notice")
    return f"{base}/workbench/scenarios/1"


def _done(page: Any, kind: str) -> None:
    page.wait_for_selector(f'[data-result="{kind}"]:not([hidden])', timeout=120_000)


def _plotted(page: Any, plot: str) -> bool:
    return bool(page.evaluate(f"() => !!document.querySelector('#{plot} .main-svg')"))


def test_runs_from_the_page(live_server: tuple[str, str], browser: Any) -> None:
    base, url = live_server
    eng = make_engine(url)
    make_world(sessionmaker(eng, expire_on_commit=False))
    eng.dispose()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _login(page, base, "analyst")
    scenario = _create(page, base)

    # rehearsal: a strategy per party, by keyboard
    page.goto(f"{scenario}/rehearse")
    page.get_by_label("Russia (belligerent)").select_option("conceder")
    deadline = page.get_by_label("Deadline (rounds)")
    deadline.fill("60")
    deadline.press("Enter")  # submits the form
    _done(page, "rehearsal")
    summary = page.inner_text('[data-result="rehearsal"] .summary')
    assert "round(s)" in summary
    assert "conceder" in page.inner_text("table.payoffs")
    if _plotted(page, "rehearsal-plot"):
        assert page.locator("#rehearsal-plot .scatterlayer .trace").count() == 4
    page.screenshot(path=str(ARTIFACTS / "runs-1-rehearsal.png"), full_page=True)

    # durability: two oversight options side by side, the same random numbers
    page.goto(f"{scenario}/durability")
    page.get_by_label("Option to change").select_option("oversight=hotline")
    page.get_by_label("Paths", exact=True).fill("2000")
    page.get_by_role("button", name="Run", exact=True).click()
    _done(page, "durability")
    table = page.inner_text('[data-result="durability"] .side-by-side')
    assert "Oversight of the frontline: a bilateral military hotline" in table
    assert "Causes of collapse" in table
    if _plotted(page, "durability-plot"):
        assert page.locator("#durability-plot .scatterlayer .trace").count() == 6
    page.screenshot(path=str(ARTIFACTS / "runs-2-durability.png"), full_page=True)

    # a long run shows its progress and stops when cancelled
    page.get_by_label("Option to change").select_option("")
    page.get_by_label("compare what each other mechanism").check()
    page.get_by_label("Paths", exact=True).fill("200000")
    page.get_by_label("Days", exact=True).fill("1500")
    page.get_by_role("button", name="Run", exact=True).click()
    cancel = page.get_by_role("button", name="Cancel")
    cancel.wait_for()
    page.wait_for_function(
        "() => document.querySelector('[data-job=durability] progress').value > 0",
        timeout=120_000,
    )
    page.screenshot(path=str(ARTIFACTS / "runs-3-progress.png"), full_page=True)
    cancel.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('[data-job=durability] .job-message').textContent"
        " === 'Cancelled.'",
        timeout=120_000,
    )

    # forecast: positions over the iterations
    page.goto(f"{scenario}/forecast")
    page.get_by_label("Model").select_option("bdm")
    page.get_by_role("button", name="Run the forecast").click()
    _done(page, "forecast")
    assert "bdm" in page.inner_text('[data-result="forecast"] .summary')
    page.get_by_label("Issue shown").select_option("oversight")
    if _plotted(page, "forecast-plot"):
        assert page.locator("#forecast-plot .scatterlayer .trace").count() == 4
    page.screenshot(path=str(ARTIFACTS / "runs-4-forecast.png"), full_page=True)

    # an analyst exports the briefing; only an admin puts a deal into force
    page.goto(f"{scenario}/brief")
    assert page.get_by_role("button", name="Put into force").is_disabled()
    page.get_by_label("Paths", exact=True).fill("300")
    page.get_by_role("button", name="Export the briefing (HTML and PDF)").click()
    _done(page, "briefing")
    links = page.locator('[data-result="briefing"] a')
    assert links.count() == 2
    with page.expect_download() as download:
        links.nth(1).click()
    assert download.value.suggested_filename == "briefing-ceasefire-2025.pdf"
    assert errors == [], errors
    context.close()


def test_put_into_force_from_the_page(live_server: tuple[str, str], browser: Any) -> None:
    base, url = live_server
    eng = make_engine(url)
    make_world(sessionmaker(eng, expire_on_commit=False))
    eng.dispose()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _login(page, base, "admin")
    scenario = _create(page, base)
    page.goto(f"{scenario}/brief")
    form = page.locator("form.force")
    form.get_by_label("Name of the agreement").fill("March 2025 ceasefire")
    form.get_by_label("Signed on").fill("2026-03-01")
    form.get_by_role("button", name="Put into force").click()
    notice = page.locator('[data-result="force"]')
    notice.wait_for()
    assert "is in force with 9 clauses" in notice.inner_text()
    page.screenshot(path=str(ARTIFACTS / "runs-5-put-into-force.png"), full_page=True)
    page.get_by_role("link", name="See it in the Monitor").click()
    page.wait_for_url("**/incidents?agreement_id=*")
    page.get_by_role("link", name="its durability").count()
    page.goto(f"{base}/workbench/agreements/2/durability")
    page.wait_for_selector("h1:has-text('Will agreement 2 hold?')")
    assert "Russia" in page.inner_text("table.list")
    page.screenshot(path=str(ARTIFACTS / "runs-6-agreement-durability.png"), full_page=True)
    context.close()
