"""Every route of the application, for every role: who may, who is refused, and how.

``test_every_route_is_in_the_matrix`` fails when a route is added without its row here, so
the matrix covers the Workbench's routes as they come, as well as the Monitor's.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from detente.monitor import duplicates, service
from detente.monitor.db import MonitorSettings
from detente.monitor.enums import Action, Confidence
from detente.monitor.models import User
from detente.monitor.schemas import IncidentIn, TransitionIn, UserIn
from detente.scenario.io import builtin_path
from detente.web import create_app
from detente.workbench import library
from tests.monitor_support import PASSWORD, World

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

ROLES = ("admin", "monitor", "analyst", "liaison_red", "liaison_blue")
EVERYONE = set(ROLES)
MISSION = {"admin", "monitor"}
READERS = {"admin", "monitor", "analyst"}
RAISE = [Action.START_VERIFICATION, Action.VERIFY, Action.ATTRIBUTE, Action.RAISE]
#: Routes anyone may call, signed in or not.
PUBLIC = {
    ("GET", "/openapi.json"),
    ("GET", "/favicon.ico"),
    ("GET", "/static"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/api/token"),
    ("GET", "/workbench"),  # a redirect to /workbench/
}
#: Small runs, so that every start finishes in seconds.
RUNS = {
    "rehearsals": {"deadline": 5, "seed": 1},
    "durability": {"deal": "nash", "paths": 100, "days": 5},
    "forecasts": {"model": "compromise"},
    "briefings": {"formats": ["html"], "paths": 100, "rounds": 5},
}
EDITORS = {"admin", "analyst"}
#: Routes after which the caller must sign in again.
ENDS_SESSION = {"/api/me/password", "/api/logout"}
SCENARIO = builtin_path("ceasefire-2025")


def expect(allowed: set[str], ok: int, refused: int = 403) -> dict[str, int]:
    """``ok`` for the roles allowed, ``refused`` for the others."""
    return {r: ok if r in allowed else refused for r in ROLES}


@dataclasses.dataclass
class Site:
    """The world's database, and fresh objects for routes that change them."""

    world: World
    factory: Any
    counter: Iterator[int] = dataclasses.field(default_factory=itertools.count)
    last_scenario: int = 0
    other: int = 0
    client: TestClient | None = None

    def as_admin(self, method: str, url: str, **kw: Any) -> Any:
        """A request of the admin's through the API (the job registry is the app's)."""
        assert self.client is not None
        r = self.client.post("/api/token", json={"username": "admin", "password": PASSWORD})
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return self.client.request(method, url, headers=auth, **kw)

    def job(self) -> str:
        """A finished run (a compromise forecast) of a new scenario."""
        url = f"/api/workbench/scenarios/{self.scenario()}/forecasts"
        job = self.as_admin("POST", url, json=RUNS["forecasts"]).json()
        return self.finished(job["id"])

    def finished(self, job_id: str) -> str:
        """Wait for a job to end (runs here are small); its id."""
        deadline = time.monotonic() + 120
        while self.as_admin("GET", f"/api/workbench/jobs/{job_id}").json()["state"] in {
            "queued",
            "running",
        }:
            assert time.monotonic() < deadline, "the run did not end"
            time.sleep(0.1)
        return job_id

    def agreement(self) -> int:
        """An agreement put into force from a new scenario's Nash deal."""
        body = {"deal": "nash", "name": f"Handed over {self.unique()}", "signed_on": "2026-03-01"}
        url = f"/api/workbench/scenarios/{self.scenario()}/put-into-force"
        return int(self.as_admin("POST", url, json=body).json()["agreement"]["id"])

    def incident(self, path: list[Action] = ()) -> int:  # type: ignore[assignment]
        """An incident reported by the monitor and moved along ``path`` (party Red)."""
        w = self.world
        with self.factory() as s, s.begin():
            body = IncidentIn(
                agreement_id=w.agreement_id,
                occurred_at="2026-03-01T10:00:00Z",  # type: ignore[arg-type]
                type="shelling",  # type: ignore[arg-type]
                sector_id=w.sector_ids[0],
            )
            incident = service.create_incident(s, s.get(User, w.users["monitor"]), body)
            for action in path:
                who = "liaison_red" if action is Action.ANSWER else "monitor"
                attribute = action is Action.ATTRIBUTE
                service.transition(
                    s,
                    s.get(User, w.users[who]),
                    incident.id,
                    TransitionIn(
                        action=action,
                        reason="because",
                        party_id=w.party_ids[0] if attribute else None,
                        confidence=Confidence.HIGH if attribute else None,
                    ),
                )
            return incident.id

    def pair(self) -> int:
        """Two reports of one event (the same place and time): the first's id; next: the other."""
        first = self.incident()
        self.other = self.incident()
        return first

    def merged(self) -> int:
        """A report merged into another (by the monitor)."""
        kept = self.pair()
        with self.factory() as s, s.begin():
            monitor = s.get(User, self.world.users["monitor"])
            duplicates.merge(s, monitor, kept, [self.other], "same event")
        return self.other

    def dismissed(self) -> int:
        """Two reports judged different events (by the monitor): the first's id; next: the other."""
        first = self.pair()
        with self.factory() as s, s.begin():
            monitor = s.get(User, self.world.users["monitor"])
            duplicates.dismiss(s, monitor, first, self.other, "two events")
        return first

    def user(self) -> int:
        """A new analyst."""
        with self.factory() as s, s.begin():
            admin = s.get(User, self.world.users["admin"])
            data = UserIn(username=f"extra{next(self.counter)}", password=PASSWORD, role="analyst")  # type: ignore[arg-type]
            return service.create_user(s, admin, data).id

    def unique(self) -> int:
        return next(self.counter)

    def scenario(self) -> int:
        """A new scenario from the built-in ceasefire-2025, created by the analyst."""
        with self.factory() as s, s.begin():
            analyst = s.get(User, self.world.users["analyst"])
            self.last_scenario = library.create_scenario(s, analyst, builtin="ceasefire-2025").id
            return self.last_scenario

    def save(self, scenario_id: int) -> dict[str, Any]:
        """A save of a scenario's first version as it is (a new version)."""
        with self.factory() as s:
            analyst = s.get(User, self.world.users["analyst"])
            stored = library.get_scenario(s, analyst, scenario_id)
        return {"document": stored.document, "base_version": stored.version}


