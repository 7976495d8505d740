"""verify-audit replays the library's entries: a scenario changed behind the service is found."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from detente.cli import app
from detente.monitor.models import utcnow
from detente.workbench import library as lib
from detente.workbench.audit import verify_audit
from detente.workbench.models import ScenarioRecord, ScenarioVersion
from tests.monitor_support import World
from tests.workbench.test_library import run

Factory = sessionmaker[Session]


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def library(factory: Factory, world: World) -> dict[str, Any]:
    """Two scenarios: one saved twice, one deleted."""
    del world
    made = run(factory, "analyst", lambda s, a: lib.create_scenario(s, a, builtin="ceasefire-2025"))
    doc = copy.deepcopy(made.document)
    doc["parties"][0]["reservation_value"] = 0.5
    run(factory, "analyst", lambda s, a: lib.save_scenario(s, a, made.id, doc, base_version=1))
    gone = run(factory, "admin", lambda s, a: lib.create_scenario(s, a, name="Gone"))
    run(factory, "admin", lambda s, a: lib.delete_scenario(s, a, gone.id))
    return {"id": made.id, "gone": gone.id, "document": doc}


def test_an_untouched_library_verifies(factory: Factory, library: dict[str, Any]) -> None:
    with factory() as s:
        report = verify_audit(s)
    assert report.ok, report.problem
    assert report.entries > 4


def _weight(s: Session, sid: int) -> None:
    row = s.get(ScenarioVersion, (sid, 2))
    assert row is not None
    doc = copy.deepcopy(row.document)
    doc["parties"][0]["preferences"]["issues"]["sanctions_relief"]["weight"] = 0.9
    s.execute(
        update(ScenarioVersion)
        .where(ScenarioVersion.scenario_id == sid, ScenarioVersion.version == 2)
        .values(document=doc)
    )


TAMPERING: list[tuple[str, Callable[[Session, dict[str, Any]], Any], str]] = [
    ("weight", lambda s, x: _weight(s, x["id"]), "version 2: its document differs"),
    (
        "checksum",
        lambda s, x: s.execute(update(ScenarioVersion).values(sha256="0" * 64)),
        "version 1: its document differs",
    ),
    (
        "version removed",
        lambda s, x: (
            s.execute(delete(ScenarioVersion).where(ScenarioVersion.version == 2)),
            s.execute(update(ScenarioRecord).values(version=1)),
        ),
        "version 2 of the audit log is missing from the database",
    ),
    (
        "version added",
        lambda s, x: s.execute(
            insert(ScenarioVersion).values(
                scenario_id=x["id"],
                version=3,
                saved_at=utcnow(),
                saved_by_id=1,
                message="",
                sha256="0" * 64,
                document={},
            )
        ),
        "version 3 has no record in the audit log",
    ),
    (
        "counter",
        lambda s, x: s.execute(
            update(ScenarioRecord).where(ScenarioRecord.id == x["id"]).values(version=1)
        ),
        "its latest version 1 is not the last one the audit log records",
    ),
    (
        "undeleted",
        lambda s, x: s.execute(update(ScenarioRecord).values(deleted_at=None)),
        "is not deleted, unlike what the audit log records",
    ),
    (
        "deleted",
        lambda s, x: s.execute(update(ScenarioRecord).values(deleted_at=utcnow())),
        "scenario 1 is deleted, unlike what the audit log records",
    ),
    (
        "scenario removed",
        lambda s, x: (
            s.execute(delete(ScenarioVersion).where(ScenarioVersion.scenario_id == x["gone"])),
            s.execute(delete(ScenarioRecord).where(ScenarioRecord.id == x["gone"])),
        ),
        "version 1 of the audit log is missing from the database",
    ),
]


@pytest.mark.parametrize(("name", "tamper", "problem"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_a_change_behind_the_service_is_found(
    factory: Factory, library: dict[str, Any], name: str, tamper: Any, problem: str
) -> None:
    del name
    with factory() as s, s.begin():
        tamper(s, library)
    with factory() as s:
        report = verify_audit(s)
    assert not report.ok
    assert problem in (report.problem or "")


def test_verify_audit_command_reports_a_tampered_scenario(
    factory: Factory, library: dict[str, Any], db_url: str
) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["monitor", "verify-audit", "--db", db_url])
    assert r.exit_code == 0, r.output
    with factory() as s, s.begin():
        _weight(s, library["id"])
    r = runner.invoke(app, ["monitor", "verify-audit", "--db", db_url])
    assert r.exit_code == 1
    assert "scenario 1 version 2: its document differs" in r.output
