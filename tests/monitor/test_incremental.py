"""Incremental pulls: ``changed_since`` lists what was reported, moved or corrected since."""

from __future__ import annotations

import datetime as dt
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
