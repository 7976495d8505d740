"""An API client per role over the shared world."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

from tests.monitor_support import PASSWORD, World

ROLES = ["admin", "monitor", "analyst", "liaison_red", "liaison_blue"]


@dataclasses.dataclass
class Api:
    client: TestClient
    world: World
    tokens: dict[str, str]

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, who: str, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers={**self.h(who), **kw.pop("headers", {})}, **kw)

    def post(self, who: str, url: str, **kw: Any) -> Any:
        return self.client.post(url, headers={**self.h(who), **kw.pop("headers", {})}, **kw)

    def incident_body(self, **over: Any) -> dict[str, Any]:
        body = {
            "agreement_id": self.world.agreement_id,
            "occurred_at": "2026-03-01T10:00:00Z",
            "type": "shelling",
            "sector_id": self.world.sector_ids[0],
            "longitude": 20.2,
            "latitude": 45.2,
            "sources": "patrol",
            "confidence": "high",
            "description": "impacts",
            "clause_ids": [self.world.clause_ids[0]],
        }
        body.update(over)
        return body

    def report(self, **over: Any) -> int:
        r = self.post("monitor", "/api/incidents", json=self.incident_body(**over))
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    def act(self, who: str, incident: int, action: str, **extra: Any) -> Any:
        body = {"action": action, "reason": f"{action} because", **extra}
        return self.post(who, f"/api/incidents/{incident}/transitions", json=body)

    def drive(self, incident: int, party: int, until: str) -> None:
        """Move an incident along the main path up to ``until``."""
        path = ["start_verification", "verify", "attribute", "raise", "answer", "resolve"]
        for action in path:
            who = "liaison_red" if action == "answer" and party == 0 else "monitor"
            if action == "answer" and party == 1:
                who = "liaison_blue"
            extra = {"party_id": self.world.party_ids[party], "confidence": "high"}
            r = self.act(who, incident, action, **(extra if action == "attribute" else {}))
            assert r.status_code == 200, r.text
            if action == until:
                return


def login_all(client: TestClient, world: World) -> Api:
    tokens = {}
    for who in ROLES:
        r = client.post("/api/token", json={"username": who, "password": PASSWORD})
        assert r.status_code == 200, r.text
        tokens[who] = r.json()["access_token"]
    return Api(client, world, tokens)


TODAY = dt.date(2026, 3, 1)
