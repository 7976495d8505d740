"""The Workbench and Monitor pages on a laptop and a tablet, in a real headless Chromium.

Every page fits the screen's width (nothing to scroll sideways), and every control a person
can reach by keyboard has a name a screen reader announces (a label, ``aria-label`` or
``title``; a button its text). Screenshots go to tests/artifacts/screen-*.png.
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

SCREENS = {"laptop": (1366, 768), "tablet": (768, 1024)}

#: Each control's accessible name as a screen reader computes it, for the common cases.
_UNNAMED = """
() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter((el) => el.type !== 'hidden' && el.offsetParent !== null)
  .filter((el) => {
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label')
      || el.getAttribute('aria-labelledby') || el.getAttribute('title')
      || (el.tagName === 'BUTTON' && el.textContent.trim())
      || (el.type === 'submit' && el.value);
    return !named;
  })
  .map((el) => el.outerHTML.slice(0, 120))
"""


def _pages(scenario: int) -> list[str]:
    return [
        "/workbench/",
        f"/workbench/scenarios/{scenario}",
        f"/workbench/scenarios/{scenario}/rehearse",
        f"/workbench/scenarios/{scenario}/durability",
        f"/workbench/scenarios/{scenario}/forecast",
        f"/workbench/scenarios/{scenario}/brief",
        "/incidents",
        "/incidents/new",
        "/map",
    ]


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_pages_fit_the_screen_and_name_every_control(
    live_server: tuple[str, str], browser: Any, screen: str
) -> None:
    base, url = live_server
    eng = make_engine(url)
    make_world(sessionmaker(eng, expire_on_commit=False))
    eng.dispose()
    width, height = SCREENS[screen]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    _login(page, base, "analyst")
    page.goto(f"{base}/workbench/")
    page.get_by_label("Start from").select_option("ceasefire-2025")
    page.get_by_role("button", name="Create").click()
    page.wait_for_selector("p.notice")
    for k, path in enumerate(_pages(1)):
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{path} scrolls sideways by {overflow} px on a {screen}"
        assert page.evaluate(_UNNAMED) == [], path
        page.screenshot(path=str(ARTIFACTS / f"screen-{screen}-{k}.png"), full_page=False)
    # the checks see what they look for: a bare field and a too-wide block are each found
    page.evaluate(
        "() => { const el = document.createElement('input'); el.type = 'text';"
        " el.style.width = '3000px'; document.body.append(el); }"
    )
    assert len(page.evaluate(_UNNAMED)) == 1
    assert page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    context.close()
