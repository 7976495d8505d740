"""Bad requests get a clean 4xx whose body never repeats the value given."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from detente.monitor.exchange import outgoing_cell as _cell
from tests.monitor.api_support import Api
from tests.monitor_support import PASSWORD


def _raw(api: Api, who: str, url: str, text: str) -> object:
    """POST a JSON text as it is (httpx cannot encode a lone surrogate or NaN itself)."""
    return api.post(who, url, content=text.encode(), headers={"Content-Type": "application/json"})


@pytest.mark.parametrize(
    "field_text",
    [
        '"description": "\\ud800"',  # a lone surrogate, escaped as JSON allows
        '"sources": "ok \\udfff end"',
        '"longitude": NaN',
        '"latitude": Infinity',
        '"longitude": -Infinity',
    ],
)
def test_unencodable_or_non_finite_values_are_refused_with_422(api: Api, field_text: str) -> None:
    body = json.dumps(api.incident_body(description="x", sources="s", longitude=20.1))
    text = body[:-1] + ", " + field_text + "}"
    # A later duplicate key wins in Python's JSON parser, so the bad value is the one read.
    r = _raw(api, "monitor", "/api/incidents", text)
    assert r.status_code == 422, r.text  # type: ignore[attr-defined]
    detail = r.json()["detail"]  # type: ignore[attr-defined]
    assert all("input" not in d for d in detail)
    assert "NaN" not in r.text
    assert "Infinity" not in r.text


def test_surrogate_in_a_field_name_is_refused_cleanly(api: Api) -> None:
    text = '{"username": "a", "password": "b", "\\ud800": 1}'
    headers = {"content-type": "application/json"}
    r = api.client.post("/api/token", content=text.encode(), headers=headers)
    assert r.status_code == 422
    assert r.json()["detail"]


def test_validation_errors_never_echo_a_password(api: Api) -> None:
    secret = "short-Sec"
    for body in (
        {"username": "newbie", "password": secret, "role": "analyst"},
        {"username": "newbie", "password": secret + "\U0001f600" * 200, "role": "analyst"},
        {"username": "newbie", "password": "password12345", "role": "analyst"},
        {"username": "newbie", "password": "newbie-is-me-and-long", "role": "analyst"},
    ):
        r = api.post("admin", "/api/users", json=body)
        assert r.status_code == 422, r.text
        assert body["password"][:9] not in r.text
    r = api.client.post("/api/token", json={"username": "x", "password": "", "extra": secret})
    assert r.status_code == 422
    assert secret not in r.text


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("0001-01-01T00:00:00Z", "before the agreement"),
        ("0001-01-01T00:00:00+01:00", "out of range"),
        ("2025-12-31T00:00:00Z", "before the agreement"),  # signed 2026-01-01
        ("9999-12-31T23:59:59Z", "future"),
        ("9999-12-31T23:59:59-05:00", "out of range"),
    ],
)
def test_out_of_range_times_are_refused(api: Api, when: str, message: str) -> None:
    r = api.post("monitor", "/api/incidents", json=api.incident_body(occurred_at=when))
    assert r.status_code == 422, r.text
    assert message in r.text


def test_times_within_the_stated_bounds_are_accepted(api: Api) -> None:
    now = dt.datetime.now(dt.UTC)
    for when in (
        "2025-12-31T12:00:00-12:00",  # the signing day somewhere on Earth
        (now + dt.timedelta(minutes=9)).isoformat(),  # within the clock skew
    ):
        api.report(occurred_at=when)
    inc = api.report()
    r = api.client.patch(
        f"/api/incidents/{inc}",
        headers=api.h("monitor"),
        json={"occurred_at": (now + dt.timedelta(hours=1)).isoformat(), "reason": "clock"},
    )
    assert r.status_code == 422
    assert "future" in r.text


@pytest.mark.parametrize(
    "text",
    ["=1+1", " =1+1", "\n=1+1", "\t=HYPERLINK(x)", "  \r\n@SUM(A1)", "\u00a0+cmd", "-2+3"],
)
def test_csv_formula_guard_covers_leading_white_space(text: str) -> None:
    assert _cell(text).startswith("'")


def test_csv_cells_that_are_not_formulas_are_kept() -> None:
    assert _cell("plain text, = later") == "plain text, = later"
    assert _cell(-20.25) == "-20.25"  # a number is not a formula
    assert _cell(None) == ""


def test_exported_csv_never_starts_a_cell_with_a_formula(api: Api) -> None:
    api.report(description=' \n=HYPERLINK("http://x")', sources="\t+1")
    rows = list(csv.DictReader(io.StringIO(api.get("analyst", "/api/export/incidents.csv").text)))
    for row in rows:
        for value in row.values():
            assert value.lstrip()[:1] not in {"=", "+", "@"} or value.startswith("'")


def test_password_constant_is_strong() -> None:
    from detente.monitor.auth import check_password_strength  # noqa: PLC0415

    check_password_strength(PASSWORD, "admin")
