"""Exchange with other systems: incremental pulls (``changed_since``) and HXL-tagged CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time

from tests.monitor.api_support import Api


def test_changed_since_pulls_only_what_changed(api: Api) -> None:
    old, moved = api.report(description="old"), api.report(description="moved")
    time.sleep(0.01)
    mark = dt.datetime.now(dt.UTC)
    time.sleep(0.01)
    new = api.report(description="new")
    assert api.act("monitor", moved, "start_verification").status_code == 200
    stamp = mark.isoformat().replace("+00:00", "Z")
    got = api.get("analyst", "/api/incidents", params={"changed_since": stamp}).json()
    assert sorted(i["id"] for i in got["items"]) == sorted([moved, new])
    assert old not in [i["id"] for i in got["items"]]
    text = api.get("analyst", "/api/export/incidents.csv", params={"changed_since": stamp}).text
    assert text.count("\n") == 3  # the header and two rows


def test_csv_with_hxl_hashtags_round_trips(api: Api) -> None:
    w = api.world
    api.report(description="hxl one", clause_ids=w.clause_ids, longitude=-20.5, latitude=-45.25)
    api.report(description="hxl two", sources=" =not a formula", longitude=None, latitude=None)
    text = api.get("analyst", "/api/export/incidents.csv", params={"hxl": "true"}).text
    lines = text.splitlines()
    assert lines[1].startswith("#event+id,#meta+agreement+id,#date+occurred")
    keep = ["occurred_at", "type", "sector", "longitude", "latitude", "confidence", "sources",
            "description", "clauses"]  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=keep, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)  # the HXL row (first) and the incidents
    r = api.post(
        "monitor",
        f"/api/import/incidents?agreement_id={w.agreement_id}",
        content=out.getvalue(),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 201, r.text
    assert len(r.json()) == 2
    again = list(csv.DictReader(io.StringIO(api.get("analyst", "/api/export/incidents.csv").text)))
    by_description: dict[str, list[dict[str, str]]] = {}
    for row in again:
        by_description.setdefault(row["description"], []).append(row)
    for description in ("hxl one", "hxl two"):
        first, second = by_description[description]
        assert [first[k] for k in keep] == [second[k] for k in keep]
    assert by_description["hxl one"][0]["longitude"] == "-20.5"
