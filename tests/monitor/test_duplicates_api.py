"""Duplicate reports over the API: proposals, merge, unmerge, dismiss, restore, roles, audit."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.monitor.api_support import Api

#: About 550 m north of the default report's point (45.2 N, 20.2 E).
NEARBY = {"latitude": 45.205, "longitude": 20.2}


def _ids(api: Api, who: str, url: str) -> list[int]:
    r = api.get(who, url)
    assert r.status_code == 200, r.text
    return [c["incident_id"] for c in r.json()["candidates"]]


def test_propose_merge_unmerge_and_dismiss(api: Api) -> None:
    a = api.report()
    b = api.report(occurred_at="2026-03-01T10:20:00Z", **NEARBY)
    c = api.report(occurred_at="2026-03-01T09:30:00Z", latitude=45.201, longitude=20.201)
    far = api.report(latitude=45.3)  # about 11 km away
    r = api.get("analyst", f"/api/incidents/{a}/duplicates")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["incident_id"], body["distance_m"], body["window_minutes"]) == (a, 2000.0, 60.0)
    assert [x["incident_id"] for x in body["candidates"]] == [c, b]
    assert body["candidates"][1]["distance_m"] == pytest.approx(556.0, abs=1.0)
    assert body["candidates"][1]["minutes_apart"] == 20.0
    assert far not in _ids(api, "analyst", f"/api/incidents/{far}/duplicates")

    # Roles: analysts read but may not decide; liaisons see nothing of it.
    assert api.get("liaison_red", f"/api/incidents/{a}/duplicates").status_code == 403
    merge = {"duplicate_ids": [b], "reason": "same shelling seen from two posts"}
    assert api.post("analyst", f"/api/incidents/{a}/merge", json=merge).status_code == 403
    assert api.post("liaison_red", f"/api/incidents/{a}/merge", json=merge).status_code == 403

    # Dismiss c: not proposed again, from either side; idempotent retry.
    dismiss = {"other_id": c, "reason": "an earlier, separate barrage"}
    headers = {"Idempotency-Key": "dismiss-1"}
    r = api.post("monitor", f"/api/incidents/{a}/dismiss-duplicate", json=dismiss, headers=headers)
    assert r.status_code == 201, r.text
    assert [x["incident_id"] for x in r.json()["candidates"]] == [b]
    again = api.post(
        "monitor", f"/api/incidents/{a}/dismiss-duplicate", json=dismiss, headers=headers
    )
    assert (again.status_code, again.headers.get("Idempotent-Replayed")) == (201, "true")
    assert (
        api.post("monitor", f"/api/incidents/{a}/dismiss-duplicate", json=dismiss).status_code
        == 409
    )
    assert a not in _ids(api, "monitor", f"/api/incidents/{c}/duplicates")

    # Merge b into a: a records it, b is merged, lists and exports count the event once.
    before = api.get("analyst", "/api/incidents").json()["total"]
    r = api.post("monitor", f"/api/incidents/{a}/merge", json=merge)
    assert r.status_code == 200, r.text
    assert (r.json()["id"], r.json()["merged_ids"]) == (a, [b])
    assert r.json()["events"][-1]["action"] == "merge"
    merged = api.get("analyst", f"/api/incidents/{b}").json()
    assert (merged["state"], merged["merged_into_id"]) == ("merged", a)
    assert api.get("analyst", "/api/incidents").json()["total"] == before - 1
    assert b in [i["id"] for i in api.get("analyst", "/api/incidents?state=merged").json()["items"]]
    rows = list(csv.DictReader(io.StringIO(api.get("analyst", "/api/export/incidents.csv").text)))
    assert b not in {int(row["id"]) for row in rows}
    geo = json.loads(api.get("analyst", "/api/export/incidents.geojson").text)
    assert b not in {f["properties"]["id"] for f in geo["features"]}
    assert _ids(api, "analyst", f"/api/incidents/{a}/duplicates") == []
    assert api.post("monitor", f"/api/incidents/{a}/merge", json=merge).status_code == 409

    # Undo: b is counted again and proposed again.
    r = api.post("admin", f"/api/incidents/{b}/unmerge", json={"reason": "a second impact"})
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["merged_into_id"]) == ("reported", None)
    assert api.get("analyst", "/api/incidents").json()["total"] == before
    assert _ids(api, "analyst", f"/api/incidents/{a}/duplicates") == [b]

    verify = api.get("admin", "/api/audit/verify").json()
    assert verify["ok"], verify


def test_bad_requests(api: Api) -> None:
    a = api.report()
    for body in (
        {"duplicate_ids": [], "reason": "x"},
        {"duplicate_ids": [a + 1]},
        {"duplicate_ids": [0], "reason": "x"},
        {"duplicate_ids": [a], "reason": "x", "extra": 1},
    ):
        r = api.post("monitor", f"/api/incidents/{a}/merge", json=body)
        assert r.status_code == 422, (body, r.text)
    assert (
        api.post(
            "monitor", f"/api/incidents/{a}/merge", json={"duplicate_ids": [a], "reason": "x"}
        ).status_code
        == 422
    )
    assert (
        api.post(
            "monitor", f"/api/incidents/{a}/merge", json={"duplicate_ids": [99], "reason": "x"}
        ).status_code
        == 404
    )
    assert (
        api.post("monitor", f"/api/incidents/{a}/unmerge", json={"reason": "x"}).status_code == 409
    )
    assert api.get("monitor", "/api/incidents/99/duplicates").status_code == 404
    r = api.post(
        "monitor", f"/api/incidents/{a}/dismiss-duplicate", json={"other_id": a, "reason": "x"}
    )
    assert r.status_code == 422
    assert "itself" in r.text


def test_restore_a_dismissed_pair_then_merge_it(api: Api) -> None:
    a = api.report()
    b = api.report(occurred_at="2026-03-01T10:20:00Z", **NEARBY)
    dismiss = {"other_id": b, "reason": "two guns"}
    assert (
        api.post("monitor", f"/api/incidents/{a}/dismiss-duplicate", json=dismiss).status_code
        == 201
    )
    shown = api.get("analyst", f"/api/incidents/{b}/duplicates").json()
    assert shown["candidates"] == []
    assert [(d["incident_id"], d["decided_by"], d["reason"]) for d in shown["dismissed"]] == [
        (a, "monitor", "two guns")
    ]

    url = f"/api/incidents/{b}/restore-duplicate"
    restore = {"other_id": a, "reason": "one gun after all"}
    for who in ("analyst", "liaison_red"):
        assert api.post(who, url, json=restore).status_code == 403
    for body in ({"other_id": a}, {"other_id": a, "reason": " "}, {"other_id": 0, "reason": "x"},
                 {"other_id": b, "reason": "x"}, {**restore, "extra": 1}):  # fmt: skip
        assert api.post("monitor", url, json=body).status_code == 422, body
    assert api.post("monitor", url, json={"other_id": 99, "reason": "x"}).status_code == 404

    headers = {"Idempotency-Key": "restore-1"}
    r = api.post("admin", url, json=restore, headers=headers)
    assert r.status_code == 200, r.text
    assert ([c["incident_id"] for c in r.json()["candidates"]], r.json()["dismissed"]) == ([a], [])
    again = api.post("admin", url, json=restore, headers=headers)
    assert (again.status_code, again.headers.get("Idempotent-Replayed")) == (200, "true")
    late = api.post(
        "monitor", f"/api/incidents/{a}/restore-duplicate", json={**restore, "other_id": b}
    )
    assert late.status_code == 409
    assert (
        f"the dismissal of incidents {a} and {b} was already undone by admin at"
        in (late.json()["detail"])
    )
    assert late.json()["decided_by"] == "admin"
    timeline = [e["action"] for e in api.get("analyst", f"/api/incidents/{a}").json()["events"]]
    assert timeline[-2:] == ["dismiss_duplicate", "restore_duplicate"]

    merge = {"duplicate_ids": [b], "reason": "same shelling"}
    assert api.post("monitor", f"/api/incidents/{a}/merge", json=merge).status_code == 200
    verify = api.get("admin", "/api/audit/verify").json()
    assert verify["ok"], verify


def test_a_second_unmerge_names_who_unmerged(api: Api) -> None:
    a = api.report()
    b = api.report(**NEARBY)
    merge = {"duplicate_ids": [b], "reason": "same shelling"}
    assert api.post("monitor", f"/api/incidents/{a}/merge", json=merge).status_code == 200
    unmerge = {"reason": "two impacts"}
    assert api.post("admin", f"/api/incidents/{b}/unmerge", json=unmerge).status_code == 200
    late = api.post("monitor", f"/api/incidents/{b}/unmerge", json=unmerge)
    assert late.status_code == 409
    assert "its merge was already undone by admin at" in late.json()["detail"]
    assert late.json()["decided_by"] == "admin"