@dataclasses.dataclass(frozen=True)
class Row:
    """One route: how to call it, and the status each role gets."""

    method: str
    route: str
    url: Callable[[Site], str]
    expected: dict[str, int]
    body: Callable[[Site], Any] | None = None
    content_type: str | None = None
    upload: bool = False


def _api_rows() -> list[Row]:
    aid = lambda s: s.world.agreement_id  # noqa: E731
    return [
        Row("GET", "/api/me", lambda s: "/api/me", expect(EVERYONE, 200)),
        Row("GET", "/api/users", lambda s: "/api/users", expect({"admin"}, 200)),
        Row(
            "POST",
            "/api/users",
            lambda s: "/api/users",
            expect({"admin"}, 201),
            lambda s: {"username": f"u{s.unique()}", "password": PASSWORD, "role": "analyst"},
        ),
        Row(
            "PATCH",
            "/api/users/{user_id}",
            lambda s: f"/api/users/{s.world.users['analyst']}",
            expect({"admin"}, 200),
            lambda s: {"active": True},
        ),
        Row(
            "POST",
            "/api/users/{user_id}/sign-out",
            lambda s: f"/api/users/{s.user()}/sign-out",
            expect({"admin"}, 200),
        ),
        Row(
            "POST",
            "/api/users/{user_id}/unlock",
            lambda s: f"/api/users/{s.user()}/unlock",
            expect({"admin"}, 204),
        ),
        Row("GET", "/api/agreements", lambda s: "/api/agreements", expect(EVERYONE, 200)),
        Row(
            "GET",
            "/api/agreements/{agreement_id}",
            lambda s: f"/api/agreements/{aid(s)}",
            expect(EVERYONE, 200),
        ),
        Row(
            "POST",
            "/api/agreements",
            lambda s: "/api/agreements",
            expect({"admin"}, 201),
            lambda s: {"name": f"A{s.unique()}", "mechanism": "hotline", "parties": ["x", "y"]},
        ),
        Row("GET", "/api/incidents", lambda s: "/api/incidents", expect(EVERYONE, 200)),
        Row(
            "POST",
            "/api/incidents",
            lambda s: "/api/incidents",
            expect(MISSION, 201),
            lambda s: {
                "agreement_id": aid(s),
                "occurred_at": "2026-03-01T10:00:00Z",
                "type": "shelling",
                "sector_id": s.world.sector_ids[0],
            },
        ),
        Row(
            "PATCH",
            "/api/incidents/{incident_id}",
            lambda s: f"/api/incidents/{s.incident(RAISE)}",
            expect(MISSION, 409) | {"analyst": 403, "liaison_red": 403, "liaison_blue": 404},
            lambda s: {"description": f"corrected {s.unique()}", "reason": "typo"},
        ),
        Row(
            "PATCH",
            "/api/incidents/{incident_id}",
            lambda s: f"/api/incidents/{s.incident()}",
            expect(MISSION, 200, 404) | {"analyst": 403},
            lambda s: {"description": f"corrected {s.unique()}", "reason": "typo"},
        ),
        *_workflow_rows("/api", "transitions", {"act": 200, "note": 201}),
        Row(
            "GET",
            "/api/reports/daily",
            lambda s: f"/api/reports/daily?agreement_id={aid(s)}&date=2026-03-01",
            expect(READERS, 200),
        ),
        Row(
            "GET",
            "/api/export/incidents.csv",
            lambda s: "/api/export/incidents.csv",
            expect(READERS, 200),
        ),
        Row(
            "GET",
            "/api/export/incidents.geojson",
            lambda s: "/api/export/incidents.geojson",
            expect(READERS, 200),
        ),
        Row(
            "POST",
            "/api/import/incidents",
            lambda s: f"/api/import/incidents?agreement_id={aid(s)}",
            expect(MISSION, 201),
            lambda s: "occurred_at,type,sector\n2026-03-01T00:00:00Z,shelling,North\n",
            "text/csv",
        ),
        Row(
            "GET",
            "/api/export/incidents-ged.csv",
            lambda s: "/api/export/incidents-ged.csv",
            expect(READERS, 200),
        ),
        Row("GET", "/api/audit/verify", lambda s: "/api/audit/verify", expect({"admin"}, 200)),
        *_duplicate_rows("/api", {"merge": 200, "unmerge": 200, "dismiss": 201, "restore": 200}),
        Row(
            "GET",
            "/api/incidents/{incident_id}/duplicates",
            lambda s: f"/api/incidents/{s.pair()}/duplicates",
            expect(READERS, 200),
        ),
        *_workbench_api_rows(),
        # Every role ends its own session or changes its own password (run last: they end it).
        Row(
            "POST",
            "/api/me/password",
            lambda s: "/api/me/password",
            expect(EVERYONE, 200),
            lambda s: {"current_password": PASSWORD, "new_password": PASSWORD},
        ),
        Row("POST", "/api/logout", lambda s: "/api/logout", expect(EVERYONE, 204)),
    ]


