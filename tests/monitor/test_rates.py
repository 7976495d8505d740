"""Observed rates against hand-computed values on a small record with set timestamps."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from detente.cli import app
from detente.monitor.models import IncidentEvent, User
from detente.monitor.rates import observed_rates
from tests.monitor.api_support import Api

T0 = dt.datetime(2026, 3, 5, 8, 0, tzinfo=dt.UTC)


def _retime(factory: sessionmaker[Session], incident: int, hours: list[float]) -> None:
    with factory() as s, s.begin():
        ids = list(
            s.scalars(
                select(IncidentEvent.id)
                .where(IncidentEvent.incident_id == incident)
                .order_by(IncidentEvent.id)
            )
        )
        assert len(ids) == len(hours)
        for eid, h in zip(ids, hours, strict=True):
            s.execute(
                update(IncidentEvent)
                .where(IncidentEvent.id == eid)
                .values(at=T0 + dt.timedelta(hours=h))
            )


def test_observed_rates(api: Api, factory: sessionmaker[Session], db_url: str) -> None:
    a = api.report(occurred_at="2026-03-02T00:00:00Z")
    api.drive(a, 0, "resolve")  # report, start, verify, attribute, raise, answer, resolve
    _retime(factory, a, [0, 1, 3, 4, 5, 11, 12])
    b = api.report(occurred_at="2026-03-03T00:00:00Z")
    api.act("monitor", b, "start_verification")
    api.act("monitor", b, "reject")
    _retime(factory, b, [0, 1, 7])
    c = api.report(occurred_at="2026-03-04T00:00:00Z")
    api.drive(c, 1, "raise")
    assert api.act("monitor", c, "escalate").status_code == 200
    _retime(factory, c, [0, 1, 2, 3, 4, 50])
    api.report(occurred_at="2026-02-01T00:00:00Z")  # outside the window
    since, until = dt.datetime(2026, 3, 1, tzinfo=dt.UTC), dt.datetime(2026, 3, 11, tzinfo=dt.UTC)
    with factory() as s:
        analyst = s.scalars(select(User).where(User.username == "analyst")).one()
        r = observed_rates(s, analyst, api.world.agreement_id, since, until)
    assert r.days == 10
    assert r.incidents == 3
    assert r.daily_incident_rate == pytest.approx(0.3)
    assert r.verification_share == pytest.approx(2 / 3)
    assert r.answer_share == pytest.approx(1 / 2)
    assert r.median_hours_to_verification == pytest.approx(3)  # of 3, 7 and 2 hours
    assert r.median_hours_to_answer == pytest.approx(6)
    assert r.median_hours_to_closure == pytest.approx(31)  # of 12 and 50 hours
    out = CliRunner().invoke(app, ["monitor", "rates", "--db", db_url, "--days", "3650", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["incidents"] == 4
    out = CliRunner().invoke(app, ["monitor", "rates", "--db", db_url])
    assert out.exit_code == 0
    assert "verification share" in out.output


def test_rates_on_an_empty_window(api: Api, factory: sessionmaker[Session]) -> None:
    with factory() as s:
        analyst = s.scalars(select(User).where(User.username == "analyst")).one()
        r = observed_rates(s, analyst, api.world.agreement_id, T0, T0)
    assert (r.incidents, r.daily_incident_rate, r.verification_share, r.median_hours_to_answer) == (
        0,
        0.0,
        None,
        None,
    )
