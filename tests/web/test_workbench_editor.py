"""The scenario editor and its live analysis, in a real headless Chromium.

Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor.db import make_engine
from detente.monitor.models import User
from detente.workbench import library
from tests.monitor_support import PASSWORD, make_world
from tests.web.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RUSSIA_SANCTIONS = '.weights[data-party="Russia"] input[data-issue="sanctions_relief"]'


def _scenario(url: str) -> int:
    """A world of users and ceasefire-2025 in the library; the scenario's id."""
    eng = make_engine(url)
    world = make_world(sessionmaker(eng, expire_on_commit=False))
    with Session(eng, expire_on_commit=False) as s, s.begin():
        admin = s.get(User, world.users["admin"])
        assert admin is not None
        stored = library.create_scenario(s, admin, builtin="ceasefire-2025")
    eng.dispose()
    return stored.id


def _login(page: Any, base: str, who: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", who)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _open(page: Any, base: str, scenario_id: int) -> None:
    page.goto(f"{base}/workbench/scenarios/{scenario_id}")
    page.wait_for_selector("#plot .main-svg")


def _weights(page: Any, party: str) -> dict[str, float]:
    values: dict[str, float] = page.eval_on_selector_all(
        f'.weights[data-party="{party}"] input[type=range]',
        "els => Object.fromEntries(els.map(e => [e.dataset.issue, Number(e.value)]))",
    )
    return values


def _nash(page: Any) -> str:
    text: str = page.locator("#nash-deal").inner_text()
    return text


def _move(page: Any, selector: str, value: float) -> None:
    """Set a slider as a person would, then wait for the plot drawn for that edit."""
    page.evaluate(
        """([selector, value]) => new Promise((done) => {
            const root = document.getElementById("editor");
            const input = document.querySelector(selector);
            root.addEventListener("live:updated", () => done(), { once: true });
            input.value = String(value);
            input.dispatchEvent(new Event("input", { bubbles: true }));
        })""",
        [selector, value],
    )


def test_sliders_keep_their_sum_and_the_nash_deal_follows_russias_weight(
    live_server: tuple[str, str], browser: Any
) -> None:
    base, url = live_server
    scenario_id = _scenario(url)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, base, "analyst")
    _open(page, base, scenario_id)
    assert "ZOPA: 1,136 deals" in page.locator("#zopa").inner_text()
    before = _weights(page, "Russia")
    total = sum(before.values())
    nash_before = _nash(page)
    page.screenshot(path=str(ARTIFACTS / "workbench-editor.png"), full_page=False)

    _move(page, RUSSIA_SANCTIONS, 0.6)
    after = _weights(page, "Russia")
    assert after["sanctions_relief"] == pytest.approx(0.6, abs=1e-3)
    assert sum(after.values()) == pytest.approx(total, abs=1e-3)
    rest_before = total - before["sanctions_relief"]
    for issue, weight in after.items():  # the others shrink in proportion
        if issue != "sanctions_relief":
            assert weight == pytest.approx(before[issue] * (total - 0.6) / rest_before, abs=2e-3)
    assert _nash(page) != nash_before
    page.screenshot(path=str(ARTIFACTS / "workbench-editor-moved.png"), full_page=False)

    page.wait_for_selector("#recommended-deal", timeout=60_000)
    assert "holds at one year in" in page.locator("#recommended-deal").inner_text()
    assert errors == []


def test_a_field_error_is_shown_at_the_field_in_the_clis_words(
    live_server: tuple[str, str], browser: Any
) -> None:
    base, url = live_server
    scenario_id = _scenario(url)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    _login(page, base, "analyst")
    _open(page, base, scenario_id)
    field = page.locator('input[data-path="parties.0.reservation_value"]')
    field.fill("1.5")
    page.wait_for_selector("#errors:not([hidden])")
    assert field.get_attribute("aria-invalid") == "true"
    note = page.locator(".field-error.at-field").first.inner_text()
    assert note == "Input should be less than or equal to 1"
    assert "parties.0.reservation_value: Input should be less than or equal to 1" in (
        page.locator("#error-list").inner_text()
    )
    page.screenshot(path=str(ARTIFACTS / "workbench-editor-error.png"), full_page=False)
    field.fill("0.6")
    page.wait_for_selector("#errors", state="hidden")
    assert field.get_attribute("aria-invalid") is None