def _workflow_rows(prefix: str, act: str, ok: dict[str, int]) -> list[Row]:
    """An incident: reading it, moving it through the workflow, writing notes."""
    base = f"{prefix}/incidents/{{incident_id}}"
    return [
        # A liaison sees only what was raised with its party.
        Row(
            "GET",
            base,
            lambda s: f"{prefix}/incidents/{s.incident(RAISE)}",
            expect(READERS | {"liaison_red"}, 200, 404),
        ),
        Row("GET", base, lambda s: f"{prefix}/incidents/{s.incident()}", expect(READERS, 200, 404)),
        Row(
            "POST",
            f"{base}/{act}",
            lambda s: f"{prefix}/incidents/{s.incident()}/{act}",
            expect(MISSION, ok["act"], 404) | {"analyst": 403},
            lambda s: {"action": "start_verification", "reason": "go"},
        ),
        Row(
            "POST",
            f"{base}/{act}",
            lambda s: f"{prefix}/incidents/{s.incident(RAISE)}/{act}",
            expect({"liaison_red"}, ok["act"]) | {"liaison_blue": 404},
            lambda s: {"action": "answer", "reason": "done"},
        ),
        Row(
            "POST",
            f"{base}/notes",
            lambda s: f"{prefix}/incidents/{s.incident()}/notes",
            expect(MISSION, ok["note"]),
            lambda s: {"body": "internal"},
        ),
    ]


