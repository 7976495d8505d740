"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from detente.monitor import duplicates, service
from detente.monitor.db import _alembic_config, current_revision, make_engine, migrate
from detente.monitor.enums import Action, IncidentType
from detente.monitor.models import Base, User
from detente.monitor.schemas import IncidentIn, TransitionIn
from detente.workbench import models as workbench_models
from tests.monitor_support import make_world


def test_upgrade_from_empty_matches_models(db_url: str) -> None:
    assert "scenario_version" in workbench_models.Base.metadata.tables
    engine = make_engine(db_url)
    assert current_revision(engine) is None
    migrate(engine)
    assert current_revision(engine) == "0007"
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    migrate(engine)  # a second run is a no-op
    assert current_revision(engine) == "0007"
    engine.dispose()


def test_downgrade_to_base_empties(engine: Engine) -> None:
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}


def test_0002_fills_the_party_of_past_attributions(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine, "0001")
    now = "2026-03-01 10:00:00"
    rows = [
        "INSERT INTO agreement (id, name, text, mechanism) VALUES (1, 'A', '', 'hotline')",
        "INSERT INTO party (id, agreement_id, name) VALUES (1, 1, 'Red'), (2, 1, 'Blue')",
        (
            "INSERT INTO user_account (id, username, password_hash, role, active, created_at) "
            f"VALUES (1, 'm', 'x', 'monitor', true, '{now}')"
        ),
        (
            "INSERT INTO incident (id, agreement_id, occurred_at, reported_at, type, longitude, "
            "latitude, reporter_id, sources, confidence, description, state, attributed_party_id) "
            f"VALUES (1, 1, '{now}', '{now}', 'shelling', 20, 45, 1, '', 'low', '', 'raised', 2)"
        ),
        (
            "INSERT INTO incident_event (id, incident_id, action, from_state, to_state, actor_id, "
            f"at, reason) VALUES (1, 1, 'report', NULL, 'reported', 1, '{now}', 'r'), "
            f"(2, 1, 'attribute', 'verified', 'attributed', 1, '{now}', 'r'), "
            f"(3, 1, 'raise', 'attributed', 'raised', 1, '{now}', 'r')"
        ),
    ]
    with engine.begin() as conn:
        for sql in rows:
            conn.execute(text(sql))
    migrate(engine)
    with engine.connect() as conn:
        got = conn.execute(text("SELECT id, party_id FROM incident_event ORDER BY id")).all()
        sizes = conn.execute(text("SELECT count(size_bytes) FROM attachment")).scalar()
    assert [tuple(r) for r in got] == [(1, None), (2, 2), (3, None)]
    assert sizes == 0
    engine.dispose()


def test_0005_downgrade_returns_merged_reports_to_their_state(
    engine: Engine, factory: sessionmaker[Session]
) -> None:
    world = make_world(factory)
    with factory() as s, s.begin():
        monitor = s.get(User, world.users["monitor"])
        assert monitor is not None
        body = IncidentIn(
            agreement_id=world.agreement_id,
            occurred_at=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC),
            type=IncidentType.SHELLING,
            sector_id=world.sector_ids[0],
        )
        kept, dup = (service.create_incident(s, monitor, body).id for _ in range(2))
        service.transition(
            s, monitor, dup, TransitionIn(action=Action.START_VERIFICATION, reason="check")
        )
        duplicates.merge(s, monitor, kept, [dup], "same event")
    migrate(engine, "head")
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    with engine.connect() as conn:
        states = conn.execute(text("SELECT id, state FROM incident ORDER BY id")).all()
        columns = {c["name"] for c in inspect(conn).get_columns("incident")}
    assert [tuple(r) for r in states] == [(kept, "reported"), (dup, "under_verification")]
    assert "merged_into_id" not in columns
    migrate(engine)
    assert current_revision(engine) == "0007"
