"""``detente monitor export|import``: the exchange formats from the command line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from detente.cli import app
from detente.monitor.db import make_engine
from detente.monitor.models import Incident
from tests.monitor.geojson_rfc import rfc7946_problems
from tests.monitor_support import PASSWORD

runner = CliRunner()


@pytest.fixture
def demo_db(tmp_path: Path) -> str:
    db = str(tmp_path / "demo.db")
    assert (
        runner.invoke(app, ["monitor", "init", "--db", db, "--password", PASSWORD]).exit_code == 0
    )
    r = runner.invoke(app, ["monitor", "seed-demo", "--db", db, "--incidents", "12", "--json"])
    assert r.exit_code == 0, r.output
    return db


def _count(db: str) -> int:
    engine = make_engine(f"sqlite:///{db}")
    with Session(engine) as s:
        n = int(s.scalar(select(func.count(Incident.id))) or 0)
    engine.dispose()
    return n


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("csv", "x.csv"), ("hxl", "x.csv"), ("geojson", "x.geojson"), ("ged", "x.csv")],
)
def test_export_then_import_doubles_the_incidents(
    demo_db: str, tmp_path: Path, fmt: str, name: str
) -> None:
    out = tmp_path / name
    r = runner.invoke(
        app, ["monitor", "export", "--db", demo_db, "--format", fmt, "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    if fmt == "geojson":
        assert rfc7946_problems(json.loads(out.read_text(encoding="utf-8"))) == []
    import_fmt = "csv" if fmt == "hxl" else fmt
    r = runner.invoke(
        app,
        ["monitor", "import", str(out), "--db", demo_db, "--agreement", "1", "--format",
         import_fmt, "--user", "demo-monitor", "--json"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.output)["incident_ids"]) == 12
    assert _count(demo_db) == 24


def test_export_to_standard_output_with_filters(demo_db: str) -> None:
    window = ["--since", "2000-01-01", "--until", "2100-01-01"]
    r = runner.invoke(
        app, ["monitor", "export", "--db", demo_db, "--format", "ged", "--agreement", "1", *window]
    )
    assert r.exit_code == 0, r.output
    assert len(list(csv.DictReader(io.StringIO(r.output)))) == 12
    r = runner.invoke(
        app, ["monitor", "export", "--db", demo_db, "--changed-since", "2100-01-01T00:00:00Z"]
    )
    assert r.exit_code == 0, r.output
    assert r.output.strip().count("\n") == 0  # the header alone


def test_import_picks_the_format_by_suffix_and_prints_a_line(demo_db: str, tmp_path: Path) -> None:
    out = tmp_path / "all.json"
    runner.invoke(
        app, ["monitor", "export", "--db", demo_db, "--format", "geojson", "--out", str(out)]
    )
    r = runner.invoke(app, ["monitor", "import", str(out), "--db", demo_db, "--agreement", "1"])
    assert r.exit_code == 0, r.output
    assert "Imported 12 incidents into agreement 1." in r.output


def test_refusals_are_one_line_and_exit_2(demo_db: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("occurred_at,type,sector\n2026-03-01T00:00:00Z,napalm,North\n")
    latin = tmp_path / "latin.geojson"
    latin.write_bytes(b"\xff\xfe{}")
    cases = [
        (["import", str(bad), "--agreement", "1"], f"{bad}:2: type:"),
        (["import", str(latin), "--agreement", "1"], "not UTF-8"),
        (["import", str(tmp_path / "none.csv"), "--agreement", "1"], "cannot read"),
        (["import", str(bad), "--agreement", "1", "--user", "nobody"], "no active user 'nobody'"),
        (["export", "--out", str(tmp_path / "x.txt")], "use a .csv file"),
        (["export", "--format", "geojson", "--out", str(tmp_path / "x.csv")], ".geojson"),
        (["export", "--since", "yesterday"], "--since: 'yesterday' is not an ISO 8601 time"),
    ]
    for args, message in cases:
        r = runner.invoke(app, ["monitor", *args, "--db", demo_db])
        assert r.exit_code == 2, (args, r.output)
        assert message in " ".join(r.output.split()), (args, r.output)
    assert _count(demo_db) == 12


def test_commands_need_an_admin(tmp_path: Path) -> None:
    db = str(tmp_path / "empty.db")
    assert (
        runner.invoke(app, ["monitor", "init", "--db", db, "--password", PASSWORD]).exit_code == 0
    )
    engine = make_engine(f"sqlite:///{db}")
    from detente.monitor.models import User  # noqa: PLC0415

    with Session(engine) as s, s.begin():
        s.execute(User.__table__.update().values(active=False))
    engine.dispose()
    r = runner.invoke(app, ["monitor", "export", "--db", db])
    assert r.exit_code == 2
    assert "no admin user" in r.output