def _duplicate_rows(prefix: str, ok: dict[str, int]) -> list[Row]:
    """Merging, unmerging, dismissing and restoring duplicate reports: mission staff decide."""
    form = not prefix  # the pages post one id as a form field
    return [
        Row(
            "POST",
            f"{prefix}/incidents/{{incident_id}}/merge",
            lambda s: f"{prefix}/incidents/{s.pair()}/merge",
            expect(MISSION, ok["merge"]),
            lambda s: (
                {"other_id": str(s.other), "reason": "same event"}
                if form
                else {"duplicate_ids": [s.other], "reason": "same event"}
            ),
        ),
        Row(
            "POST",
            f"{prefix}/incidents/{{incident_id}}/unmerge",
            lambda s: f"{prefix}/incidents/{s.merged()}/unmerge",
            expect(MISSION, ok["unmerge"]),
            lambda s: {"reason": "two events after all"},
        ),
        Row(
            "POST",
            f"{prefix}/incidents/{{incident_id}}/dismiss-duplicate",
            lambda s: f"{prefix}/incidents/{s.pair()}/dismiss-duplicate",
            expect(MISSION, ok["dismiss"]),
            lambda s: {"other_id": s.other, "reason": "two events"},
        ),
        Row(
            "POST",
            f"{prefix}/incidents/{{incident_id}}/restore-duplicate",
            lambda s: f"{prefix}/incidents/{s.dismissed()}/restore-duplicate",
            expect(MISSION, ok["restore"]),
            lambda s: {"other_id": s.other, "reason": "one event after all"},
        ),
    ]


def _scenario_rows(base: str, created: int) -> list[Row]:
    """The scenario library, API or pages: readers see scenarios (never a liaison), editors
    create them (``created``: the status of those who may)."""
    return [
        Row(
            "POST",
            base,
            lambda s: base,
            expect(EDITORS, created),
            lambda s: {"builtin": "ceasefire-2025"},
        ),
        Row(
            "POST",
            f"{base}/import",
            lambda s: f"{base}/import",
            expect(EDITORS, created),
            upload=True,
        ),
        Row(
            "POST",
            f"{base}/{{scenario_id}}/duplicate",
            lambda s: f"{base}/{s.scenario()}/duplicate",
            expect(EDITORS, created),
            lambda s: {},
        ),
        *(
            Row(
                "GET",
                f"{base}/{{scenario_id}}/{what}",
                lambda s, q=query, w=what: f"{base}/{s.scenario()}/{w}{q}",
                expect(READERS, 200),
            )
            for what, query in [
                ("history", ""),
                ("diff", "?from=1&to=1"),
                ("export", "?format=json"),
            ]
        ),
    ]


def _workbench_api_rows() -> list[Row]:
    base = "/api/workbench/scenarios"
    return [
        Row("GET", base, lambda s: base, expect(READERS, 200)),
        *_scenario_rows(base, 201),
        Row(
            "GET",
            f"{base}/{{scenario_id}}",
            lambda s: f"{base}/{s.scenario()}",
            expect(READERS, 200),
        ),
        Row(
            "PUT",
            f"{base}/{{scenario_id}}",
            lambda s: f"{base}/{s.scenario()}",
            expect(EDITORS, 200),
            lambda s: s.save(s.last_scenario),
        ),
        Row(
            "DELETE",
            f"{base}/{{scenario_id}}",
            lambda s: f"{base}/{s.scenario()}",
            expect(EDITORS, 204),
        ),
        *(
            Row(
                "POST",
                f"{base}/{{scenario_id}}/{kind}",
                lambda s, k=kind: f"{base}/{s.scenario()}/{k}",
                expect(EDITORS, 202),
                lambda s, b=body: b,
            )
            for kind, body in RUNS.items()
        ),
        Row(
            "POST",
            f"{base}/{{scenario_id}}/put-into-force",
            lambda s: f"{base}/{s.scenario()}/put-into-force",
            expect({"admin"}, 201),
            lambda s: {"deal": "nash", "name": f"In force {s.unique()}", "signed_on": "2026-03-01"},
        ),
        *_job_rows(),
        *_live_rows(),
    ]


