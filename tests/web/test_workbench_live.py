"""The live analysis and YAML view over HTTP, and the editor page: roles, CSRF, bad input."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
import yaml
from fastapi import Request
from fastapi.testclient import TestClient

from detente.monitor.db import MonitorSettings
from detente.monitor.models import User
from detente.scenario.io import builtin_path
from detente.web import create_app
from detente.web.api.workbench.analysis import _gone
from detente.workbench import library
from detente.workbench.live import live_analysis, live_survival
from detente.workbench.workers import SurvivalWorker
from tests.monitor_support import PASSWORD, World
from tests.web.test_pages import _login
from tests.workbench.support import run_async

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _document() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(builtin_path("ceasefire-2025").read_text())
    return data


def _client(db_url: str) -> TestClient:
    return TestClient(create_app(MonitorSettings(db_url=db_url, secret_key="k")))


def _token(c: TestClient, who: str) -> dict[str, str]:
    r = c.post("/api/token", json={"username": who, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_the_api_answers_the_services_figures(db_url: str, world: World) -> None:
    del world
    document = _document()
    with _client(db_url) as c:
        auth = _token(c, "monitor")
        r = c.post(
            "/api/workbench/analyze", json={"document": document, "x": "Ukraine"}, headers=auth
        )
        assert r.status_code == 200, r.text
        assert r.headers["cache-control"] == "no-store"
        expected = live_analysis(document, x="Ukraine").to_dict()
        assert r.json() == json.loads(json.dumps(expected))
        assert (r.json()["x"], r.json()["y"]) == ("Ukraine", "Russia")
        r = c.post("/api/workbench/analyze/survival", json={"document": document}, headers=auth)
        assert r.status_code == 200, r.text
        assert r.json() == json.loads(json.dumps(live_survival(document).to_dict()))


def test_a_client_gone_before_its_turn_gets_no_survival(db_url: str, world: World) -> None:
    del world

    class Gone(SurvivalWorker):
        async def assess(self, actor: User, document: Any, **kwargs: Any) -> dict[str, Any] | None:
            with anyio.move_on_after(0.05):  # still connected while it waits
                await kwargs["gone"]()
                pytest.fail("the client is still there")
            return None

    with _client(db_url) as c:
        c.app.state.survival = Gone(in_process=True)
        auth = _token(c, "analyst")
        r = c.post("/api/workbench/analyze/survival", json={"document": _document()}, headers=auth)
        assert r.status_code == 204
        assert r.content == b""


def test_a_request_is_gone_when_the_server_says_its_client_disconnected(backend: str) -> None:
    del backend  # no database
    messages = iter([{"type": "http.request", "body": b""}, {"type": "http.disconnect"}])
    heard: list[str] = []

    async def receive() -> dict[str, Any]:
        message = next(messages)
        heard.append(message["type"])
        return message

    request = Request({"type": "http", "method": "POST", "headers": []}, receive)
    run_async(lambda: _gone(request))  # not in the main thread: Playwright's loop may run there
    assert heard == ["http.request", "http.disconnect"]


def test_bad_documents_and_axes_are_422_with_every_field(db_url: str, world: World) -> None:
    del world
    document = _document()
    document["parties"][0]["reservation_value"] = 1.5
    document["parties"][1]["preferences"]["issues"]["alignment"]["weight"] = -1
    with _client(db_url) as c:
        auth = _token(c, "analyst")
        r = c.post("/api/workbench/analyze", json={"document": document}, headers=auth)
        assert r.status_code == 422
        body = r.json()
        assert body["field"] == "document.parties.0.reservation_value"
        assert body["detail"] == "Input should be less than or equal to 1 (and 1 more)"
        assert [e["path"] for e in body["errors"]] == [
            "parties.0.reservation_value",
            "parties.1.preferences.issues.alignment.weight",
        ]
        r = c.post(
            "/api/workbench/analyze",
            json={"document": _document(), "x": "Russia", "y": "Nobody"},
            headers=auth,
        )
        assert r.status_code == 422
        assert r.json()["field"] == "y"
        r = c.post("/api/workbench/analyze", json={"document": "text"}, headers=auth)
        assert r.status_code == 422
        r = c.post("/api/workbench/analyze", json={"document": {}, "seed": -1}, headers=auth)
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["body", "seed"]


def test_bodies_that_are_not_the_requests_json_are_422_as_fastapi_words_them(
    db_url: str, world: World
) -> None:
    del world
    with _client(db_url) as c:
        auth = _token(c, "analyst")
        for path in ("/api/workbench/analyze", "/api/workbench/analyze/survival"):
            json_type = {**auth, "Content-Type": "application/json"}
            r = c.post(path, content=b'{"document": {', headers=json_type)
            assert r.status_code == 422, path
            assert r.json()["detail"] == [
                {"type": "json_invalid", "loc": ["body", 14], "msg": "JSON decode error"}
            ]
            text = {**auth, "Content-Type": "text/plain"}
            r = c.post(path, content=b'{"document": {}}', headers=text)
            assert r.status_code == 422, path
            assert r.json()["detail"][0]["loc"] == ["body"]
            r = c.post(path, content=b"[]", headers=json_type)
            assert r.status_code == 422, path
            assert r.json()["detail"][0]["type"] == "model_type"
            r = c.post(path, json={"x": "P"}, headers=auth)
            assert r.json()["detail"][0] == {
                "type": "missing",
                "loc": ["body", "document"],
                "msg": "Field required",
            }
            r = c.post(path, content=b'{"document": {}}', headers=json_type)  # no scenario
            assert r.status_code == 422, path
            assert r.json()["field"].startswith("document")
            anonymous = {"Content-Type": "application/json"}
            assert c.post(path, content=b"{", headers=anonymous).status_code == 401  # who first
        schema = c.get("/openapi.json").json()["paths"]
        analyze = schema["/api/workbench/analyze"]["post"]["requestBody"]
        assert analyze["required"] is True
        body = analyze["content"]["application/json"]["schema"]
        assert body["required"] == ["document"]
        assert set(body["properties"]) == {"document", "x", "y", "seed"}
        survival = schema["/api/workbench/analyze/survival"]["post"]["requestBody"]
        assert set(survival["content"]["application/json"]["schema"]["properties"]) == {
            "document",
            "seed",
        }


def test_authorisation_matrix(db_url: str, world: World) -> None:
    """Every role on every route: readers 200, a party liaison 403, nobody 401."""
    small = {"name": "m", "issues": [{"name": "a", "options": ["x", "y"]}], "parties": [
        {"name": p, "reservation_value": 0, "preferences": {"issues": {"a": {"weight": 1,
         "values": {"x": v, "y": 1 - v}}}}} for p, v in (("P", 0), ("Q", 1))]}  # fmt: skip
    routes = [
        ("/api/workbench/analyze", {"document": small}),
        ("/api/workbench/analyze/survival", {"document": small}),
        ("/api/workbench/documents/yaml", {"document": small}),
        ("/api/workbench/documents/parse", {"text": "name: m\n"}),
    ]
    expected = {"admin": 200, "analyst": 200, "monitor": 200, "liaison_red": 403}
    with _client(db_url) as c:
        sessions = c.app.state.sessionmaker  # type: ignore[attr-defined]
        with sessions() as s, s.begin():
            admin = s.get(User, world.users["admin"])
            scenario_id = library.create_scenario(s, admin, builtin="ceasefire-2025").id
        for path, body in routes:
            assert c.post(path, json=body).status_code == 401, path
            for who, status in expected.items():
                r = c.post(path, json=body, headers=_token(c, who))
                assert r.status_code == status, (path, who, r.text)
        page = f"/workbench/scenarios/{scenario_id}"
        assert c.get(page, follow_redirects=False).status_code == 303
        for who, status in expected.items():
            c.cookies.clear()
            _login(c, who)
            assert c.get(page).status_code == status, who


def test_roles_and_csrf(db_url: str, world: World) -> None:
    del world
    body = {"document": _document()}
    with _client(db_url) as c:
        r = c.post("/api/workbench/analyze", json=body)
        assert r.status_code == 401
        for who in ("liaison_red",):
            auth = _token(c, who)
            for path in ("/api/workbench/analyze", "/api/workbench/analyze/survival"):
                r = c.post(path, json=body, headers=auth)
                assert r.status_code == 403, path
                assert "a liaison may not" in r.json()["detail"]
            r = c.post("/api/workbench/documents/yaml", json=body, headers=auth)
            assert r.status_code == 403
        # a browser session must send its CSRF token
        csrf = _login(c, "analyst")
        r = c.post("/api/workbench/analyze", json=body)
        assert r.status_code == 403
        assert r.json()["field"] == "X-CSRF-Token"
        r = c.post("/api/workbench/analyze", json=body, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200


def test_the_yaml_view_round_trips_and_refuses_what_the_reader_refuses(
    db_url: str, world: World
) -> None:
    del world
    document = _document()
    with _client(db_url) as c:
        auth = _token(c, "analyst")
        r = c.post("/api/workbench/documents/yaml", json={"document": document}, headers=auth)
        assert r.status_code == 200
        text = r.json()["text"]
        assert text.startswith("name: ceasefire-2025\n")
        r = c.post("/api/workbench/documents/parse", json={"text": text}, headers=auth)
        assert r.status_code == 200
        assert r.json()["document"] == document
        for bad, message in [
            ("a: 1\na: 2\n", "line"),
            ("name: [unclosed\n", "malformed YAML"),
            ("- just\n- a list\n", "a mapping at the top level"),
            ("name: x\nwhen: 2025-03-11\n", "a value a scenario cannot"),
            ("", "empty file"),
        ]:
            r = c.post("/api/workbench/documents/parse", json={"text": bad}, headers=auth)
            assert r.status_code == 422, bad
            assert r.json()["field"] == "text"
            assert message in r.json()["detail"] or r.json()["line"] is not None, bad
        r = c.post("/api/workbench/documents/parse", json={"text": "x" * 1_000_001}, headers=auth)
        assert r.status_code in {413, 422}


def test_the_editor_page_holds_the_document_escaped(db_url: str, world: World) -> None:
    with _client(db_url) as c:
        sessions = c.app.state.sessionmaker  # type: ignore[attr-defined]
        with sessions() as s, s.begin():
            admin = s.get(User, world.users["admin"])
            document = _document()
            document["title"] = "</script><script>alert(1)</script> & more"
            stored = library.create_scenario(s, admin, builtin="ceasefire-2025")
            stored = library.save_scenario(
                s, admin, stored.id, document, base_version=stored.version, message="title"
            )
        _login(c, "monitor")
        r = c.get(f"/workbench/scenarios/{stored.id}")
        assert r.status_code == 200
        assert "</script><script>alert(1)" not in r.text
        start = r.text.index('id="scenario-document">') + len('id="scenario-document">')
        embedded = json.loads(r.text[start : r.text.index("</script>", start)])
        assert embedded["title"] == document["title"]
        assert 'data-edit="0"' in r.text  # a monitor reads; the page offers no save
        assert 'id="save"' not in r.text
        r = c.get("/workbench/scenarios/999999")
        assert r.status_code == 404
        c.post("/logout", data={"csrf": _login(c, "analyst")})
        _login(c, "analyst")
        assert 'id="save"' in c.get(f"/workbench/scenarios/{stored.id}").text
        c.post("/logout", data={"csrf": _login(c, "liaison_red")})
        _login(c, "liaison_red")
        assert c.get(f"/workbench/scenarios/{stored.id}").status_code == 403


def test_the_editor_page_starts_the_analysis_workers(db_url: str, world: World) -> None:
    settings = MonitorSettings(db_url=db_url, secret_key="k", live_workers=1)
    with TestClient(create_app(settings)) as c:
        pool = c.app.state.analyses  # type: ignore[attr-defined]
        with c.app.state.sessionmaker() as s, s.begin():  # type: ignore[attr-defined]
            admin = s.get(User, world.users["admin"])
            stored = library.create_scenario(s, admin, builtin="ceasefire-2025")
        assert c.get("/incidents").status_code in {200, 303}
        _login(c, "liaison_red")
        assert c.get(f"/workbench/scenarios/{stored.id}").status_code == 403
        assert pool._executor is None  # nothing started for who may not analyse
        c.post("/logout", data={"csrf": _login(c, "analyst")})
        _login(c, "analyst")
        assert c.get(f"/workbench/scenarios/{stored.id}").status_code == 200
        started = pool._executor
        assert started is not None
        c.get(f"/workbench/scenarios/{stored.id}")
        assert pool._executor is started  # started once
    assert pool._executor is None  # stopped with the app


def test_plotly_is_served_from_this_site(db_url: str, world: World) -> None:
    del world
    with _client(db_url) as c:
        r = c.get("/static/vendor/plotly.min.js")
        assert r.status_code == 200
        assert r.text.startswith("/**\n* plotly.js (basic - minified)")
        csp = c.get("/login").headers["content-security-policy"]
        assert "script-src 'self';" in csp
        assert "unsafe" not in csp
