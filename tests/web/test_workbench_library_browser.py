"""The scenario library in a real headless Chromium; screenshots in tests/artifacts/."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker

from detente.monitor.db import make_engine
from tests.monitor_support import make_world
from tests.web.conftest import ARTIFACTS
from tests.web.test_browser import _login, _logout

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CLEAN = Path(__file__).parents[1] / "data" / "genius" / "clean"

SAVE = """async ([id, csrf]) => {
  const base = `/api/workbench/scenarios/${id}`;
  const current = await (await fetch(base)).json();
  const doc = structuredClone(current.document);
  doc.parties[0].preferences.issues.sanctions_relief.weight = 0.3;
  const send = (version) => fetch(base, {
    method: "PUT",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
    body: JSON.stringify({document: doc, base_version: version, message: "Russia: more on relief"}),
  });
  const first = await send(current.version);
  const stale = await send(current.version);
  return [first.status, stale.status, await stale.json()];
}"""


def test_library_create_import_version_compare(
    live_server: tuple[str, str], browser: Any, tmp_path: Path
) -> None:
    base, url = live_server
    eng = make_engine(url)
    make_world(sessionmaker(eng, expire_on_commit=False))
    eng.dispose()
    upload = tmp_path / "talks.zip"
    with zipfile.ZipFile(upload, "w") as archive:
        for p in CLEAN.iterdir():
            archive.write(p, f"talks/{p.name}")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    _login(page, base, "analyst")
    page.click("nav.areas >> text=Workbench")
    page.wait_for_selector("h1:has-text('Scenario library')")
    assert "The library is empty" in page.inner_text("table.list")

    page.get_by_label("Start from").select_option("ceasefire-2025")
    page.get_by_role("button", name="Create").click()
    page.wait_for_selector("p.notice")
    assert "Created scenario 1, 'ceasefire-2025' (version 1)." in page.inner_text("p.notice")

    page.get_by_label("File (native").set_input_files(str(upload))
    page.locator("form[action='/workbench/scenarios/import'] button").click()
    page.wait_for_selector("p.notice")
    assert "Imported 'talks' as scenario 2 (genius)." in page.inner_text("p.notice")
    page.screenshot(path=str(ARTIFACTS / "library-01-list.png"), full_page=True)

    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    first, stale, conflict = page.evaluate(SAVE, [1, csrf])
    assert (first, stale) == (200, 409)
    assert (conflict["current_version"], conflict["saved_by"]) == (2, "analyst")

    page.get_by_role("button", name="Delete talks").click()
    page.wait_for_selector("text=Deleted scenario 2")
    assert dialogs == ["Delete scenario 2, talks? It leaves the library (its versions are kept)."]

    page.click("text=History")
    page.wait_for_selector("h1:has-text('History')")
    assert page.get_by_label("compare from version 1").is_checked()
    assert page.get_by_label("compare to version 2").is_checked()
    page.screenshot(path=str(ARTIFACTS / "library-02-history.png"), full_page=True)
    page.get_by_role("button", name="Compare").click()
    page.wait_for_selector("h1:has-text('version 1 → 2')")
    assert page.inner_text("table.diff tbody").startswith(
        "weight of issue 'sanctions_relief' for Russia: 0.15 -> 0.3"
    )
    page.screenshot(path=str(ARTIFACTS / "library-03-diff.png"), full_page=True)

    with page.expect_download() as download:
        page.goto(f"{base}/workbench/scenarios/1/history")
        page.get_by_label("export version 1 as genius", exact=True).click()
    data = Path(download.value.path()).read_bytes()
    assert all(n.endswith(".xml") for n in zipfile.ZipFile(io.BytesIO(data)).namelist())
    _logout(page)

    _login(page, base, "liaison_red")
    assert page.locator("nav.areas >> text=Workbench").count() == 0
    page.goto(f"{base}/workbench/")
    assert page.locator("h1").inner_text() == "403"
    context.close()