def _live_rows() -> list[Row]:
    """The editor's live analysis and YAML view: every reader (never a liaison)."""
    document = lambda s: yaml.safe_load(SCENARIO.read_text())  # noqa: E731
    return [
        Row(
            "POST",
            f"/api/workbench/analyze{path}",
            lambda s, p=path: f"/api/workbench/analyze{p}",
            expect(READERS, 200),
            lambda s: {"document": document(s)},
        )
        for path in ("", "/survival")
    ] + [
        Row(
            "POST",
            "/api/workbench/documents/yaml",
            lambda s: "/api/workbench/documents/yaml",
            expect(READERS, 200),
            lambda s: {"document": document(s)},
        ),
        Row(
            "POST",
            "/api/workbench/documents/parse",
            lambda s: "/api/workbench/documents/parse",
            expect(READERS, 200),
            lambda s: {"text": SCENARIO.read_text()},
        ),
    ]


def _job_rows() -> list[Row]:
    """Runs in the background: readers follow them, who started one (or an admin) cancels it."""
    jobs = "/api/workbench/jobs"
    agreements = "/api/workbench/agreements"
    return [
        Row(
            "GET",
            "/api/workbench/strategies",
            lambda s: "/api/workbench/strategies",
            expect(READERS, 200),
        ),
        Row("GET", jobs, lambda s: jobs, expect(READERS, 200)),
        Row("GET", f"{jobs}/{{job_id}}", lambda s: f"{jobs}/{s.job()}", expect(READERS, 200)),
        Row(
            "POST",
            f"{jobs}/{{job_id}}/cancel",
            lambda s: f"{jobs}/{s.job()}/cancel",  # the admin's run: its owner or an admin
            expect({"admin"}, 200),
        ),
        Row(
            "GET",
            f"{jobs}/{{job_id}}/files/{{name}}",
            lambda s: f"{jobs}/{s.job()}/files/none.html",  # a run without files: 404 to readers
            expect(READERS, 404),
        ),
        Row(
            "GET",
            f"{agreements}/{{agreement_id}}/origin",
            lambda s: f"{agreements}/{s.agreement()}/origin",
            expect(READERS, 200),
        ),
        Row(
            "GET",
            f"{agreements}/{{agreement_id}}/durability",
            lambda s: f"{agreements}/{s.agreement()}/durability?paths=100&days=5",
            expect(READERS, 200),
        ),
    ]


def _workbench_page_rows() -> list[Row]:
    base = "/workbench/scenarios"
    return [
        Row("GET", "/workbench/", lambda s: "/workbench/", expect(READERS, 200)),
        Row(
            "GET",
            "/workbench/scenarios/{scenario_id}",
            lambda s: f"/workbench/scenarios/{s.scenario()}",
            expect(READERS, 200),
        ),
        *_scenario_rows(base, 303),
        Row(
            "POST",
            f"{base}/{{scenario_id}}/delete",
            lambda s: f"{base}/{s.scenario()}/delete",
            expect(EDITORS, 303),
        ),
        *(
            Row(
                "GET",
                f"{base}/{{scenario_id}}/{tab}",
                lambda s, t=tab: f"{base}/{s.scenario()}/{t}",
                expect(READERS, 200),
            )
            for tab in ("rehearse", "durability", "forecast", "brief")
        ),
        Row(
            "GET",
            "/workbench/agreements/{agreement_id}/durability",
            lambda s: f"/workbench/agreements/{s.agreement()}/durability",
            expect(READERS, 200),
        ),
    ]


def _page_rows() -> list[Row]:
    form = lambda s: {  # noqa: E731
        "agreement_id": str(s.world.agreement_id),
        "occurred_at": "2026-03-01T10:30",
        "type": "shelling",
        "sector_id": str(s.world.sector_ids[0]),
    }
    return [
        Row("GET", "/", lambda s: "/", expect(EVERYONE, 303)),  # the landing page by role
        Row("GET", "/incidents", lambda s: "/incidents", expect(EVERYONE, 200)),
        Row("GET", "/incidents/new", lambda s: "/incidents/new", expect(MISSION, 200)),
        Row("POST", "/incidents/new", lambda s: "/incidents/new", expect(MISSION, 303), form),
        *_workflow_rows("", "act", {"act": 303, "note": 303}),
        Row("GET", "/map", lambda s: "/map", expect(EVERYONE, 200)),
        Row("GET", "/report", lambda s: "/report", expect(READERS, 200)),
        *_duplicate_rows("", {"merge": 303, "unmerge": 303, "dismiss": 303, "restore": 303}),
        *_workbench_page_rows(),
        Row("POST", "/logout", lambda s: "/logout", expect(EVERYONE, 303), lambda s: {}),
    ]


