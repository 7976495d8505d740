"""The analyst's whole journey in a real headless Chromium, from a built-in scenario to the
agreement the Monitor watches: the issue's "Done when", step by step.

Screenshots of every step go to tests/artifacts/journey-*.png.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml
from sqlalchemy.orm import sessionmaker

from detente.monitor.db import make_engine
from detente.scenario.io import builtin_path
from detente.workbench.live import live_analysis
from tests.monitor_support import make_world
from tests.web.conftest import ARTIFACTS
from tests.web.test_browser import _login, _logout

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Russia's weight on sanctions relief after the analyst moves its slider (0.15 before).
RELIEF_WEIGHT = 0.4


def _shot(page: Any, step: int, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"journey-{step}-{name}.png"), full_page=True)


def _document() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(builtin_path("ceasefire-2025").read_text())
    return data


def _with_relief_weight(document: dict[str, Any], weight: float) -> dict[str, Any]:
    """Russia's weights with sanctions relief at ``weight``, the others scaled to keep the sum.

    What the editor's slider does; computed here without the page, to know what it must show.
    """
    moved = copy.deepcopy(document)
    russia = next(p for p in moved["parties"] if p["name"] == "Russia")
    issues = russia["preferences"]["issues"]
    others = [n for n in issues if n != "sanctions_relief"]
    rest = sum(issues[n]["weight"] for n in others)
    for n in others:
        issues[n]["weight"] = issues[n]["weight"] * (1 - weight) / rest
    issues["sanctions_relief"]["weight"] = weight
    return moved


def _shown(document: dict[str, Any], issue: str, option: str) -> str:
    """How the live panel names an issue's option: "issue label: option label"."""
    found = next(i for i in document["issues"] if i["name"] == issue)
    chosen = next(o for o in found["options"] if o["name"] == option)
    return f"{found['label']}: {chosen['label']}"


def _done(page: Any, kind: str) -> None:
    page.wait_for_selector(f'[data-result="{kind}"]:not([hidden])', timeout=180_000)


def test_from_a_built_in_scenario_to_an_agreement_in_force(
    live_server: tuple[str, str], browser: Any
) -> None:
    base, url = live_server
    eng = make_engine(url)
    make_world(sessionmaker(eng, expire_on_commit=False))  # one user per role
    eng.dispose()
    document = _document()
    before = live_analysis(document).to_dict()["solutions"]["nash"]["deal"]
    after = live_analysis(_with_relief_weight(document, RELIEF_WEIGHT)).to_dict()
    after_deal = after["solutions"]["nash"]["deal"]
    assert before["sanctions_relief"] != after_deal["sanctions_relief"]  # the step shows a change

    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    # 1. Sign in, as an analyst, and go to the Workbench.
    _login(page, base, "analyst")
    page.click("nav.areas >> text=Workbench")
    page.wait_for_selector("h1:has-text('Scenario library')")

    # 2. Create a scenario from ceasefire-2025.
    page.get_by_label("Start from").select_option("ceasefire-2025")
    page.get_by_role("button", name="Create").click()
    page.wait_for_selector("p.notice")
    assert "Created scenario 1, 'ceasefire-2025' (version 1)." in page.inner_text("p.notice")
    _shot(page, 1, "library")

    # 3. Open it in the editor; the live analysis shows the Nash deal.
    scenario = f"{base}/workbench/scenarios/1"
    page.goto(scenario)
    nash = page.locator("#nash-deal")
    nash.wait_for(timeout=60_000)
    relief_before = _shown(document, "sanctions_relief", before["sanctions_relief"])
    relief_after = _shown(document, "sanctions_relief", after_deal["sanctions_relief"])
    assert relief_before in nash.inner_text()
    _shot(page, 2, "editor")

    # 4. Move Russia's weight on sanctions relief; the Nash deal changes with it.
    slider = page.locator(
        'fieldset.weights[data-party="Russia"] input[type=range][data-issue="sanctions_relief"]'
    )
    slider.focus()
    slider.evaluate(
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true}));"
        " el.dispatchEvent(new Event('change', {bubbles: true})); }",
        str(RELIEF_WEIGHT),
    )
    page.wait_for_function(
        "(want) => (document.querySelector('#nash-deal') || {}).textContent?.includes(want)",
        arg=relief_after,
        timeout=60_000,
    )
    assert relief_after in nash.inner_text()
    page.get_by_label("Message").fill("Russia: more weight on sanctions relief")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("#status:has-text('version 2')", timeout=60_000)
    _shot(page, 3, "weight-moved")

    # 5. Rehearse the talks with every party seated.
    page.goto(f"{scenario}/rehearse")
    page.get_by_label("Russia (belligerent)").select_option("conceder")
    page.get_by_role("button", name="Run the rehearsal").click()
    _done(page, "rehearsal")
    assert "round(s)" in page.inner_text('[data-result="rehearsal"] .summary')
    _shot(page, 4, "rehearsal")

    # 6. Compare two oversight options: the same deal, the same random numbers.
    page.goto(f"{scenario}/durability")
    page.get_by_label("Option to change").select_option("oversight=hotline")
    page.get_by_label("Paths", exact=True).fill("2000")
    page.get_by_role("button", name="Run", exact=True).click()
    _done(page, "durability")
    table = page.inner_text('[data-result="durability"] .side-by-side')
    assert "Oversight of the frontline" in table
    _shot(page, 5, "oversight-compared")

    # 7. Export the briefing as PDF.
    page.goto(f"{scenario}/brief")
    page.get_by_label("Paths", exact=True).fill("300")
    page.get_by_role("button", name="Export the briefing (HTML and PDF)").click()
    _done(page, "briefing")
    with page.expect_download() as download:
        page.locator('[data-result="briefing"] a', has_text="PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    pdf = download.value.path()
    assert pdf is not None
    assert pdf.read_bytes().startswith(b"%PDF")
    _shot(page, 6, "briefing")

    # 8. An admin puts the deal into force.
    _logout(page)
    _login(page, base, "admin")
    page.goto(f"{scenario}/brief")
    form = page.locator("form.force")
    form.get_by_label("Name of the agreement").fill("Ceasefire of the journey")
    form.get_by_label("Signed on").fill("2026-03-01")
    form.get_by_role("button", name="Put into force").click()
    notice = page.locator('[data-result="force"]')
    notice.wait_for(timeout=60_000)
    assert "is in force" in notice.inner_text()
    _shot(page, 7, "in-force")

    # 9. The agreement in the Monitor area.
    page.get_by_role("link", name="See it in the Monitor").click()
    page.wait_for_url("**/incidents?agreement_id=*")
    assert "Ceasefire of the journey" in page.inner_text("h1")
    assert page.locator("nav.areas a[aria-current=page]").inner_text() == "Monitor"
    _shot(page, 8, "monitor")

    # 10. Its sectors on the Monitor's map (the scenario's illustrative line of contact).
    agreement = page.url.rsplit("agreement_id=", 1)[1].split("&")[0]
    page.goto(f"{base}/map?agreement_id={agreement}")
    data = json.loads(page.inner_text("#map-data"))
    assert data["sectors"]  # the line of contact, split into sectors
    page.wait_for_selector("#map path", timeout=30_000)
    _shot(page, 9, "map")
    assert errors == []
    context.close()
