"""Fuzz every API operation from its OpenAPI spec (schemathesis): no input makes a 5xx.

The operations come from the app's spec, so the Workbench's routes are fuzzed as they come.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)
from sqlalchemy.orm import sessionmaker

from detente.monitor.db import MonitorSettings, make_engine, migrate
from detente.monitor.models import User
from detente.web import create_app
from detente.workbench import library
from tests.monitor_support import PASSWORD, make_world

pytestmark = pytest.mark.slow
TOKEN: dict[str, str] = {}


def not_a_server_error(ctx: Any, response: Any, case: Any) -> bool:
    """Every answer is a clear 2xx/4xx, never a 5xx."""
    del ctx, case
    assert response.status_code < 500, response.text
    return True


_DIR = Path(tempfile.mkdtemp(prefix="detente-fuzz-"))
_URL = f"sqlite:///{_DIR / 'fuzz.db'}"
APP = create_app(MonitorSettings(db_url=_URL, secret_key="fuzz", max_body_bytes=100_000))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _world() -> Iterator[None]:
    # a test process that takes more of this module's tests after the teardown below (as
    # pytest-xdist's work stealing may) sets the module up again
    _DIR.mkdir(parents=True, exist_ok=True)
    engine = make_engine(_URL)
    migrate(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    world = make_world(factory)
    with factory() as s, s.begin():  # scenario 1, so the workbench's routes find one
        library.create_scenario(s, s.get(User, world.users["analyst"]), builtin="ceasefire-2025")
    engine.dispose()
    with TestClient(APP) as client:
        r = client.post("/api/token", json={"username": "admin", "password": PASSWORD})
        TOKEN["admin"] = r.json()["access_token"]
    yield
    APP.state.jobs.close()  # the runs the fuzzing started stop at their next chunk
    APP.state.engine.dispose()
    shutil.rmtree(_DIR, ignore_errors=True)


def success_matches_schema(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 2xx answer has the documented shape (error bodies are checked in test_api)."""
    if response.status_code < 300:
        return response_schema_conformance(ctx, response, case)
    return True


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_api_never_fails_with_a_server_error(case: Any) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {TOKEN['admin']}"},
        checks=[not_a_server_error, content_type_conformance, success_matches_schema],
    )