API_ROWS = _api_rows()
PAGE_ROWS = _page_rows()


def _upload() -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("ceasefire.yaml", SCENARIO.read_bytes(), "application/yaml")}


def _client(db_url: str) -> TestClient:
    return TestClient(create_app(MonitorSettings(db_url=db_url, secret_key="k")))


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_every_route_is_in_the_matrix(db_url: str) -> None:
    app = create_app(MonitorSettings(db_url=db_url, secret_key="k"))
    routes = {
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        for method in (route.methods or {"GET"}) - {"HEAD"}
    }
    covered = {(r.method, r.route) for r in API_ROWS + PAGE_ROWS} | PUBLIC
    assert routes - covered == set(), "add these routes to the authorisation matrix"
    assert covered - routes == set(), "these rows name routes that no longer exist"


def test_api_matrix(db_url: str, world: World, factory: Any) -> None:
    site = Site(world, factory)
    wrong = []
    with _client(db_url) as c:
        site.client = c

        def token(who: str) -> str:
            r = c.post("/api/token", json={"username": who, "password": PASSWORD})
            return str(r.json()["access_token"])

        tokens = {who: token(who) for who in ROLES}
        for row in API_ROWS:
            headers = {"Content-Type": row.content_type} if row.content_type else {}
            r = c.request(row.method, row.url(site), headers=headers)
            if r.status_code != 401:
                wrong.append(("anonymous", row.method, row.route, r.status_code))
            for who, code in row.expected.items():
                auth = {"Authorization": f"Bearer {tokens[who]}", **headers}
                url = row.url(site)
                body = row.body(site) if row.body else None
                kw: dict[str, Any] = {"content": body} if row.content_type else {"json": body}
                if row.upload:
                    kw = {"files": _upload()}
                r = c.request(row.method, url, headers=auth, **kw)
                if r.status_code != code:
                    wrong.append((who, row.method, row.route, r.status_code, r.text[:100]))
                elif code == 202:  # a run started: let it end (a user runs a few at a time)
                    site.finished(r.json()["id"])
                if row.route in ENDS_SESSION:
                    tokens[who] = token(who)
    assert wrong == []


def test_page_matrix(db_url: str, world: World, factory: Any) -> None:
    with _client(db_url) as anonymous:  # also the admin's API client for the rows' objects
        _page_matrix(db_url, Site(world, factory, client=anonymous), anonymous)


def _page_matrix(db_url: str, site: Site, anonymous: TestClient) -> None:
    wrong = []
    for row in PAGE_ROWS:
        if row.method == "GET":
            url = row.url(site)
            r = anonymous.get(url, follow_redirects=False)
            got = (r.status_code, r.headers.get("location"))
            # To the login page, which brings the browser back to the page once signed in.
            back = "" if url == "/" else "?" + urlencode({"next": url})
            if got != (303, f"/login{back}"):
                wrong.append(("anonymous", row.method, row.route, got))
        elif (r := anonymous.post(row.url(site), data={})).status_code != 403:
            wrong.append(("anonymous", row.method, row.route, r.status_code))
    for who in ROLES:
        with _client(db_url) as c:  # logout, the last row, ends the session
            token = _csrf(c.get("/login").text)
            data = {"csrf": token, "username": who, "password": PASSWORD}
            assert c.post("/login", data=data, follow_redirects=False).status_code == 303
            csrf = _csrf(c.get("/incidents").text)
            for row in PAGE_ROWS:
                url = row.url(site)
                if row.method == "GET":
                    r = c.get(url, follow_redirects=False)
                else:
                    form = {"csrf": csrf, **(row.body(site) if row.body else {})}
                    files = _upload() if row.upload else None
                    r = c.post(url, data=form, files=files, follow_redirects=False)
                    # Without the session's CSRF token, the same form is refused.
                    stale = {**form, "csrf": "forged"}
                    refused = c.post(url, data=stale, files=files, follow_redirects=False)
                    if refused.status_code != 403:
                        wrong.append((who, "forged CSRF", row.route))
                if r.status_code != row.expected[who]:
                    wrong.append((who, row.method, row.route, r.status_code))
    assert wrong == []
