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


def _cell(page: Any, solution: str, column: int) -> float:
    """A solution's utility for the party of the table's ``column`` (1 is the first party)."""
    text: str = (
        page.locator(f'#solutions tr[data-solution="{solution}"] td').nth(column - 1).inner_text()
    )
    return float(text.split(maxsplit=1)[0])


def test_the_deals_are_drawn_on_the_canvas_and_a_move_redraws_only_them(
    live_server: tuple[str, str], browser: Any
) -> None:
    """A slider move leaves Plotly's frame alone; other axes redraw it; hovering names a deal."""
    base, url = live_server
    scenario_id = _scenario(url)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, base, "analyst")
    _open(page, base, scenario_id)
    page.wait_for_selector("#plot canvas.deals")
    inked = """() => {
        const c = document.querySelector("#plot canvas.deals");
        const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let k = 3; k < px.length; k += 4) if (px[k] > 0) n++;
        return n;
    }"""
    before = page.evaluate(inked)
    assert before > 2_000  # some 2,000 sampled deals, the frontier and the solutions
    page.evaluate(
        """() => {
            window.__reacts = 0;
            const react = window.Plotly.react;
            window.Plotly.react = (...args) => { window.__reacts += 1; return react(...args); };
        }"""
    )
    _move(page, RUSSIA_SANCTIONS, 0.55)
    assert page.evaluate("window.__reacts") == 0
    assert page.evaluate(inked) > 2_000

    # hovering the Nash deal's mark names it, read off the table's utilities
    x, y = _cell(page, "nash", 1), _cell(page, "nash", 2)  # Russia and Ukraine: the axes
    point = page.evaluate(
        """([x, y]) => {
            const plot = document.getElementById("plot");
            const full = plot._fullLayout;
            const box = plot.getBoundingClientRect();
            const left = box.left + full._size.l + full.xaxis.l2p(x);
            return [left, box.top + full._size.t + full.yaxis.l2p(y)];
        }""",
        [x, y],
    )
    page.mouse.move(point[0], point[1])
    tip = page.locator("#plot .plot-tip")
    tip.wait_for(state="visible")
    assert tip.inner_text().startswith(f"Nash (Russia {x:.3f}, Ukraine {y:.3f}): ")
    page.screenshot(path=str(ARTIFACTS / "workbench-editor-hover.png"), full_page=False)
    page.mouse.move(5, 5)
    tip.wait_for(state="hidden")

    # a zoom (here through Plotly's API, as a drag does) redraws the deals in its ranges
    whole = page.evaluate(inked)
    zoom = """([low, high]) => window.Plotly.relayout(
        "plot", { "xaxis.range": [low, high], "yaxis.range": [low, high] })"""
    page.evaluate(zoom, [0.9, 1.0])
    page.wait_for_function(f"({inked})() < {whole} / 2")
    page.evaluate(zoom, [-0.02, 1.02])
    page.wait_for_function(f"({inked})() > {whole} * 0.9")

    # other axes redraw the frame, and the deals in them
    page.evaluate(
        """() => new Promise((done) => {
            const root = document.getElementById("editor");
            root.addEventListener("live:updated", () => done(), { once: true });
            const select = document.getElementById("axis-y");
            select.value = "United States";
            select.dispatchEvent(new Event("change"));
        })"""
    )
    assert page.evaluate("window.__reacts") == 1
    assert "utility of United States" in (page.locator("#plot .g-ytitle").text_content() or "")
    assert page.evaluate(inked) > 2_000
    assert errors == []
