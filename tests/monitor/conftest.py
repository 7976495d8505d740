from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from detente.monitor.db import MonitorSettings
from detente.web import create_api
from tests.monitor.api_support import Api, login_all
from tests.monitor_support import (  # noqa: F401 - fixtures used by name
    World,
    backend,
    db_url,
    engine,
    factory,
    fast_password_hashing,
    pg_server,
    world,
)

#: One line per load test run (backend, writes, clients, time, throughput).
LOAD_RESULTS: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Show the load tests' throughput at the end of the run."""
    if LOAD_RESULTS:
        terminalreporter.section("monitor load test throughput")
        for line in LOAD_RESULTS:
            terminalreporter.write_line(line)


@pytest.fixture
def api(db_url: str, world: World) -> Iterator[Api]:  # noqa: F811
    settings = MonitorSettings(db_url=db_url, secret_key="test-secret", max_body_bytes=200_000)
    app = create_api(settings)
    with TestClient(app) as client:
        yield login_all(client, world)
    app.state.engine.dispose()
