"""Runs over HTTP: roles, 202 + jobs, the CLI's figures, cancel, downloads, put into force."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from detente.monitor.db import MonitorSettings
from detente.web import create_app
from tests.monitor.api_support import ROLES, Api, login_all
from tests.monitor_support import World
from tests.workbench.support import ceasefire_document, cli_json

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
BASE = "/api/workbench"
EDITORS = {"admin", "analyst"}
READERS = {"admin", "analyst", "monitor"}


@pytest.fixture
def api(db_url: str, world: World) -> Iterator[Api]:
    settings = MonitorSettings(db_url=db_url, secret_key="k", max_body_bytes=200_000)
    app = create_app(settings)
    with TestClient(app) as client:
        yield login_all(client, world)
    app.state.engine.dispose()


@pytest.fixture
def scenario(api: Api) -> int:
    r = api.post("analyst", f"{BASE}/scenarios", json={"builtin": "ceasefire-2025"})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def finished(api: Api, job: dict[str, Any], who: str = "analyst") -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while True:
        r = api.get(who, f"{BASE}/jobs/{job['id']}")
        assert r.status_code == 200, r.text
        found: dict[str, Any] = r.json()
        if found["state"] in {"done", "failed", "cancelled"}:
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.05)


RUNS = [
    ("rehearsals", {"strategies": {"Russia": "boulware"}, "deadline": 30, "seed": 2}),
    ("durability", {"deal": "nash", "versus": {"oversight": "hotline"}, "paths": 300, "days": 40}),
    ("forecasts", {"model": "bdm"}),
]


def test_each_run_is_the_commands_json(api: Api, scenario: int, tmp_path: Path) -> None:
    document = ceasefire_document()
    cli = {
        "rehearsals": cli_json(
            tmp_path,
            document,
            "negotiate",
            "-s",
            "Russia=boulware",
            "--deadline",
            "30",
            "--seed",
            "2",
        ),
        "durability": cli_json(tmp_path, document, "durability", "--paths", "300", "--days", "40"),
        "forecasts": cli_json(tmp_path, document, "forecast", "--model", "bdm"),
    }
    for kind, body in RUNS:
        r = api.post("analyst", f"{BASE}/scenarios/{scenario}/{kind}", json=body)
        assert r.status_code == 202, r.text
        assert r.json()["state"] in {"queued", "running", "done"}
        done = finished(api, r.json(), who="monitor")  # readers follow it
        assert done["state"] == "done", done["error"]
        assert done["progress"] == 1.0
        result = done["result"]
        assert {k: result[k] for k in cli[kind]} == cli[kind], kind
    listed = api.get("monitor", f"{BASE}/jobs", params={"scenario_id": scenario}).json()
    assert [j["kind"] for j in listed] == ["forecast", "durability", "rehearsal"]
    assert "result" not in listed[0] or listed[0]["result"] is None
    durability = finished(api, next(j for j in listed if j["kind"] == "durability"))["result"]
    # the second deal is the first with a hotline: detente durability --deal on that deal
    second = {**durability["deal"], "oversight": "hotline"}
    pairs = ",".join(f"{k}={v}" for k, v in second.items())
    versus = cli_json(
        tmp_path, document, "durability", "--deal", pairs, "--paths", "300", "--days", "40"
    )
    assert durability["versus"] == versus


@pytest.mark.parametrize(("kind", "body"), RUNS)
def test_who_may_start_and_follow_runs(api: Api, scenario: int, kind: str, body: dict) -> None:
    for who in ROLES:
        r = api.post(who, f"{BASE}/scenarios/{scenario}/{kind}", json=body)
        assert r.status_code == (202 if who in EDITORS else 403), (who, r.text)
        if r.status_code == 202:
            job = r.json()
            for reader in ROLES:
                seen = api.get(reader, f"{BASE}/jobs/{job['id']}")
                assert seen.status_code == (200 if reader in READERS else 403), reader
            finished(api, job)
    assert api.get("liaison_red", f"{BASE}/jobs").status_code == 403


def test_bad_runs_are_4xx_with_the_field(api: Api, scenario: int) -> None:
    cases = [
        ("rehearsals", {"strategies": {"Russia": "nobody"}}, 422, "nobody"),
        ("rehearsals", {"deadline": 0}, 422, None),
        ("durability", {"deal": {"oversight": "drones"}}, 422, "drones"),
        ("durability", {"paths": 10}, 422, None),
        ("durability", {"unknown": 1}, 422, None),
        ("forecasts", {"model": "oracle"}, 422, None),
    ]
    for kind, body, status, words in cases:
        r = api.post("analyst", f"{BASE}/scenarios/{scenario}/{kind}", json=body)
        assert r.status_code == status, (kind, body, r.text)
        if words:
            assert words in r.json()["detail"]
    assert api.post("analyst", f"{BASE}/scenarios/999/forecasts", json={}).status_code == 404
    assert api.get("analyst", f"{BASE}/jobs/{'0' * 32}").status_code == 404
    assert api.get("analyst", f"{BASE}/jobs/not-a-job").status_code == 422
    assert api.get("analyst", f"{BASE}/jobs", params={"scenario_id": 0}).status_code == 422


@pytest.mark.slow
def test_cancel_a_long_run(api: Api, scenario: int) -> None:
    # ten rows of two chunks each: cancelled, it stops at the end of the chunk under way
    body = {"compare": True, "paths": 100_000, "days": 1500}
    r = api.post("analyst", f"{BASE}/scenarios/{scenario}/durability", json=body)
    assert r.status_code == 202
    job = r.json()
    assert api.post("monitor", f"{BASE}/jobs/{job['id']}/cancel").status_code == 403
    assert api.post("admin", f"{BASE}/jobs/{job['id']}/cancel").status_code == 200
    ended = finished(api, job)
    assert ended["state"] == "cancelled"
    assert ended["result"] is None


def test_put_into_force_and_the_agreements_durability(api: Api, scenario: int) -> None:
    body = {"deal": "nash", "name": "Handed over", "signed_on": "2026-03-01"}
    for who in ("analyst", "monitor", "liaison_red"):
        r = api.post(who, f"{BASE}/scenarios/{scenario}/put-into-force", json=body)
        assert r.status_code == 403, who
    r = api.post("admin", f"{BASE}/scenarios/{scenario}/put-into-force", json=body)
    assert r.status_code == 201, r.text
    made = r.json()
    agreement = made["agreement"]
    assert [p["name"] for p in agreement["parties"]] == ["Russia", "Ukraine"]
    assert made["origin"]["scenario_version"] == 1
    assert made["origin"]["forced_by"] == "admin"
    # the Monitor area lists it
    listed = api.get("monitor", "/api/agreements").json()
    assert "Handed over" in [a["name"] for a in listed]
    again = api.post("admin", f"{BASE}/scenarios/{scenario}/put-into-force", json=body)
    assert again.status_code == 409
    view = api.get("analyst", f"{BASE}/agreements/{agreement['id']}/durability?paths=200&days=30")
    assert view.status_code == 200, view.text
    assert set(view.json()) >= {"observed", "expected", "rates", "deal", "mechanisms"}
    assert api.get("liaison_red", f"{BASE}/agreements/{agreement['id']}/origin").status_code == 403
    origin = api.get("monitor", f"{BASE}/agreements/{agreement['id']}/origin")
    assert origin.json()["deal"] == made["origin"]["deal"]
    first = api.world.agreement_id
    assert api.get("analyst", f"{BASE}/agreements/{first}/origin").status_code == 404


@pytest.mark.slow
def test_a_briefing_is_a_download(api: Api, scenario: int) -> None:
    body = {"deal": {"oversight": "hotline"}, "formats": ["html"], "paths": 200, "rounds": 30}
    assert (
        api.post("monitor", f"{BASE}/scenarios/{scenario}/briefings", json=body).status_code == 403
    )
    r = api.post("analyst", f"{BASE}/scenarios/{scenario}/briefings", json=body)
    assert r.status_code == 202, r.text
    done = finished(api, r.json())
    assert done["state"] == "done", done["error"]
    assert done["result"]["chosen"] is True
    (name,) = done["files"]
    page = api.get("monitor", f"{BASE}/jobs/{done['id']}/files/{name}")
    assert page.status_code == 200
    assert page.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert b"The chosen deal" in page.content
    assert api.get("liaison_red", f"{BASE}/jobs/{done['id']}/files/{name}").status_code == 403
    missing = api.get("monitor", f"{BASE}/jobs/{done['id']}/files/other.pdf")
    assert missing.status_code == 404


def test_the_strategy_names(api: Api) -> None:
    names = api.get("analyst", f"{BASE}/strategies").json()
    assert "boulware" in names


def _page_client(api: Api, who: str) -> TestClient:
    """A browser-like client of the same app, signed in as ``who``."""
    from tests.web.test_pages import _login  # noqa: PLC0415 - the pages' sign-in helper

    client = TestClient(api.client.app)
    _login(client, who)
    return client


@pytest.mark.parametrize("tab", ["rehearse", "durability", "forecast", "brief"])
def test_the_run_pages_by_role(api: Api, scenario: int, tab: str) -> None:
    for who in ROLES:
        with _page_client(api, who) as client:
            r = client.get(f"/workbench/scenarios/{scenario}/{tab}")
            if who not in READERS:
                assert r.status_code == 403, who
                continue
            assert r.status_code == 200, (who, r.text)
            page = r.text
            assert 'aria-current="page"' in page
            assert '<script type="application/json" id="runs-data">' in page
            assert ("running it is for analysts and admins" in page) == (who not in EDITORS)
            if tab == "brief":
                assert ("Only an admin puts a deal into force" in page) == (who != "admin")
    with _page_client(api, "analyst") as client:
        assert client.get(f"/workbench/scenarios/{scenario}/{tab}?version=9").status_code == 404
        assert client.get(f"/workbench/scenarios/999/{tab}").status_code == 404


def test_scenario_text_is_escaped_on_the_run_pages(api: Api, scenario: int) -> None:
    current = api.get("analyst", f"{BASE}/scenarios/{scenario}").json()
    document = current["document"]
    document["title"] = '<script>alert("x")</script>'
    document["issues"][0]["label"] = "</script><img src=x onerror=alert(1)>"
    saved = api.client.put(
        f"{BASE}/scenarios/{scenario}",
        headers=api.h("analyst"),
        json={"document": document, "base_version": current["version"]},
    )
    assert saved.status_code == 200, saved.text
    with _page_client(api, "monitor") as client:
        page = client.get(f"/workbench/scenarios/{scenario}/durability").text
    assert '<script>alert("x")</script>' not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_the_agreement_durability_page(api: Api, scenario: int) -> None:
    body = {"name": "Paged", "signed_on": "2026-03-01"}
    made = api.post("admin", f"{BASE}/scenarios/{scenario}/put-into-force", json=body).json()
    agreement = made["agreement"]["id"]
    with _page_client(api, "monitor") as client:
        page = client.get(f"/workbench/agreements/{agreement}/durability")
        assert page.status_code == 200
        assert "No incident is recorded yet" in page.text
        assert (
            client.get(f"/workbench/agreements/{api.world.agreement_id}/durability").status_code
            == 404
        )
    with _page_client(api, "liaison_red") as client:
        assert client.get(f"/workbench/agreements/{agreement}/durability").status_code == 403
