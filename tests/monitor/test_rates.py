"""Observed rates against hand-computed values on a small record with set timestamps."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from detente.cli import app
from detente.durability import default_parameters, simulate
from detente.durability.parameters import load_parameters
from detente.monitor.models import IncidentEvent, User
from detente.monitor.rates import default_window, observed_rates, to_parameters
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


def test_observed_rates(
    api: Api, factory: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
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
    assert r.attribution_share == pytest.approx(1)  # both verified ones were attributed
    assert r.answer_share == pytest.approx(1 / 2)
    assert r.resolution_share == pytest.approx(1 / 2)  # one resolved, one escalated
    assert r.median_hours_to_verification == pytest.approx(3)  # of 3, 7 and 2 hours
    assert r.median_hours_to_answer == pytest.approx(6)
    assert r.median_hours_to_closure == pytest.approx(31)  # of 12 and 50 hours
    assert r.unattributed == 1
    # One incident each in 10 days: a Poisson rate of 0.1 a day, P(at least one) = 1 - e^-0.1.
    assert [(p.party, p.incidents) for p in r.parties] == [("Red", 1), ("Blue", 1)]
    for p in r.parties:
        assert p.daily_rate == pytest.approx(0.1)
        assert p.daily_probability == pytest.approx(0.09516258196404048)
    params = to_parameters(r)
    assert params.party_names == ("Red", "Blue")
    assert [p.incident_rate for p in params.parties] == pytest.approx([0.0951626] * 2)
    assert (params.detection, params.attribution) == pytest.approx((2 / 3, 1.0))
    assert params.misattribution == pytest.approx(0.0)  # lowered: attribution + mis <= 1
    assert params.resolution == pytest.approx(0.5)
    calibrated = default_parameters().parties[0]
    assert params.parties[0].deal_value == calibrated.deal_value
    assert params.parties[0].trust_loss == calibrated.trust_loss

    # The CLI: default window from the first incident's day; JSON; a parameters file.
    out = CliRunner().invoke(app, ["monitor", "rates", "--db", db_url, "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["incidents"] == 4
    assert data["since"] == "2026-02-01T00:00:00+00:00"
    out = CliRunner().invoke(app, ["monitor", "rates", "--db", db_url, "--days", "3650", "--json"])
    assert json.loads(out.output)["incidents"] == 4
    params_file = tmp_path / "observed.yaml"
    out = CliRunner().invoke(
        app, ["monitor", "rates", "--db", db_url, "--params-out", str(params_file)]
    )
    assert out.exit_code == 0, out.output
    assert "verification share" in out.output
    assert "daily probability" in out.output
    assert "2026-02-01" in out.output  # the window used is shown
    loaded = load_parameters(params_file)
    assert loaded.party_names == ("Red", "Blue")
    assert loaded.detection == pytest.approx(2 / 3)
    result = simulate(loaded, paths=200, days=30, rng=1)
    assert result.paths == 200
    out = CliRunner().invoke(
        app,
        [
            "durability",
            "ceasefire-2025",
            "--params",
            str(params_file),
            "--paths",
            "200",
            "--days",
            "30",
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    base = tmp_path / "base.yaml"
    base.write_text(
        yaml.safe_dump(default_parameters().replace_parties(trust_loss=0.5).model_dump(mode="json"))
    )
    out = CliRunner().invoke(
        app,
        ["monitor", "rates", "--db", db_url, "--base", str(base), "--params-out", str(params_file)],
    )
    assert out.exit_code == 0, out.output
    assert load_parameters(params_file).parties[1].trust_loss == 0.5
    out = CliRunner().invoke(
        app, ["monitor", "rates", "--db", db_url, "--params-out", str(tmp_path / "no" / "x.yaml")]
    )
    assert out.exit_code == 2
    assert "x.yaml" in out.output
    assert "folder does not exist" in out.output


def test_rates_on_an_empty_window(api: Api, factory: sessionmaker[Session], db_url: str) -> None:
    with factory() as s:
        analyst = s.scalars(select(User).where(User.username == "analyst")).one()
        r = observed_rates(s, analyst, api.world.agreement_id, T0, T0)
    assert (r.incidents, r.daily_incident_rate, r.verification_share, r.median_hours_to_answer) == (
        0,
        0.0,
        None,
        None,
    )
    assert [p.daily_probability for p in r.parties] == [0.0, 0.0]
    params = to_parameters(r)  # nothing observed: the calibrated shares stay
    assert params.detection == default_parameters().detection
    with factory() as s:
        assert default_window(s, api.world.agreement_id, T0) == (T0, T0)
    out = CliRunner().invoke(app, ["monitor", "rates", "--db", db_url])
    assert out.exit_code == 0, out.output
    assert "n/a" in out.output
    assert "Durability parameters written" not in out.output
