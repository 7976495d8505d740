"""The scenario library over HTTP: the API's authorisation matrix, conflicts, uploads, pages."""

from __future__ import annotations

import copy
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor.db import MonitorSettings
from detente.monitor.models import AuditEntry
from detente.scenario.formats.native import load_native, native_document
from detente.scenario.io import builtin_path
from detente.web import create_app
from detente.web.pages.workbench import library as library_pages
from detente.workbench.models import ScenarioRecord
from tests.monitor.api_support import ROLES, Api, login_all
from tests.monitor_support import World
from tests.web.test_pages import _login

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
BASE = "/api/workbench/scenarios"
CLEAN = Path(__file__).parents[1] / "data" / "genius" / "clean"
READERS = {"admin", "analyst", "monitor"}
EDITORS = {"admin", "analyst"}
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<negotiation_template><objective name="x">&lol2;</objective></negotiation_template>
"""


@pytest.fixture
def api(db_url: str, world: World) -> Iterator[Api]:
    settings = MonitorSettings(db_url=db_url, secret_key="k", max_body_bytes=200_000)
    app = create_app(settings)
    with TestClient(app) as client:
        yield login_all(client, world)
    app.state.engine.dispose()


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _counts(api: Api) -> tuple[int, int]:
    factory: sessionmaker[Session] = api.client.app.state.sessionmaker  # type: ignore[attr-defined]
    with factory() as s:
        return (
            int(s.scalar(select(func.count(ScenarioRecord.id))) or 0),
            int(s.scalar(select(func.count(AuditEntry.seq))) or 0),
        )


def _create(api: Api, who: str = "analyst", **body: Any) -> dict[str, Any]:
    r = api.post(who, BASE, json=body or {"builtin": "ceasefire-2025"})
    assert r.status_code == 201, r.text
    return dict(r.json())


def _heavier(document: dict[str, Any], weight: float) -> dict[str, Any]:
    out = copy.deepcopy(document)
    out["parties"][0]["preferences"]["issues"]["sanctions_relief"]["weight"] = weight
    return out


def test_authorisation_matrix(api: Api) -> None:
    made = _create(api)
    sid = made["id"]
    upload = {"file": ("c.yaml", yaml.safe_dump(made["document"]).encode(), "application/yaml")}

    def expect(allowed: set[str], ok: int) -> dict[str, int]:
        return {r: ok if r in allowed else 403 for r in ROLES}

    cases: list[tuple[str, str, dict[str, Any], dict[str, int]]] = [
        ("GET", BASE, {}, expect(READERS, 200)),
        ("POST", BASE, {"json": {"name": "Talks"}}, expect(EDITORS, 201)),
        ("POST", f"{BASE}/import", {"files": upload}, expect(EDITORS, 201)),
        ("GET", f"{BASE}/{sid}", {}, expect(READERS, 200)),
        ("GET", f"{BASE}/{sid}?version=1", {}, expect(READERS, 200)),
        ("GET", f"{BASE}/{sid}/history", {}, expect(READERS, 200)),
        ("GET", f"{BASE}/{sid}/diff?from=1&to=1", {}, expect(READERS, 200)),
        ("GET", f"{BASE}/{sid}/export?format=genius", {}, expect(READERS, 200)),
        ("POST", f"{BASE}/{sid}/duplicate", {"json": {}}, expect(EDITORS, 201)),
        ("GET", f"{BASE}/999999", {}, {**expect(READERS, 404)}),
    ]
    for method, url, kwargs, expected in cases:
        got = {
            who: api.client.request(method, url, headers=api.h(who), **kwargs).status_code
            for who in ROLES
        }
        assert got == expected, (method, url)
    # Saves: each editor saves from the version it read; a monitor and the liaisons cannot.
    for who in ROLES:
        current = api.get("admin", f"{BASE}/{sid}").json()
        body = {"document": current["document"], "base_version": current["version"]}
        r = api.client.put(f"{BASE}/{sid}", json=body, headers=api.h(who))
        assert r.status_code == (200 if who in EDITORS else 403), who
    for who in ROLES:
        r = api.client.delete(f"{BASE}/{sid}", headers=api.h(who))
        assert r.status_code == {"admin": 204, "analyst": 404}.get(who, 403), who
    assert api.client.get(BASE).status_code == 401


def test_save_conflict_answers_409_with_who_saved(api: Api) -> None:
    made = _create(api)
    url = f"{BASE}/{made['id']}"
    first = {"document": _heavier(made["document"], 0.3), "base_version": 1, "message": "more"}
    r = api.client.put(url, json=first, headers=api.h("admin"))
    assert r.status_code == 200
    assert (r.json()["version"], r.json()["saved_by"], r.json()["message"]) == (2, "admin", "more")
    stale = {"document": _heavier(made["document"], 0.9), "base_version": 1}
    r = api.client.put(url, json=stale, headers=api.h("analyst"))
    assert r.status_code == 409
    body = r.json()
    assert (body["current_version"], body["saved_by"], body["field"]) == (
        2,
        "admin",
        "base_version",
    )
    assert body["saved_at"] == api.get("analyst", url).json()["saved_at"].replace("Z", "+00:00")
    assert "saved as version 2 by admin" in body["detail"]
    assert api.get("analyst", url).json()["document"] == first["document"]


def test_an_invalid_document_lists_every_problem(api: Api) -> None:
    made = _create(api)
    bad = copy.deepcopy(made["document"])
    bad["parties"][0]["reservation_value"] = 2
    del bad["parties"][1]["reservation_value"]
    r = api.client.put(
        f"{BASE}/{made['id']}", json={"document": bad, "base_version": 1}, headers=api.h("analyst")
    )
    assert r.status_code == 422
    body = r.json()
    assert body["field"] == "document.parties.0.reservation_value"
    assert body["detail"] == "Input should be less than or equal to 1 (and 1 more)"
    assert [e["path"] for e in body["errors"]] == [
        "parties.0.reservation_value",
        "parties.1.reservation_value",
    ]
    assert "has no reservation_value" in body["errors"][1]["message"]
    r = api.client.put(
        f"{BASE}/{made['id']}", json={"document": [], "base_version": 1}, headers=api.h("analyst")
    )
    assert r.status_code == 422


def test_history_diff_duplicate_and_export(api: Api) -> None:
    made = _create(api)
    url = f"{BASE}/{made['id']}"
    body = {"document": _heavier(made["document"], 0.3), "base_version": 1, "message": "why"}
    assert api.client.put(url, json=body, headers=api.h("analyst")).status_code == 200
    history = api.get("monitor", f"{url}/history").json()
    assert [(v["version"], v["message"]) for v in history] == [(2, "why"), (1, "")]
    diff = api.get("monitor", f"{url}/diff?from=1&to=2").json()
    assert (diff["from"], diff["to"]) == (1, 2)
    assert [c["summary"] for c in diff["changes"]] == [
        "weight of issue 'sanctions_relief' for Russia: 0.15 -> 0.3"
    ]
    assert api.get("monitor", f"{url}/diff?from=1&to=9").status_code == 404
    listed = api.get("monitor", BASE).json()
    assert [(x["id"], x["version"]) for x in listed] == [(made["id"], 2)]
    copied = api.post("analyst", f"{url}/duplicate", json={"version": 1, "name": "Old"}).json()
    assert copied["document"] == {**made["document"], "name": "Old"}
    r = api.get("monitor", f"{url}/export?format=yaml&version=1")
    assert r.headers["content-disposition"] == 'attachment; filename="ceasefire-2025.yaml"'
    assert yaml.safe_load(r.text) == made["document"]
    r = api.get("monitor", f"{url}/export?format=geniusweb")
    assert r.headers["content-type"] == "application/zip"
    assert "no reservation value" in r.headers["x-detente-notes"]
    assert zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert api.get("monitor", f"{url}/export?format=pdf").status_code == 422


@pytest.mark.parametrize(
    ("files", "status", "message"),
    [
        ({"talks/d.xml": BOMB}, 422, "unsafe XML refused"),
        ({"../d.xml": b"<a/>"}, 422, "points outside the folder"),
        ({"d.xml": b"<a>" + b" " * 3_000_000 + b"</a>"}, 413, "a zip bomb?"),
    ],
)
def test_unsafe_uploads_are_refused_and_nothing_is_stored(
    api: Api, files: dict[str, bytes], status: int, message: str
) -> None:
    before = _counts(api)
    data = _zip(files)
    r = api.post("analyst", f"{BASE}/import", files={"file": ("up.zip", data, "application/zip")})
    assert r.status_code == status, r.text
    assert message in r.json()["detail"]
    assert r.json()["detail"].startswith("up.zip")
    assert r.json()["file"].startswith("up.zip")
    assert _counts(api) == before


def test_a_body_over_the_limit_is_refused_before_it_is_read(api: Api) -> None:
    before = _counts(api)
    big = {"file": ("big.yaml", b"#" * 300_000, "application/yaml")}
    r = api.post("analyst", f"{BASE}/import", files=big)
    assert r.status_code == 413
    assert _counts(api) == before


def test_import_genius_zip_reports_its_format(api: Api) -> None:
    data = _zip({p.name: p.read_bytes() for p in CLEAN.iterdir()})
    r = api.post(
        "analyst", f"{BASE}/import", files={"file": ("talks.zip", data)}, data={"message": "m"}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["format"], body["repairs"], body["scenario"]["message"]) == ("genius", [], "m")


def test_pages_list_create_import_duplicate_delete_history_diff(db_url: str, world: World) -> None:
    del world
    with TestClient(create_app(MonitorSettings(db_url=db_url, secret_key="k"))) as c:
        location = c.get("/workbench/", follow_redirects=False).headers["location"]
        assert location == "/login?next=%2Fworkbench%2F"
        csrf = _login(c, "analyst")
        page = c.get("/workbench")
        assert page.status_code == 200
        assert 'aria-current="page">Workbench' in page.text
        assert "The library is empty" in page.text
        form = {"csrf": csrf, "builtin": "ceasefire-2025", "name": "<script>x</script>"}
        assert c.post("/workbench/scenarios", data={**form, "csrf": "forged"}).status_code == 403
        r = c.post("/workbench/scenarios", data=form, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/workbench/")
        page = c.get("/workbench/").text
        assert "Created scenario 1, &#39;&lt;script&gt;x&lt;/script&gt;&#39; (version 1)." in page
        assert "<script>x</script>" not in page
        assert "Created scenario" not in c.get("/workbench/").text  # shown once
        amp = Path(__file__).parents[1] / "data" / "genius" / "unescaped-ampersand"
        data = _zip({p.name: p.read_bytes() for p in amp.iterdir()})
        r = c.post(
            "/workbench/scenarios/import",
            data={"csrf": csrf},
            files={"file": ("amp.zip", data, "application/zip")},
        )
        assert "Imported &#39;talks&#39; as scenario 2 (genius). Repaired: amp.zip/talks-" in r.text
        r = c.post("/workbench/scenarios/1/duplicate", data={"csrf": csrf})
        assert "Copied scenario 1 as scenario 3" in r.text
        r = c.post("/workbench/scenarios/3/delete", data={"csrf": csrf})
        assert "Deleted scenario 3" in r.text
        assert "/workbench/scenarios/3/history" not in r.text
        bad = c.post("/workbench/scenarios", data={"csrf": csrf, "name": ""})
        assert bad.status_code == 422
        assert "a blank scenario needs a name" in bad.text
        # A second version through the API with the browser session and its CSRF header.
        doc = native_document(load_native(builtin_path("ceasefire-2025")))
        body = {"document": {**_heavier(doc, 0.3), "name": "x"}, "base_version": 1}
        assert c.put(f"{BASE}/1", json=body).status_code == 403  # no CSRF header
        r = c.put(f"{BASE}/1", json=body, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.text
        history = c.get("/workbench/scenarios/1/history").text
        assert 'name="from" value="1" aria-label="compare from version 1" checked' in history
        assert 'name="to" value="2" aria-label="compare to version 2" checked' in history
        diff = c.get("/workbench/scenarios/1/diff?from=1&to=2").text
        assert "weight of issue &#39;sanctions_relief&#39; for Russia: 0.15 -&gt; 0.3" in diff
        assert "2 changes" in diff  # the name and the weight
        same = c.get("/workbench/scenarios/1/diff?from=2&to=2").text
        assert "No differences" in same
        r = c.get("/workbench/scenarios/1/export?format=json&version=1")
        assert r.json()["name"] == "<script>x</script>"


@pytest.mark.parametrize("who", ["monitor", "liaison_red"])
def test_pages_for_readers_and_liaisons(db_url: str, world: World, who: str) -> None:
    del world
    with TestClient(create_app(MonitorSettings(db_url=db_url, secret_key="k"))) as c:
        csrf = _login(c, "analyst")
        c.post("/workbench/scenarios", data={"csrf": csrf, "name": "Talks"})
        c.post("/logout", data={"csrf": csrf})
        csrf = _login(c, who)
        page = c.get("/workbench/")
        paths = ["/workbench/scenarios/1/history", "/workbench/scenarios/1/diff?from=1&to=1"]
        if who == "monitor":
            assert page.status_code == 200
            assert "Talks" in page.text
            assert 'action="/workbench/scenarios"' not in page.text  # no forms to edit
            assert all(c.get(p).status_code == 200 for p in paths)
            r = c.post("/workbench/scenarios/1/delete", data={"csrf": csrf})
            assert r.status_code == 403
            assert "a monitor may not do this" in r.text
        else:
            assert page.status_code == 403
            assert "a liaison may not do this" in page.text
            assert all(c.get(p).status_code == 403 for p in paths)
            assert re.search(r"Talks", page.text) is None


def test_a_long_notice_is_cut_and_a_clean_import_has_no_repairs(
    db_url: str, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    del world
    monkeypatch.setattr(library_pages, "_NOTICE_CHARS", 20)
    with TestClient(create_app(MonitorSettings(db_url=db_url, secret_key="k"))) as c:
        csrf = _login(c, "analyst")
        data = _zip({p.name: p.read_bytes() for p in CLEAN.iterdir()})
        r = c.post(
            "/workbench/scenarios/import", data={"csrf": csrf}, files={"file": ("t.zip", data)}
        )
        notice = re.search(r'<p class="notice" role="status">([^<]*)</p>', r.text)
        assert notice is not None
        assert notice.group(1) == "Imported &#39;talks&#39; as…"
        assert "Repaired" not in r.text


def test_a_name_in_any_script_exports_under_that_name(api: Api) -> None:
    made = _create(api, name="Переговоры 2025", builtin="ceasefire-2025")
    r = api.get("monitor", f"{BASE}/{made['id']}/export?format=json")
    assert r.status_code == 200
    assert r.headers["content-disposition"] == (
        'attachment; filename="___________2025.json"; '
        "filename*=UTF-8''%D0%9F%D0%B5%D1%80%D0%B5%D0%B3%D0%BE%D0%B2%D0%BE%D1%80%D1%8B_2025.json"
    )
    r = api.get("monitor", f"{BASE}/{made['id']}/export?format=geniusweb")
    assert r.status_code == 200
    assert r.headers["x-detente-notes"].isascii()
